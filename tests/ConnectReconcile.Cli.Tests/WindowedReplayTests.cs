using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// The replay reads the month through a window (chains rated as arrival hours pass them, days written
/// as they close). Its output must be exactly what a run holding every record produces.
/// </summary>
public sealed class WindowedReplayTests(GeneratedMonth month) : IClassFixture<GeneratedMonth>
{
    [Fact]
    public async Task A_windowed_replay_writes_days_while_reading_and_equals_a_run_holding_every_record()
    {
        using var tmp = new TempDir();
        var events = new List<string>();
        var windowed = await new BillingJob(Options(month.Ctr, tmp.Sub("windowed")))
            .RunAsync(PhasesAndWrites(tmp.Sub("windowed"), events), CancellationToken.None);

        // The month's re-deliveries (exact copies and attribute updates, hours to days later) never force a re-read,
        // and the first day is written while later hours are still being decoded.
        Assert.DoesNotContain("re-read", events);
        Assert.Contains("decode+written", events.Take(events.Count - 2));
        Assert.True(windowed.Counts.Superseded > 0);

        var held = await HeldRunAsync(month.Ctr, tmp.Sub("held"));
        AssertSameOutput(tmp.Sub("held"), tmp.Sub("windowed"));
        Assert.Equal(held.Counts.Read, windowed.Counts.Read);

        // Days are written in slices of chains, one row group each: slicing changes the files' layout, never their content.
        var sliced = await new BillingJob(Options(month.Ctr, tmp.Sub("sliced")) with { ChainsPerRowGroup = 97 }).RunAsync(null, CancellationToken.None);
        Assert.Equal(windowed.Outputs.Select(o => (o.Path, o.Rows)), sliced.Outputs.Select(o => (o.Path, o.Rows)));
        Assert.Equal(windowed.Totals.ByKind.Select(kv => (kv.Key, kv.Value.BilledSeconds, kv.Value.Cost)), sliced.Totals.ByKind.Select(kv => (kv.Key, kv.Value.BilledSeconds, kv.Value.Cost)));
        Assert.Equal(SumCost(tmp.Sub("windowed")), SumCost(tmp.Sub("sliced")));
    }

