using System.Collections.Concurrent;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Jobs;

/// <summary>What a source holds of one contact id.</summary>
/// <param name="Asked">The record of the id (an exact match first, else one in another case); null when none was read.</param>
/// <param name="RootId">The chain the id belongs to: the asked record's RootId, else the id as given.</param>
/// <param name="Chain">The deduplicated records whose RootId is <paramref name="RootId"/>, in arrival order; not read when the asked record is a chat, task or email (a contact of its own).</param>
/// <param name="Quarantined">Everything the source set aside (also what names other contacts).</param>
/// <param name="Read">Records and quarantine entries read in the source.</param>
/// <param name="Held">Record copies kept to deduplicate, over every read: what the search cost in memory.</param>
public sealed record ContactRecords(ContactRecord? Asked, string RootId, IReadOnlyList<ContactRecord> Chain, IReadOnlyList<QuarantineEntry> Quarantined, long Read, long Held);

/// <summary>
/// Finds one contact and its chain without holding the month (holding it cost ~600 MB at 1 M CTRs to explain one
/// call). A first read keeps only the records whose ContactId or RootId is the id, in any case; when the record
/// turns out to be a child of another root, a second read of just the objects that may hold that root's records
/// keeps those. Kept copies are deduplicated as <see cref="RecordLoader"/> does (same winner, same arrival order),
/// so what is found is what a load of everything would give.
/// </summary>
public sealed class ContactLoader(IObjectStore source, int parallelism)
{
    public async Task<ContactRecords> LoadAsync(string id, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var objects = await new InputSelector().SelectAsync(source, null, null, 0, cancellationToken).ConfigureAwait(false);
        bool Is(string value) => string.Equals(value, id, StringComparison.OrdinalIgnoreCase);

        // Each object's RootIds as hash codes (4 bytes a record): which objects the second read needs. One object is
        // decoded on one thread at a time, so its list needs no lock; a collision only costs an object read again.
        var roots = new ConcurrentDictionary<string, List<int>>(StringComparer.Ordinal);
        var first = await new RecordLoader(source, parallelism, keep: (input, r) =>
            {
                roots.GetOrAdd(input.Key, _ => []).Add(StringComparer.Ordinal.GetHashCode(r.RootId));
                return Is(r.ContactId) || Is(r.RootId);
            })
            .LoadAsync(objects, progress, cancellationToken).ConfigureAwait(false);
        var held = first.Dedupe.Count + first.Dedupe.Superseded;
        var records = first.Dedupe.Records.ToList();
        // Connect writes ids in lower case; one pasted from elsewhere may not be.
        var asked = records.FirstOrDefault(r => r.ContactId == id) ?? records.FirstOrDefault(r => Is(r.ContactId));
        var rootId = asked?.RootId ?? id;
        if (asked is { IsVoice: false })
        {
            return new ContactRecords(asked, rootId, [], first.Quarantined, first.Read, held);
        }

        if (Is(rootId))
        {
            // Every record whose RootId is the id in any case was kept: the chain is complete.
            return new ContactRecords(asked, rootId, records.Where(r => r.RootId == rootId).ToList(), first.Quarantined, first.Read, held);
        }

        var hash = StringComparer.Ordinal.GetHashCode(rootId);
        var again = objects.Where(o => roots.TryGetValue(o.Key, out var hashes) && hashes.Contains(hash)).ToList();
        var second = await new RecordLoader(source, parallelism, keep: (_, r) => r.RootId == rootId)
            .LoadAsync(again, null, cancellationToken).ConfigureAwait(false);
        held += second.Dedupe.Count + second.Dedupe.Superseded;
        // An object readable the first time and not the second leaves the chain short: warned of like the others.
        var unreadable = QuarantineEntry.UnreadableObjects(first.Quarantined).Select(q => q.Position.Source).ToHashSet(StringComparer.Ordinal);
        var quarantined = first.Quarantined.Concat(QuarantineEntry.UnreadableObjects(second.Quarantined).Where(q => !unreadable.Contains(q.Position.Source))).ToList();
        return new ContactRecords(asked, rootId, second.Dedupe.Records.ToList(), quarantined, first.Read, held);
    }
}
