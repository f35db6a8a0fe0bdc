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
    private sealed class ExpiringOnceKinesisClient(IKinesisClient inner) : IKinesisClient
    {
        private readonly List<ShardIteratorPosition> _positions = [];
        private int _calls;

        public TaskCompletionSource FirstPoll { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Expire { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<GetRecordsResult> FirstPollAfterExpiry { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<ShardIteratorPosition> Positions
        {
            get
            {
                lock (_positions)
                {
                    return _positions.ToList();
                }
            }
        }

        public Uri Endpoint => inner.Endpoint;

        public Task CreateStreamAsync(string streamName, int shardCount, CancellationToken cancellationToken) => inner.CreateStreamAsync(streamName, shardCount, cancellationToken);

        public Task DeleteStreamAsync(string streamName, CancellationToken cancellationToken) => inner.DeleteStreamAsync(streamName, cancellationToken);

        public Task<StreamSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken) => inner.DescribeStreamSummaryAsync(streamName, cancellationToken);

        public Task<ListShardsPage> ListShardsPageAsync(string? streamName, string? nextToken, int? maxResults, CancellationToken cancellationToken) =>
            inner.ListShardsPageAsync(streamName, nextToken, maxResults, cancellationToken);

        public Task<IReadOnlyList<KinesisShard>> ListShardsAsync(string streamName, CancellationToken cancellationToken) => inner.ListShardsAsync(streamName, cancellationToken);

        public Task<string> GetShardIteratorAsync(string streamName, string shardId, ShardIteratorPosition position, CancellationToken cancellationToken)
        {
            lock (_positions)
            {
                _positions.Add(position);
            }

            return inner.GetShardIteratorAsync(streamName, shardId, position, cancellationToken);
        }

        public async Task<GetRecordsResult> GetRecordsAsync(string shardIterator, int? limit, CancellationToken cancellationToken)
        {
            switch (Interlocked.Increment(ref _calls))
            {
                case 1:
                    var first = await inner.GetRecordsAsync(shardIterator, limit, cancellationToken);
                    Assert.Empty(first.Records);
                    FirstPoll.SetResult();
                    return first;
                case 2:
                    await Expire.Task.WaitAsync(cancellationToken);
                    throw new ExpiredIteratorException("Iterator expired (injected by the test).");
                case 3:
                    var after = await inner.GetRecordsAsync(shardIterator, limit, cancellationToken);
                    FirstPollAfterExpiry.SetResult(after);
                    return after;
                default:
                    return await inner.GetRecordsAsync(shardIterator, limit, cancellationToken);
            }
        }

        public Task<PutRecordsResult> PutRecordsAsync(string streamName, IReadOnlyList<PutRecordsEntry> records, CancellationToken cancellationToken) =>
            inner.PutRecordsAsync(streamName, records, cancellationToken);

        public Task SplitShardAsync(string streamName, string shardToSplit, string newStartingHashKey, CancellationToken cancellationToken) =>
            inner.SplitShardAsync(streamName, shardToSplit, newStartingHashKey, cancellationToken);

        public void Dispose()
        {
            // The fixture owns the shared kinesalite client.
        }
    }
}
