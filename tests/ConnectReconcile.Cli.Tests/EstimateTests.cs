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
    public async Task An_estimate_moved_to_another_region_prices_the_calls_in_that_regions_country()
    {
        // A derived profile names its country (US): moved to Tokyo as it was, every telephony minute and number-day was
        // unrated, the total fell 24 %, and the text called that "what that change would make".
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--region", "ap-northeast-1", "--json");
        Assert.True(exit == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var root = doc.RootElement;
            Assert.Equal("JP", root.GetProperty("country").GetString());
            Assert.All(root.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("chargeKind").GetString()!.Contains(':', StringComparison.Ordinal)),
                l => Assert.Equal(0m, Dec(l.GetProperty("unratedQuantity"))));
            Assert.Contains(root.GetProperty("lines").EnumerateArray(), l => l.GetProperty("usageType").GetString() == "APN1-JP-did-inbound-mins" && Dec(l.GetProperty("cost")) > 0);
            var replay = root.GetProperty("replay");
            Assert.Equal(["region us-east-1 → ap-northeast-1", "home country US → JP"], replay.GetProperty("moved").EnumerateArray().Select(m => m.GetString()));
            Assert.Empty(replay.GetProperty("unratedInEstimate").EnumerateArray());
        }

        // US numbers in Tokyo, asked for: the card has no rows for them, and the closing line says the unrated usage explains the difference.
        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--region", "ap-northeast-1", "--country", "US");
        Assert.True(exit == 0, stderr);
        Assert.Contains("unrated usage explains (part of) its -", stdout, StringComparison.Ordinal);
        Assert.Contains("telephony:inbound-did", stdout[stdout.IndexOf("Replayed cost", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.DoesNotContain("is what that change would make", stdout, StringComparison.Ordinal);
        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--region", "ap-northeast-1", "--country", "US", "--json");
        Assert.True(exit == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var replay = doc.RootElement.GetProperty("replay");
            Assert.False(replay.GetProperty("comparable").GetBoolean());
            Assert.Contains("telephony:outbound", replay.GetProperty("unratedInEstimate").EnumerateArray().Select(k => k.GetString()));
        }

        // A region without a default country, priced by a card that does not say which: refused, asking for one.
        using var tmp = new TempDir();
        var card = tmp.Sub("card.json");
        await File.WriteAllTextAsync(card, Paris);
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", Example("us-east-1.yaml"), "--rate-card", card, "--region", "eu-west-3");
        Assert.Equal(2, exit);
        Assert.Contains("give --country XX", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", Example("us-east-1.yaml"), "--rate-card", card, "--region", "eu-west-3", "--country", "FR");
        Assert.True(exit == 0, stderr);
    }

    /// <summary>A rate card pricing French and Belgian numbers in eu-west-3 (which has no default country).</summary>
    private const string Paris = """
        {"format": "connect-reconcile/rate-card@1", "version": "paris-test", "currency": "USD",
         "regionCodes": {"eu-west-3": "EUW3"},
         "usageTypes": {"per-feature": {"service": "{REGION}-end-customer-mins", "telephony:inbound-did": "{REGION}-{CC}-did-inbound-mins",
           "telephony:inbound-tollfree": "{REGION}-{CC}-tollfree-inbound-mins", "telephony:outbound": "{REGION}-{CC}-outbound-mins", "contact-lens": "{REGION}-ContactLens-voice-mins",
           "number-days:did": "{REGION}-{CC}-did-numbers", "number-days:tollfree": "{REGION}-{CC}-tollfree-numbers"}},
         "instances": [{"instanceId": "*", "pricingModel": "per-feature", "from": "2017-01-01"}],
         "rows": [
          {"id": "euw3-service", "region": "eu-west-3", "pricingModel": "per-feature", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins",
           "unit": "minute", "price": 0.018, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test"},
          {"id": "euw3-fr-did-number", "region": "eu-west-3", "pricingModel": "per-feature", "chargeKind": "number-days:did", "country": "FR",
           "usageType": "{REGION}-{CC}-did-numbers", "unit": "number-day", "price": 0.03, "effectiveFrom": "2018-01-01", "source": "test"},
          {"id": "euw3-be-did-number", "region": "eu-west-3", "pricingModel": "per-feature", "chargeKind": "number-days:did", "country": "BE",
           "usageType": "{REGION}-{CC}-did-numbers", "unit": "number-day", "price": 0.03, "effectiveFrom": "2018-01-01", "source": "test"}
         ]}
        """;

    [Fact]
    public async Task A_usage_type_priced_at_several_rates_shows_mixed_and_each_rows_part()
    {
        using var tmp = new TempDir();
        var profile = tmp.Sub("prefix.yaml");
        await File.WriteAllTextAsync(profile, """
            region: us-east-1
            month: 2026-11
            days: 1
            callsPerDay: {outbound: {"+1206": 10, US: 10}}
            outbound:
              answeredShare: 1
              ringSeconds: {average: 10, shape: fixed}
              talkSeconds: {average: 120, shape: fixed}
            numbers: {did: 0, tollFree: 0}
            """);
        var card = tmp.Sub("card.json");
        await File.WriteAllTextAsync(card, Prefixed);
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", profile, "--rate-card", card);
        Assert.True(exit == 0, stderr);
        // 20 min × 0.0048 + 20 min × 0.01 = 0.296: the first charge's 0.01 was shown as the line's rate.
        var line = stdout.Split('\n').Single(l => l.StartsWith("USE1-US-outbound-mins", StringComparison.Ordinal));
        Assert.Matches(@"40\.00\s+minute\s+mixed\s+0\.30", line);
        // The card writes 0.0100: a rate is shown without trailing zeros, as explain and audit-export show it.
        Assert.Contains("20.00 minute at 0.0048 = 0.10 (row use1-us-out); 20.00 minute at 0.01 = 0.20 (row use1-us-out-1206)", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", profile, "--rate-card", card, "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var lines = doc.RootElement.GetProperty("lines").EnumerateArray().ToList();
        var outbound = lines.Single(l => l.GetProperty("chargeKind").GetString() == "telephony:outbound");
        Assert.Equal(JsonValueKind.Null, outbound.GetProperty("rate").ValueKind);
        Assert.Equal([("use1-us-out", 0.0048m, 0.096m), ("use1-us-out-1206", 0.01m, 0.2m)],
            outbound.GetProperty("rateRows").EnumerateArray().Select(r => (r.GetProperty("row").GetString(), Dec(r.GetProperty("rate")), Dec(r.GetProperty("cost")))));
        Assert.Equal(0.018m, Dec(lines.Single(l => l.GetProperty("chargeKind").GetString() == "service").GetProperty("rate")));
    }

    /// <summary>us-east-1 service and outbound, and a dearer row for +1206 numbers.</summary>
    private const string Prefixed = """
        {"format": "connect-reconcile/rate-card@1", "version": "prefix-test", "currency": "USD",
         "regionCodes": {"us-east-1": "USE1"},
         "usageTypes": {"per-feature": {"service": "{REGION}-end-customer-mins", "telephony:inbound-did": "{REGION}-{CC}-did-inbound-mins",
           "telephony:inbound-tollfree": "{REGION}-{CC}-tollfree-inbound-mins", "telephony:outbound": "{REGION}-{CC}-outbound-mins", "contact-lens": "{REGION}-ContactLens-voice-mins",
           "number-days:did": "{REGION}-{CC}-did-numbers", "number-days:tollfree": "{REGION}-{CC}-tollfree-numbers"}},
         "instances": [{"instanceId": "*", "pricingModel": "per-feature", "from": "2017-01-01"}],
         "rows": [
          {"id": "use1-service", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins",
           "unit": "minute", "price": 0.018, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test"},
          {"id": "use1-us-out", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "telephony:outbound", "country": "US",
           "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.0048, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test"},
          {"id": "use1-us-out-1206", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "telephony:outbound", "country": "US", "prefix": "+1206",
           "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.0100, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test"}
         ]}
        """;

    [Fact]
    public async Task An_estimate_of_a_few_days_says_so_instead_of_a_month()
    {
        // The generated month is 4 days of CTRs: its derived profile covers those 4 days, not a month.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Cost for 4 days by charge kind", stdout, StringComparison.Ordinal);
        Assert.Contains("Calls (and numbers, contacts) for 4 days by kind", stdout, StringComparison.Ordinal);
        Assert.Matches(@"Total: [\d,.]+ USD for 4 days", stdout);
        Assert.DoesNotContain("a month", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Monthly", stdout, StringComparison.Ordinal);

        // A whole month still reads as one.
        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--profile", Example("us-east-1.yaml"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("Monthly cost by charge kind", stdout, StringComparison.Ordinal);
        Assert.Matches(@"Total: [\d,.]+ USD a month", stdout);
    }

    [Fact]
    public async Task An_estimate_of_another_month_than_the_measured_days_is_not_compared_with_their_replay()
    {
        // 4 measured days estimated as 30 days of November read as "differs by +650 %", comparable.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--month", "2030-11", "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var replay = doc.RootElement.GetProperty("replay");
        Assert.False(replay.GetProperty("comparable").GetBoolean());
        Assert.Contains("→ 2030-11-01 to 2030-11-30 (30)", Assert.Single(replay.GetProperty("moved").EnumerateArray()).GetString(), StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--month", "2030-11");
        Assert.True(exit == 0, stderr);
        Assert.Contains("is what that change would make", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Measured_days_that_switch_pricing_model_are_said_to_and_not_compared_with_their_replay()
    {
        // The card moves every instance to unlimited-ai on the generated month's second day: the derived profile priced
        // all 4 days on the majority model and still read as comparable (+16 %).
        using var tmp = new TempDir();
        var builtIn = BuiltInRateCards.Default;
        var card = tmp.Sub("card-ai.json");
        await File.WriteAllTextAsync(card, new RateCard
        {
            Version = "test-ai",
            Currency = builtIn.Currency,
            RegionCodes = builtIn.RegionCodes,
            UsageTypes = builtIn.UsageTypes,
            Instances = [.. builtIn.Instances, new InstancePricing("*", PricingModels.UnlimitedAi, new DateOnly(2026, 10, 2))],
            Rows = builtIn.Rows,
        }.ToJson());
        var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--rate-card", card, "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var replay = doc.RootElement.GetProperty("replay");
        Assert.False(replay.GetProperty("comparable").GetBoolean());
        Assert.Contains(replay.GetProperty("moved").EnumerateArray(), m => m.GetString()!.StartsWith("pricing models ", StringComparison.Ordinal));
        Assert.Contains(doc.RootElement.GetProperty("assumptions").EnumerateArray(),
            a => a.GetString()!.Contains("priced under several pricing models", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Prefix_rows_and_per_record_service_are_said_not_to_be_modelled_and_not_compared()
    {
        // A +1212 outbound row priced measured legs the profile prices by country (-23 % on outbound telephony), and
        // per-record service lost the records' overlap (-2.3 % on service): both read as comparable.
        using var tmp = new TempDir();
        var builtIn = BuiltInRateCards.Default;
        var outbound = builtIn.Rows.Single(r => r.Id == "use1-us-out");
        var card = tmp.Sub("card-prefix.json");
        await File.WriteAllTextAsync(card, new RateCard
        {
            Version = "test-prefix",
            Currency = builtIn.Currency,
            RegionCodes = builtIn.RegionCodes,
            UsageTypes = builtIn.UsageTypes,
            Instances = builtIn.Instances,
            Rows = [.. builtIn.Rows, outbound with { Id = "use1-us-out-1212", Prefix = "+1212", Price = 0.05m }],
        }.ToJson());
        foreach (var (option, value, expected) in new[] { ("--rate-card", card, "prefix rows"), ("--policy", "service=per-record", "per-record service") })
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync("estimate", "--from-ctrs", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
                option, value, "--json");
            Assert.True(exit == 0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            var replay = doc.RootElement.GetProperty("replay");
            Assert.False(replay.GetProperty("comparable").GetBoolean());
            Assert.Contains(expected, Assert.Single(replay.GetProperty("notModelled").EnumerateArray()).GetString(), StringComparison.Ordinal);
        }
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
    [InlineData("inboundDid: 1e27", "callsPerDay.inboundDid must be at most 1,000,000,000, found")]  // was exit 1, a decimal overflow without an error line
    [InlineData("inboundDid: 2e9", "callsPerDay.inboundDid must be at most 1,000,000,000, found")]
    [InlineData("outbound: {US: 1e27}", "callsPerDay.outbound.US must be at most 1,000,000,000")]
    [InlineData("inboundDid: 1e30", "callsPerDay.inboundDid is too large, found '1e30'")]             // was "must be a number"
    public async Task A_volume_beyond_the_bound_is_a_usage_error_naming_the_setting(string volume, string message)
    {
        using var tmp = new TempDir();
        var bad = tmp.Sub("huge.yaml");
        await File.WriteAllTextAsync(bad, $"region: us-east-1\ncallsPerDay:\n  {volume}\n");
        var (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("otherContactsPerDay: {chatt: 300}", "otherContactsPerDay.chatt is not a channel: the channels are chat, email, task")]
    [InlineData("otherContactsPerDay: {fax: 3}", "otherContactsPerDay.fax is not a channel")]
    [InlineData("callsPerDay: {outbound: {\"+99999\": 20}}", "'+99999' starts with no country calling code known")]
    public async Task A_misspelt_channel_or_destination_is_a_usage_error_naming_it(string setting, string message)
    {
        // Both were accepted: the typo became its own unrated line (country ZZ) and dropped out of the total.
        using var tmp = new TempDir();
        var bad = tmp.Sub("typo.yaml");
        await File.WriteAllTextAsync(bad, $"region: us-east-1\n{setting}\n");
        var (exit, _, stderr) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);

        // The real ones still read.
        await File.WriteAllTextAsync(bad, "region: us-east-1\notherContactsPerDay: {Chat: 3, task: 1, email: 1}\ncallsPerDay: {outbound: {\"+8190\": 2, \"+44\": 1}}\n");
        (exit, _, var err) = await CliRunner.RunAsync("estimate", "--profile", bad);
        Assert.True(exit == 0, err);
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
