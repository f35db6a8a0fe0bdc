using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;
using DuckDB.NET.Data;

namespace ConnectReconcile.Cli.Tests;

public sealed class ReplayEndToEndTests(GeneratedMonth month) : IClassFixture<GeneratedMonth>
{
    private string[] ReplayArgs(string outDir, params string[] extra) =>
        ["replay", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out", outDir, "--summary", "json", .. extra];

    [Fact]
    public async Task Replay_totals_equal_the_generators_truth_and_an_independent_reader_agrees()
    {
        using var tmp = new TempDir();
        var (exit, stdout, stderr) = await CliRunner.RunAsync(ReplayArgs(tmp.Sub("out")));
        Assert.True(exit == 0, stderr);
        using var summary = JsonDocument.Parse(stdout); // stdout holds exactly one JSON object
        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(month.Truth));
        var s = summary.RootElement;
        var t = truth.RootElement;
        foreach (var key in new[] { "records", "duplicates", "quarantined", "nonVoiceContacts", "orphans" })
        {
            Assert.True(t.GetProperty(key).GetInt64() == s.GetProperty(key).GetInt64(), $"{key}: truth {t.GetProperty(key)} vs replay {s.GetProperty(key)}");
        }

        var truthSeconds = t.GetProperty("billedSeconds").EnumerateObject().Where(p => p.Value.GetInt64() != 0).ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var replaySeconds = s.GetProperty("billedSeconds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(truthSeconds.OrderBy(kv => kv.Key), replaySeconds.OrderBy(kv => kv.Key));

        // DuckDB reads the Parquet back with Hive partitioning: same totals, documented types.
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var glob = Path.Combine(tmp.Sub("out"), "charges", "*", "*.parquet");
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT charge_kind, sum(billed_seconds)::BIGINT, sum(cost), count(DISTINCT dt) FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY 1 ORDER BY 1";
            using var reader = cmd.ExecuteReader();
            var seen = 0;
            while (reader.Read())
            {
                var kind = reader.GetString(0);
                if (replaySeconds.TryGetValue(kind, out var seconds))
                {
                    Assert.Equal(seconds, Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
                    seen++;
                }

                var cents = s.GetProperty("cost").GetProperty(kind).GetString();
                var cost = reader.IsDBNull(2) ? 0m : Convert.ToDecimal(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(cents, Math.Round(cost, 2, MidpointRounding.AwayFromZero).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            }

            Assert.Equal(replaySeconds.Count, seen);
        }

        // A number-day belongs to no record: contact_id NULL (it was "", which COUNT(DISTINCT contact_id) counted as a contact).
        var ids = DuckDbRows.Query(db, $"""
            SELECT count(*) FILTER (WHERE unit = 'number-day'), count(*) FILTER (WHERE unit = 'number-day' AND contact_id IS NULL),
                   count(*) FILTER (WHERE contact_id = ''), count(*) FILTER (WHERE unit <> 'number-day' AND contact_id IS NULL)
            FROM read_parquet('{glob}')
            """).Single().Select(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(ids[0] > 0, "the month has number-days");
        Assert.Equal([ids[0], 0L, 0L], [ids[1], ids[2], ids[3]]);

        var types = new Dictionary<string, string>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                types[reader.GetString(0)] = reader.GetString(1);
            }
        }

        Assert.Equal("DECIMAL(24,12)", types["cost"]);
        Assert.Equal("DECIMAL(18,6)", types["quantity"]);
        Assert.Equal("DECIMAL(18,8)", types["rate"]);
        Assert.Equal("BIGINT", types["billed_seconds"]);
        Assert.Equal("DATE", types["day"]);
        Assert.StartsWith("TIMESTAMP", types["start_time"], StringComparison.Ordinal);
        Assert.Equal("VARCHAR", types["usage_type"]);

        foreach (var table in BillingJob.Tables)
        {
            Assert.True(Directory.EnumerateFiles(tmp.Sub("out"), "*.parquet", SearchOption.AllDirectories).Any(f => f.Contains(Path.DirectorySeparatorChar + table + Path.DirectorySeparatorChar, StringComparison.Ordinal)), table);
        }

        // The totals written beside the charges tie out with them exactly, as a finance SQL check would ask:
        // a day's usage type and a call's total are sums of the stored charge costs (prices ÷ 60 repeat past 12 places).
        var read = (string name) => $"read_parquet('{Path.Combine(tmp.Sub("out"), name, "*", "*.parquet")}', hive_partitioning = true)";
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"""
                WITH c AS (SELECT day, instance_id, usage_type, sum(cost) AS cost FROM {read("charges")} GROUP BY ALL)
                SELECT count(*), count(*) FILTER (WHERE u.cost IS DISTINCT FROM coalesce(c.cost, 0)),
                       (SELECT count(*) FROM {read("contacts")} k
                        JOIN (SELECT chain_id, sum(cost) AS cost FROM {read("charges")} WHERE leg_kind NOT IN ('number', 'none') GROUP BY 1) x USING (chain_id)
                        WHERE k.total_cost <> coalesce(x.cost, 0))
                FROM {read("daily_usage")} u LEFT JOIN c USING (day, instance_id, usage_type)
                """;
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read());
            Assert.True(Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal(0L, Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(0L, Convert.ToInt64(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
        }

        // Customer numbers never appear in clear in any output.
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT count(*) FROM read_parquet('{Path.Combine(tmp.Sub("out"), "contacts", "*", "*.parquet")}') WHERE customer_number NOT LIKE '%****%'";
            Assert.Equal(0L, Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }

        // A quarantined record that named its contact keeps the id (a user asking "where is contact X?" finds it); bytes that were no record have none.
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"""
                SELECT count(*) FILTER (WHERE reason IN ('disconnect-before-initiation', 'bad-timestamp') AND contact_id IS NOT NULL),
                       count(*) FILTER (WHERE reason IN ('disconnect-before-initiation', 'bad-timestamp')),
                       count(*) FILTER (WHERE reason IN ('not-json', 'truncated-record') AND contact_id IS NOT NULL)
                FROM read_parquet('{Path.Combine(tmp.Sub("out"), "quarantine", "*", "*.parquet")}')
                """;
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read());
            Assert.True(Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal(r.GetValue(1), r.GetValue(0));
            Assert.Equal(0L, Convert.ToInt64(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Explain_gives_a_calls_costs_and_total_as_the_replays_tables_record_them()
    {
        using var tmp = new TempDir();
        var outDir = tmp.Sub("out");
        var (exit, _, stderr) = await CliRunner.RunAsync(ReplayArgs(outDir));
        Assert.True(exit == 0, stderr);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        string Read(string table) => $"read_parquet('{Path.Combine(outDir, table, "*", "*.parquet")}')";
        static string Figure(decimal? cost) => cost?.ToString("0.############", CultureInfo.InvariantCulture) ?? "unrated";
        static decimal? Dec(JsonElement e) => e.GetString() is { } s ? decimal.Parse(s, CultureInfo.InvariantCulture) : null;

        // Calls with a cost cut at the 12th place (a price per minute ÷ 60 that repeats), those with the most charges first.
        var calls = DuckDbRows.Query(db, $"""
            SELECT chain_id, any_value(k.total_cost) FROM {Read("contacts")} k JOIN {Read("charges")} c USING (chain_id)
            GROUP BY chain_id HAVING bool_or(c.cost <> round(c.cost, 10)) ORDER BY count(*) DESC, chain_id LIMIT 4
            """);
        Assert.Equal(4, calls.Count);
        foreach (var call in calls)
        {
            var id = (string)call[0]!;
            var totalCost = (decimal)call[1]!;
            string[] explain = ["explain", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--contact", id];
            var (jsonExit, json, jsonErr) = await CliRunner.RunAsync([.. explain, "--json"]);
            Assert.True(jsonExit == 0, jsonErr);
            using var doc = JsonDocument.Parse(json);
            var e = doc.RootElement;

            // Was the exact sum (0.4876866666666666666666666667 beside total_cost 0.487686666666), and so each charge's cost.
            Assert.Equal(totalCost, Dec(e.GetProperty("total")));
            Assert.Equal(
                DuckDbRows.Query(db, $"SELECT charge_kind, leg_index, cost FROM {Read("charges")} WHERE chain_id = ?", id)
                    .Select(r => $"{r[0]} #{r[1]} {Figure((decimal?)r[2])}").Order(StringComparer.Ordinal),
                e.GetProperty("charges").EnumerateArray()
                    .Select(c => $"{c.GetProperty("chargeKind").GetString()} #{(c.GetProperty("legIndex").ValueKind == JsonValueKind.Number ? c.GetProperty("legIndex").GetInt32() : (int?)null)} {Figure(Dec(c.GetProperty("cost")))}")
                    .Order(StringComparer.Ordinal));
            Assert.Equal(
                DuckDbRows.Query(db, $"SELECT cost FROM {Read("segments")} WHERE chain_id = ? ORDER BY segment_index", id).Select(r => Figure((decimal)r[0]!)),
                e.GetProperty("segments").EnumerateArray().Select(s => Figure(Dec(s.GetProperty("cost")))));
            Assert.All(e.GetProperty("charges").EnumerateArray().Where(c => c.GetProperty("cost").GetString() is not null),
                c => Assert.EndsWith("= " + c.GetProperty("cost").GetString(), c.GetProperty("arithmetic").GetString(), StringComparison.Ordinal));

            var (textExit, text, textErr) = await CliRunner.RunAsync(explain);
            Assert.True(textExit == 0, textErr);
            var recorded = System.Text.RegularExpressions.Regex.Match(text, @"^Total: [\d.]+ USD \(([\d.]+) as recorded, to 12 places\)", System.Text.RegularExpressions.RegexOptions.Multiline);
            Assert.True(recorded.Success, text);
            Assert.Equal(totalCost, decimal.Parse(recorded.Groups[1].Value, CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Each_audit_rows_arithmetic_ends_with_the_figure_in_its_cost_column()
    {
        using var tmp = new TempDir();
        string[] export = ["audit-export", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out"];
        var (exit, _, err) = await CliRunner.RunAsync([.. export, tmp.Sub("audit.csv")]);
        Assert.True(exit == 0, err);
        (exit, _, err) = await CliRunner.RunAsync([.. export, tmp.Sub("audit.parquet")]);
        Assert.True(exit == 0, err);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();

        // The CSV's cells as written: the arithmetic's last figure is the cost cell's text (was the exact cost, 28 places, in 861 of 6,255 rows of a month).
        var csv = DuckDbRows.Query(db, $"""
            SELECT count(*), count(*) FILTER (WHERE cost::DECIMAL(24,12) <> round(cost::DECIMAL(24,12), 10)), count(*) FILTER (WHERE NOT ends_with(arithmetic, ' = ' || cost))
            FROM read_csv('{tmp.Sub("audit.csv")}', header = true, all_varchar = true) WHERE cost IS NOT NULL AND cost <> ''
            """).Single();
        Assert.True(Convert.ToInt64(csv[1], CultureInfo.InvariantCulture) > 0); // rows whose exact cost runs past 12 places are among them
        Assert.Equal(0L, Convert.ToInt64(csv[2], CultureInfo.InvariantCulture));

        // The Parquet's DECIMAL(24,12) cost: the same figure.
        var parquet = DuckDbRows.Query(db, $"""
            SELECT count(*), count(*) FILTER (WHERE regexp_extract(arithmetic, ' = ([0-9.]+)$', 1)::DECIMAL(38,28) <> cost)
            FROM read_parquet('{tmp.Sub("audit.parquet")}') WHERE cost IS NOT NULL
            """).Single();
        Assert.Equal(csv[0], parquet[0]);
        Assert.Equal(0L, Convert.ToInt64(parquet[1], CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(42)] // a malformed record with an EventBridge event glued after it: the event was once set aside with it
    [InlineData(7)]
    [InlineData(1234)]
    public async Task Replay_counts_every_planted_bad_record_as_the_generator_planted_it(int seed)
    {
        using var tmp = new TempDir();
        Generator.SampleMonth.Generate(new Generator.GeneratorOptions(2_000, 5, seed, tmp.Sub("data")) { Overwrite = true });
        var data = tmp.Sub("data");
        var (exit, stdout, stderr) = await CliRunner.RunAsync(["replay", "--source", Path.Combine(data, "ctr"), "--out", tmp.Sub("out"), "--summary", "json"]);
        Assert.True(exit == 0, stderr);
        using var summary = JsonDocument.Parse(stdout);
        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "truth.json")));
        foreach (var key in new[] { "records", "duplicates", "quarantined", "nonVoiceContacts" })
        {
            Assert.Equal(truth.RootElement.GetProperty(key).GetInt64(), summary.RootElement.GetProperty(key).GetInt64());
        }

        static IEnumerable<(string, long)> ByReason(JsonElement e) =>
            e.GetProperty("quarantinedByReason").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64())).Order();
        Assert.Equal(ByReason(truth.RootElement), ByReason(summary.RootElement));
    }

    [Fact]
    public async Task Every_published_day_has_every_tables_file_and_a_table_without_rows_reads_as_empty()
    {
        // The scenarios hold no bad record: the quarantine had folders and no file, and DuckDB failed to find any.
        using var tmp = new TempDir();
        var source = Directory.CreateDirectory(tmp.Sub("ctr")).FullName;
        foreach (var scenario in Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios")))
        {
            File.Copy(Path.Combine(scenario, "ctrs.json"), Path.Combine(source, Path.GetFileName(scenario) + ".json"));
        }

        var (exit, stdout, stderr) = await CliRunner.RunAsync("replay", "--source", source, "--out", tmp.Sub("out"), "--summary", "json");
        Assert.True(exit == 0, stderr);
        using var summary = JsonDocument.Parse(stdout);
        Assert.Equal(0, summary.RootElement.GetProperty("quarantined").GetInt64());

        var days = Directory.GetDirectories(Path.Combine(tmp.Sub("out"), "charges")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(days);
        foreach (var table in BillingJob.Tables)
        {
            Assert.Equal(days, Directory.GetDirectories(Path.Combine(tmp.Sub("out"), table)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.All(days, d => Assert.True(File.Exists(Path.Combine(tmp.Sub("out"), table, d!, "part-00000.parquet")), $"{table}/{d}"));
        }

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(tmp.Sub("out"), "run.json")));
        var quarantineFiles = manifest.RootElement.GetProperty("outputs").EnumerateArray().Where(o => o.GetProperty("path").GetString()!.StartsWith("quarantine/", StringComparison.Ordinal)).ToList();
        Assert.Equal(days.Count, quarantineFiles.Count);
        Assert.All(quarantineFiles, o => Assert.Equal(0, o.GetProperty("rows").GetInt64()));

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT count(*), count(DISTINCT reason) FROM read_parquet('{Path.Combine(tmp.Sub("out"), "quarantine", "*", "*.parquet")}', hive_partitioning = true)";
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(0L, Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Two_replays_of_the_same_inputs_are_byte_identical()
    {
        using var tmp = new TempDir();
        Assert.Equal(0, (await CliRunner.RunAsync(ReplayArgs(tmp.Sub("a")))).Exit);
        Assert.Equal(0, (await CliRunner.RunAsync(ReplayArgs(tmp.Sub("b"), "--parallelism", "1"))).Exit);
        var a = Snapshot(tmp.Sub("a"));
        var b = Snapshot(tmp.Sub("b"));
        Assert.NotEmpty(a);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (path, bytes) in a)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(b[path]), path);
        }
    }

    [Fact]
    public async Task A_cancelled_run_publishes_nothing_and_leaves_the_previous_output_intact()
    {
        using var tmp = new TempDir();
        var outDir = tmp.Sub("out");
        Assert.Equal(0, (await CliRunner.RunAsync(ReplayArgs(outDir))).Exit);
        var before = Snapshot(outDir);

        using var cancel = new CancellationTokenSource();
        var job = new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(month.Ctr),
            Output = new LocalObjectStore(outDir),
            Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Parse("minimums=none"), AgentDirectory.Empty, NumberInventory.Missing),
            Numbers = NumberInventory.Missing,
        });
        // Cancel once the first day's partition files have been written to staging.
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == "rate")
            {
                cancel.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.RunAsync(progress, cancel.Token));

        var after = Snapshot(outDir);
        Assert.Equal(before.Keys, after.Keys);
        Assert.All(before, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), kv.Key));
    }

    [Fact]
    public async Task Nightly_replaces_its_day_only_and_is_idempotent()
    {
        using var tmp = new TempDir();
        var outDir = tmp.Sub("out");
        Assert.Equal(0, (await CliRunner.RunAsync(ReplayArgs(outDir))).Exit);
        var full = Snapshot(outDir);

        var nightly = new[] { "nightly", "--date", "2026-10-02", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out", outDir, "--look-ahead-hours", "48", "--summary", "json" };
        var first = await CliRunner.RunAsync(nightly);
        Assert.True(first.Exit == 0, first.Err);
        var once = Snapshot(outDir);
        Assert.Equal(0, (await CliRunner.RunAsync(nightly)).Exit);
        var twice = Snapshot(outDir);

        Assert.Equal(once.Keys, twice.Keys);
        Assert.All(once, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(twice[kv.Key]), kv.Key));
        // Other days are untouched, quarantine included (the look-ahead's unusable records are the next
        // day's to report), and the day itself equals what the month replay wrote for it.
        foreach (var (path, bytes) in full.Where(kv => kv.Key.Contains("dt=", StringComparison.Ordinal)))
        {
            Assert.True(bytes.AsSpan().SequenceEqual(once[path]), path);
        }

        using var summary = JsonDocument.Parse(first.Out);
        var quarantined = summary.RootElement.GetProperty("quarantined").GetInt64();
        Assert.True(quarantined > 0);
        Assert.Equal(quarantined, await RowsAsync(Path.Combine(outDir, "quarantine", "dt=2026-10-02")));
    }

    [Fact]
    public async Task A_stop_signal_once_a_replay_has_published_leaves_it_a_successful_run_with_its_summary()
    {
        using var tmp = new TempDir();
        var outDir = tmp.Sub("out");
        using var stop = new CancellationTokenSource();
        // The job has published when it logs "Done": the signal comes during the whole replay's look at the days it left.
        var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync(ReplayArgs(outDir), line =>
        {
            if (line.StartsWith("Information: Done in ", StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }, stop.Token);

        Assert.True(stop.IsCancellationRequested);
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.DoesNotContain(logs, l => l.Contains("Cancelled", StringComparison.Ordinal));
        using var summary = JsonDocument.Parse(stdout);
        Assert.True(summary.RootElement.GetProperty("records").GetInt64() > 0);
        Assert.True(File.Exists(Path.Combine(outDir, "run.json")));
    }

    [Fact]
    public async Task A_stop_signal_while_a_nightly_waits_for_another_runs_publish_stops_it_with_nothing_published()
    {
        using var tmp = new TempDir();
        var outDir = tmp.Sub("out");
        var nightly = new[] { "nightly", "--date", "2026-10-02", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--out", outDir, "--summary", "json" };
        Assert.Equal(0, (await CliRunner.RunAsync(nightly)).Exit);
        var before = Snapshot(outDir);

        using var stop = new CancellationTokenSource();
        Task<(int Exit, string Out, IReadOnlyList<string> Logs)> run;
        using (new FileStream(Path.Combine(outDir, LocalObjectStore.PublishLock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) // another run, publishing
        {
            run = Task.Run(() => CliRunner.RunWithLogsAsync(nightly, _ => { }, stop.Token));
            // Its manifest is the last file staged before the publish, which now waits for the lock.
            var staging = Path.Combine(outDir, LocalObjectStore.StagingFolder);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!(Directory.Exists(staging) && Directory.EnumerateFiles(staging, "run.json", SearchOption.AllDirectories).Any()) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            await Task.Delay(500);
            Assert.False(run.IsCompleted);
            stop.Cancel();
            // Stopped while waiting, it does not wait for the lock to be let go (it did, for up to 30 min).
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(run.IsCompleted, "the run waited on for the publish lock after the stop signal");
        }

        var (exit, stdout, logs) = await run;
        Assert.Equal(1, exit);
        Assert.Contains("Warning: Cancelled; nothing was published.", logs);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(Path.Combine(outDir, LocalObjectStore.StagingFolder)) && Directory.EnumerateFileSystemEntries(Path.Combine(outDir, LocalObjectStore.StagingFolder)).Any());
        var after = Snapshot(outDir);
        after.Remove(LocalObjectStore.PublishLock);
        before.Remove(LocalObjectStore.PublishLock);
        Assert.Equal(before.Keys, after.Keys);
        Assert.All(before, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), kv.Key));
    }

    [Fact]
    public async Task A_whole_replay_of_a_source_without_a_days_arrival_hours_counts_that_days_chains_and_leaves_its_partitions_alone()
    {
        using var tmp = new TempDir();
        var outDir = tmp.Sub("out");
        Assert.Equal(0, (await CliRunner.RunAsync(ReplayArgs(outDir))).Exit);
        var full = Snapshot(outDir);

        // The month without its first day's arrival folder (an extract of the next days): the chains of 2026-10-01 it
        // holds are only their records that arrived after midnight.
        var source = tmp.Sub("from-02");
        foreach (var file in Directory.EnumerateFiles(month.Ctr, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(month.Ctr, file);
            if (!relative.StartsWith(Path.Combine("2026", "10", "01"), StringComparison.Ordinal))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, relative))!);
                File.Copy(file, Path.Combine(source, relative));
            }
        }

        var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync(["replay", "--source", source, "--agents", month.Agents, "--numbers", month.Numbers, "--out", outDir, "--summary", "json"]);
        Assert.True(exit == 0, string.Join('\n', logs));
        var after = Snapshot(outDir);
        var firstDay = full.Keys.Where(k => k.Contains("dt=2026-10-01", StringComparison.Ordinal)).ToList();
        Assert.Equal(BillingJob.Tables.Count, firstDay.Count);
        Assert.All(firstDay, path => Assert.True(full[path].AsSpan().SequenceEqual(after[path]), path));

        // Counted as a dated run from 2026-10-02 counts them: other days', and the counts add up.
        using var summary = JsonDocument.Parse(stdout);
        var s = summary.RootElement;
        var outOfRange = s.GetProperty("outOfRange").GetInt64();
        Assert.True(outOfRange > 0, "the month has chains that straddle its first midnight");
        Assert.Equal(s.GetProperty("records").GetInt64(), s.GetProperty("rated").GetInt64() + s.GetProperty("duplicates").GetInt64()
            + s.GetProperty("quarantined").GetInt64() + s.GetProperty("nonVoiceContacts").GetInt64() + outOfRange);
        Assert.Contains(logs, l => l.StartsWith("Warning: ", StringComparison.Ordinal) && l.Contains("before 2026-10-02, the first arrival day", StringComparison.Ordinal)
            && l.Contains("(2026-10-01) are not published", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("were not written by this run", StringComparison.Ordinal) && l.Contains("2026-10-01", StringComparison.Ordinal));

        // The days the source holds are what a dated run from its first arrival day writes.
        var dated = tmp.Sub("dated");
        Assert.Equal(0, (await CliRunner.RunAsync(["replay", "--source", source, "--agents", month.Agents, "--numbers", month.Numbers, "--out", dated, "--from", "2026-10-02", "--summary", "json"])).Exit);
        var expected = Snapshot(dated).Where(kv => kv.Key.Contains("dt=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(expected);
        Assert.All(expected, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), kv.Key));
    }

    private static async Task<long> RowsAsync(string partition)
    {
        await using var file = File.OpenRead(Directory.EnumerateFiles(partition, "*.parquet").Single());
        await using var reader = await Parquet.ParquetReader.CreateAsync(file);
        long rows = 0;
        for (var i = 0; i < reader.RowGroupCount; i++)
        {
            using var group = reader.OpenRowGroupReader(i);
            rows += group.RowCount;
        }

        return rows;
    }

    internal static SortedDictionary<string, byte[]> Snapshot(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes), StringComparer.Ordinal);

    internal sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
