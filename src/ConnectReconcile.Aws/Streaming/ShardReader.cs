using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Kinesis;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>The worker's view of one shard: lineage, committed checkpoint, read position and iterator.</summary>
internal sealed class ShardReader(KinesisShard shard)
{
    public KinesisShard Shard { get; set; } = shard;

    public string ShardId => Shard.ShardId;

    public IEnumerable<string> Parents => new[] { Shard.ParentShardId, Shard.AdjacentParentShardId }.OfType<string>();

    /// <summary>Present in the latest ListShards answer.</summary>
    public bool Listed { get; set; } = true;

    /// <summary>The durable checkpoint: a sequence number, <see cref="CheckpointStore.ShardEnd"/>, or null.</summary>
    public string? Committed { get; set; }

    /// <summary>Last sequence number read (pending or committed).</summary>
    public string? LastRead { get; set; }

    /// <summary>Read to its end (NextShardIterator was null); its children may start.</summary>
    public bool Ended { get; set; }

    public bool Finished => Committed == CheckpointStore.ShardEnd;

    public bool Started { get; set; }

    /// <summary>The position the shard was opened at (re-used when an iterator expires before any record).</summary>
    public ShardIteratorPosition? StartPosition { get; set; }

    public string? Iterator { get; set; }

    public DateTimeOffset NextPollAt { get; set; }

    /// <summary>The last GetRecords returned nothing and MillisBehindLatest was 0 (or absent).</summary>
    public bool CaughtUp { get; set; }

    public long? MillisBehindLatest { get; set; }

    public int ConsecutiveFailures { get; set; }

    /// <summary>Records read since the worker started (for the health line).</summary>
    public long RecordsRead { get; set; }

    /// <summary>Read from a real position (a checkpoint, the trim horizon, or data): its children start at their beginning.</summary>
    public bool ReadFromKnownPosition { get; set; }

    public KinesisRecordDecoder Decoder { get; } = new();

    /// <summary>A shard still to be read by this worker.</summary>
    public bool Active => Started && !Ended && Iterator is not null;

    /// <summary>When this worker first asked for a LATEST iterator on the shard (<see cref="StartPosition"/> is LATEST).</summary>
    public DateTimeOffset? LatestSince { get; set; }

    /// <summary>
    /// Where a new iterator starts when the current one expired: after the last record read; before any record,
    /// at the time LATEST was first asked for (LATEST again would skip whatever arrived while the iterator sat unused).
    /// </summary>
    public ShardIteratorPosition ResumePosition =>
        LastRead is not null ? ShardIteratorPosition.AfterSequenceNumber(LastRead)
        : StartPosition?.Type == ShardIteratorType.Latest && LatestSince is { } since ? ShardIteratorPosition.AtTimestamp(since)
        : StartPosition ?? ShardIteratorPosition.TrimHorizon;
}

/// <summary>Records read but not yet committed, in the order they will be offered and archived.</summary>
internal sealed class PendingBatch
{
    private readonly Dictionary<string, (string? First, string? Last, int Records, bool Ended)> _shards = new(StringComparer.Ordinal);
    private readonly List<string> _shardOrder = [];

    public List<DecodedKinesisRecord> Items { get; } = [];

    public DateTimeOffset? Since { get; private set; }

    public int Records => Items.Count;

    public bool HasWork => Items.Count > 0 || _shards.Values.Any(s => s.Ended);

    public void Add(DecodedKinesisRecord item, DateTimeOffset now)
    {
        Since ??= now;
        Items.Add(item);
        var s = Touch(item.ShardId);
        _shards[item.ShardId] = (s.First ?? item.Record.SequenceNumber, item.Record.SequenceNumber, s.Records + 1, s.Ended);
    }

    public void MarkEnded(string shardId, DateTimeOffset now)
    {
        Since ??= now;
        var s = Touch(shardId);
        _shards[shardId] = s with { Ended = true };
    }

    public IReadOnlyList<ShardRange> Ranges() =>
        _shardOrder.Select(id =>
        {
            var s = _shards[id];
            return new ShardRange(id, s.First, s.Last, s.Records, s.Ended);
        }).ToList();

    private (string? First, string? Last, int Records, bool Ended) Touch(string shardId)
    {
        if (!_shards.TryGetValue(shardId, out var s))
        {
            s = (null, null, 0, false);
            _shards[shardId] = s;
            _shardOrder.Add(shardId);
        }

        return s;
    }
}
