using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Decoding;

/// <summary>Everything found in one input object, in the order it appeared; <c>Keys[i]</c> is the
/// chain window's key of <c>Records[i]</c>, computed on the decoding thread (empty unless the decoder
/// was asked for window keys).</summary>
public sealed record DecodedObject(
    StoredObject Input,
    IReadOnlyList<(ContactRecord Record, SourcePosition Position)> Records,
    IReadOnlyList<RecordKey> Keys,
    IReadOnlyList<QuarantineEntry> Quarantined,
    long Bytes,
    string Sha256)
{
    /// <summary>Records decoded but not kept: the decoder's <see cref="KeepRecord"/> turned them away.</summary>
    public long Dropped { get; init; }
}

/// <summary>Whether a reader keeps <paramref name="record"/>, found in <paramref name="input"/>. Asked on the
/// decoding thread, so what is turned away is never held; called concurrently for different objects, in order
/// within one.</summary>
public delegate bool KeepRecord(StoredObject input, ContactRecord record);

/// <summary>
/// Decodes many objects concurrently but hands them back in input (arrival) order, so dedupe ties
/// resolve the same way on every run. Up to <c>4 × parallelism</c> objects are opened ahead (a
/// remote one of at most <see cref="PrefetchBytes"/> is downloaded while it waits), so one slow
/// object does not leave the cores idle; but only <c>parallelism</c> decode at once: more decoding
/// threads than cores only add context switches and records held in flight. With
/// <paramref name="windowKeys"/> each record's <see cref="ChainWindow.KeyOf"/> is computed here too, for
/// a caller that feeds a <see cref="ChainWindow"/> (readers that deduplicate otherwise skip that work).
/// With <paramref name="keep"/> only the records it accepts are handed back (a reader after one contact).
/// </summary>
#pragma warning disable CA1001 // see _decoding
public sealed class ObjectDecoder(IObjectStore store, int parallelism, bool strict = false, bool windowKeys = false, KeepRecord? keep = null)
{
    /// <summary>Remote objects up to this size are read into memory before they wait for a decoder.</summary>
    public const long PrefetchBytes = 16 << 20;

    private readonly ConcurrentBag<CtrDecoder> _decoders = [];

    // Records per stored byte so far: sizes each object's record list once instead of growing it by
    // doubling (~75 MB of copies in a 1 M-CTR month).
    private long _bytesSeen;
    private long _recordsSeen;
#pragma warning disable CA2213 // a SemaphoreSlim whose wait handle is never read holds nothing to dispose
    private readonly SemaphoreSlim _decoding = new(Math.Max(1, parallelism));
#pragma warning restore CA2213

    public async IAsyncEnumerable<DecodedObject> DecodeInOrderAsync(IReadOnlyList<StoredObject> objects, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var inFlight = new Queue<Task<DecodedObject>>();
        var next = 0;
        var window = Math.Max(2, 4 * parallelism);
        while (next < objects.Count && inFlight.Count < window)
        {
            inFlight.Enqueue(DecodeAsync(objects[next++], cancellationToken));
        }

        while (inFlight.Count > 0)
        {
            var decoded = await inFlight.Dequeue().ConfigureAwait(false);
            if (next < objects.Count)
            {
                inFlight.Enqueue(DecodeAsync(objects[next++], cancellationToken));
            }

            yield return decoded;
        }
    }

    public Task<DecodedObject> DecodeAsync(StoredObject obj, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        var recordsSeen = Interlocked.Read(ref _recordsSeen);
        var bytesPerRecord = recordsSeen == 0 ? 0 : Math.Max(1, Interlocked.Read(ref _bytesSeen) / recordsSeen);
        var sink = new CollectingSink(obj, windowKeys, keep, keep is not null || bytesPerRecord == 0 ? 0 : (int)Math.Min(obj.Size / bytesPerRecord * 9 / 8 + 16, 1 << 20));
        var source = store.Describe(obj.Key);
        try
        {
            await using var raw = await OpenAsync(obj, cancellationToken).ConfigureAwait(false);
            using var hashing = new HashingStream(raw);
            await _decoding.WaitAsync(cancellationToken).ConfigureAwait(false);
            var decoder = _decoders.TryTake(out var d) ? d : new CtrDecoder();
            try
            {
                decoder.Decode(hashing, source, sink, cancellationToken);
            }
            finally
            {
                _decoders.Add(decoder);
                _decoding.Release();
            }

            Interlocked.Add(ref _bytesSeen, obj.Size);
            Interlocked.Add(ref _recordsSeen, sink.Records.Count + sink.Dropped);
            return new DecodedObject(obj, sink.Records, sink.Keys, sink.Quarantined, hashing.BytesRead, hashing.Sha256Hex()) { Dropped = sink.Dropped };
        }
        catch (Exception e) when (!strict && e is not OperationCanceledException)
        {
            // A permanently unreadable object costs one quarantine entry, not the run.
            sink.Quarantined.Add(new QuarantineEntry(new SourcePosition(source, 0, sink.Records.Count + sink.Dropped + sink.Quarantined.Count), QuarantineReasons.UnreadableObject, e.Message));
            return new DecodedObject(obj, sink.Records, sink.Keys, sink.Quarantined, 0, string.Empty) { Dropped = sink.Dropped };
        }
    }, cancellationToken);

    private async Task<Stream> OpenAsync(StoredObject obj, CancellationToken cancellationToken)
    {
        var raw = await store.OpenReadAsync(obj, cancellationToken).ConfigureAwait(false);
        if (raw is FileStream || obj.Size > PrefetchBytes)
        {
            return raw; // local reads do not wait on a network; large objects stream
        }

        await using (raw)
        {
            var buffer = new MemoryStream((int)Math.Max(0, obj.Size));
            await raw.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            buffer.Position = 0;
            return buffer;
        }
    }

    private sealed class CollectingSink(StoredObject input, bool windowKeys, KeepRecord? keep, int capacity) : IDecodeSink
    {
        public List<(ContactRecord, SourcePosition)> Records { get; } = new(capacity);

        public List<RecordKey> Keys { get; } = new(windowKeys ? capacity : 0);

        public List<QuarantineEntry> Quarantined { get; } = [];

        public long Dropped { get; private set; }

        public void OnRecord(ContactRecord record, SourcePosition position)
        {
            if (keep is not null && !keep(input, record))
            {
                Dropped++;
                return;
            }

            Records.Add((record, position));
            if (windowKeys)
            {
                Keys.Add(ChainWindow.KeyOf(record));
            }
        }

        public void OnQuarantine(QuarantineEntry entry) => Quarantined.Add(entry);
    }
}