    [Fact]
    public async Task Day_files_named_by_a_pattern_without_an_hour_are_read_through_the_window_and_hourless_input_is_warned_about()
    {
        using var tmp = new TempDir();
        var daily = Directory.CreateDirectory(tmp.Sub("daily")).FullName;
        // One file per day (its hours' gzip members concatenated), named by the day alone, as an export might be.
        foreach (var day in Directory.EnumerateFiles(month.Ctr, "*", SearchOption.AllDirectories)
                     .GroupBy(f => string.Join('-', Path.GetRelativePath(month.Ctr, f).Split(Path.DirectorySeparatorChar).Take(3))))
        {
            await using var target = File.Create(Path.Combine(daily, $"ctr-{day.Key}.json.gz"));
            foreach (var file in day.Order(StringComparer.Ordinal))
            {
                await using var source = File.OpenRead(file);
                await source.CopyToAsync(target);
            }
        }

        const string byDay = @"ctr-(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})";
        var warnings = new List<string>();
        var events = new List<string>();
        var windowedOut = tmp.Sub("windowed");
        await new BillingJob(Options(daily, windowedOut) with { HourPattern = byDay, Warn = warnings.Add, HeldInputWarningBytes = 0 })
            .RunAsync(PhasesAndWrites(windowedOut, events), CancellationToken.None);
        Assert.Empty(warnings);
        Assert.DoesNotContain("re-read", events);
        Assert.Contains("decode+written", events); // days were written while later files were still being read
        await HeldRunAsync(daily, tmp.Sub("held"), byDay);
        AssertSameOutput(tmp.Sub("held"), windowedOut);

        // Without the pattern the same files carry no arrival time: held until the end, and the operator is told.
        await new BillingJob(Options(daily, null) with { Warn = warnings.Add, HeldInputWarningBytes = 0 }).RunAsync(null, CancellationToken.None);
        Assert.Contains("have no arrival hour in their keys", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_hour_pattern_that_fits_no_key_is_warned_about_once_naming_it()
    {
        const string misspelt = @"(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})/(?<h>\d{2})/"; // the keys are YYYY/MM/dd/HH/
        var warnings = new List<string>();
        await new BillingJob(Options(month.Ctr, null) with { HourPattern = misspelt, Warn = warnings.Add, HeldInputWarningBytes = long.MaxValue }).RunAsync(null, CancellationToken.None);
        var warning = Assert.Single(warnings);
        Assert.StartsWith($"--hour-pattern '{misspelt}' gives none of the ", warning, StringComparison.Ordinal);

        // One that fits says nothing.
        warnings.Clear();
        await new BillingJob(Options(month.Ctr, null) with { HourPattern = @"(?<y>\d{4})/(?<m>\d{2})/(?<d>\d{2})/(?<h>\d{2})/", Warn = warnings.Add }).RunAsync(null, CancellationToken.None);
        Assert.Empty(warnings);
    }

    /// <summary>Cost by table and day as DuckDB reads it back (an independent reader of the row groups).</summary>
    private static List<string> SumCost(string outDir)
    {
        using var db = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        var glob = Path.Combine(outDir, "charges", "*", "*.parquet");
        cmd.CommandText = $"SELECT dt, charge_kind, count(*), sum(cost)::VARCHAR FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL ORDER BY ALL";
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add($"{reader.GetValue(0)} {reader.GetString(1)} {reader.GetValue(2)} {reader.GetValue(3)}");
        }

        return rows;
    }

    [Fact]
    public async Task A_late_correction_to_a_written_day_is_applied_by_re_reading_the_range()
    {
        using var tmp = new TempDir();
        var ctr = tmp.Sub("ctr");
        CopyTree(month.Ctr, ctr);
        var hours = HourFolders(ctr);

        // A copy of a first-hour inbound call, an hour longer and updated, arriving in the last hour of the data.
        var original = FirstInboundCallIn(hours[0]);
        var corrected = original.DeepClone().AsObject();
        var disconnect = Utc(original["DisconnectTimestamp"]!);
        corrected["DisconnectTimestamp"] = At(disconnect.AddHours(1));
        corrected["LastUpdateTimestamp"] = At(disconnect.AddDays(3));
        await File.WriteAllTextAsync(Path.Combine(hours[^1], "zz-late-correction"), corrected.ToJsonString(), Encoding.UTF8);

        var events = new List<string>();
        var rating = new List<JobProgress>();
        var corrected1 = await new BillingJob(Options(ctr, tmp.Sub("windowed"))).RunAsync(new ReplayEndToEndTests.SyncProgress(p =>
        {
            events.Add(p.Phase);
            if (p.Phase == "rate")
            {
                rating.Add(p);
            }
        }), CancellationToken.None);
        Assert.Contains("re-read", events);
        Assert.Null(corrected1.WindowHoldHours); // three days late: past what a longer hold is for

        // The re-read holds the whole range and rates it at the end: each day is reported as it is written.
        var days = corrected1.Outputs.Where(o => o.Path.StartsWith("contacts/", StringComparison.Ordinal)).Count();
        Assert.True(days >= 4, $"{days} days");
        Assert.Equal(Enumerable.Range(0, days + 2).Select(i => (long)i), rating.Select(p => p.Done));
        Assert.All(rating, p => Assert.Equal(days + 1, p.Total));
        await HeldRunAsync(ctr, tmp.Sub("held"));
        AssertSameOutput(tmp.Sub("held"), tmp.Sub("windowed"));

        // A day consumer that can start over reads through the window too and, after the re-read, holds every charge once.
        long consumed = 0;
        var restarts = 0;
        var withConsumer = await new BillingJob(Options(ctr, null) with
        {
            OnDayRated = (_, results, extra) => consumed += results.Sum(r => r.Charges.Sum(c => c.BilledSeconds)) + extra.Sum(c => c.BilledSeconds),
            OnRestart = () => { consumed = 0; restarts++; },
        }).RunAsync(null, CancellationToken.None);
        Assert.Equal(1, restarts);
        Assert.Equal(corrected1.Totals.ByKind.Values.Sum(t => t.BilledSeconds), consumed);
        Assert.Equal(corrected1.Totals.ByKind.Values.Sum(t => t.BilledSeconds), withConsumer.Totals.ByKind.Values.Sum(t => t.BilledSeconds));

        // audit-export streams its rows day by day and starts its file over on the re-read: every charge once.
        foreach (var file in new[] { tmp.Sub("audit.csv"), tmp.Sub("audit.parquet") })
        {
            var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", ctr, "--out", file, "--agents", month.Agents, "--numbers", month.Numbers);
            Assert.True(exit == 0, err);
            using var db = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = file.EndsWith(".csv", StringComparison.Ordinal)
                ? $"SELECT count(*), sum(billed_seconds::BIGINT)::BIGINT FROM read_csv('{file}', all_varchar = true)"
                : $"SELECT count(*), sum(billed_seconds)::BIGINT FROM read_parquet('{file}')";
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read());
            Assert.Equal(corrected1.Totals.ByKind.Values.Sum(t => t.Charges), Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(consumed, Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
        }

        // And the correction took effect: the month bills more seconds than without it.
        var uncorrected = await new BillingJob(Options(month.Ctr, null)).RunAsync(null, CancellationToken.None);
        Assert.True(corrected1.Totals.ByKind.Values.Sum(t => t.BilledSeconds) > uncorrected.Totals.ByKind.Values.Sum(t => t.BilledSeconds));
    }

    [Fact]
    public async Task A_callback_dialled_the_next_morning_is_met_by_a_longer_hold_not_by_holding_the_month()
    {
        using var tmp = new TempDir();
        var ctr = tmp.Sub("ctr");
        CopyTree(month.Ctr, ctr);
        var call = FirstInboundCallIn(HourFolders(ctr)[0]);

        // The customer asked for a callback as the call ended; an agent dialled back 20 hours later, past the 6 h look-ahead
        // that closed the call's chain and wrote its day. Before, one such record made the job hold the whole month.
        var ended = Utc(call["DisconnectTimestamp"]!);
        var dialled = ended.AddHours(20);
        var callback = call.DeepClone().AsObject();
        callback["ContactId"] = "7f3a9c1e-0000-4000-8000-00000000cb01";
        callback["InitialContactId"] = call["InitialContactId"]?.GetValue<string>() ?? call["ContactId"]!.GetValue<string>();
        callback["PreviousContactId"] = call["ContactId"]!.GetValue<string>();
        callback["InitiationMethod"] = "CALLBACK";
        callback["InitiationTimestamp"] = At(ended);
        callback["ConnectedToSystemTimestamp"] = At(dialled);
        callback["DisconnectTimestamp"] = At(dialled.AddMinutes(5));
        callback["LastUpdateTimestamp"] = At(dialled.AddMinutes(6));
        callback["Agent"]!["ConnectedToAgentTimestamp"] = At(dialled.AddSeconds(5));
        callback["Agent"]!["AfterContactWorkStartTimestamp"] = At(dialled.AddMinutes(5));
        callback.Remove("Queue");
        var arrived = Directory.CreateDirectory(Path.Combine(ctr, dialled.AddMinutes(6).ToString("yyyy/MM/dd/HH", System.Globalization.CultureInfo.InvariantCulture))).FullName;
        await File.WriteAllTextAsync(Path.Combine(arrived, "zz-callback"), callback.ToJsonString(), Encoding.UTF8);

        var events = new List<string>();
        var windowed = await new BillingJob(Options(ctr, tmp.Sub("windowed"))).RunAsync(new ReplayEndToEndTests.SyncProgress(p => events.Add(p.Phase)), CancellationToken.None);

        Assert.Contains("re-read", events);
        Assert.InRange(windowed.WindowHoldHours ?? 0, 21, BillingJob.MaxHoldHours); // read again through a window that held the chain open
        await HeldRunAsync(ctr, tmp.Sub("held"));
        AssertSameOutput(tmp.Sub("held"), tmp.Sub("windowed"));
        var legs = windowed.Totals.ByKind[Core.Legs.ChargeKinds.TelephonyOutbound];
        var without = await new BillingJob(Options(month.Ctr, null)).RunAsync(null, CancellationToken.None);
        Assert.Equal(without.Totals.ByKind[Core.Legs.ChargeKinds.TelephonyOutbound].BilledSeconds + 300, legs.BilledSeconds); // the callback's 5 minutes
    }

    /// <summary>Records each progress report's phase, with "+written" once a Parquet file is staged under <paramref name="outDir"/>.</summary>
    private static ReplayEndToEndTests.SyncProgress PhasesAndWrites(string outDir, List<string> events)
    {
        var staging = Path.Combine(outDir, "_staging");
        return new(p => events.Add(p.Phase + (Directory.Exists(staging) && Directory.EnumerateFiles(staging, "*.parquet", SearchOption.AllDirectories).Any() ? "+written" : "")));
    }

    private BillingJobOptions Options(string ctr, string? outDir)
    {
        var numbers = ReferenceReaders.ReadNumbers(File.ReadAllText(month.Numbers));
        return new BillingJobOptions
        {
            Source = new LocalObjectStore(ctr),
            Output = outDir is null ? null : new LocalObjectStore(outDir),
            Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, ReferenceReaders.ReadAgents(File.ReadAllText(month.Agents)), numbers),
            Numbers = numbers,
        };
    }

    private async Task<JobResult> HeldRunAsync(string ctr, string outDir, string? hourPattern = null)
    {
        var options = Options(ctr, outDir) with { HourPattern = hourPattern };
        var loaded = await new RecordLoader(options.Source, options.Parallelism, hourPattern).LoadAsync(null, null, options.LookAheadHours, null, CancellationToken.None);
        return await new BillingJob(options).RateAndPublishAsync(loaded, null, CancellationToken.None);
    }

    private static void AssertSameOutput(string expectedDir, string actualDir)
    {
        var expected = ReplayEndToEndTests.Snapshot(expectedDir);
        var actual = ReplayEndToEndTests.Snapshot(actualDir);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.All(expected, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(actual[kv.Key]), kv.Key));
    }

