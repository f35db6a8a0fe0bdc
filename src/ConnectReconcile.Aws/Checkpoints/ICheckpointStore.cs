namespace ConnectReconcile.Aws.Checkpoints;

/// <summary>
/// Progress and ownership of one shard of one stream. <see cref="SequenceNumber"/> is the last record
/// processed (or <see cref="CheckpointStore.ShardEnd"/> once a closed shard is fully read);
/// <see cref="Owner"/> holds the lease until <see cref="LeaseExpiresAt"/>.
/// </summary>
public sealed record ShardCheckpoint(
    string StreamName,
    string ShardId,
    string? SequenceNumber,
    string? Owner,
    DateTimeOffset? LeaseExpiresAt,
    long LeaseCounter,
    DateTimeOffset UpdatedAt)
{
    /// <summary>True when nobody holds an unexpired lease at <paramref name="now"/>.</summary>
    public bool IsLeaseFree(DateTimeOffset now) => Owner is null || LeaseExpiresAt is null || LeaseExpiresAt <= now;
}

/// <summary>
/// Where Kinesis consumers keep their place and who owns which shard. A lease is acquired (or renewed
/// by its owner) for a duration; checkpoints are only accepted from the current owner, so two workers
/// can never both advance the same shard.
/// </summary>
public interface ICheckpointStore
{
    Task<ShardCheckpoint?> GetAsync(string streamName, string shardId, CancellationToken cancellationToken);

    /// <summary>All shards of a stream, ordered by shard id.</summary>
    Task<IReadOnlyList<ShardCheckpoint>> ListAsync(string streamName, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the lease when it is free, expired, or already <paramref name="ownerId"/>'s (renewal), for
    /// <paramref name="leaseDuration"/> from now. Returns the new state, or null when another owner holds it.
    /// </summary>
    Task<ShardCheckpoint?> TryAcquireLeaseAsync(string streamName, string shardId, string ownerId, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>Gives the lease up if <paramref name="ownerId"/> holds it; otherwise does nothing.</summary>
    Task ReleaseLeaseAsync(string streamName, string shardId, string ownerId, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="sequenceNumber"/> as processed. Throws <see cref="LeaseLostException"/> when
    /// <paramref name="ownerId"/> is not the lease owner (another worker took the shard over).
    /// </summary>
    Task CheckpointAsync(string streamName, string shardId, string ownerId, string sequenceNumber, CancellationToken cancellationToken);
}

/// <summary>Constants shared by checkpoint stores.</summary>
public static class CheckpointStore
{
    /// <summary>Checkpoint value meaning "this closed shard was read to its end; continue with its children".</summary>
    public const string ShardEnd = "SHARD_END";
}

/// <summary>The caller no longer owns the shard's lease: stop processing it.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException()
    {
    }

    public LeaseLostException(string message)
        : base(message)
    {
    }

    public LeaseLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
