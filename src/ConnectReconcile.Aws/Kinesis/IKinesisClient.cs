namespace ConnectReconcile.Aws.Kinesis;

/// <summary>
/// The Kinesis Data Streams operations this project uses (JSON 1.1 protocol, SigV4). Streams are named by
/// <c>StreamName</c>. Errors surface as <see cref="KinesisException"/> subclasses after bounded retries.
/// </summary>
public interface IKinesisClient : IDisposable
{
    Uri Endpoint { get; }

    Task CreateStreamAsync(string streamName, int shardCount, CancellationToken cancellationToken);

    Task DeleteStreamAsync(string streamName, CancellationToken cancellationToken);

    Task<StreamSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken);

    /// <summary>One page: pass <paramref name="streamName"/> for the first page, only <paramref name="nextToken"/> after.</summary>
    Task<ListShardsPage> ListShardsPageAsync(string? streamName, string? nextToken, int? maxResults, CancellationToken cancellationToken);

    /// <summary>All shards of a stream (open and closed), following NextToken.</summary>
    Task<IReadOnlyList<KinesisShard>> ListShardsAsync(string streamName, CancellationToken cancellationToken);

    Task<string> GetShardIteratorAsync(string streamName, string shardId, ShardIteratorPosition position, CancellationToken cancellationToken);

    /// <param name="limit">1..10000 records; null for the service default.</param>
    Task<GetRecordsResult> GetRecordsAsync(string shardIterator, int? limit, CancellationToken cancellationToken);

    /// <summary>At most 500 records and 5 MiB per call; failed entries are reported, not thrown.</summary>
    Task<PutRecordsResult> PutRecordsAsync(string streamName, IReadOnlyList<PutRecordsEntry> records, CancellationToken cancellationToken);

    Task SplitShardAsync(string streamName, string shardToSplit, string newStartingHashKey, CancellationToken cancellationToken);
}