    /// <summary>The arrival-hour folders that hold objects, earliest first.</summary>
    internal static List<string> HourFolders(string ctr) =>
        Directory.GetDirectories(ctr, "*", SearchOption.AllDirectories).Where(d => Directory.GetFiles(d).Length > 0).Order(StringComparer.Ordinal).ToList();

    /// <summary>The first answered inbound call among an hour folder's objects.</summary>
    internal static JsonObject FirstInboundCallIn(string hour) =>
        Directory.GetFiles(hour).Order(StringComparer.Ordinal).Select(FirstInboundCall).First(r => r is not null)!;

    internal static DateTime Utc(JsonNode timestamp) =>
        DateTime.Parse(timestamp.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);

    internal static string At(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The first answered inbound call of a generated object (null if a planted bad record comes first).</summary>
    internal static JsonObject? FirstInboundCall(string gzipFile)
    {
        using var stream = new GZipStream(File.OpenRead(gzipFile), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var reader = new Utf8JsonReader(buffer.ToArray(), new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                if (JsonNode.Parse(ref reader) is JsonObject record && record["Channel"]?.GetValue<string>() == "VOICE"
                    && record["InitiationMethod"]?.GetValue<string>() == "INBOUND" && record["DisconnectTimestamp"] is not null && record["Agent"] is not null)
                {
                    return record;
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
