using System.Diagnostics;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>
/// Loopback figures for the report (printed as "PERF ..." lines): CTRs/s through kinesalite (put, bare read +
/// decode, and the worker end to end including rating and Parquet), and the end-to-end lag of a paced stream
/// (record arrival → its batch committed). Assertions only guard against pathological slowness.
/// </summary>
[Collection(AwsServicesCollection.Name)]
public sealed class StreamThroughputTests(AwsServicesFixture services, StreamTestData data, ITestOutputHelper output) : IClassFixture<StreamTestData>, IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("cr-stream-perf-").FullName;

    public void Dispose() => StreamAsserts.DeleteQuietly(_tmp);

    [Fact]
    public async Task Sustained_ctrs_per_second_and_end_to_end_lag_through_kinesalite()
    {
        var kinesis = services.Kinesis;
        var stream = await StreamAsserts.NewStreamAsync(kinesis, 2, "perf");
        var objects = data.RawObjects();
        // A backlog of three copies of the two days (~4,400 records): the copies are superseded, but every record is read, decoded and archived.
        var backlog = objects.Concat(objects).Concat(objects).Select(o => new PutRecordsEntry(o, StreamLoader.PartitionKey(o))).ToList();
        var putClock = Stopwatch.StartNew();
        Assert.Equal(backlog.Count, (await kinesis.PutAllAsync(stream, backlog)).Succeeded);
        Report("put (PutRecords x500)", backlog.Count, putClock.Elapsed);

        // Bare read + decode: every shard from the trim horizon.
        var readClock = Stopwatch.StartNew();
        var read = 0;
        var decoder = new KinesisRecordDecoder();
        foreach (var shard in await kinesis.ListShardsAsync(stream, CancellationToken.None))
        {
            var iterator = await kinesis.GetShardIteratorAsync(stream, shard.ShardId, ShardIteratorPosition.TrimHorizon, CancellationToken.None);
            while (iterator is not null)
            {
                var page = await kinesis.GetRecordsAsync(iterator, 1000, CancellationToken.None);
                foreach (var r in page.Records)
                {
                    decoder.Decode(stream, shard.ShardId, r);
                }

                read += page.Records.Count;
                iterator = page.Records.Count == 0 ? null : page.NextShardIterator;
            }
        }

        Assert.Equal(backlog.Count, read);
        Report("GetRecords + decode (no rating)", read, readClock.Elapsed);

        // The worker on the backlog, then on a paced producer.
        var reports = new List<BatchReport>();
        var outDir = Path.Combine(_tmp, "out");
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var options = StreamAsserts.Options(data, stream, outDir) with
        {
            StopWhenIdle = null,
            BatchRecords = 5000,
            BatchAge = TimeSpan.FromSeconds(1),
            OnBatchCommitted = r =>
            {
                lock (reports)
                {
                    reports.Add(r);
                }
            },
        };
        using var stop = new CancellationTokenSource();
        var workerClock = Stopwatch.StartNew();
        var running = new StreamWorker(kinesis, checkpoints, options).RunAsync(stop.Token);
        while (Committed() < backlog.Count)
        {
            Assert.False(running.IsCompleted, "the worker stopped early");
            Assert.True(workerClock.Elapsed < TimeSpan.FromSeconds(120), "backlog not drained in 120 s");
            await Task.Delay(50);
        }

        Report("worker drain of the backlog (start → last commit, rating + Parquet included)", backlog.Count, workerClock.Elapsed);
        int backlogBatches;
        lock (reports)
        {
            backlogBatches = reports.Count;
        }

        // Paced producer: 100 records every 250 ms (400 CTRs/s) for 6 s.
        var paced = objects.Take(2400).Select(o => new PutRecordsEntry(o, StreamLoader.PartitionKey(o))).ToList();
        var producer = Stopwatch.StartNew();
        for (var i = 0; i < paced.Count; i += 100)
        {
            await kinesis.PutAllAsync(stream, paced.Skip(i).Take(100));
            var due = TimeSpan.FromMilliseconds(250 * ((i / 100) + 1));
            if (due > producer.Elapsed)
            {
                await Task.Delay(due - producer.Elapsed);
            }
        }

        var produced = paced.Count;
        while (Committed() < backlog.Count + produced && producer.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await running;
        List<BatchReport> live;
        lock (reports)
        {
            live = reports.Skip(backlogBatches).ToList();
        }

        Assert.Equal(backlog.Count + produced, Committed());
        var oldest = live.Select(r => r.OldestLagMs ?? 0).Order().ToList();
        var newest = live.Select(r => r.NewestLagMs ?? 0).Order().ToList();
        output.WriteLine($"PERF paced 400 CTRs/s for {producer.Elapsed.TotalSeconds:F1} s: {live.Count} batches, " +
            $"lag of the oldest record in a batch p50 {oldest[oldest.Count / 2]:F0} ms / max {oldest[^1]:F0} ms, " +
            $"newest p50 {newest[newest.Count / 2]:F0} ms, flush p50 {live.Select(r => r.FlushMs).Order().ElementAt(live.Count / 2):F0} ms " +
            $"(batches of {live.Select(r => r.Records).Order().ElementAt(live.Count / 2)} records re-rating {live.Select(r => r.Days.Count).Max()} days)");
        Assert.True(oldest[^1] < 30_000, $"lag {oldest[^1]} ms");

        long Committed()
        {
            lock (reports)
            {
                return reports.Sum(r => (long)r.Records);
            }
        }
    }

    private void Report(string what, long records, TimeSpan elapsed) =>
        output.WriteLine($"PERF {what}: {records} CTRs in {elapsed.TotalSeconds:F2} s = {records / elapsed.TotalSeconds:F0} CTRs/s");
}
