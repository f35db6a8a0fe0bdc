using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Core.Estimation;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Io.Estimation;

namespace ConnectReconcile.Cli.Tests;

public sealed class EstimateTests(GeneratedMonth month) : IClassFixture<GeneratedMonth>
{
    internal static string Example(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "examples", "profiles", name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException("examples/profiles/" + name + " not found above " + AppContext.BaseDirectory);
    }

    private static decimal Dec(JsonElement e) => e.GetDecimal();

    [Fact]
    public void The_Tokyo_example_reproduces_the_worked_example_for_one_150_s_DID_call()
    {
        var tokyo = ProfileReader.Read(File.ReadAllText(Example("tokyo-domestic.yaml")));
        Assert.Equal("ap-northeast-1", tokyo.Region);
        Assert.Equal(PricingModels.PerFeature, tokyo.PricingModel);
        var single = tokyo with
        {
            Days = 1,
            CallsPerDay = new CallVolumes { InboundDid = 1 },
            Inbound = tokyo.Inbound with { IvrOnlyShare = 1, AbandonedShare = 0, IvrOnlySeconds = DurationDistribution.Fixed(150) },
            Numbers = new NumbersHeld(),
        };
        var result = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(single);
        Assert.Equal(0.045m, result.ByChargeKind.Single(k => k.Key == ChargeKinds.Service).Cost);
        Assert.Equal(0.0075m, result.ByChargeKind.Single(k => k.Key == ChargeKinds.TelephonyInboundDid).Cost);
        Assert.Equal(0.0525m, result.Total);
    }

    [Fact]
    public async Task The_example_profiles_estimate_with_their_assumptions_printed()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", Example("tokyo-domestic.yaml"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("Assumptions:", stdout, StringComparison.Ordinal);
        Assert.Contains("under 60 s", stdout, StringComparison.Ordinal);
        Assert.Contains("APN1-JP-tollfree-inbound-mins", stdout, StringComparison.Ordinal);
        Assert.Contains("Total:", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", Example("us-east-1.yaml"), "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("us-east-1", root.GetProperty("region").GetString());
        Assert.Equal("2026-11-30", root.GetProperty("to").GetString());
        var byKind = root.GetProperty("byChargeKind");
        Assert.True(Dec(byKind.GetProperty("service")) > 0);
        Assert.True(Dec(byKind.GetProperty("telephony:inbound-tollfree")) > Dec(byKind.GetProperty("telephony:inbound-did")));
        var total = Dec(root.GetProperty("total"));
        Assert.Equal(Math.Round(total, 12), Math.Round(byKind.EnumerateObject().Sum(p => Dec(p.Value)), 12));
        Assert.Equal(Math.Round(total, 12), Math.Round(root.GetProperty("bySegment").EnumerateObject().Sum(p => Dec(p.Value)), 12));
        Assert.Contains(root.GetProperty("unrated").EnumerateArray(), u => u.GetString()!.Contains("chat", StringComparison.Ordinal));

        // The same profile under unlimited-AI pricing: no Contact Lens line, dearer service minutes.
        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", Example("us-east-1.yaml"), "--json", "--pricing-model", "unlimited-ai");
        Assert.True(exit == 0, stderr);
        using var ai = JsonDocument.Parse(stdout);
        Assert.False(ai.RootElement.GetProperty("byChargeKind").TryGetProperty("contact-lens", out _));
        Assert.True(Dec(ai.RootElement.GetProperty("byChargeKind").GetProperty("service")) > Dec(byKind.GetProperty("service")));
    }

