using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>Six generated days (400 contacts a day, seed 11) for the retention tests.</summary>
public sealed class RetentionTestData : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "cr-retention-" + Guid.NewGuid().ToString("N"));

    public StreamTestData Files { get; private set; } = null!;

    public List<byte[]> Objects { get; private set; } = [];

    public Task InitializeAsync()
    {
        Files = new StreamTestData(Root);
        SampleMonth.Generate(new GeneratorOptions(2_400, 6, 11, Files.Data) { Overwrite = true });
        Objects = Files.RawObjects();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        StreamAsserts.DeleteQuietly(Root);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The worker's retention (<c>--retain-days</c>): closed days leave memory, a CTR arriving for one is quarantined
/// <c>late-for-closed-day</c> without touching its partitions, and a restart recovers the same open state.
/// </summary>
[Collection(AwsServicesCollection.Name)]
public sealed class StreamRetentionTests(AwsServicesFixture services, RetentionTestData data, ITestOutputHelper output) : IClassFixture<RetentionTestData>, IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("cr-retention-test-").FullName;

    public void Dispose() => StreamAsserts.DeleteQuietly(_tmp);

    [Fact]
    public async Task Closed_days_leave_memory_late_ctrs_for_them_are_quarantined_and_a_restart_recovers_the_same_open_state()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "retain");
        await PutAsync(stream, data.Objects);

        // (a) Without retention (as before) and with one day kept open, from the same records.
        var everything = await RunAsync(stream, "all", retainDays: StreamRetention.MaxRetainDays);
        var retained = await RunAsync(stream, "retained", retainDays: 3);
        var firstOpen = retained.Worker.FirstOpenDay ?? throw new InvalidOperationException("no day closed");
        output.WriteLine($"first open day {firstOpen:yyyy-MM-dd}; held {retained.Worker.State.Dedupe.Count} of {everything.Worker.State.Dedupe.Count} contacts");

        var openInFull = ContactsOfOpenDays(everything.Worker.State, firstOpen);
        Assert.True(openInFull.Count < everything.Worker.State.Dedupe.Count / 2, "most days should have closed");
        Assert.True(openInFull.Count > 100, "some days should be open");
        Assert.Equal(openInFull.Order(StringComparer.Ordinal), retained.Worker.State.Dedupe.Records.Select(r => r.ContactId).Order(StringComparer.Ordinal));
        Assert.True(retained.Worker.State.Dedupe.Superseded <= everything.Worker.State.Dedupe.Superseded);

        var allParts = StreamAsserts.RatedPartitions(everything.Out);
        var retainedParts = StreamAsserts.RatedPartitions(retained.Out);
        StreamAsserts.SameBytes(OpenDays(allParts, firstOpen), OpenDays(retainedParts, firstOpen), "open days, retained vs everything");
        AssertRunCountsAddUp(retained.Out);
        AssertEachRecordCountedOnce(retained);

        // (b) A later version of a call on a closed day: archived, quarantined late-for-closed-day, no partition rewritten.
        var (update, contactId, day) = StreamWorkerTests.UpdateOfASingleRecordCall(data.Objects);
        Assert.True(day < firstOpen, $"the updated call's day {day} should be closed");
        var before = Checksums(retained.Out);
        var lateBefore = (await QuarantineAsync(retained.Out)).Where(q => q.Reason == QuarantineReasons.LateForClosedDay).Select(q => q.Source).ToHashSet();
        Assert.NotEmpty(lateBefore); // the generator's re-deliveries days later: some came after their day closed
        await PutAsync(stream, [update]);

        // (c) The restart rebuilds the open state from the archive (replayed with the same closing of days), even when it is
        // given a larger --retain-days: the days that closed stay closed (a restart with 30 had reopened and rewritten them).
        var again = await RunAsync(stream, "retained", retainDays: 30);
        Assert.Contains(again.Log, l => l.Contains("--retain-days changed from 3 to 30", StringComparison.Ordinal));
        Assert.Equal(1, again.Result.Records);
        Assert.Equal(1, again.Result.Quarantined);
        Assert.Equal(0, again.Result.Ctrs); // quarantined late-for-closed-day, so not also a CTR
        AssertEachRecordCountedOnce(again);
        Assert.Equal(firstOpen, again.Worker.FirstOpenDay);
        Assert.Equal(
            retained.Worker.State.Dedupe.Records.Select(r => r.ContactId).Order(StringComparer.Ordinal),
            again.Worker.State.Dedupe.Records.Select(r => r.ContactId).Order(StringComparer.Ordinal));
        Assert.Equal(retained.Worker.State.Dedupe.Superseded, again.Worker.State.Dedupe.Superseded);
        Assert.Equal(retained.Worker.State.QuarantineCount + 1, again.Worker.State.QuarantineCount);

        var after = Checksums(again.Out);
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var b) || b != kv.Value).Select(kv => kv.Key).ToList();
        Assert.All(changed, path => Assert.StartsWith("quarantine/", path, StringComparison.Ordinal)); // only the late row's arrival day
        Assert.All(before.Keys, path => Assert.True(after.ContainsKey(path), path + " vanished"));
        var late = Assert.Single(await QuarantineAsync(again.Out), q => q.Reason == QuarantineReasons.LateForClosedDay && !lateBefore.Contains(q.Source));
        Assert.Equal(contactId, late.ContactId);
        Assert.StartsWith($"kinesis://{stream}/shardId-", late.Source, StringComparison.Ordinal);
        Assert.Contains($"report day {day:yyyy-MM-dd} was closed", late.Detail, StringComparison.Ordinal);
        Assert.Contains(again.Log, l => l.Contains("late-for-closed-day", StringComparison.Ordinal) && l.Contains("replay --source", StringComparison.Ordinal));
        AssertRunCountsAddUp(again.Out);

        // The archive still has the late CTR, so a replay of the archive rates that day with it.
        Assert.Equal(data.Objects.Count + 1, await CountArchivedAsync(again.Out));
    }

    [Fact]
    public async Task Days_closed_by_a_restart_with_a_smaller_retain_days_that_commits_no_batch_stay_closed_for_a_later_larger_value()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "retainshrink");
        await PutAsync(stream, data.Objects);

        // Nothing closes under 30; the restart with 3 reads nothing new, so it closes days without a batch of its own.
        var first = await RunAsync(stream, "out", retainDays: 30);
        var shrunk = await RunAsync(stream, "out", retainDays: 3);
        Assert.Equal(0, shrunk.Result.Batches);
        var firstOpen = shrunk.Worker.FirstOpenDay ?? throw new InvalidOperationException("no day closed");
        Assert.True(first.Worker.FirstOpenDay < firstOpen, $"3 should close more than 30 ({first.Worker.FirstOpenDay} vs {firstOpen})");

        // An update of a call on a day the restart closed, read by a run given the old value again.
        var (update, contactId, day) = StreamWorkerTests.UpdateOfASingleRecordCall(data.Objects);
        Assert.True(day < firstOpen, $"the updated call's day {day} should be closed");
        Assert.True(day >= first.Worker.FirstOpenDay, $"the updated call's day {day} was open under 30");
        var before = Checksums(first.Out);
        await PutAsync(stream, [update]);
        var again = await RunAsync(stream, "out", retainDays: 30);

        Assert.Equal(firstOpen, again.Worker.FirstOpenDay);
        Assert.Equal(0, again.Result.Ctrs);
        Assert.Equal(1, again.Result.Quarantined);
        var late = Assert.Single(await QuarantineAsync(again.Out), q => q.Reason == QuarantineReasons.LateForClosedDay);
        Assert.Equal(contactId, late.ContactId);
        var after = Checksums(again.Out);
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var b) || b != kv.Value).Select(kv => kv.Key).ToList();
        Assert.All(changed, path => Assert.StartsWith("quarantine/", path, StringComparison.Ordinal)); // the closed day was not republished
        Assert.Equal(shrunk.Worker.State.Dedupe.Count, again.Worker.State.Dedupe.Count);
    }

    private async Task<(StreamWorker Worker, StreamRunResult Result, string Out, List<string> Log)> RunAsync(string stream, string name, int retainDays)
    {
        var outDir = Path.Combine(_tmp, name);
        var log = new ListLog(output);
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var worker = new StreamWorker(services.Kinesis, checkpoints, new StreamWorkerOptions
        {
            StreamName = stream,
            Output = new LocalObjectStore(outDir),
            Rater = data.Files.Rater(),
            Numbers = data.Files.NumberInventory(),
            BatchRecords = 400,
            BatchAge = TimeSpan.FromMilliseconds(500),
            StopWhenIdle = TimeSpan.FromSeconds(1.5),
            IdlePollInterval = TimeSpan.FromMilliseconds(250),
            ShardListInterval = TimeSpan.FromSeconds(1),
            RetainDays = retainDays,
            Log = log,
        });
        var result = await worker.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(180));
        Assert.Equal("idle", result.StopReason);
        return (worker, result, outDir, log.Lines);
    }

    /// <summary>Contacts whose report day (a voice chain's first start day, a non-voice record's own day) is open.</summary>
    private static List<string> ContactsOfOpenDays(StreamState state, DateOnly firstOpen)
    {
        var ids = new List<string>();
        foreach (var r in state.Dedupe.Records)
        {
            var day = r.IsVoice ? ChainDay(state, r.RootId) : r.InitiationTimestamp.UtcDate;
            if (day >= firstOpen)
            {
                ids.Add(r.ContactId);
            }
        }

        return ids;
    }

    private static DateOnly ChainDay(StreamState state, string root) =>
        state.Dedupe.Records.Where(r => r.IsVoice && r.RootId == root).Min(r => r.InitiationTimestamp.UtcDate);

    private static SortedDictionary<string, byte[]> OpenDays(SortedDictionary<string, byte[]> parts, DateOnly firstOpen) =>
        new(parts.Where(kv => DayOf(kv.Key) >= firstOpen).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);

    private static DateOnly DayOf(string path)
    {
        var at = path.IndexOf("dt=", StringComparison.Ordinal) + 3;
        return DateOnly.ParseExact(path.Substring(at, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> Checksums(string outDir) =>
        StreamAsserts.Partitions(outDir, [.. StreamTestData.RatedTables, "quarantine"])
            .ToDictionary(kv => kv.Key, kv => Convert.ToHexString(SHA256.HashData(kv.Value)), StringComparer.Ordinal);

    private static void AssertRunCountsAddUp(string outDir)
    {
        var runs = Directory.GetFiles(Path.Combine(outDir, "_runs"), "run.json", SearchOption.AllDirectories);
        Assert.NotEmpty(runs);
        foreach (var file in runs)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var c = FindCounts(doc.RootElement) ?? throw new InvalidOperationException(file + " has no counts");
            long N(string name) => c.GetProperty(name).GetInt64();
            Assert.True(N("records") == N("rated") + N("duplicates") + N("quarantined") + N("nonVoiceContacts") + N("outOfRange"), file + ": " + c);
        }
    }

    /// <summary>Every record (one JSON object each here) is a CTR or quarantined, never both: the run's totals and each batch line.</summary>
    private static void AssertEachRecordCountedOnce((StreamWorker Worker, StreamRunResult Result, string Out, List<string> Log) run)
    {
        Assert.Equal(run.Result.Records, run.Result.Ctrs + run.Result.Quarantined);
        var batches = run.Log.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^Batch \d+: (\d+) records \((\d+) CTRs, (\d+) quarantined,")).Where(m => m.Success).ToList();
        Assert.NotEmpty(batches);
        Assert.All(batches, m => Assert.True(
            long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) + long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
            m.Value));
    }

    private static JsonElement? FindCounts(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (e.TryGetProperty("records", out _) && e.TryGetProperty("rated", out _))
        {
            return e;
        }

        foreach (var p in e.EnumerateObject())
        {
            if (FindCounts(p.Value) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static Task<List<QuarantineRow>> QuarantineAsync(string outDir) => StreamWorkerTests.ReadAsync<QuarantineRow>(outDir, "quarantine");

    private static async Task<int> CountArchivedAsync(string outDir)
    {
        var manifests = await new StreamArchive(new LocalObjectStore(outDir)).ReadManifestsAsync(
            JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(outDir, "_stream", "batches"))[0])).RootElement.GetProperty("stream").GetString()!,
            CancellationToken.None);
        return manifests.Sum(m => m.Ctrs + m.Quarantine.Count(q => q.Entry.Reason != QuarantineReasons.LateForClosedDay));
    }

    private async Task PutAsync(string stream, IEnumerable<byte[]> records)
    {
        var entries = records.Select(r => new PutRecordsEntry(r, StreamLoader.PartitionKey(r))).ToList();
        var put = await services.Kinesis.PutAllAsync(stream, entries);
        Assert.Equal(entries.Count, put.Succeeded);
    }

    /// <summary>Keeps the worker's log lines (and shows them in the test output).</summary>
    private sealed class ListLog(ITestOutputHelper output) : IStreamLog
    {
        private readonly TestLog _inner = new(output);

        public List<string> Lines { get; } = [];

        public void Log(StreamLogLevel level, Exception? exception, string template, params object?[] args)
        {
            lock (Lines)
            {
                var i = 0;
                Lines.Add(System.Text.RegularExpressions.Regex.Replace(template, @"\{[^}]+\}", _ => i < args.Length ? Convert.ToString(args[i++], CultureInfo.InvariantCulture) ?? "" : "?"));
            }

            _inner.Log(level, exception, template, args);
        }
    }
}
