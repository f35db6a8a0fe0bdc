using System.Diagnostics;
using System.Globalization;
using ConnectReconcile.Aws.Checkpoints;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>
/// The leases this worker holds. One worker owns every shard of a stream (its output is re-rated from the
/// whole stream's state), so a second worker with the same checkpoint store waits as a standby until the
/// leases are released or expire. Renewed in the background; a lease that cannot be renewed stops the worker.
/// </summary>
internal sealed class ShardLeases(ICheckpointStore store, string streamName, StreamWorkerOptions options)
{
    private readonly HashSet<string> _owned = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Owned
    {
        get
        {
            lock (_gate)
            {
                return _owned.Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    public bool Owns(string shardId)
    {
        lock (_gate)
        {
            return _owned.Contains(shardId);
        }
    }

    /// <summary>Takes (or renews) a shard's lease; returns the holder's id when somebody else has it.</summary>
    public async Task<string?> TryAcquireAsync(string shardId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var lease = await store.TryAcquireLeaseAsync(streamName, shardId, options.OwnerId, options.LeaseDuration, cancellationToken).ConfigureAwait(false);
            if (lease is not null)
            {
                lock (_gate)
                {
                    _owned.Add(shardId);
                }

                return null;
            }

            var current = await store.GetAsync(streamName, shardId, cancellationToken).ConfigureAwait(false);
            var holder = current?.Owner ?? "unknown";
            if (attempt == 0 && options.ReleaseDeadLocalOwners && current?.Owner is { } owner && IsDeadLocalOwner(owner))
            {
                options.Log.Log(StreamLogLevel.Warning, null, "Shard {Shard} is leased by {Owner}, a process on this host that is gone: releasing its lease",
                    shardId, owner);
                await store.ReleaseLeaseAsync(streamName, shardId, owner, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return holder;
        }

        return "unknown";
    }

    /// <summary>Extends every owned lease; throws <see cref="LeaseLostException"/> when one was taken over.</summary>
    public async Task RenewAllAsync(CancellationToken cancellationToken)
    {
        foreach (var shardId in Owned)
        {
            if (!Owns(shardId))
            {
                continue; // released meanwhile (a drained shard)
            }

            var lease = await store.TryAcquireLeaseAsync(streamName, shardId, options.OwnerId, options.LeaseDuration, cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                lock (_gate)
                {
                    _owned.Remove(shardId);
                }

                throw new LeaseLostException($"{options.OwnerId} lost the lease of {streamName}/{shardId} to another worker.");
            }
        }
    }

    public void Forget(string shardId)
    {
        lock (_gate)
        {
            _owned.Remove(shardId);
        }
    }

    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        foreach (var shardId in Owned)
        {
            try
            {
                await store.ReleaseLeaseAsync(streamName, shardId, options.OwnerId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                options.Log.Log(StreamLogLevel.Warning, e, "Could not release the lease of {Shard}: {Message}", shardId, e.Message);
            }

            Forget(shardId);
        }
    }

    /// <summary><c>host:pid</c> on this host whose process no longer runs.</summary>
    internal static bool IsDeadLocalOwner(string owner)
    {
        var colon = owner.LastIndexOf(':');
        if (colon <= 0 || !string.Equals(owner[..colon], Environment.MachineName, StringComparison.Ordinal)
            || !int.TryParse(owner[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        if (pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
