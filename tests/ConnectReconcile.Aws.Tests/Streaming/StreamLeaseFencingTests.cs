using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>A worker whose leases were taken over while it was paused mid-flush writes nothing more to the output.</summary>
public sealed partial class StreamWorkerTests
{
    [Theory]
    [InlineData("archive")]
    [InlineData("manifest")]
    [InlineData("publish")]
    public async Task A_worker_that_lost_its_leases_mid_flush_stops_before_its_next_write(string pausedAt)
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "deposed");
        var outDir = Path.Combine(_tmp, "out");
        await PutAsync(stream, data.RawObjects()); // both days: one batch publishes two days

        using var checkpointsA = StreamAsserts.Checkpoints(outDir);
        using var checkpointsB = StreamAsserts.Checkpoints(outDir); // the standby's own store instance on the same file
        var gated = new GatedStore(new LocalObjectStore(outDir), pausedAt);
        var options = StreamAsserts.Options(data, stream, outDir, output) with
        {
            Output = gated, OwnerId = "worker-a", StopWhenIdle = null, LeaseDuration = TimeSpan.FromSeconds(60),
        };
        var run = new StreamWorker(services.Kinesis, checkpointsA, options).RunAsync(CancellationToken.None);

        // A is held inside its first write of that step (as a paused process would be) while B takes every lease.
        await gated.Reached.Task.WaitAsync(TimeSpan.FromSeconds(90));
        foreach (var lease in await checkpointsB.ListAsync(stream, CancellationToken.None))
        {
            Assert.Equal("worker-a", lease.Owner);
            await checkpointsB.ReleaseLeaseAsync(stream, lease.ShardId, "worker-a", CancellationToken.None); // A's lease ran out
            Assert.NotNull(await checkpointsB.TryAcquireLeaseAsync(stream, lease.ShardId, "worker-b", TimeSpan.FromMinutes(5), CancellationToken.None));
        }

        gated.Release.SetResult();
        await Assert.ThrowsAsync<LeaseLostException>(() => run.WaitAsync(TimeSpan.FromSeconds(90)));

        // The write A was already inside finishes (no object store can fence it); nothing after it is written.
        Assert.Empty(gated.WritesAfterRelease);
        Assert.All(await checkpointsB.ListAsync(stream, CancellationToken.None), c =>
        {
            Assert.Equal("worker-b", c.Owner);
            Assert.Null(c.SequenceNumber);
        });
    }

    /// <summary>Holds the first write of one flush step (archive, manifest or a day's publish) until released, then records every later write.</summary>
    private sealed class GatedStore(IObjectStore inner, string step) : IObjectStore
    {
        private readonly List<string> _after = [];
        private int _gated;

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> WritesAfterRelease
        {
            get
            {
                lock (_after)
                {
                    return _after.ToList();
                }
            }
        }

        public string Describe(string key) => inner.Describe(key);

        public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

        public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
        {
            await GateAsync(key, key.StartsWith(step == "archive" ? StreamArchive.CtrFolder : StreamArchive.BatchFolder, StringComparison.Ordinal) && step != "publish");
            await inner.PutAsync(key, content, cancellationToken);
        }

        public async Task DeleteAsync(string key, CancellationToken cancellationToken)
        {
            await GateAsync("delete " + key, false);
            await inner.DeleteAsync(key, cancellationToken);
        }

        public async Task PublishAsync(PublishPlan plan, CancellationToken cancellationToken)
        {
            await GateAsync("publish " + string.Join(",", plan.Partitions), step == "publish");
            await inner.PublishAsync(plan, cancellationToken);
        }

        private async Task GateAsync(string write, bool isStep)
        {
            if (isStep && Interlocked.CompareExchange(ref _gated, 1, 0) == 0)
            {
                Reached.SetResult();
                await Release.Task;
                return;
            }

            if (Release.Task.IsCompleted)
            {
                lock (_after)
                {
                    _after.Add(write);
                }
            }
        }
    }
}
