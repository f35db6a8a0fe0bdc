using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Decoding;

/// <summary>Everything found in one input object, in the order it appeared.</summary>
public sealed record DecodedObject(
    StoredObject Input,
    IReadOnlyList<(ContactRecord Record, SourcePosition Position)> Records,
    IReadOnlyList<QuarantineEntry> Quarantined,
    long Bytes,
    string Sha256);

/// <summary>
/// Decodes many objects concurrently but hands them back in input (arrival) order, so dedupe ties
/// resolve the same way on every run. At most <c>4 × parallelism</c> objects are held at once: enough
/// that one slow object at the head of the queue does not leave the other cores idle.
/// </summary>
public sealed class ObjectDecoder(IObjectStore store, int parallelism, bool strict = false)
{
    private readonly ConcurrentBag<CtrDecoder> _decoders = [];

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
        var sink = new CollectingSink();
        var source = store.Describe(obj.Key);
        try
        {
            await using var raw = await store.OpenReadAsync(obj.Key, cancellationToken).ConfigureAwait(false);
            using var hashing = new HashingStream(raw);
            var decoder = _decoders.TryTake(out var d) ? d : new CtrDecoder();
            try
            {
                decoder.Decode(hashing, source, sink, cancellationToken);
            }
            finally
            {
                _decoders.Add(decoder);
            }

            return new DecodedObject(obj, sink.Records, sink.Quarantined, hashing.BytesRead, hashing.Sha256Hex());
        }
        catch (Exception e) when (!strict && e is not OperationCanceledException)
        {
            // A permanently unreadable object costs one quarantine entry, not the run.
            sink.Quarantined.Add(new QuarantineEntry(new SourcePosition(source, 0, sink.Records.Count + sink.Quarantined.Count), QuarantineReasons.UnreadableObject, e.Message));
            return new DecodedObject(obj, sink.Records, sink.Quarantined, 0, string.Empty);
        }
    }, cancellationToken);

    private sealed class CollectingSink : IDecodeSink
    {
        public List<(ContactRecord, SourcePosition)> Records { get; } = [];

        public List<QuarantineEntry> Quarantined { get; } = [];

        public void OnRecord(ContactRecord record, SourcePosition position) => Records.Add((record, position));

        public void OnQuarantine(QuarantineEntry entry) => Quarantined.Add(entry);
    }
}
