using System.Globalization;
using System.Text.Json;

namespace ConnectReconcile.Aws.Checkpoints;

/// <summary>
/// Checkpoints and leases in one local JSON file. Every change rewrites the whole file into a temporary
/// file in the same folder, flushes it to disk and renames it over the old one (<see cref="File.Move(string, string, bool)"/>
/// with overwrite, an atomic rename on one file system), so a reader or a crash never sees a half-written
/// file. Writers in one process are serialized; writers in several processes are serialized by an
/// exclusive lock on <c>&lt;file&gt;.lock</c>. Meant for a single machine (laptop runs, one container).
/// </summary>
public sealed class FileCheckpointStore : ICheckpointStore, IDisposable
{
    private const int FormatVersion = 1;
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;

    public FileCheckpointStore(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FilePath = Path.GetFullPath(path);
        _time = timeProvider ?? TimeProvider.System;
        var folder = Path.GetDirectoryName(FilePath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
    }

    public string FilePath { get; }

    public async Task<ShardCheckpoint?> GetAsync(string streamName, string shardId, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(cancellationToken).ConfigureAwait(false);
        return state.TryGetValue((streamName, shardId), out var c) ? c : null;
    }

    public async Task<IReadOnlyList<ShardCheckpoint>> ListAsync(string streamName, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(cancellationToken).ConfigureAwait(false);
        return state.Values
            .Where(c => string.Equals(c.StreamName, streamName, StringComparison.Ordinal))
            .OrderBy(c => c.ShardId, StringComparer.Ordinal)
            .ToList();
    }

    public Task<ShardCheckpoint?> TryAcquireLeaseAsync(string streamName, string shardId, string ownerId, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        return UpdateAsync(state =>
        {
            var now = _time.GetUtcNow();
            state.TryGetValue((streamName, shardId), out var current);
            if (current is not null && !current.IsLeaseFree(now) && !string.Equals(current.Owner, ownerId, StringComparison.Ordinal))
            {
                return ((ShardCheckpoint?)null, false);
            }

            var next = new ShardCheckpoint(
                streamName,
                shardId,
                current?.SequenceNumber,
                ownerId,
                now + leaseDuration,
                (current?.LeaseCounter ?? 0) + 1,
                now);
            state[(streamName, shardId)] = next;
            return (next, true);
        }, cancellationToken);
    }

    public Task ReleaseLeaseAsync(string streamName, string shardId, string ownerId, CancellationToken cancellationToken) =>
        UpdateAsync(state =>
        {
            if (!state.TryGetValue((streamName, shardId), out var current) || !string.Equals(current.Owner, ownerId, StringComparison.Ordinal))
            {
                return (false, false);
            }

            state[(streamName, shardId)] = current with { Owner = null, LeaseExpiresAt = null, UpdatedAt = _time.GetUtcNow() };
            return (true, true);
        }, cancellationToken);

    public Task CheckpointAsync(string streamName, string shardId, string ownerId, string sequenceNumber, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sequenceNumber);
        return UpdateAsync(state =>
        {
            if (!state.TryGetValue((streamName, shardId), out var current) || !string.Equals(current.Owner, ownerId, StringComparison.Ordinal))
            {
                throw new LeaseLostException(
                    $"{ownerId} cannot checkpoint {streamName}/{shardId}: the lease is held by {current?.Owner ?? "nobody"}.");
            }

            state[(streamName, shardId)] = current with { SequenceNumber = sequenceNumber, UpdatedAt = _time.GetUtcNow() };
            return (true, true);
        }, cancellationToken);
    }

    public void Dispose() => _gate.Dispose();

    private async Task<T> UpdateAsync<T>(Func<Dictionary<(string, string), ShardCheckpoint>, (T Result, bool Changed)> update, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await AcquireFileLockAsync(cancellationToken).ConfigureAwait(false);
            var state = await LoadAsync(cancellationToken).ConfigureAwait(false);
            var (result, changed) = update(state);
            if (changed)
            {
                await SaveAsync(state, cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<FileStream> AcquireFileLockAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(FilePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<Dictionary<(string, string), ShardCheckpoint>> LoadAsync(CancellationToken cancellationToken)
    {
        var state = new Dictionary<(string, string), ShardCheckpoint>();
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(FilePath, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return state;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var version = root.GetProperty("version").GetInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"{FilePath}: unsupported checkpoint file version {version}.");
            }

            foreach (var e in root.GetProperty("shards").EnumerateArray())
            {
                var c = new ShardCheckpoint(
                    e.GetProperty("streamName").GetString()!,
                    e.GetProperty("shardId").GetString()!,
                    OptionalString(e, "sequenceNumber"),
                    OptionalString(e, "owner"),
                    OptionalString(e, "leaseExpiresAt") is { } expires ? DateTimeOffset.Parse(expires, CultureInfo.InvariantCulture) : null,
                    e.GetProperty("leaseCounter").GetInt64(),
                    DateTimeOffset.Parse(e.GetProperty("updatedAt").GetString()!, CultureInfo.InvariantCulture));
                state[(c.StreamName, c.ShardId)] = c;
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{FilePath} is not a valid checkpoint file: {e.Message}", e);
        }

        return state;
    }

    private async Task SaveAsync(Dictionary<(string, string), ShardCheckpoint> state, CancellationToken cancellationToken)
    {
        var temp = $"{FilePath}.{Guid.NewGuid():N}.tmp";
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                await using (writer.ConfigureAwait(false))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("version", FormatVersion);
                    writer.WriteStartArray("shards");
                    foreach (var c in state.Values.OrderBy(c => c.StreamName, StringComparer.Ordinal).ThenBy(c => c.ShardId, StringComparer.Ordinal))
                    {
                        writer.WriteStartObject();
                        writer.WriteString("streamName", c.StreamName);
                        writer.WriteString("shardId", c.ShardId);
                        WriteOptional(writer, "sequenceNumber", c.SequenceNumber);
                        WriteOptional(writer, "owner", c.Owner);
                        WriteOptional(writer, "leaseExpiresAt", c.LeaseExpiresAt?.ToString("O", CultureInfo.InvariantCulture));
                        writer.WriteNumber("leaseCounter", c.LeaseCounter);
                        writer.WriteString("updatedAt", c.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Leftover temp files never replace the checkpoint file.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