    [Fact]
    public async Task An_estimate_from_a_profile_derived_from_a_month_lands_within_2_percent_of_its_replay()
    {
        using var tmp = new TempDir();
        var saved = tmp.Sub("derived.yaml");
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--save-profile", saved, "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var replay = doc.RootElement.GetProperty("replay");
        var difference = Dec(replay.GetProperty("differencePercent"));
        Assert.InRange(difference, -2m, 2m);
        Assert.True(replay.GetProperty("comparable").GetBoolean());
        Assert.Empty(replay.GetProperty("moved").EnumerateArray());
        var total = Dec(doc.RootElement.GetProperty("total"));
        Assert.InRange(total, Dec(replay.GetProperty("cost")) * 0.98m, Dec(replay.GetProperty("cost")) * 1.02m);

        // The saved profile reads back to the same estimate (the user edits this file and re-estimates).
        Assert.Contains("sample:", await File.ReadAllTextAsync(saved), StringComparison.Ordinal);
        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", saved, "--json");
        Assert.True(exit == 0, stderr);
        using var again = JsonDocument.Parse(stdout);
        Assert.InRange(Dec(again.RootElement.GetProperty("total")), total * 0.9999m, total * 1.0001m);

        // JSON round trip of the writer, too.
        var profile = ProfileReader.Read(await File.ReadAllTextAsync(saved));
        var json = ProfileReader.Read(ProfileWriter.ToJson(profile));
        var a = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(profile);
        var b = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(json);
        Assert.Equal(a.Total, b.Total);
    }

