using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using DuckDB.NET.Data;

namespace ConnectReconcile.Cli.Tests;

/// <summary>A generated month with its invoice (generate --cur …), replayed with its own agents and numbers.</summary>
public sealed class CurMonth : IDisposable
{
    private readonly TempDir _dir = new();

    private CurMonth()
    {
    }

    public string Data => _dir.Sub("data");
    public string Ctr => Path.Combine(Data, "ctr");
    public string Agents => Path.Combine(Data, "agents.csv");
    public string Numbers => Path.Combine(Data, "numbers.csv");
    public string Cur => Path.Combine(Data, "cur");
    public string Rated => _dir.Sub("rated");
    public JsonElement Planted { get; private set; }

    public static async Task<CurMonth> CreateAsync(params string[] generateOptions)
    {
        var m = new CurMonth();
        var gen = await CliRunner.RunAsync(["generate", "--contacts", "900", "--days", "3", "--seed", "23", "--out", m.Data, "--cur", .. generateOptions]);
        Assert.True(gen.Exit == 0, gen.Err);
        using (var planted = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(m.Data, "cur-planted.json"))))
        {
            m.Planted = planted.RootElement.Clone();
        }

        await m.ReplayAsync();
        return m;
    }

    public async Task ReplayAsync(params string[] extra)
    {
        var replay = await CliRunner.RunAsync(["replay", "--source", Ctr, "--agents", Agents, "--numbers", Numbers, "--out", Rated, "--summary", "json", .. extra]);
        Assert.True(replay.Exit == 0, replay.Err);
    }

    /// <summary>Runs reconcile with --summary json; returns the exit code and the summary.</summary>
    public async Task<(int Exit, JsonElement Summary, string Err)> ReconcileAsync(params string[] extra)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(["reconcile", "--cur", Cur, "--rated", Rated, "--month", "2026-10", "--summary", "json", .. extra]);
        Assert.True(exit is 0 or 3, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return (exit, doc.RootElement.Clone(), stderr);
    }

    public string Table(string table) => Path.Combine(Rated, table, "*", "*.parquet");

    /// <summary>Sets the <paramref name="column"/> cell of each of <paramref name="rows"/> in a legacy CSV's lines (header first; no cell holds a comma).</summary>
    public static void SetCells(List<string> lines, string column, IEnumerable<int> rows, Func<string, string> value)
    {
        var at = lines[0].Split(',').ToList().IndexOf(column);
        foreach (var row in rows)
        {
            var fields = lines[row].Split(',');
            fields[at] = value(fields[at]);
            lines[row] = string.Join(',', fields);
        }
    }

    /// <summary>Rewrites the one legacy gzip CSV invoice (header first) with <paramref name="edit"/>; returns its new lines.</summary>
    public async Task<List<string>> EditLegacyCsvAsync(Action<List<string>> edit)
    {
        var file = Directory.GetFiles(Cur, "*.csv.gz", SearchOption.AllDirectories).Single();
        var lines = new List<string>();
        await using (var gzip = new System.IO.Compression.GZipStream(File.OpenRead(file), System.IO.Compression.CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines.Add(line);
            }
        }

        edit(lines);
        await using (var gzip = new System.IO.Compression.GZipStream(File.Create(file), System.IO.Compression.CompressionLevel.Fastest))
        await using (var writer = new StreamWriter(gzip))
        {
            await writer.WriteAsync(string.Join('\n', lines) + "\n");
        }

        return lines;
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The clean month, shared (generation is deterministic).</summary>
public sealed class CleanCurMonth : IAsyncLifetime, IDisposable
{
    public CurMonth Month { get; private set; } = null!;

    public async Task InitializeAsync() => Month = await CurMonth.CreateAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => Month?.Dispose();
}

public sealed class ReconcileTests(CleanCurMonth clean) : IClassFixture<CleanCurMonth>
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private const string NotACur = "<a file that is not a CUR>";
    private const string EmptyFolder = "(an empty folder)";

    private static List<JsonElement> Variances(JsonElement summary) => summary.GetProperty("variances").EnumerateArray().ToList();

    private static IEnumerable<string> Codes(JsonElement variance) => variance.GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("code").GetString()!);

    private static string Text(JsonElement variance, string code) =>
        variance.GetProperty("causes").EnumerateArray().First(c => c.GetProperty("code").GetString() == code).GetProperty("text").GetString()!;

    private static object? Scalar(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    [Fact]
    public async Task A_sparse_generated_month_invoices_its_numbers_on_every_day_and_reconciles_with_a_replay_of_those_days()
    {
        // 5 calls over 30 days: most days have none, but the numbers are rented on all of them.
        using var dir = new TempDir();
        var data = dir.Sub("data");
        var gen = await CliRunner.RunAsync("generate", "--contacts", "5", "--days", "30", "--out", data, "--cur");
        Assert.True(gen.Exit == 0, gen.Err);
        var replay = await CliRunner.RunAsync("replay", "--source", Path.Combine(data, "ctr"), "--agents", Path.Combine(data, "agents.csv"),
            "--numbers", Path.Combine(data, "numbers.csv"), "--from", "2026-10-01", "--to", "2026-10-30", "--out", dir.Sub("rated"));
        Assert.True(replay.Exit == 0, replay.Err);
        var (exit, stdout, err) = await CliRunner.RunAsync("reconcile", "--cur", Path.Combine(data, "cur"), "--rated", dir.Sub("rated"), "--month", "2026-10", "--summary", "json");
        using var summary = JsonDocument.Parse(stdout);
        Assert.True(exit == 0, err + stdout); // was 3: the invoice rented the numbers only up to the last day with a call
        Assert.Equal(0, summary.RootElement.GetProperty("rows").GetProperty("only-in-ctrs").GetInt32());
    }

    [Fact]
    public async Task A_consistent_generated_month_reconciles_to_zero_variance()
    {
        var month = clean.Month;
        var (exit, summary, _) = await month.ReconcileAsync();
        Assert.Equal(0, exit);
        Assert.False(summary.GetProperty("beyondTolerance").GetBoolean());
        Assert.Empty(Variances(summary));
        Assert.True(summary.GetProperty("rows").GetProperty("match").GetInt32() >= 15);
        Assert.Equal(summary.GetProperty("expectedCost").GetString(), summary.GetProperty("invoicedUsageCost").GetString());
        Assert.NotEqual("0.00", summary.GetProperty("taxes").GetString());
        Assert.StartsWith("-", summary.GetProperty("freeTier").GetString(), StringComparison.Ordinal);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var rec = month.Table("reconciliation");
        // Quantities exact, cost within rounding, on every row both sides have; the rest is only our unrated chat.
        Assert.Equal(0m, Convert.ToDecimal(Scalar(db, $"SELECT coalesce(sum(abs(quantity_variance)), 0) FROM read_parquet('{rec}') WHERE row_kind = 'usage' AND status <> 'only-in-ctrs'"), C));
        Assert.True(Convert.ToDecimal(Scalar(db, $"SELECT max(abs(cost_variance)) FROM read_parquet('{rec}') WHERE row_kind = 'usage'"), C) < 0.005m);
        Assert.Equal(0L, Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{rec}') WHERE row_kind = 'usage' AND status NOT IN ('match') AND NOT (status = 'only-in-ctrs' AND unrated_charges = charges)"), C));
        Assert.Equal(2L, Convert.ToInt64(Scalar(db, $"SELECT count(DISTINCT row_kind) FROM read_parquet('{rec}') WHERE row_kind IN ('tax', 'free-tier')"), C));

        // An independent reader (DuckDB) of the generated CUR agrees with our daily usage, usage type by usage type.
        var cur = Path.Combine(month.Cur, "**", "*.parquet");
        var daily = month.Table("daily_usage");
        var mismatches = Convert.ToInt64(Scalar(db, $"""
            WITH inv AS (SELECT line_item_usage_type AS ut, sum(line_item_usage_amount) AS q FROM read_parquet('{cur}')
                         WHERE line_item_line_item_type = 'Usage' AND line_item_product_code <> 'AmazonS3' GROUP BY 1),
                 exp AS (SELECT usage_type AS ut, sum(CASE WHEN unit = 'minute' THEN billed_seconds / 60.0 ELSE quantity END) AS q
                         FROM read_parquet('{daily}') WHERE unrated_charges = 0 GROUP BY 1)
            SELECT count(*) FROM inv FULL JOIN exp USING (ut) WHERE abs(coalesce(inv.q, 0) - coalesce(exp.q, 0)) > 0.000001
            """), C);
        Assert.Equal(0L, mismatches);

        // Other services' lines (the generator's daily S3 line) are listed as not modelled, with what DuckDB sums them to.
        var s3 = Scalar(db, $"SELECT count(*) || ' ' || printf('%.2f', sum(line_item_unblended_cost)) || ' ' || any_value(line_item_currency_code) FROM read_parquet('{cur}') WHERE line_item_product_code = 'AmazonS3'");
        var others = summary.GetProperty("otherServices").EnumerateArray()
            .Select(o => $"{o.GetProperty("productCode").GetString()} {o.GetProperty("lines").GetInt64()} {o.GetProperty("cost").GetString()} {o.GetProperty("currency").GetString()} {o.GetProperty("linesWithoutCost").GetInt64()}").ToList();
        Assert.Equal([$"AmazonS3 {s3} 0"], others);

        var html = await File.ReadAllTextAsync(Path.Combine(month.Rated, "reports", "reconciliation-2026-10.html"));
        Assert.Contains("Every day and usage type is within tolerance.", html, StringComparison.Ordinal);
        Assert.Contains("Lines of other services (not Connect, not modelled): AmazonS3 ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Io.Cur.Injections.MissingHour)]
    [InlineData(Io.Cur.Injections.UnlistedNumber)]
    [InlineData(Io.Cur.Injections.RateDiff)]
    [InlineData(Io.Cur.Injections.DeskAgentMissing)]
    public async Task Each_injected_discrepancy_is_detected_in_its_row_with_its_cause(string injection)
    {
        using var month = await CurMonth.CreateAsync("--inject", injection);
        var planted = month.Planted.GetProperty("planted")[0];
        var (exit, summary, _) = await month.ReconcileAsync("--agents", month.Agents);
        Assert.Equal(3, exit);
        var variances = Variances(summary);
        Assert.NotEmpty(variances);
        switch (injection)
        {
            case Io.Cur.Injections.RateDiff:
            {
                var usageType = planted.GetProperty("usageType").GetString();
                var rate = planted.GetProperty("invoiceRate").GetDecimal().ToString("0.########", C);
                Assert.All(variances, v =>
                {
                    Assert.Equal(usageType, v.GetProperty("usageType").GetString());
                    Assert.Equal(("over", "cost"), (v.GetProperty("status").GetString(), v.GetProperty("basis").GetString()));
                    Assert.Contains(rate, Text(v, CauseCodes.RateDifference), StringComparison.Ordinal);
                });
                Assert.Equal(3, variances.Count); // every day
                break;
            }

            case Io.Cur.Injections.UnlistedNumber:
            {
                var number = planted.GetProperty("number").GetString()!;
                Assert.All(variances, v =>
                {
                    Assert.Equal(planted.GetProperty("usageType").GetString(), v.GetProperty("usageType").GetString());
                    Assert.Equal(1m, v.GetProperty("invoicedQuantity").GetDecimal() - v.GetProperty("expectedQuantity").GetDecimal());
                    Assert.Contains(number, Text(v, CauseCodes.UnlistedNumber), StringComparison.Ordinal);
                });
                Assert.Equal(3, variances.Count);
                break;
            }

            case Io.Cur.Injections.DeskAgentMissing:
            {
                var agent = planted.GetProperty("agent").GetString()!;
                Assert.All(variances, v =>
                {
                    Assert.Equal(planted.GetProperty("usageType").GetString(), v.GetProperty("usageType").GetString());
                    Assert.Equal("over", v.GetProperty("status").GetString());
                    Assert.Contains(agent, Text(v, CauseCodes.DeskAgentMissing), StringComparison.Ordinal);
                });
                break;
            }

            case Io.Cur.Injections.MissingHour:
            {
                var day = planted.GetProperty("day").GetString();
                var hour = DateTime.Parse(planted.GetProperty("hour").GetString()!, C, DateTimeStyles.AdjustToUniversal);
                var over = variances.Where(v => v.GetProperty("status").GetString() == "over").ToList();
                Assert.All(over, v =>
                {
                    Assert.Equal(day, v.GetProperty("day").GetString());
                    Assert.Contains($"{hour:HH}:00", Text(v, CauseCodes.MissingCtrsHour), StringComparison.Ordinal);
                });
                Assert.Contains(over, v => v.GetProperty("usageType").GetString() == "USE1-end-customer-mins");
                break;
            }
        }

        Assert.All(variances, v => Assert.DoesNotContain(CauseCodes.Unexplained, Codes(v)));
    }

    [Fact]
    public async Task Calibration_picks_the_policy_the_invoice_was_built_with()
    {
        var policy = BillingPolicy.Parse("service=per-record").ToString();
        using var month = await CurMonth.CreateAsync("--cur-policy", "service=per-record");
        var (exit, summary, _) = await month.ReconcileAsync("--calibrate", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers);
        Assert.Equal(3, exit); // rated with the default policy, the month does not match
        var ranking = summary.GetProperty("calibration").EnumerateArray().ToList();
        Assert.Equal(BillingPolicy.Alternatives.Count, ranking.Count);
        Assert.Equal(policy, ranking[0].GetProperty("policy").GetString());
        Assert.Equal(0m, ranking[0].GetProperty("absQuantityVariance").GetDecimal());
        Assert.False(ranking[1].GetProperty("tiedWithBest").GetBoolean());
        Assert.Contains(Variances(summary), v => Codes(v).Contains(CauseCodes.Policy));
        Assert.True(File.Exists(Path.Combine(month.Rated, "reconciliation_calibration", "month=2026-10", "part-00000.parquet")));
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            // The policy in use scores the reconciliation's own rows: its |Δ cost| is theirs added up, to the last place
            // (it added the exact charge costs, the rows the recorded ones).
            db.Open();
            Assert.Equal(
                Convert.ToDecimal(Scalar(db, $"SELECT sum(abs(cost_variance)) FROM read_parquet('{month.Table("reconciliation")}') WHERE row_kind = 'usage'"), C),
                Convert.ToDecimal(Scalar(db, $"SELECT abs_cost_variance FROM read_parquet('{month.Table("reconciliation_calibration")}') WHERE is_current"), C));
        }

        // Re-rated with the policy calibration found, the month reconciles.
        await month.ReplayAsync("--policy", "service=per-record");
        Assert.Equal(0, (await month.ReconcileAsync()).Exit);
    }

    [Fact]
    public async Task Calibration_without_the_agents_or_numbers_the_month_was_rated_with_is_a_usage_error_naming_them()
    {
        // The replay had both (its run.json says so): re-rated without them, the policy in use would not score the reconciliation's rows.
        var output = Path.Combine(clean.Month.Data, "calibrated-without");
        var noAgents = await CliRunner.RunAsync("reconcile", "--cur", clean.Month.Cur, "--rated", clean.Month.Rated, "--month", "2026-10",
            "--calibrate", "--source", clean.Month.Ctr, "--numbers", clean.Month.Numbers, "--out", output);
        Assert.True(noAgents.Exit == 2, noAgents.Err);
        Assert.Contains("--agents", noAgents.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("--numbers (", noAgents.Err, StringComparison.Ordinal);
        Assert.Contains("run.json", noAgents.Err, StringComparison.Ordinal);

        var noNumbers = await CliRunner.RunAsync("reconcile", "--cur", clean.Month.Cur, "--rated", clean.Month.Rated, "--month", "2026-10",
            "--calibrate", "--source", clean.Month.Ctr, "--agents", clean.Month.Agents, "--out", output);
        Assert.True(noNumbers.Exit == 2, noNumbers.Err);
        Assert.Contains("--numbers", noNumbers.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("--agents (", noNumbers.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(output, "reconciliation_calibration"))); // nothing ranked, nothing written
    }

    [Fact]
    public async Task Calibration_says_when_an_input_object_could_not_be_read()
    {
        var hour = Directory.GetDirectories(clean.Month.Ctr, "*", SearchOption.AllDirectories).Where(d => Directory.GetFiles(d).Length > 0).Order(StringComparer.Ordinal).First();
        var link = Path.Combine(hour, "zz-unreadable.json.gz");
        File.CreateSymbolicLink(link, Path.Combine(clean.Month.Data, "gone.json.gz")); // listed, then failing to open
        try
        {
            var (exit, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", clean.Month.Cur, "--rated", clean.Month.Rated, "--month", "2026-10",
                "--calibrate", "--source", clean.Month.Ctr, "--agents", clean.Month.Agents, "--numbers", clean.Month.Numbers, "--out", Path.Combine(clean.Month.Data, "calibrated"));

            // Was silent: every policy rated without the object's records.
            Assert.True(exit is 0 or 3, string.Join('\n', logs));
            Assert.Contains(logs, l => l.StartsWith("Warning: 1 input object(s) could not be read while calibrating", StringComparison.Ordinal) && l.Contains("zz-unreadable.json.gz", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public async Task Calibration_ranks_the_policy_the_month_was_rated_with_even_two_settings_from_the_default()
    {
        // Not among the single-setting departures: it was never tried, and calibration recommended a worse fit than the one in use.
        var policy = BillingPolicy.Parse("service=per-record;minimums=per-record").ToString();
        Assert.DoesNotContain(BillingPolicy.Alternatives, a => a.ToString() == policy);
        using var month = await CurMonth.CreateAsync("--cur-policy", policy);
        await month.ReplayAsync("--policy", policy);
        var (exit, summary, _) = await month.ReconcileAsync("--calibrate", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers);
        Assert.Equal(0, exit);
        var ranking = summary.GetProperty("calibration").EnumerateArray().ToList();
        Assert.Equal(BillingPolicy.Alternatives.Count + 1, ranking.Count);
        Assert.Equal(policy, ranking[0].GetProperty("policy").GetString());
        Assert.True(ranking[0].GetProperty("current").GetBoolean());
        Assert.Equal(0m, ranking[0].GetProperty("absQuantityVariance").GetDecimal());
    }

    [Fact]
    public async Task A_month_whose_days_were_rated_with_different_policies_says_so()
    {
        using var month = await CurMonth.CreateAsync();
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10", "--summary", "json");
        Assert.Equal(0, exit);
        Assert.DoesNotContain(logs, l => l.Contains("were rated with", StringComparison.Ordinal));

        // One day re-rated by a nightly with another policy, into the same output.
        var nightly = await CliRunner.RunAsync("nightly", "--date", "2026-10-02", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out", month.Rated, "--policy", "minimums=none");
        Assert.True(nightly.Exit == 0, nightly.Err);
        (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10", "--summary", "json");
        var note = Assert.Single(logs, l => l.Contains("were rated with", StringComparison.Ordinal));
        Assert.Contains("2 policies", note, StringComparison.Ordinal);
        Assert.Contains("minimums=none", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_month_whose_days_were_rated_with_two_cards_of_one_version_says_so()
    {
        using var month = await CurMonth.CreateAsync();
        var card = System.Text.Json.Nodes.JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        var row = card["rows"]!.AsArray()[0]!;
        row["price"] = row["price"]!.GetValue<decimal>() + 0.001m; // edited, its version kept
        var edited = Path.Combine(month.Data, "edited-card.json");
        await File.WriteAllTextAsync(edited, card.ToJsonString());

        // A nightly with the built-in card changes nothing; one with the edited card makes the month two cards.
        foreach (var (rateCard, shared) in new[] { ((string?)null, false), (edited, true) })
        {
            var nightly = await CliRunner.RunAsync(["nightly", "--date", "2026-10-02", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out", month.Rated,
                .. rateCard is null ? Array.Empty<string>() : ["--rate-card", rateCard]]);
            Assert.True(nightly.Exit == 0, nightly.Err);
            var (exit, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10", "--summary", "json");
            Assert.True(exit is 0 or 3);
            var notes = logs.Where(l => l.Contains("were rated with", StringComparison.Ordinal)).ToList();
            Assert.Equal(shared ? 1 : 0, notes.Count);
            if (shared)
            {
                Assert.Contains($"2 different rate cards that share the version {BuiltInRateCards.Default.Version}", notes[0], StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_legacy_CSV_invoice_with_daily_lines_per_instance_reconciles_too()
    {
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv", "--cur-granularity", "daily", "--cur-resource-ids", "instance");
        Assert.Single(Directory.GetFiles(month.Cur, "*.csv.gz", SearchOption.AllDirectories));
        var (exit, summary, _) = await month.ReconcileAsync();
        Assert.Equal(0, exit);
        Assert.True(summary.GetProperty("rows").GetProperty("match").GetInt32() >= 15);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        Assert.Equal(0L, Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{month.Table("reconciliation")}') WHERE row_kind = 'usage' AND status = 'match' AND instance_id IS NULL"), C));
        Assert.Equal(0, summary.GetProperty("unreadableInvoiceLines").GetProperty("count").GetInt32());

        // One Connect line's cost made unreadable: reported with its row and reason, never dropped quietly, and the run asks for a person.
        var lines = await month.EditLegacyCsvAsync(lines => CurMonth.SetCells(lines, "lineItem/UnblendedCost",
            [lines.FindIndex(l => l.Contains("AmazonConnect", StringComparison.Ordinal) && l.Contains(",Usage,", StringComparison.Ordinal))], _ => "n/a"));
        var row = lines.FindIndex(l => l.Contains(",n/a", StringComparison.Ordinal));
        var cells = lines[row].Split(',');

        (exit, summary, _) = await month.ReconcileAsync();
        Assert.Equal(3, exit);
        var unreadable = summary.GetProperty("unreadableInvoiceLines");
        Assert.Equal(1, unreadable.GetProperty("count").GetInt32());
        var first = Assert.Single(unreadable.GetProperty("first").EnumerateArray());
        Assert.Equal((row + 1, "cost 'n/a' is not a number"), (first.GetProperty("row").GetInt32(), first.GetProperty("reason").GetString()));

        // The variance the missing line leaves is put down to it, not left unexplained.
        var header = lines[0].Split(',').ToList();
        var variance = Assert.Single(Variances(summary), v => Codes(v).Contains(CauseCodes.UnreadableInvoiceLine));
        Assert.Equal((cells[header.IndexOf("lineItem/UsageStartDate")][..10], cells[header.IndexOf("lineItem/UsageType")]),
            (variance.GetProperty("day").GetString(), variance.GetProperty("usageType").GetString()));
        Assert.DoesNotContain(CauseCodes.Unexplained, Codes(variance));
        Assert.Contains("could not be read", await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(month.Rated, "reports"), "*.html").Single()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invoice_in_another_currency_has_its_quantities_compared_and_says_its_costs_are_not()
    {
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv");
        await month.EditLegacyCsvAsync(lines =>
        {
            var header = lines[0].Split(',').ToList();
            var (currency, cost) = (header.IndexOf("lineItem/CurrencyCode"), header.IndexOf("lineItem/UnblendedCost"));
            for (var i = 1; i < lines.Count; i++)
            {
                var fields = lines[i].Split(',');
                fields[currency] = "JPY";
                fields[cost] = fields[cost].Length == 0 ? "" : (decimal.Parse(fields[cost], C) * 150m).ToString(C); // yen
                lines[i] = string.Join(',', fields);
            }
        });

        var (exit, summary, _) = await month.ReconcileAsync();
        Assert.Equal(0, exit); // every quantity agrees
        Assert.Equal(("JPY", false), (summary.GetProperty("currency").GetString(), summary.GetProperty("costsCompared").GetBoolean()));
        Assert.Contains("The invoice is in JPY and the rate card prices in USD",
            await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(month.Rated, "reports"), "*.html").Single()), StringComparison.Ordinal);

        // A card derived from it prices in yen: the base card's dollar rows are not kept as if they were yen.
        var card = Path.Combine(month.Data, "yen-card.json");
        var derive = await CliRunner.RunAsync("ratecard", "derive", "--cur", month.Cur, "--out", card, "--month", "2026-10");
        Assert.True(derive.Exit == 0, derive.Err);
        var derived = RateCard.FromJson(await File.ReadAllTextAsync(card));
        Assert.Equal("JPY", derived.Currency);
        Assert.All(derived.Rows, r => Assert.StartsWith("cur-", r.Id, StringComparison.Ordinal));
        Assert.Contains("price in USD, the invoice in JPY", derive.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("parquet")]
    [InlineData("legacy-csv")]
    public async Task A_month_invoiced_with_a_EUR_card_is_in_EUR_and_reconciles_to_zero_with_that_card(string format)
    {
        using var dir = new TempDir();
        var euro = dir.Sub("eur.json");
        var card = System.Text.Json.Nodes.JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        card["currency"] = "EUR";
        await File.WriteAllTextAsync(euro, card.ToJsonString());

        // Was labelled USD on every line: "The invoice is in USD and the rate card prices in EUR", costs not compared.
        using var month = await CurMonth.CreateAsync("--cur-format", format, "--cur-rate-card", euro);
        await month.ReplayAsync("--rate-card", euro);
        var (exit, summary, err) = await month.ReconcileAsync("--rate-card", euro);

        Assert.True(exit == 0, err);
        Assert.Equal(("EUR", true), (summary.GetProperty("currency").GetString(), summary.GetProperty("costsCompared").GetBoolean()));
        Assert.Empty(Variances(summary));
        Assert.Equal(summary.GetProperty("expectedCost").GetString(), summary.GetProperty("invoicedUsageCost").GetString());
    }

    [Fact]
    public async Task An_invoice_mixing_currencies_says_so_and_no_card_is_derived_from_it()
    {
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv");
        await month.EditLegacyCsvAsync(lines => CurMonth.SetCells(lines, "lineItem/CurrencyCode", [1], _ => "JPY"));

        var (_, summary, _) = await month.ReconcileAsync();
        Assert.Equal(("JPY,USD", "USD", false), (summary.GetProperty("currency").GetString(), summary.GetProperty("expectedCurrency").GetString(), summary.GetProperty("costsCompared").GetBoolean()));
        var (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10");
        Assert.Contains(logs, l => l.Contains("The invoice mixes currencies (JPY, USD)", StringComparison.Ordinal));

        // The table records no cost variance either (it was our USD minus the line's yen on one row, dollars on the rest).
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            var rec = month.Table("reconciliation");
            Assert.Equal("DECIMAL(24,12)", Convert.ToString(Scalar(db, $"SELECT typeof(cost_variance) FROM read_parquet('{rec}') LIMIT 1"), C));
            Assert.Equal(0L, Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{rec}') WHERE row_kind = 'usage' AND (cost_variance IS NOT NULL OR cost_variance_pct IS NOT NULL)"), C));
            Assert.True(Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{rec}') WHERE row_kind = 'usage'"), C) > 0);
        }

        var derive = await CliRunner.RunAsync("ratecard", "derive", "--cur", month.Cur, "--out", Path.Combine(month.Data, "card.json"), "--month", "2026-10");
        Assert.Equal(2, derive.Exit);
        Assert.Contains("mixes currencies (JPY, USD)", derive.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoice_text_on_the_console_has_its_control_characters_escaped()
    {
        // A usage type that, printed raw, would erase its line and print a verdict of its own.
        const string Forged = "USE1-Fake\u001b[2K\u001b[1GEvery day is within tolerance.\u001b[8m";
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv");
        await month.EditLegacyCsvAsync(lines =>
        {
            var type = lines[0].Split(',').ToList().IndexOf("lineItem/LineItemType");
            CurMonth.SetCells(lines, "lineItem/UsageType", [lines.FindIndex(1, l => l.Split(',')[type] == "Usage")], _ => Forged);
        });

        var (exit, text, err) = await CliRunner.RunAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10");
        Assert.True(exit is 0 or 3, err);
        Assert.Contains(@"USE1-Fake\u001B[2K\u001B[1GEvery day is within tolerance.\u001B[8m (49.383, 0.89)", text, StringComparison.Ordinal);
        // Spectre's own styling (SGR sequences, written when TERM says the terminal has colours) is all that is left.
        var plain = System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;]*m", "").Replace(Environment.NewLine, "", StringComparison.Ordinal);
        Assert.DoesNotContain(plain, ch => char.IsControl(ch));
    }

    [Fact]
    public async Task A_monthly_invoice_is_compared_per_month_and_says_days_cannot_be_compared()
    {
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv", "--cur-granularity", "daily");
        var (_, daily, _) = await month.ReconcileAsync();
        // Exported monthly: one usage line per product, usage type, resource and rate, covering the whole month.
        await month.EditLegacyCsvAsync(lines =>
        {
            var h = lines[0].Split(',').ToList();
            int At(string column) => h.IndexOf(column);
            var monthly = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var kept = new List<string> { lines[0] };
            foreach (var line in lines.Skip(1))
            {
                var f = line.Split(',');
                if (f[At("lineItem/LineItemType")] != "Usage")
                {
                    kept.Add(line);
                    continue;
                }

                var key = string.Join('|', f[At("lineItem/ProductCode")], f[At("lineItem/UsageType")], f[At("lineItem/ResourceId")], f[At("lineItem/UnblendedRate")]);
                if (!monthly.TryGetValue(key, out var m))
                {
                    monthly[key] = m = [.. f];
                    (m[At("lineItem/UsageStartDate")], m[At("lineItem/UsageEndDate")]) = ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z");
                    (m[At("lineItem/UsageAmount")], m[At("lineItem/UnblendedCost")]) = ("0", "0");
                }

                foreach (var column in (string[])["lineItem/UsageAmount", "lineItem/UnblendedCost"])
                {
                    m[At(column)] = (decimal.Parse(m[At(column)], C) + decimal.Parse(f[At(column)], NumberStyles.Float, C)).ToString(C);
                }
            }

            lines.Clear();
            lines.AddRange(kept.Concat(monthly.Values.Select(m => string.Join(',', m))));
        });

        var (exit, summary, _) = await month.ReconcileAsync();
        // Before, the month landed on its first day: every usage type over on the 1st and only-in-ctrs on the others, exit 3.
        Assert.Equal(0, exit);
        Assert.Equal(("daily", "monthly"), (daily.GetProperty("invoiceGranularity").GetString(), summary.GetProperty("invoiceGranularity").GetString()));
        Assert.Contains(summary.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("exported at monthly time granularity", StringComparison.Ordinal));
        Assert.Equal(daily.GetProperty("invoicedUsageCost").GetString(), summary.GetProperty("invoicedUsageCost").GetString());
        var rows = summary.GetProperty("rows");
        Assert.Equal((0, 0, 0), (rows.GetProperty(Statuses.Over).GetInt32(), rows.GetProperty(Statuses.Under).GetInt32(), summary.GetProperty("variances").GetArrayLength()));
        var html = await File.ReadAllTextAsync(Path.Combine(month.Rated, "reports", "reconciliation-2026-10.html"));
        Assert.Contains("<td>2026-10 (month)</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>2026-10-02</td>", html, StringComparison.Ordinal);

        // The table says so too: every usage row is the month, from its first day to its last.
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        Assert.Equal("2026-10-01..2026-10-31 0", Convert.ToString(Scalar(db,
            $"SELECT min(day)::VARCHAR || '..' || max(period_end)::VARCHAR || ' ' || count(*) FILTER (WHERE period_end IS NULL OR day <> DATE '2026-10-01')::VARCHAR " +
            $"FROM read_parquet('{month.Table("reconciliation")}') WHERE row_kind = 'usage'"), C));
    }

    [Fact]
    public async Task An_invoice_of_another_month_says_its_lines_were_left_out_rather_than_blaming_the_CTRs()
    {
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv");
        await month.EditLegacyCsvAsync(lines => CurMonth.SetCells(lines, "lineItem/UsageStartDate", Enumerable.Range(1, lines.Count - 1),
            start => start.Replace("2026-10-", "2026-09-", StringComparison.Ordinal)));

        var (exit, summary, _) = await month.ReconcileAsync();
        Assert.Equal(3, exit);
        Assert.True(summary.GetProperty("otherMonthLines").GetInt64() > 0);
        var (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10");
        Assert.Contains(logs, l => l.Contains("are for other months than 2026-10 and were not compared; none is for 2026-10: check --month and the invoice files.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_the_account_asked_for_is_compared()
    {
        var (_, all, _) = await clean.Month.ReconcileAsync();
        var account = Assert.Single(all.GetProperty("accounts").EnumerateArray()).GetString()!;
        var (exit, same, _) = await clean.Month.ReconcileAsync("--account", account);
        Assert.Equal(0, exit);
        Assert.Equal(all.GetProperty("rows").GetRawText(), same.GetProperty("rows").GetRawText());
        Assert.Equal(0, same.GetProperty("otherAccountLines").GetInt64());

        // Another account's invoice: nothing of it is this month's usage, and every Connect line is left out, counted.
        var (otherExit, other, _) = await clean.Month.ReconcileAsync("--account", "000000000000");
        Assert.Equal(3, otherExit);
        Assert.Equal(0, other.GetProperty("rows").GetProperty("match").GetInt32());
        Assert.True(other.GetProperty("otherAccountLines").GetInt64() > 0);
        Assert.Equal(account, Assert.Single(other.GetProperty("accounts").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task A_granular_invoice_names_the_contacts_behind_a_variance()
    {
        using var month = await CurMonth.CreateAsync("--cur-resource-ids", "contact", "--inject", "desk-agent-missing");
        var (exit, summary, _) = await month.ReconcileAsync("--agents", month.Agents);
        Assert.Equal(3, exit);
        var variances = Variances(summary);
        Assert.All(variances, v => Assert.Contains(CauseCodes.Contacts, Codes(v)));

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var contacts = month.Table("reconciliation_contacts");
        var rec = month.Table("reconciliation");
        // Per day, the contacts' variances add up to the row's variance; every contact is billed more than we
        // expect (over, or only-in-invoice for a record id our outputs do not carry, e.g. a conference participant).
        var unexplained = Convert.ToInt64(Scalar(db, $"""
            WITH c AS (SELECT day, usage_type, sum(quantity_variance) AS dq FROM read_parquet('{contacts}') GROUP BY ALL)
            SELECT count(*) FROM read_parquet('{rec}') r JOIN c USING (day, usage_type)
            WHERE r.beyond_tolerance AND abs(r.quantity_variance - c.dq) > 0.00001
            """), C);
        Assert.Equal(0L, unexplained);
        Assert.Equal(0L, Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{contacts}') WHERE status NOT IN ('over', 'only-in-invoice')"), C));
        Assert.True(Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{contacts}') WHERE status = 'over'"), C) > 0);
        // A USD invoice: each contact's invoiced cost is summed and labelled with its lines' currency, as in reconciliation.
        Assert.Equal(0L, Convert.ToInt64(Scalar(db, $"SELECT count(*) FROM read_parquet('{contacts}') WHERE invoice_contact_ids <> '' AND (invoice_currency IS DISTINCT FROM 'USD' OR invoiced_cost IS NULL)"), C));
    }

    [Fact]
    public async Task Reconcile_logs_its_progress_and_keeps_stdout_to_the_summary()
    {
        // 43 s against a granular invoice of 1 M CTRs without a line: reading the invoice and our charges and segments say how far they are.
        using var month = await CurMonth.CreateAsync("--cur-resource-ids", "contact");
        var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10", "--summary", "json");
        Assert.True(exit is 0 or 3, string.Join('\n', logs));
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Information: read-cur: (\d+)/\1 files, \d+ records \(\d+/s\), 100 % done, about 0 s left$"));
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Information: read-charges: (\d+)/\1 files, \d+ records .*100 % done"));
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Information: read-segments: (\d+)/\1 files, \d+ records .*100 % done"));
        using var summary = JsonDocument.Parse(stdout); // one JSON object, nothing else
        Assert.Equal(JsonValueKind.Object, summary.RootElement.ValueKind);
        Assert.Equal(stdout.TrimEnd().Length, stdout.TrimEnd().LastIndexOf('}') + 1);
    }

    [Fact]
    public async Task A_rate_card_derived_from_the_invoice_reprices_the_month_exactly()
    {
        using var month = await CurMonth.CreateAsync("--inject", "rate-diff");
        Assert.Equal(3, (await month.ReconcileAsync()).Exit);
        var card = Path.Combine(month.Data, "derived-card.json");
        var derive = await CliRunner.RunAsync("ratecard", "derive", "--cur", month.Cur, "--out", card, "--month", "2026-10");
        Assert.True(derive.Exit == 0, derive.Err);
        var planted = month.Planted.GetProperty("planted")[0];
        var derived = RateCard.FromJson(await File.ReadAllTextAsync(card));
        Assert.Contains(derived.Rows, r => r.UsageType.Replace("{REGION}", "USE1", StringComparison.Ordinal) == planted.GetProperty("usageType").GetString()
            && r.Price == planted.GetProperty("invoiceRate").GetDecimal() && r.PricingModel == PricingModels.PerFeature);

        await month.ReplayAsync("--rate-card", card);
        Assert.Equal(0, (await month.ReconcileAsync("--rate-card", card)).Exit);

        // Compared with the built-in card instead (no --rate-card), the reader is told: it explained the rows with
        // another card's usage types, currency and rates, without a word.
        var (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10");
        Assert.Contains(logs, l => l.StartsWith($"Warning: The month was rated with the rate card {derived.Version} and compared with {BuiltInRateCards.Default.Version}", StringComparison.Ordinal));
        (_, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", month.Cur, "--rated", month.Rated, "--month", "2026-10", "--rate-card", card);
        Assert.DoesNotContain(logs, l => l.Contains("compared with", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_card_derived_from_an_invoice_rate_no_card_may_hold_is_refused_not_written()
    {
        using var month = await CurMonth.CreateAsync("--cur-format", "legacy-csv");
        await month.EditLegacyCsvAsync(lines =>
        {
            var header = lines[0].Split(',').ToList();
            var (type, rate) = (header.IndexOf("lineItem/LineItemType"), header.IndexOf("lineItem/UnblendedRate"));
            CurMonth.SetCells(lines, "lineItem/UnblendedRate", Enumerable.Range(1, lines.Count - 1).Where(i => lines[i].Split(',')[type] == "Usage" && lines[i].Split(',')[rate].Length > 0), _ => "300000");
        });
        var card = Path.Combine(month.Data, "huge-card.json");

        // Was exit 0, and every command then refused the card it had written.
        var (exit, _, err) = await CliRunner.RunAsync("ratecard", "derive", "--cur", month.Cur, "--out", card, "--month", "2026-10");

        Assert.Equal(2, exit);
        Assert.Contains("The card derived from the invoice would not load, so it was not written: Rate card row cur-", err, StringComparison.Ordinal);
        Assert.Contains("price 300000 is not below 100000", err, StringComparison.Ordinal);
        Assert.False(File.Exists(card));
    }

    [Fact]
    public async Task A_damaged_rated_partition_fails_naming_the_file_and_what_to_do()
    {
        using var copy = new TempDir();
        foreach (var file in Directory.GetFiles(clean.Month.Rated, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(copy.Path, Path.GetRelativePath(clean.Month.Rated, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        var damaged = Directory.GetFiles(Path.Combine(copy.Path, "daily_usage"), "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = await File.ReadAllBytesAsync(damaged);
        await File.WriteAllBytesAsync(damaged, bytes[..(bytes.Length / 2)]);

        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("reconcile", "--cur", clean.Month.Cur, "--rated", copy.Path, "--month", "2026-10");
        Assert.Equal(1, exit);
        var error = Assert.Single(logs, l => l.StartsWith("Error: ", StringComparison.Ordinal));
        Assert.Contains($"{damaged} cannot be read as rated output", error, StringComparison.Ordinal);
        Assert.Contains("re-run replay or nightly for that day", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--month", "")]
    [InlineData("--month", "2026-13")]
    [InlineData("--cur", "/nonexistent/cur")]
    [InlineData("--tolerance-pct", "-1")]
    [InlineData("--through", "2026-11-02")]
    [InlineData("--month", "2026-09")] // neither the invoice nor the rated output has that month
    [InlineData("--cur", EmptyFolder)] // a folder with no invoice file at all
    [InlineData("--account", "12345")]
    [InlineData("--top", "-2")]
    [InlineData("--cur", NotACur)] // a CSV without a CUR's columns: was exit 1
    public async Task Usage_mistakes_exit_2(string option, string value)
    {
        using var empty = new TempDir();
        var args = new Dictionary<string, string> { ["--cur"] = clean.Month.Cur, ["--rated"] = clean.Month.Rated, ["--month"] = "2026-10" };
        if (value == NotACur)
        {
            await File.WriteAllTextAsync(empty.Sub("agents.csv"), "username,phone_type,desk_phone_number,as_of\nana,DESK_PHONE,+12065550100,\n");
        }

        args[option] = value is EmptyFolder or NotACur ? empty.Path : value;
        var list = args.Where(kv => kv.Value.Length > 0).SelectMany(kv => new[] { kv.Key, kv.Value }).Prepend("reconcile").ToArray();
        var (exit, _, stderr) = await CliRunner.RunAsync(list);
        Assert.True(exit == 2, stderr);
        if (value == NotACur)
        {
            Assert.Contains("not a Cost and Usage Report", stderr, StringComparison.Ordinal);
        }
    }
}
