using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>What <see cref="StreamLoader.LoadAsync"/> put onto the stream.</summary>
public sealed record LoadResult(
    int Objects,
    long Records,
    long Bytes,
    long Failed,
    int Calls,
    TimeSpan Elapsed,
    IReadOnlyList<QuarantineEntry> NotLoaded)
{
    public double RecordsPerSecond => Elapsed > TimeSpan.Zero ? Records / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Puts CTR files (any framing; gzip, ZIP, Snappy or none; Firehose layout) onto a Kinesis stream the way Amazon Connect
/// does: one JSON object per record, partition key = its ContactId. Objects are read in arrival order and
/// records are put in file order, so every copy of a contact lands on the same shard in the order a file
/// replay would see it (dedupe ties resolve the same way). Every framed object is put, bad CTRs included
/// (the worker quarantines them); bytes that are not a JSON object at all cannot be framed and are reported.
/// </summary>
public sealed class StreamLoader(IKinesisClient kinesis, string streamName, IStreamLog? log = null)
{
    private const int MaxRecordBytes = 1024 * 1024;

    /// <summary>Pace the puts to about this many records per second; 0 = as fast as PutRecords goes.</summary>
    public int RecordsPerSecond { get; init; }

    /// <summary>Records the stream has taken so far: what a cancelled load leaves on it.</summary>
    public long RecordsPut { get; private set; }

    public async Task<LoadResult> LoadAsync(IObjectStore source, DateOnly? from, DateOnly? to, int lookAheadHours, string? hourPattern, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var objects = await new InputSelector(hourPattern).SelectAsync(source, from, to, lookAheadHours, cancellationToken).ConfigureAwait(false);
        var notLoaded = new List<QuarantineEntry>();
        long records = 0, bytes = 0, failed = 0;
        var calls = 0;
        var framer = new CtrDecoder();
        var entries = new List<PutRecordsEntry>();
        var chunkSize = RecordsPerSecond > 0 ? Math.Clamp(RecordsPerSecond / 5, 1, 500) : 500;
        foreach (var obj in objects)
        {
            var sink = new Sink(notLoaded);
            var describe = source.Describe(obj.Key);
            await using (var raw = await source.OpenReadAsync(obj, cancellationToken).ConfigureAwait(false))
            {
                framer.Split(raw, describe, (json, position) =>
                {
                    if (json.Length + 64 > MaxRecordBytes)
                    {
                        notLoaded.Add(new QuarantineEntry(position, QuarantineReasons.RecordTooLarge, $"{json.Length} bytes: over the Kinesis record limit"));
                        return;
                    }

                    entries.Add(new PutRecordsEntry(json.ToArray(), PartitionKey(json)));
                }, sink, cancellationToken);
            }

            // Records of many small objects share PutRecords calls; the order stays the file order.
            while (entries.Count >= chunkSize)
            {
                await PutAsync(entries.GetRange(0, chunkSize)).ConfigureAwait(false);
                entries.RemoveRange(0, chunkSize);
            }
        }

        while (entries.Count > 0)
        {
            var n = Math.Min(chunkSize, entries.Count);
            await PutAsync(entries.GetRange(0, n)).ConfigureAwait(false);
            entries.RemoveRange(0, n);
        }

        return new LoadResult(objects.Count, records, bytes, failed, calls, clock.Elapsed, notLoaded);

        async Task PutAsync(List<PutRecordsEntry> chunk)
        {
            var put = await kinesis.PutAllAsync(streamName, chunk, cancellationToken: cancellationToken).ConfigureAwait(false);
            records += put.Succeeded;
            RecordsPut = records;
            failed += put.Failed.Count;
            calls += put.Calls;
            bytes += chunk.Sum(e => (long)e.Data.Length);
            foreach (var (_, code, message) in put.Failed.Take(3))
            {
                log?.Log(StreamLogLevel.Warning, null, "PutRecords refused a record: {Code} {Message}", code, message);
            }

            if (RecordsPerSecond > 0)
            {
                var due = TimeSpan.FromSeconds(records / (double)RecordsPerSecond);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The record's top-level ContactId; a stable hash of its bytes when it has none (agent events, damaged JSON).</summary>
    public static string PartitionKey(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isContactId = reader.ValueTextEquals("ContactId"u8);
                    reader.Read();
                    if (isContactId && reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 and <= 256 } id)
                    {
                        return id;
                    }

                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Damaged JSON: hashed below.
        }

        return "no-contact-id-" + Convert.ToHexStringLower(SHA256.HashData(json))[..16];
    }

    private sealed class Sink(List<QuarantineEntry> notLoaded) : IDecodeSink
    {
        public void OnRecord(ContactRecord record, SourcePosition position)
        {
        }

        public void OnQuarantine(QuarantineEntry entry) => notLoaded.Add(entry);
    }
}
