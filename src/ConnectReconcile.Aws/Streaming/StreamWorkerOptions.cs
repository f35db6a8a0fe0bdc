using System.Globalization;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>Where a shard without a checkpoint starts (children of a drained shard always start at its beginning).</summary>
public sealed record StreamStartPosition(string Kind, DateTimeOffset? Timestamp = null)
{
    public static StreamStartPosition TrimHorizon { get; } = new("trim-horizon");

    public static StreamStartPosition Latest { get; } = new("latest");

    public static StreamStartPosition AtTimestamp(DateTimeOffset timestamp) => new("timestamp", timestamp);

    /// <summary><c>trim-horizon</c>, <c>latest</c>, <c>timestamp</c> (with <paramref name="timestamp"/>) or an ISO-8601 instant.</summary>
    public static StreamStartPosition Parse(string? value, string? timestamp = null)
    {
        var v = (value ?? "trim-horizon").Trim();
        var isTimestamp = v.Equals("timestamp", StringComparison.OrdinalIgnoreCase) || v.Equals("AT_TIMESTAMP", StringComparison.OrdinalIgnoreCase);
        if (timestamp is not null && !isTimestamp)
        {
            // Ignoring it would start somewhere the user did not ask for.
            throw new FormatException($"--from-timestamp goes with --from timestamp, not with --from {value ?? "trim-horizon (the default)"}.");
        }

        if (v.Equals("trim-horizon", StringComparison.OrdinalIgnoreCase) || v.Equals("TRIM_HORIZON", StringComparison.OrdinalIgnoreCase))
        {
            return TrimHorizon;
        }

        if (v.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return Latest;
        }

        if (isTimestamp)
        {
            return timestamp is not null && TryInstant(timestamp, out var at)
                ? AtTimestamp(at)
                : throw new FormatException("--from timestamp needs --from-timestamp with an ISO-8601 instant, e.g. 2026-10-01T00:00:00Z.");
        }

        return TryInstant(v, out var instant)
            ? AtTimestamp(instant)
            : throw new FormatException($"--from must be trim-horizon, latest, timestamp or an ISO-8601 instant, not '{value}'.");
    }

    public override string ToString() => Timestamp is { } t ? $"timestamp {t:O}" : Kind;

    private static bool TryInstant(string text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);
}

/// <summary>Severity of a worker log line.</summary>
public enum StreamLogLevel
{
    Debug,
    Information,
    Warning,
    Error,
}

/// <summary>
/// Where the worker's log lines go. Templates use <c>{Name}</c> holes, as Microsoft.Extensions.Logging
/// does (the CLI forwards them to its logger, so every hole becomes a JSON property).
/// </summary>
public interface IStreamLog
{
    void Log(StreamLogLevel level, Exception? exception, string template, params object?[] args);
}

/// <summary>Drops everything.</summary>
public sealed class NullStreamLog : IStreamLog
{
    public static NullStreamLog Instance { get; } = new();

    public void Log(StreamLogLevel level, Exception? exception, string template, params object?[] args)
    {
    }
}

/// <summary>Everything <see cref="StreamWorker"/> needs besides its Kinesis client and checkpoint store.</summary>
public sealed record StreamWorkerOptions
{
    public required string StreamName { get; init; }

    /// <summary>Where Parquet, the batch archive (<c>_stream/ctr/</c>) and batch manifests (<c>_stream/batches/</c>) go.</summary>
    public required IObjectStore Output { get; init; }

    public required Rater Rater { get; init; }

    public required NumberInventory Numbers { get; init; }

    public StreamStartPosition Start { get; init; } = StreamStartPosition.TrimHorizon;

    /// <summary>A batch is flushed once it holds this many Kinesis records...</summary>
    public int BatchRecords { get; init; } = 5000;

    /// <summary>...or once its oldest record has waited this long.</summary>
    public TimeSpan BatchAge { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop (normally) once every shard is drained and nothing arrived for this long; null runs until cancelled.</summary>
    public TimeSpan? StopWhenIdle { get; init; }

    /// <summary>GetRecords Limit per call.</summary>
    public int GetRecordsLimit { get; init; } = 1000;

    /// <summary>At most one GetRecords per shard per this interval (Kinesis allows 5 per second per shard).</summary>
    public TimeSpan MinPollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Wait before asking a caught-up shard again.</summary>
    public TimeSpan IdlePollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>ListShards period (also run whenever a shard closes) to follow resharding.</summary>
    public TimeSpan ShardListInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Period of the health log line.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Lease owner id; default <c>host:pid</c>.</summary>
    public string OwnerId { get; init; } = DefaultOwnerId();

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Release leases held by an owner <c>host:pid</c> on this host whose process is gone (a killed worker),
    /// instead of waiting for them to expire. Meant for the local checkpoint file.
    /// </summary>
    public bool ReleaseDeadLocalOwners { get; init; }

    /// <summary>Rating threads per day.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Local staging folder when the output is not a local folder.</summary>
    public string? ScratchDirectory { get; init; }

    /// <summary>
    /// Report days stay open (held in memory, re-rated when a record for them arrives) until the latest arrival is
    /// more than this many days after them; see <see cref="StreamRetention"/>. At least 1.
    /// </summary>
    public int RetainDays { get; init; } = 14;

    /// <summary>The rating options the worker was started with, as command-line arguments, for the replay a warning suggests.</summary>
    public string RatingArguments { get; init; } = "";

    /// <summary>Attempts for each idempotent write of a flush (archive, manifest, publish, checkpoint) before the worker gives up.</summary>
    public int WriteAttempts { get; init; } = 3;

    public IStreamLog Log { get; init; } = NullStreamLog.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Called after each committed batch (tests and metrics).</summary>
    public Action<BatchReport>? OnBatchCommitted { get; init; }

    public static string DefaultOwnerId() => $"{Environment.MachineName}:{Environment.ProcessId}";
}
