using ConnectReconcile.Aws.Kinesis;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>
/// kinesalite's client with one call or another changed by a test (a failure, an expired iterator): every call goes
/// to <paramref name="inner"/> unless overridden, and the positions asked of GetShardIterator are kept.
/// </summary>
internal abstract class ForwardingKinesisClient(IKinesisClient inner) : IKinesisClient
{
    private readonly List<ShardIteratorPosition> _positions = [];

    protected IKinesisClient Inner => inner;

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

        return ShardIteratorAsync(streamName, shardId, position, cancellationToken);
    }

    /// <summary>GetShardIterator once its position is kept.</summary>
    protected virtual Task<string> ShardIteratorAsync(string streamName, string shardId, ShardIteratorPosition position, CancellationToken cancellationToken) =>
        inner.GetShardIteratorAsync(streamName, shardId, position, cancellationToken);

    public virtual Task<GetRecordsResult> GetRecordsAsync(string shardIterator, int? limit, CancellationToken cancellationToken) =>
        inner.GetRecordsAsync(shardIterator, limit, cancellationToken);

    public Task<PutRecordsResult> PutRecordsAsync(string streamName, IReadOnlyList<PutRecordsEntry> records, CancellationToken cancellationToken) =>
        inner.PutRecordsAsync(streamName, records, cancellationToken);

    public Task SplitShardAsync(string streamName, string shardToSplit, string newStartingHashKey, CancellationToken cancellationToken) =>
        inner.SplitShardAsync(streamName, shardToSplit, newStartingHashKey, cancellationToken);

    public void Dispose()
    {
        // The fixture owns the shared kinesalite client.
    }
}
