using System.Text.Json;
using System.Text.Json.Nodes;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using DuckDB.NET.Data;

namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// Three generated months merged into one (generate --cur with resource ids, each its own instance and
/// account): two us-east-1 instances, one of them with a planted missing hour, and a Tokyo one. Replayed
/// together, reconciled with the merged invoice.
/// </summary>
public sealed class MergedInstancesMonth : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();

    public string Ctr => _dir.Sub("merged/ctr");
    public string Cur => _dir.Sub("merged/cur");
    public string Rated => _dir.Sub("rated");
    public Dictionary<string, (string Instance, string Account)> Parts { get; } = [];
    public DateOnly MissingHourDay { get; private set; }

    public async Task InitializeAsync()
    {
        foreach (var (name, seed, region, contacts, extra) in new[]
        {
            ("us", "31", "us-east-1", "900", Array.Empty<string>()),
            ("us2", "35", "us-east-1", "400", ["--inject", "missing-hour"]),
            ("jp", "32", "ap-northeast-1", "300", Array.Empty<string>()),
        })
        {
            var data = _dir.Sub(name);
            var gen = await CliRunner.RunAsync(["generate", "--contacts", contacts, "--days", "3", "--seed", seed, "--region", region, "--out", data,
                "--cur", "--cur-resource-ids", "instance", .. extra]);
            Assert.True(gen.Exit == 0, gen.Err);
            Copy(Path.Combine(data, "ctr"), Ctr);
            var parquet = Assert.Single(Directory.GetFiles(Path.Combine(data, "cur"), "*.parquet", SearchOption.AllDirectories));
            var target = Path.Combine(Cur, "connect-reconcile", "data", "BILLING_PERIOD=2026-10", name + ".snappy.parquet");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(parquet, target);
            Parts[name] = PartOf(target);
            // One directory and inventory for the three: numbers homed in their part's instance and region.
            var agents = File.ReadAllLines(Path.Combine(data, "agents.csv"));
            _agents.AddRange(_agents.Count == 0 ? agents : agents.Skip(1));
            var numbers = File.ReadAllLines(Path.Combine(data, "numbers.csv"));
            _numbers.AddRange((_numbers.Count == 0 ? [numbers[0] + ",instance_id,region"] : Array.Empty<string>())
                .Concat(numbers.Skip(1).Select(n => $"{n},{Parts[name].Instance},{region}")));
            if (extra.Length > 0)
            {
                using var planted = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "cur-planted.json")));
                MissingHourDay = DateOnly.Parse(planted.RootElement.GetProperty("planted")[0].GetProperty("day").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        await File.WriteAllLinesAsync(Agents, _agents);
        await File.WriteAllLinesAsync(Numbers, _numbers);
        await ReplayAsync(Rated);
    }

    private readonly List<string> _agents = [];
    private readonly List<string> _numbers = [];

    public string Agents => _dir.Sub("merged/agents.csv");
    public string Numbers => _dir.Sub("merged/numbers.csv");

    /// <summary>The one instance and account a part's invoice lines name.</summary>
    private static (string Instance, string Account) PartOf(string parquet)
    {
        using var db = new DuckDBConnection("DataSource=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "select distinct regexp_extract(line_item_resource_id, 'instance/([0-9a-f-]{36})', 1), line_item_usage_account_id " +
            $"from '{parquet.Replace("'", "''", StringComparison.Ordinal)}' where line_item_resource_id like '%:instance/%'";
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        var part = (reader.GetString(0), reader.GetString(1));
        Assert.False(reader.Read());
        return part;
    }

    private static void Copy(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public async Task ReplayAsync(string output, params string[] extra)
    {
        var replay = await CliRunner.RunAsync(["replay", "--source", Ctr, "--agents", Agents, "--numbers", Numbers, "--out", output, "--summary", "json", .. extra]);
        Assert.True(replay.Exit == 0, replay.Err);
    }

    public async Task<(int Exit, JsonElement Summary, string Err)> ReconcileAsync(string rated, string? cur = null, params string[] extra)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(["reconcile", "--cur", cur ?? Cur, "--rated", rated, "--month", "2026-10", "--agents", Agents, "--summary", "json", .. extra]);
        Assert.True(exit is 0 or 3, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return (exit, doc.RootElement.Clone(), stderr);
    }

    public string Sub(string name) => _dir.Sub(name);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _dir.Dispose();
}

public sealed class ReconcileInstancesTests(MergedInstancesMonth month) : IClassFixture<MergedInstancesMonth>
{
    private static List<JsonElement> Variances(JsonElement summary) => summary.GetProperty("variances").EnumerateArray().ToList();

    private static string? Instance(JsonElement v) => v.TryGetProperty("instanceId", out var i) ? i.GetString() : null;

    private static List<string> Codes(JsonElement v) => v.GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("code").GetString()!).ToList();

    private static List<string> Strings(JsonElement summary, string name) => summary.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToList();

    [Fact]
    public void The_merged_invoice_names_three_instances_of_three_accounts()
    {
        Assert.Equal(3, month.Parts.Values.Select(p => p.Instance).Distinct().Count());
        Assert.Equal(3, month.Parts.Values.Select(p => p.Account).Distinct().Count());
    }

    [Fact]
    public async Task A_missing_hour_of_one_instance_is_found_though_another_instance_of_the_region_had_calls_that_hour()
    {
        var (exit, summary, _) = await month.ReconcileAsync(month.Rated);
        Assert.Equal(3, exit);
        var us2 = month.Parts["us2"].Instance;
        var day = month.MissingHourDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var rows = Variances(summary).Where(v => Instance(v) == us2 && v.GetProperty("day").GetString() == day && v.GetProperty("status").GetString() == Statuses.Over).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, v => Assert.Contains(CauseCodes.MissingCtrsHour, Codes(v)));
        Assert.DoesNotContain(Variances(summary), v => Codes(v).Contains(CauseCodes.Unexplained) && Instance(v) == us2);
        Assert.Empty(Strings(summary, "instancesWithoutCtrs"));
    }

    [Fact]
    public async Task An_instance_billed_without_any_CTRs_is_named_and_its_rows_say_so()
    {
        // The Tokyo instance's CTRs left out of the source: its invoice lines have nothing to meet.
        var ctr = month.Sub("no-jp-ctr");
        var rated = month.Sub("no-jp-rated");
        var jp = month.Parts["jp"].Instance;
        foreach (var file in Directory.GetFiles(month.Ctr, "*", SearchOption.AllDirectories))
        {
            var text = ReadText(file);
            if (!text.Contains(jp, StringComparison.Ordinal))
            {
                var target = Path.Combine(ctr, Path.GetRelativePath(month.Ctr, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        var replay = await CliRunner.RunAsync("replay", "--source", ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out", rated, "--summary", "json");
        Assert.True(replay.Exit == 0, replay.Err);
        var (exit, summary, _) = await month.ReconcileAsync(rated);
        Assert.Equal(3, exit);
        Assert.Equal([jp], Strings(summary, "instancesWithoutCtrs"));
        var rows = Variances(summary).Where(v => Instance(v) == jp).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, v => Assert.Equal([CauseCodes.MissingCtrsInstance], Codes(v)));
        var (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", rated, "--month", "2026-10", "--out", month.Sub("no-jp-out"));
        Assert.Contains(logs, l => l.Contains($"The invoice bills 1 instance(s) none of whose CTRs were rated in 2026-10: {jp}", StringComparison.Ordinal));
    }

    private static string ReadText(string file)
    {
        using var stream = File.OpenRead(file);
        using var gzip = file.EndsWith(".gz", StringComparison.Ordinal) ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress) : (Stream)stream;
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task Account_compares_the_CTRs_of_the_instances_its_lines_name_only()
    {
        var (us, account) = month.Parts["us"];
        var (exit, summary, _) = await month.ReconcileAsync(month.Rated, null, "--account", account, "--out", month.Sub("acc-table"));
        Assert.True(exit == 0, summary.GetRawText());
        Assert.False(summary.GetProperty("beyondTolerance").GetBoolean());
        using (var db = new DuckDBConnection("DataSource=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"select count(*) from '{month.Sub("acc-table")}/reconciliation/*/*.parquet' where row_kind = 'usage' and instance_id is distinct from '{us}'";
            Assert.Equal(0L, Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(summary.GetProperty("instancesFiltered").GetBoolean());
        Assert.Equal([us], Strings(summary, "instancesCompared"));
        Assert.Equal(new[] { month.Parts["us2"].Instance, month.Parts["jp"].Instance }.Order(StringComparer.Ordinal), Strings(summary, "instancesLeftOut"));
        Assert.Equal(summary.GetProperty("expectedCost").GetString(), summary.GetProperty("invoicedUsageCost").GetString());

        var (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10", "--account", account, "--out", month.Sub("acc-out"));
        Assert.Contains(logs, l => l.Contains($"--account {account}: compared the CTRs of instance(s) {us} (the instances its invoice lines name); left out the CTRs of instance(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tokyo_usage_a_card_without_the_region_cannot_price_is_never_within_tolerance_and_names_the_missing_rows()
    {
        var card = JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        var rows = card["rows"]!.AsArray();
        foreach (var row in rows.Where(r => (string?)r!["region"] == "ap-northeast-1").ToList())
        {
            rows.Remove(row);
        }

        card["version"] = "no-tokyo";
        var cardFile = month.Sub("no-tokyo.json");
        await File.WriteAllTextAsync(cardFile, card.ToJsonString());
        var rated = month.Sub("rated-no-tokyo");
        await month.ReplayAsync(rated, "--rate-card", cardFile);
        var (exit, summary, _) = await month.ReconcileAsync(rated, null, "--rate-card", cardFile, "--out", month.Sub("rec-no-tokyo"));
        Assert.Equal(3, exit);

        var jp = month.Parts["jp"].Instance;
        var tokyo = Variances(summary).Where(v => Instance(v) == jp).ToList();
        Assert.NotEmpty(tokyo);
        Assert.All(tokyo, v =>
        {
            Assert.Contains(CauseCodes.Unrated, Codes(v));
            Assert.DoesNotContain(CauseCodes.Unexplained, Codes(v));
        });
        Assert.Contains(tokyo, v => v.GetProperty("causes").EnumerateArray().Any(c => c.GetProperty("text").GetString()!.Contains("no rate-card row for service in ap-northeast-1", StringComparison.Ordinal)));

        // No Tokyo row the invoice charges is within tolerance: the reconciliation table has none.
        using var db = new DuckDBConnection("DataSource=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"select count(*) from '{month.Sub("rec-no-tokyo")}/reconciliation/*/*.parquet' where row_kind = 'usage' and instance_id = '{jp}' " +
            "and unrated_charges > 0 and invoiced_cost > 0.005 and status in ('within-tolerance', 'match')";
        Assert.Equal(0L, Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
