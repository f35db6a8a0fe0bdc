using System.Text;
using ConnectReconcile.Aws.Internal;

namespace ConnectReconcile.Aws.Kinesis;

/// <summary>Outcome of <see cref="KinesisClientExtensions.PutAllAsync"/>.</summary>
public sealed record PutAllResult(int Succeeded, IReadOnlyList<(PutRecordsEntry Entry, string ErrorCode, string? ErrorMessage)> Failed, int Calls);

/// <summary>Loader and reader conveniences built on <see cref="IKinesisClient"/>.</summary>
public static class KinesisClientExtensions
{
    /// <summary>Polls DescribeStreamSummary until the stream is ACTIVE.</summary>
    public static async Task<StreamSummary> WaitForActiveAsync(this IKinesisClient client, string streamName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var summary = await client.DescribeStreamSummaryAsync(streamName, cancellationToken).ConfigureAwait(false);
            if (summary.IsActive)
            {
                return summary;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Stream {streamName} is still {summary.StreamStatus} after {timeout.TotalSeconds:0.#} s.");
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 2));
        }
    }

    /// <summary>
    /// Writes any number of records in PutRecords batches (at most 500 records and 5 MiB each), and re-sends
    /// entries the service refused (e.g. ProvisionedThroughputExceeded) with backoff, up to
    /// <paramref name="maxAttempts"/> rounds. Entries still failing are returned, not thrown.
    /// </summary>
    public static async Task<PutAllResult> PutAllAsync(
        this IKinesisClient client,
        string streamName,
        IEnumerable<PutRecordsEntry> records,
        int maxAttempts = 5,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(records);
        var succeeded = 0;
        var calls = 0;
        var failed = new List<(PutRecordsEntry, string, string?)>();
        foreach (var batch in Batches(records))
        {
            var pending = batch;
            for (var attempt = 1; pending.Count > 0; attempt++)
            {
                var result = await client.PutRecordsAsync(streamName, pending, cancellationToken).ConfigureAwait(false);
                calls++;
                var retry = new List<PutRecordsEntry>();
                foreach (var r in result.Records)
                {
                    if (r.Succeeded)
                    {
                        succeeded++;
                    }
                    else if (attempt < maxAttempts)
                    {
                        retry.Add(pending[r.Index]);
                    }
                    else
                    {
                        failed.Add((pending[r.Index], r.ErrorCode!, r.ErrorMessage));
                    }
                }

                pending = retry;
                if (pending.Count > 0)
                {
                    await Task.Delay(Backoff.Delay(attempt - 1, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)), cancellationToken)
                        .ConfigureAwait(false);
                }
            }
        }

        return new PutAllResult(succeeded, failed, calls);
    }

    /// <summary>
    /// Orders shards so every parent comes before its children (split and merge lineage), then by shard id:
    /// reading in this order keeps each partition key's records in order across resharding.
    /// </summary>
    public static IReadOnlyList<KinesisShard> ParentsFirst(IEnumerable<KinesisShard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var byId = shards.ToDictionary(s => s.ShardId, StringComparer.Ordinal);
        var ordered = new List<KinesisShard>(byId.Count);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: visiting, true: done
        foreach (var id in byId.Keys.Order(StringComparer.Ordinal))
        {
            Visit(id);
        }

        return ordered;

        void Visit(string id)
        {
            if (state.TryGetValue(id, out var done))
            {
                if (!done)
                {
                    throw new InvalidOperationException($"Shard lineage has a cycle at {id}.");
                }

                return;
            }

            state[id] = false;
            var shard = byId[id];
            foreach (var parent in new[] { shard.ParentShardId, shard.AdjacentParentShardId })
            {
                if (parent is not null && byId.ContainsKey(parent))
                {
                    Visit(parent);
                }
            }

            state[id] = true;
            ordered.Add(shard);
        }
    }

    private static IEnumerable<List<PutRecordsEntry>> Batches(IEnumerable<PutRecordsEntry> records)
    {
        const int maxCount = 500;
        const long maxBytes = 5L * 1024 * 1024;
        var batch = new List<PutRecordsEntry>(maxCount);
        long bytes = 0;
        foreach (var r in records)
        {
            var size = r.Data.Length + Encoding.UTF8.GetByteCount(r.PartitionKey);
            if (batch.Count > 0 && (batch.Count == maxCount || bytes + size > maxBytes))
            {
                yield return batch;
                batch = new List<PutRecordsEntry>(maxCount);
                bytes = 0;
            }

            batch.Add(r);
            bytes += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }
}
