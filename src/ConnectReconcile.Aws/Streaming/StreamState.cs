using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>A record the worker set aside, with the shard position it came from and the UTC day it arrived.</summary>
public sealed record StreamQuarantineEntry(string ShardId, string SequenceNumber, QuarantineEntry Entry, DateOnly ArrivalDay);

/// <summary>
/// Everything the worker has accepted so far: one <see cref="Deduplicator"/> over every CTR (offered in
/// arrival order: per shard in sequence order, parents before children), the quarantine, and an index
/// root → contacts so that a batch can tell which report days it changed. A report day is the one
/// <see cref="BillingJob"/> uses: a voice chain's day is the UTC day its first record started; a
/// non-voice record's day is its own initiation day.
/// </summary>
public sealed class StreamState
{
    private readonly Dictionary<string, string> _rootOfContact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _contactsOfRoot = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StreamQuarantineEntry> _quarantine = new(StringComparer.Ordinal);

    public Deduplicator Dedupe { get; } = new();

    /// <summary>CTRs offered to the deduplicator (winners and superseded copies).</summary>
    public long Offered { get; private set; }

    public int QuarantineCount => _quarantine.Count;

    public IEnumerable<StreamQuarantineEntry> Quarantine => _quarantine.Values;

    /// <summary>
    /// Offers the records in order and returns the report days whose output changed: for every chain a
    /// record joined or left, its day before and after (a late root can move a chain to an earlier day).
    /// </summary>
    public SortedSet<DateOnly> Apply(IEnumerable<ContactRecord> records)
    {
        var list = records as IReadOnlyCollection<ContactRecord> ?? records.ToList();
        var roots = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in list)
        {
            roots.Add(r.RootId);
            if (_rootOfContact.TryGetValue(r.ContactId, out var old))
            {
                roots.Add(old);
            }
        }

        var days = new SortedSet<DateOnly>();
        foreach (var root in roots)
        {
            AddDays(root, days);
        }

        foreach (var r in list)
        {
            Offer(r);
        }

        foreach (var root in roots)
        {
            AddDays(root, days);
        }

        return days;
    }

    /// <summary>Offers records without working out days (rebuilding the state from the archive).</summary>
    public void Replay(IEnumerable<ContactRecord> records)
    {
        foreach (var r in records)
        {
            Offer(r);
        }
    }

    /// <summary>Adds a quarantine entry once (keyed by its source and position: a re-read record does not count twice).</summary>
    public bool AddQuarantine(StreamQuarantineEntry entry)
    {
        var key = $"{entry.Entry.Position.Source}#{entry.Entry.Position.Index}";
        return _quarantine.TryAdd(key, entry);
    }

    /// <summary>The quarantine rows of one arrival day, in a fixed order (shard, sequence number, position).</summary>
    public IReadOnlyList<QuarantineEntry> QuarantineFor(DateOnly arrivalDay) =>
        _quarantine.Values.Where(q => q.ArrivalDay == arrivalDay)
            .OrderBy(q => q.ShardId, StringComparer.Ordinal)
            .ThenBy(q => q.SequenceNumber, SequenceNumbers.Comparer)
            .ThenBy(q => q.Entry.Position.Index)
            .Select(q => q.Entry)
            .ToList();

    /// <summary>What <see cref="BillingJob.RateAndPublishAsync"/> needs to re-rate <paramref name="day"/> from this state.</summary>
    public LoadedRecords ForDay(DateOnly day)
    {
        var quarantined = QuarantineFor(day);
        return new LoadedRecords(Dedupe, quarantined, [], Dedupe.Count + Dedupe.Superseded + quarantined.Count);
    }

    /// <summary>The report days a root's records currently belong to.</summary>
    public void AddDays(string root, ISet<DateOnly> days)
    {
        if (!_contactsOfRoot.TryGetValue(root, out var contacts))
        {
            return;
        }

        DateOnly? voiceDay = null;
        foreach (var id in contacts)
        {
            if (!Dedupe.TryGet(id, out var record))
            {
                continue;
            }

            var day = record.InitiationTimestamp.UtcDate;
            if (!record.IsVoice)
            {
                days.Add(day);
            }
            else if (voiceDay is null || day < voiceDay)
            {
                voiceDay = day;
            }
        }

        if (voiceDay is { } d)
        {
            days.Add(d);
        }
    }

    private void Offer(ContactRecord record)
    {
        Offered++;
        if (!Dedupe.Offer(record))
        {
            return;
        }

        if (_rootOfContact.TryGetValue(record.ContactId, out var old))
        {
            if (string.Equals(old, record.RootId, StringComparison.Ordinal))
            {
                return;
            }

            if (_contactsOfRoot.TryGetValue(old, out var set))
            {
                set.Remove(record.ContactId);
                if (set.Count == 0)
                {
                    _contactsOfRoot.Remove(old);
                }
            }
        }

        _rootOfContact[record.ContactId] = record.RootId;
        if (!_contactsOfRoot.TryGetValue(record.RootId, out var contacts))
        {
            _contactsOfRoot[record.RootId] = contacts = new HashSet<string>(StringComparer.Ordinal);
        }

        contacts.Add(record.ContactId);
    }
}
