using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.S3;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Io.Jobs;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>S3 output (archive, recovery, publish) and a second worker waiting as a standby.</summary>
public sealed partial class StreamWorkerTests
{
    [Fact]
    public async Task An_s3_output_restarted_from_its_archive_ends_equal_to_a_local_run()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "s3out");
        var objects = data.RawObjects().Take(300).ToList();
        var bucket = await services.CreateBucketAsync("stream");
        using var s3 = new S3ObjectStore(services.CreateS3Client(), S3Location.Parse($"s3://{bucket}/out/"), ownsClient: true);
        var s3Checkpoints = Path.Combine(_tmp, "s3-checkpoints.json");

        await PutAsync(stream, objects.Take(150));
        using (var checkpoints = new ConnectReconcile.Aws.Checkpoints.FileCheckpointStore(s3Checkpoints))
        {
            var first = await new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, _tmp, output) with { Output = s3 }).RunAsync(CancellationToken.None);
            Assert.Equal(150, first.Records);
            await PutAsync(stream, objects.Skip(150));
            var second = new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, _tmp, output) with { Output = s3 });
            Assert.Equal(150, (await second.RunAsync(CancellationToken.None)).Records);
            Assert.Equal(objects.Count, second.State.Dedupe.Count + second.State.Dedupe.Superseded + second.State.QuarantineCount);
        }

        var localDir = Path.Combine(_tmp, "local");
        using (var checkpoints = StreamAsserts.Checkpoints(localDir))
        {
            Assert.Equal(objects.Count, (await new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, localDir, output)).RunAsync(CancellationToken.None)).Records);
        }

        var local = StreamAsserts.Partitions(localDir, BillingJob.Tables);
        var remote = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var keys = new List<string>();
        await foreach (var obj in s3.ListAsync(string.Empty, CancellationToken.None))
        {
            keys.Add(obj.Key);
            if (obj.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                await using var read = await s3.OpenReadAsync(obj.Key, CancellationToken.None);
                using var copy = new MemoryStream();
                await read.CopyToAsync(copy);
                remote[obj.Key] = copy.ToArray();
            }
        }

        StreamAsserts.SameBytes(local, remote, "s3 output (two runs) vs local output (one run)");
        Assert.Contains("_stream/ctr/batch-0000000001.ndjson.gz", keys);
        Assert.Contains(keys, k => k.StartsWith("_stream/batches/batch-", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.StartsWith("_staging/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_worker_waits_as_a_standby_and_takes_over_when_the_first_stops()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "standby");
        var outDir = Path.Combine(_tmp, "out");
        var objects = data.RawObjects();
        var half = objects.Count / 2;
        await PutAsync(stream, objects.Take(half));

        using var checkpointsA = StreamAsserts.Checkpoints(outDir);
        using var checkpointsB = StreamAsserts.Checkpoints(outDir); // same file, another store instance (as another process would have)
        var committedA = new TaskCompletionSource();
        var optionsA = StreamAsserts.Options(data, stream, outDir, output) with
        {
            OwnerId = "worker-a", StopWhenIdle = null, LeaseDuration = TimeSpan.FromSeconds(3), OnBatchCommitted = _ => committedA.TrySetResult(),
        };
        using var stopA = new CancellationTokenSource();
        var runA = new StreamWorker(services.Kinesis, checkpointsA, optionsA).RunAsync(stopA.Token);
        await committedA.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var batchesB = 0;
        var optionsB = StreamAsserts.Options(data, stream, outDir, output) with
        {
            OwnerId = "worker-b", StopWhenIdle = TimeSpan.FromSeconds(2), LeaseDuration = TimeSpan.FromSeconds(3), OnBatchCommitted = _ => Interlocked.Increment(ref batchesB),
        };
        var workerB = new StreamWorker(services.Kinesis, checkpointsB, optionsB);
        var runB = workerB.RunAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(4)); // longer than a lease: A keeps renewing, B must keep waiting
        Assert.False(runB.IsCompleted);
        Assert.Equal(0, Volatile.Read(ref batchesB));
        Assert.All(await checkpointsA.ListAsync(stream, CancellationToken.None), c => Assert.Equal("worker-a", c.Owner));

        await stopA.CancelAsync();
        var a = await runA.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("cancelled", a.StopReason);
        await PutAsync(stream, objects.Skip(half));
        var b = await runB.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("idle", b.StopReason);
        Assert.Equal(objects.Count - half, b.Records); // resumed after A's checkpoints, with A's state from the archive
        StreamAsserts.SameBytes(data.Reference, StreamAsserts.RatedPartitions(outDir), "standby takeover vs replay");
    }
}