    [Fact]
    public async Task An_estimate_moved_to_another_pricing_model_says_its_difference_from_the_replay_is_the_change()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--pricing-model", "unlimited-ai", "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var replay = doc.RootElement.GetProperty("replay");
        Assert.False(replay.GetProperty("comparable").GetBoolean()); // it read as an estimate 78 % off
        Assert.Contains("pricing model per-feature → unlimited-ai", Assert.Single(replay.GetProperty("moved").EnumerateArray()).GetString(), StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--pricing-model", "unlimited-ai");
        Assert.True(exit == 0, stderr);
        Assert.Contains("is what that change would make", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Tokyo_month_also_lands_within_2_percent()
    {
        using var tmp = new TempDir();
        Generator.SampleMonth.Generate(new Generator.GeneratorOptions(2_000, 3, 5, tmp.Sub("data")) { Region = "ap-northeast-1", Overwrite = true });
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", Path.Combine(tmp.Sub("data"), "ctr"),
            "--agents", Path.Combine(tmp.Sub("data"), "agents.csv"), "--numbers", Path.Combine(tmp.Sub("data"), "numbers.csv"), "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("ap-northeast-1", doc.RootElement.GetProperty("region").GetString());
        Assert.InRange(Dec(doc.RootElement.GetProperty("replay").GetProperty("differencePercent")), -2m, 2m);
    }

    [Fact]
    public async Task Profile_mistakes_are_usage_errors_that_name_the_setting()
    {
        using var tmp = new TempDir();
        var bad = tmp.Sub("bad.yaml");
        await File.WriteAllTextAsync(bad, "region: us-east-1\ncallsPerDay:\n  inboundDidd: 10\n");
        var (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.Equal(2, exit);
        Assert.Contains("callsPerDay.inboundDidd", stderr, StringComparison.Ordinal);

        await File.WriteAllTextAsync(bad, "{\"region\": \"us-east-1\", \"inbound\": {\"ivrOnlyShare\": \"120%\"}}");
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.Equal(2, exit);
        Assert.Contains("inbound.ivrOnlyShare", stderr, StringComparison.Ordinal);

        // CTRs with no contact in them: nothing to derive a profile from is the user's to fix (exit 2), not a failed run.
        await File.WriteAllTextAsync(tmp.Sub("not-ctrs.json"), "{\"hello\": 1}");
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", tmp.Sub("not-ctrs.json"));
        Assert.Equal(2, exit);
        Assert.Contains("holds no contact records to derive a profile from", stderr, StringComparison.Ordinal);

        // A flow map cut short, which YamlDotNet's scanner fails on without a YamlException.
        await File.WriteAllTextAsync(bad, "region: us-east-1\ninbound:\n  ivrSeconds: {average: 60, sh\n  talkSeconds: 300\n");
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.Equal(2, exit);
        Assert.Contains("not valid YAML", stderr, StringComparison.Ordinal);

        // Half a day was cut to two days; agents given with a profile were ignored.
        await File.WriteAllTextAsync(bad, "region: us-east-1\ndays: 2.5\ncallsPerDay: {inboundDid: 10}\n");
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.Equal(2, exit);
        Assert.Contains("'days' must be a whole number of days, found 2.5", stderr, StringComparison.Ordinal);
        await File.WriteAllTextAsync(bad, "region: us-east-1\ncallsPerDay: {inboundDid: 10}\n");
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad, "--agents", month.Agents);
        Assert.Equal(2, exit);
        Assert.Contains("--agents and --numbers go with --from-ctrs", stderr, StringComparison.Ordinal);

        (exit, _, _) = await CliRunner.RunAsync("estimate");
        Assert.Equal(2, exit);
        (exit, _, _) = await CliRunner.RunAsync("estimate", "--profile", bad, "--from-ctrs", month.Ctr);
        Assert.Equal(2, exit);
    }

    [Theory]
    [InlineData("region: us-east-1\nnotes: &n [*n]\n")]                                          // a sequence holding itself: was a stack overflow
    [InlineData("region: us-east-1\ncallsPerDay: &c {inboundDid: 10, outbound: *c}\n")]          // a mapping holding itself: was a hang
    [InlineData("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
                "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n")] // "billion laughs"
    public void Yaml_aliases_that_refer_to_themselves_or_multiply_are_refused(string yaml)
    {
        var e = Assert.Throws<FormatException>(() => ProfileReader.Read(yaml));
        Assert.Contains("too deep or too large", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_aliases_that_repeat_a_value_are_read()
    {
        var profile = ProfileReader.Read("region: us-east-1\ncallsPerDay: {inboundDid: 10}\ninbound:\n  ivrSeconds: &d {average: 45}\n  queueSeconds: *d\n");
        Assert.Equal(profile.Inbound.IvrSeconds.Average, profile.Inbound.QueueSeconds.Average);
        Assert.Equal(45.0, profile.Inbound.QueueSeconds.Average, 6);
    }

    [Fact]
    public void Json_and_yaml_profiles_read_the_same()
    {
        var yaml = """
            region: ap-northeast-1
            month: 2026-11
            callsPerDay: {inboundDid: 10, outbound: 5}
            inbound:
              ivrOnlyShare: 20%
              talkSeconds: {buckets: [[60, 0.5], [300, 0.5]]}
            contactLens: true
            """;
        var json = """
            {"region": "ap-northeast-1", "month": "2026-11", "callsPerDay": {"inboundDid": 10, "outbound": {"JP": 5}},
             "inbound": {"ivrOnlyShare": 0.2, "talkSeconds": {"buckets": [{"upTo": 60, "share": 0.5}, {"from": 60, "upTo": 300, "share": 0.5}]}},
             "contactLens": {"share": 1}}
            """;
        var a = ProfileReader.Read(yaml);
        var b = ProfileReader.Read(json);
        Assert.Equal(5m, a.CallsPerDay.Outbound["JP"]);
        Assert.Equal(1m, a.ContactLensShare);
        Assert.Equal(0.2m, a.Inbound.IvrOnlyShare);
        Assert.Equal(new DateOnly(2026, 11, 1), a.Month);
        Assert.Contains("inbound.ivrSeconds", a.Defaulted);
        var estimator = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default);
        Assert.Equal(estimator.Estimate(a).Total, estimator.Estimate(b).Total);
        Assert.Equal(105.0, a.Inbound.TalkSeconds.Average, 6);
        Assert.Equal(a.Inbound.TalkSeconds.Average.ToString(CultureInfo.InvariantCulture), b.Inbound.TalkSeconds.Average.ToString(CultureInfo.InvariantCulture));
    }
}
