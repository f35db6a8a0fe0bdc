using System.Globalization;
using System.Numerics;

namespace ConnectReconcile.Aws.Kinesis;

/// <summary>Where <see cref="IKinesisClient.GetShardIteratorAsync"/> starts reading.</summary>
public enum ShardIteratorType
{
    TrimHorizon,
    Latest,
    AtSequenceNumber,
    AfterSequenceNumber,
    AtTimestamp,
}

/// <summary>A shard iterator start position; use the static factories.</summary>
public readonly record struct ShardIteratorPosition(ShardIteratorType Type, string? SequenceNumber = null, DateTimeOffset? Timestamp = null)
{
    public static ShardIteratorPosition TrimHorizon => new(ShardIteratorType.TrimHorizon);

    public static ShardIteratorPosition Latest => new(ShardIteratorType.Latest);

    public static ShardIteratorPosition AtSequenceNumber(string sequenceNumber) => new(ShardIteratorType.AtSequenceNumber, sequenceNumber);

    public static ShardIteratorPosition AfterSequenceNumber(string sequenceNumber) => new(ShardIteratorType.AfterSequenceNumber, sequenceNumber);

    public static ShardIteratorPosition AtTimestamp(DateTimeOffset timestamp) => new(ShardIteratorType.AtTimestamp, Timestamp: timestamp);

    internal string WireName => Type switch
    {
        ShardIteratorType.TrimHorizon => "TRIM_HORIZON",
        ShardIteratorType.Latest => "LATEST",
        ShardIteratorType.AtSequenceNumber => "AT_SEQUENCE_NUMBER",
        ShardIteratorType.AfterSequenceNumber => "AFTER_SEQUENCE_NUMBER",
        ShardIteratorType.AtTimestamp => "AT_TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, "Unknown shard iterator type."),
    };
}

/// <summary>The 128-bit hash key range of a shard, as decimal strings.</summary>
public sealed record HashKeyRange(string StartingHashKey, string EndingHashKey)
{
    /// <summary>The hash key that splits this range in two halves (for <see cref="IKinesisClient.SplitShardAsync"/>).</summary>
    public string Midpoint()
    {
        var start = BigInteger.Parse(StartingHashKey, CultureInfo.InvariantCulture);
        var end = BigInteger.Parse(EndingHashKey, CultureInfo.InvariantCulture);
        return ((start + end + 1) / 2).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Sequence numbers of a shard; <see cref="EndingSequenceNumber"/> is set once the shard is closed.</summary>
public sealed record SequenceNumberRange(string StartingSequenceNumber, string? EndingSequenceNumber);

/// <summary>A shard as returned by ListShards.</summary>
public sealed record KinesisShard(
    string ShardId,
    string? ParentShardId,
    string? AdjacentParentShardId,
    HashKeyRange HashKeyRange,
    SequenceNumberRange SequenceNumberRange)
{
    /// <summary>True when the shard no longer takes writes (it was split or merged).</summary>
    public bool IsClosed => SequenceNumberRange.EndingSequenceNumber is not null;
}

/// <summary>One page of ListShards.</summary>
public sealed record ListShardsPage(IReadOnlyList<KinesisShard> Shards, string? NextToken);

/// <summary>A data record.</summary>
public sealed record KinesisRecord(
    string SequenceNumber,
    DateTimeOffset ApproximateArrivalTimestamp,
    byte[] Data,
    string PartitionKey,
    string? EncryptionType);

/// <summary>A child shard reported by GetRecords at the end of a closed shard.</summary>
public sealed record ChildShard(string ShardId, IReadOnlyList<string> ParentShards, HashKeyRange? HashKeyRange);

/// <summary>
/// One GetRecords answer. <see cref="NextShardIterator"/> is null once a closed shard is fully read:
/// continue with its children.
/// </summary>
public sealed record GetRecordsResult(
    IReadOnlyList<KinesisRecord> Records,
    string? NextShardIterator,
    long? MillisBehindLatest,
    IReadOnlyList<ChildShard> ChildShards);

/// <summary>A record to write.</summary>
public sealed record PutRecordsEntry(ReadOnlyMemory<byte> Data, string PartitionKey, string? ExplicitHashKey = null);

/// <summary>Outcome of one entry of PutRecords: a sequence number, or an error code.</summary>
public sealed record PutRecordsResultEntry(int Index, string? SequenceNumber, string? ShardId, string? ErrorCode, string? ErrorMessage)
{
    public bool Succeeded => ErrorCode is null;
}

/// <summary>Answer of PutRecords; entries are in request order.</summary>
public sealed record PutRecordsResult(int FailedRecordCount, IReadOnlyList<PutRecordsResultEntry> Records, string? EncryptionType)
{
    public IEnumerable<PutRecordsResultEntry> Failed => Records.Where(r => !r.Succeeded);
}

/// <summary>Answer of DescribeStreamSummary.</summary>
public sealed record StreamSummary(
    string StreamName,
    string? StreamArn,
    string StreamStatus,
    int? RetentionPeriodHours,
    DateTimeOffset? StreamCreationTimestamp,
    int? OpenShardCount,
    string? EncryptionType,
    string? StreamMode)
{
    public bool IsActive => string.Equals(StreamStatus, "ACTIVE", StringComparison.Ordinal);
}
