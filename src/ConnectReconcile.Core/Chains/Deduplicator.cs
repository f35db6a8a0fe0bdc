using System.Runtime.InteropServices;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Chains;

/// <summary>
/// At-least-once delivery → one record per ContactId: the copy with the latest LastUpdateTimestamp
/// wins; on a tie the later-arrived copy wins (records are offered in arrival order). Works across
/// files, hours and days because it sees the whole run.
/// </summary>
public sealed class Deduplicator
{
    private readonly Dictionary<string, ContactRecord> _latest = new(StringComparer.Ordinal);

    // Superseded copies per contact, only of contacts that have some (a few in a hundred): a dated run counts a
    // copy with the day of the record it lost to.
    private readonly Dictionary<string, int> _copies = new(StringComparer.Ordinal);

    /// <summary>Copies that lost to a newer (or later-arrived) copy of the same contact.</summary>
    public long Superseded { get; private set; }

    public int Count => _latest.Count;

    /// <summary>Offers a record in arrival order; returns false when it was superseded immediately.</summary>
    public bool Offer(ContactRecord record)
    {
        if (_latest.TryGetValue(record.ContactId, out var kept))
        {
            Superseded++;
            CollectionsMarshal.GetValueRefOrAddDefault(_copies, record.ContactId, out _)++;
            if (Stamp(record) < Stamp(kept))
            {
                return false;
            }
        }

        _latest[record.ContactId] = record;
        return true;
    }

    public IEnumerable<ContactRecord> Records => _latest.Values;

    /// <summary>How many copies of the contact were superseded (0 for one read once, or not held).</summary>
    public int CopiesOf(string contactId) => _copies.GetValueOrDefault(contactId);

    /// <summary>Drops the index once its records have been handed on (frees a month of entries).</summary>
    public void Release()
    {
        _latest.Clear();
        _latest.TrimExcess();
        _copies.Clear();
        _copies.TrimExcess();
    }

    /// <summary>
    /// Forgets a contact (a stream worker dropping a closed day): its kept record leaves <see cref="Count"/> and
    /// <paramref name="supersededCopies"/> (its copies the caller counted) leave <see cref="Superseded"/>, so that
    /// Count + Superseded stays the number of records offered and not removed. False when the contact is not held.
    /// </summary>
    public bool Remove(string contactId, long supersededCopies = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(supersededCopies);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(supersededCopies, Superseded);
        if (!_latest.Remove(contactId))
        {
            return false;
        }

        _copies.Remove(contactId);
        Superseded -= supersededCopies;
        return true;
    }

    public bool TryGet(string contactId, out ContactRecord record) => _latest.TryGetValue(contactId, out record!);

    internal static Instant Stamp(ContactRecord r) => r.LastUpdateTimestamp ?? r.End;
}
