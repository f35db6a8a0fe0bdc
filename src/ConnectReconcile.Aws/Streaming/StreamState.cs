using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>A record the worker set aside, with the shard position it came from and the UTC day it arrived.</summary>
public sealed record StreamQuarantineEntry(string ShardId, string SequenceNumber, QuarantineEntry Entry, DateOnly ArrivalDay);

/// <summary>
/// What the worker holds of its open days: one <see cref="Deduplicator"/> over their CTRs (offered in
/// arrival order: per shard in sequence order, parents before children), the quarantine, and an index
/// root → contacts so that a batch can tell which report days it changed. A report day is the one
/// <see cref="BillingJob"/> uses: a voice chain's day is the UTC day its first record started; a
/// non-voice record's day is its own initiation day. <see cref="Evict"/> drops closed days.
/// </summary>
public sealed class StreamState
{
    private readonly Dictionary<string, string> _rootOfContact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _contactsOfRoot = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StreamQuarantineEntry> _quarantine = new(StringComparer.Ordinal);

    /// <summary>
    /// Evicted voice chains with a record whose own start day is still open (a call across midnight): root → the
    /// chain's report day and the latest such day. A copy of that record arriving later belongs to the closed chain,
    /// not to a chain of its own. Forgotten once that day closes too, so this stays as small as the calls that
    /// straddle the closing day.
    /// </summary>
    private readonly Dictionary<string, (DateOnly ReportDay, DateOnly LastDay)> _closedRoots = new(StringComparer.Ordinal);

    public Deduplicator Dedupe { get; } = new();

    /// <summary>CTRs offered to the deduplicator (winners and superseded copies), evicted ones included.</summary>
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

        if (VoiceDay(contacts) is { } d)
        {
            days.Add(d);
        }

        foreach (var id in contacts)
        {
            if (Dedupe.TryGet(id, out var record) && !record.IsVoice)
            {
                days.Add(record.InitiationTimestamp.UtcDate);
            }
        }
    }

    /// <summary>
    /// Whether a CTR belongs to a closed report day (before <paramref name="firstOpenDay"/>): its own start day is
    /// closed, or it is a voice record of a chain already closed. Every held chain's day is open, so a record for an
    /// open day keeps its chain open. A record whose chain is not held and was not seen straddling the closing day
    /// counts by its own day (its root may have closed without a trace).
    /// </summary>
    public bool IsLate(ContactRecord record, DateOnly? firstOpenDay) =>
        firstOpenDay is { } open
        && (record.InitiationTimestamp.UtcDate < open || (record.IsVoice && _closedRoots.ContainsKey(record.RootId)));

    /// <summary>
    /// The report day a <see cref="IsLate">late</see> CTR would change: its closed chain's when this state saw that
    /// chain straddle the closing day, else its own start day (its root, earlier still, closed without a trace).
    /// </summary>
    public DateOnly LateReportDay(ContactRecord record) =>
        record.IsVoice && _closedRoots.TryGetValue(record.RootId, out var chain) ? chain.ReportDay : record.InitiationTimestamp.UtcDate;

    /// <summary>
    /// Forgets every record whose report day is before <paramref name="firstOpenDay"/> (a voice record goes with
    /// its whole chain) and the quarantine rows that arrived before it. Returns how many of each left.
    /// </summary>
    public (int Contacts, int Quarantined) Evict(DateOnly firstOpenDay)
    {
        foreach (var (root, (_, lastDay)) in _closedRoots)
        {
            if (lastDay < firstOpenDay)
            {
                _closedRoots.Remove(root);
            }
        }

        var contacts = 0;
        var emptied = new List<string>();
        foreach (var (root, ids) in _contactsOfRoot)
        {
            var voiceDay = VoiceDay(ids);
            contacts += ids.RemoveWhere(id =>
            {
                if (Dedupe.TryGet(id, out var record)
                    && (record.IsVoice ? voiceDay!.Value : record.InitiationTimestamp.UtcDate) >= firstOpenDay)
                {
                    return false;
                }

                if (record is { IsVoice: true } && record.InitiationTimestamp.UtcDate >= firstOpenDay
                    && (!_closedRoots.TryGetValue(root, out var last) || last.LastDay < record.InitiationTimestamp.UtcDate))
                {
                    _closedRoots[root] = (voiceDay!.Value, record.InitiationTimestamp.UtcDate);
                }

                Dedupe.Remove(id, Dedupe.CopiesOf(id)); // its superseded copies leave the count with it
                _rootOfContact.Remove(id);
                return true;
            });
            if (ids.Count == 0)
            {
                emptied.Add(root);
            }
        }

        foreach (var root in emptied)
        {
            _contactsOfRoot.Remove(root);
        }

        var quarantined = 0;
        foreach (var (key, entry) in _quarantine)
        {
            if (entry.ArrivalDay < firstOpenDay && _quarantine.Remove(key))
            {
                quarantined++;
            }
        }

        return (contacts, quarantined);
    }

    /// <summary>The UTC day the earliest held voice record of these contacts started (their chain's report day).</summary>
    private DateOnly? VoiceDay(HashSet<string> contacts)
    {
        DateOnly? voiceDay = null;
        foreach (var id in contacts)
        {
            if (Dedupe.TryGet(id, out var record) && record.IsVoice && (voiceDay is null || record.InitiationTimestamp.UtcDate < voiceDay))
            {
                voiceDay = record.InitiationTimestamp.UtcDate;
            }
        }

        return voiceDay;
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
