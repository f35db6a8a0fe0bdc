using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>The Kinesis positions one batch covers on one shard; <see cref="Ended"/> when the batch read a closed shard to its end.</summary>
public sealed record ShardRange(string ShardId, string? FirstSequenceNumber, string? LastSequenceNumber, int Records, bool Ended);

/// <summary>
/// <c>_stream/batches/batch-N.json</c>: what batch N read (per shard sequence ranges), where its accepted CTRs
/// are archived, what it quarantined, which report days it re-rated (<see cref="Days"/>) and which arrival
/// days' quarantine partitions it rewrote (<see cref="QuarantineDays"/>), and the retention clock its CTRs set
/// (<see cref="RetentionClock"/>, see <see cref="StreamRetention"/>) with the <c>--retain-days</c> it ran under
/// (<see cref="RetainDays"/>); both absent in manifests written before retention. Written after the archive and
/// before the days are published: it is the batch's commit record, so recovery trusts exactly the archives
/// that have a manifest.
/// </summary>
public sealed record BatchManifest(
    long Batch,
    string StreamName,
    DateTimeOffset CreatedAt,
    string? Archive,
    long ArchiveBytes,
    string? ArchiveSha256,
    int Records,
    int Ctrs,
    IReadOnlyList<ShardRange> Shards,
    IReadOnlyList<DateOnly> Days,
    IReadOnlyList<DateOnly> QuarantineDays,
    IReadOnlyList<StreamQuarantineEntry> Quarantine,
    DateTimeOffset? FirstArrival,
    DateTimeOffset? LastArrival,
    DateTimeOffset? RetentionClock = null,
    int? RetainDays = null)
{
    public const string Format = "connect-reconcile/stream-batch@1";

    public string ToJson() => StreamJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("batch", Batch);
        w.WriteString("stream", StreamName);
        w.WriteString("createdAt", CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("archive", Archive);
        w.WriteNumber("archiveBytes", ArchiveBytes);
        w.WriteString("archiveSha256", ArchiveSha256);
        w.WriteNumber("records", Records);
        w.WriteNumber("ctrs", Ctrs);
        w.WriteNumber("quarantined", Quarantine.Count);
        w.WriteString("firstArrival", FirstArrival?.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("lastArrival", LastArrival?.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("retentionClock", RetentionClock?.ToString("O", CultureInfo.InvariantCulture));
        if (RetainDays is { } retain)
        {
            w.WriteNumber("retainDays", retain);
        }
        w.WriteStartArray("shards");
        foreach (var s in Shards)
        {
            w.WriteStartObject();
            w.WriteString("shardId", s.ShardId);
            w.WriteString("firstSequenceNumber", s.FirstSequenceNumber);
            w.WriteString("lastSequenceNumber", s.LastSequenceNumber);
            w.WriteNumber("records", s.Records);
            w.WriteBoolean("ended", s.Ended);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("days");
        foreach (var d in Days)
        {
            w.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        w.WriteEndArray();
        w.WriteStartArray("quarantineDays");
        foreach (var d in QuarantineDays)
        {
            w.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        w.WriteEndArray();
        w.WriteStartArray("quarantine");
        foreach (var q in Quarantine)
        {
            w.WriteStartObject();
            w.WriteString("shardId", q.ShardId);
            w.WriteString("sequenceNumber", q.SequenceNumber);
            w.WriteString("source", q.Entry.Position.Source);
            w.WriteNumber("position", q.Entry.Position.Offset);
            w.WriteNumber("recordIndex", q.Entry.Position.Index);
            w.WriteString("reason", q.Entry.Reason);
            w.WriteString("detail", q.Entry.Detail);
            if (q.Entry.ContactId is { } contactId)
            {
                w.WriteString("contactId", contactId);
            }

            w.WriteString("arrivalDay", q.ArrivalDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static BatchManifest FromJson(ReadOnlySpan<byte> json)
    {
        using var doc = StreamJson.Parse(json, Format, "batch manifest");
        var root = doc.RootElement;

        return new BatchManifest(
            root.GetProperty("batch").GetInt64(),
            root.GetProperty("stream").GetString()!,
            DateTimeOffset.Parse(root.GetProperty("createdAt").GetString()!, CultureInfo.InvariantCulture),
            root.GetProperty("archive").GetString(),
            root.GetProperty("archiveBytes").GetInt64(),
            root.GetProperty("archiveSha256").GetString(),
            root.GetProperty("records").GetInt32(),
            root.GetProperty("ctrs").GetInt32(),
            root.GetProperty("shards").EnumerateArray().Select(s => new ShardRange(
                s.GetProperty("shardId").GetString()!,
                s.GetProperty("firstSequenceNumber").GetString(),
                s.GetProperty("lastSequenceNumber").GetString(),
                s.GetProperty("records").GetInt32(),
                s.GetProperty("ended").GetBoolean())).ToList(),
            root.GetProperty("days").EnumerateArray().Select(d => DateOnly.ParseExact(d.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToList(),
            root.GetProperty("quarantineDays").EnumerateArray().Select(d => DateOnly.ParseExact(d.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToList(),
            root.GetProperty("quarantine").EnumerateArray().Select(q => new StreamQuarantineEntry(
                q.GetProperty("shardId").GetString()!,
                q.GetProperty("sequenceNumber").GetString()!,
                new QuarantineEntry(
                    new SourcePosition(q.GetProperty("source").GetString()!, q.GetProperty("position").GetInt64(), q.GetProperty("recordIndex").GetInt64()),
                    q.GetProperty("reason").GetString()!,
                    q.GetProperty("detail").GetString()!,
                    q.TryGetProperty("contactId", out var id) ? id.GetString() : null), // absent in manifests written before it was kept
                DateOnly.ParseExact(q.GetProperty("arrivalDay").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture))).ToList(),
            Instant(root, "firstArrival"),
            Instant(root, "lastArrival"),
            Instant(root, "retentionClock"),
            root.TryGetProperty("retainDays", out var retain) && retain.ValueKind == JsonValueKind.Number ? retain.GetInt32() : null);
    }

    private static DateTimeOffset? Instant(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(v.GetString()!, CultureInfo.InvariantCulture)
            : null;
}

/// <summary>
/// The worker's durable journal under the output: <c>_stream/ctr/batch-N.ndjson.gz</c> holds the bytes of every
/// CTR a batch accepted (one JSON object per line, line breaks between its tokens turned into spaces; readable by
/// the normal decoder and by any NDJSON tool), <c>_stream/batches/batch-N.json</c> its <see cref="BatchManifest"/>, <c>_stream/closed/after-batch-N.json</c> a closing of days without a batch (<see cref="DaysClosed"/>). The leading underscore keeps
/// them out of Hive/Athena/DuckDB table scans.
/// </summary>
public sealed class StreamArchive(IObjectStore output)
{
    public const string CtrFolder = "_stream/ctr";
    public const string BatchFolder = "_stream/batches";

    /// <summary>Manifests of quarantine-only publishes (an arrival day without calls).</summary>
    public const string QuarantineFolder = "_stream/quarantine";

    public static string ArchiveKey(long batch) => $"{CtrFolder}/{ArchiveName(batch)}";

    public static string ManifestKey(long batch) => $"{BatchFolder}/batch-{batch.ToString("D10", CultureInfo.InvariantCulture)}.json";

    private static string ArchiveName(long batch) => $"batch-{batch.ToString("D10", CultureInfo.InvariantCulture)}.ndjson.gz";

    /// <summary>Writes the archive object; returns its key, size and SHA-256.</summary>
    public async Task<(string Key, long Bytes, string Sha256)> WriteArchiveAsync(long batch, IEnumerable<byte[]> jsonObjects, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            foreach (var json in jsonObjects)
            {
                await gzip.WriteAsync(OneLine(json), cancellationToken).ConfigureAwait(false);
                gzip.WriteByte((byte)'\n');
            }
        }

        var bytes = buffer.ToArray();
        var key = ArchiveKey(batch);
        await output.PutAsync(key, new MemoryStream(bytes, writable: false), cancellationToken).ConfigureAwait(false);
        return (key, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>
    /// A CTR's bytes on one line: a record put pretty-printed holds CR/LF between its tokens. JSON does not allow a
    /// raw CR or LF inside a string, so both are whitespace there, and a space instead parses to the same object
    /// (same length, so the SHA-256 and offsets describe what recovery reads). Anything else is kept byte for byte.
    /// </summary>
    internal static byte[] OneLine(byte[] json)
    {
        if (json.AsSpan().IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            return json;
        }

        var line = json.AsSpan().ToArray();
        line.AsSpan().Replace((byte)'\n', (byte)' ');
        line.AsSpan().Replace((byte)'\r', (byte)' ');
        return line;
    }

    public Task WriteManifestAsync(BatchManifest manifest, CancellationToken cancellationToken) =>
        output.PutAsync(ManifestKey(manifest.Batch), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()), writable: false), cancellationToken);

    /// <summary>Every committed batch manifest, in batch order (leftover temp files and other names are ignored).</summary>
    public async Task<IReadOnlyList<BatchManifest>> ReadManifestsAsync(string streamName, CancellationToken cancellationToken)
    {
        var manifests = new List<BatchManifest>();
        await foreach (var (key, manifest) in ReadJsonAsync(BatchFolder, "batch-", json => BatchManifest.FromJson(json), "The batch manifest ", cancellationToken).ConfigureAwait(false))
        {
            if (!string.Equals(manifest.StreamName, streamName, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"{output.Describe(key)} belongs to stream '{manifest.StreamName}', not '{streamName}': one output holds one stream's results.");
            }

            manifests.Add(manifest);
        }

        manifests.Sort((a, b) => a.Batch.CompareTo(b.Batch));
        for (var i = 0; i < manifests.Count; i++)
        {
            // Batches are numbered 1, 2, … and each one committed writes its manifest: a gap is a lost
            // manifest, and recovering without it would silently drop that batch's CTRs.
            if (manifests[i].Batch != i + 1)
            {
                throw new InvalidDataException(
                    $"The batch manifest {output.Describe(ManifestKey(i + 1))} is missing (the next one is batch {manifests[i].Batch}): " +
                    "restore it from a backup, or start over with a new output and checkpoints.");
            }
        }

        return manifests;
    }

    public Task WriteDaysClosedAsync(DaysClosed closed, CancellationToken cancellationToken) =>
        output.PutAsync(DaysClosed.Key(closed.AfterBatch), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(closed.ToJson()), writable: false), cancellationToken);

    /// <summary>The closings of days no manifest carries (<see cref="DaysClosed"/>), by the batch they followed.</summary>
    public async Task<IReadOnlyDictionary<long, DaysClosed>> ReadDaysClosedAsync(CancellationToken cancellationToken)
    {
        // A damaged one stops recovery: ignoring it would reopen days published as final.
        var closings = new Dictionary<long, DaysClosed>();
        await foreach (var (_, closed) in ReadJsonAsync(DaysClosed.Folder, "after-batch-", json => DaysClosed.FromJson(json), "", cancellationToken).ConfigureAwait(false))
        {
            closings[closed.AfterBatch] = closed;
        }

        return closings;
    }

    /// <summary>
    /// The <c>{prefix}….json</c> objects of <paramref name="folder"/> parsed (leftover temp files and other names ignored);
    /// one that does not parse is damaged, named after <paramref name="what"/>.
    /// </summary>
    private async IAsyncEnumerable<(string Key, T Value)> ReadJsonAsync<T>(string folder, string prefix, Func<byte[], T> parse, string what,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var obj in output.ListAsync(folder + "/", cancellationToken).ConfigureAwait(false))
        {
            var name = obj.Key[(obj.Key.LastIndexOf('/') + 1)..];
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            byte[] bytes;
            await using (var stream = await output.OpenReadAsync(obj, cancellationToken).ConfigureAwait(false))
            {
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                bytes = copy.ToArray();
            }

            T value;
            try
            {
                value = parse(bytes);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
            {
                throw new InvalidDataException($"{what}{output.Describe(obj.Key)} is damaged: {e.Message}", e);
            }

            yield return (obj.Key, value);
        }
    }

    /// <summary>
    /// Decodes the archives of <paramref name="manifests"/> in batch order (in parallel, handed back in order).
    /// An archive whose bytes or CTR count differ from what its manifest committed is damaged: recovering
    /// from it would silently rebuild another state than the one published.
    /// </summary>
    public async IAsyncEnumerable<DecodedObject> ReadArchivesAsync(
        IReadOnlyList<BatchManifest> manifests, int parallelism, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var archived = manifests.Where(m => m.Archive is not null).ToList();
        var objects = archived.Select(m => new StoredObject(ArchiveName(m.Batch), m.ArchiveBytes)).ToList();
        var decoder = new ObjectDecoder(new PrefixedObjectStore(output, CtrFolder), Math.Max(1, parallelism), strict: true);
        var i = 0;
        await foreach (var decoded in decoder.DecodeInOrderAsync(objects, cancellationToken).ConfigureAwait(false))
        {
            var manifest = archived[i++];
            var key = ArchiveKey(manifest.Batch);
            if (decoded.Quarantined.Count > 0)
            {
                throw new InvalidDataException($"The archive {output.Describe(key)} is damaged: {decoded.Quarantined[0].Reason} {decoded.Quarantined[0].Detail}");
            }

            if (decoded.Bytes != manifest.ArchiveBytes
                || !string.Equals(decoded.Sha256, manifest.ArchiveSha256, StringComparison.Ordinal)
                || decoded.Records.Count != manifest.Ctrs)
            {
                throw new InvalidDataException(
                    $"The archive {output.Describe(key)} is not the one {output.Describe(ManifestKey(manifest.Batch))} committed: " +
                    $"{decoded.Bytes} bytes, SHA-256 {decoded.Sha256}, {decoded.Records.Count} CTRs against {manifest.ArchiveBytes} bytes, " +
                    $"SHA-256 {manifest.ArchiveSha256}, {manifest.Ctrs} CTRs. Restore it from a backup, or start over with a new output and checkpoints.");
            }

            yield return decoded;
        }
    }
}
