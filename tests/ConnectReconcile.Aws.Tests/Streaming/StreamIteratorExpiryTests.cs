using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>An iterator that expires before the first record was read must not skip what arrived meanwhile.</summary>
public sealed partial class StreamWorkerTests
{
    [Fact]
    public async Task From_latest_an_iterator_that_expires_before_the_first_record_resumes_where_latest_was_and_reads_what_arrived()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "latestexp");
        var outDir = Path.Combine(_tmp, "out");
        using var kinesis = new ExpiringOnceKinesisClient(services.Kinesis);
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var committed = new TaskCompletionSource<BatchReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = StreamAsserts.Options(data, stream, outDir, output) with
        {
            Start = StreamStartPosition.Latest, StopWhenIdle = null, OnBatchCommitted = r => committed.TrySetResult(r),
        };
        using var stop = new CancellationTokenSource();
        var run = new StreamWorker(kinesis, checkpoints, options).RunAsync(stop.Token);

        // The worker has its LATEST iterator and found nothing; records arrive while that iterator sits unused past
        // its 5 minutes (kinesalite's real expiry is injected: the next GetRecords answers ExpiredIteratorException).
        await kinesis.FirstPoll.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await PutAsync(stream, data.RawObjects().Take(3));
        kinesis.Expire.SetResult();

        var afterExpiry = await kinesis.FirstPollAfterExpiry.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, afterExpiry.Records.Count);
        Assert.Equal(ShardIteratorType.AtTimestamp, kinesis.Positions[^1].Type);
        Assert.Equal(3, (await committed.Task.WaitAsync(TimeSpan.FromSeconds(60))).Records);
        await stop.CancelAsync();
        Assert.Equal("cancelled", (await run.WaitAsync(TimeSpan.FromSeconds(60))).StopReason);
    }

    /// <summary>kinesalite, except that the second GetRecords waits for <see cref="Expire"/> and then answers that its iterator expired.</summary>
    private sealed class ExpiringOnceKinesisClient(IKinesisClient inner) : ForwardingKinesisClient(inner)
    {
        private int _calls;

        public TaskCompletionSource FirstPoll { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Expire { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<GetRecordsResult> FirstPollAfterExpiry { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<GetRecordsResult> GetRecordsAsync(string shardIterator, int? limit, CancellationToken cancellationToken)
        {
            switch (Interlocked.Increment(ref _calls))
            {
                case 1:
                    var first = await Inner.GetRecordsAsync(shardIterator, limit, cancellationToken);
                    Assert.Empty(first.Records);
                    FirstPoll.SetResult();
                    return first;
                case 2:
                    await Expire.Task.WaitAsync(cancellationToken);
                    throw new ExpiredIteratorException("Iterator expired (injected by the test).");
                case 3:
                    var after = await Inner.GetRecordsAsync(shardIterator, limit, cancellationToken);
                    FirstPollAfterExpiry.SetResult(after);
                    return after;
                default:
                    return await Inner.GetRecordsAsync(shardIterator, limit, cancellationToken);
            }
        }
    }
}
