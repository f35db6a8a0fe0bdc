using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Chains;

/// <summary>A root's records leaving the window together: its voice chain (if any) and its non-voice records.</summary>
public sealed record ClosedGroup(Chain? Chain, IReadOnlyList<ContactRecord> NonVoice);

/// <summary>
/// What the window's index needs from a record, computed by <see cref="ChainWindow.KeyOf"/> where
/// records are decoded in parallel so the window's single thread does not: the ContactId as a GUID
/// (when it is one) and the fingerprint of the record's billing content.
/// </summary>
public readonly record struct RecordKey(Guid Id, bool IsGuid, ulong Fingerprint);

/// <summary>
/// Dedupe and chaining for a month read in arrival order without holding the month. Records wait
/// in an open group per root until the arrival watermark passes the group's last activity plus
/// <c>hold</c>; then the group closes (it is rated and written by the caller) and only a compact
/// index entry per ContactId stays behind (id, stamp, content fingerprint, report day: 32 bytes in an
/// <see cref="IClosedContactLog"/>, which the caller may keep on disk, and 11–21 bytes of table in memory).
/// <para>
/// Late copies of closed contacts are the common case (exact re-deliveries, attribute updates days
/// later): they are counted as superseded and change nothing when their billing content is the same.
/// A late copy that changes a closed, reported contact, a late record joining a closed reported chain,
/// or a new chain of a day already closed cannot be patched here; they are counted in
/// <see cref="LateCorrections"/> so the caller can fall back to holding the whole range.
/// </para>
/// Dedupe rules are <see cref="Deduplicator"/>'s: the latest LastUpdateTimestamp wins, ties go to
/// the later-arrived copy.
/// <para>
/// A record cannot have been updated after it arrived, so for closing a group its records' stamps
/// count no later than an hour past the arrival hour that follows them (see <see cref="Advance"/>): a bogus
/// LastUpdateTimestamp months ahead cannot hold its group, and with it every day from its own on, open.
/// </para>
/// </summary>
public sealed class ChainWindow(long holdSeconds, Func<DateOnly, bool> reported, IClosedContactLog? closedLog = null)
{
    private const ushort NoDay = ushort.MaxValue;

    /// <summary>
    /// Firehose names an object by its oldest record's arrival and buffers up to 15 minutes, so a record
    /// can be read under an hour earlier than its own arrival; an hour covers that and clock skew.
    /// </summary>
    private const long ArrivalGraceSeconds = 3600;

    // ContactIds are GUIDs in practice: 16-byte keys instead of 36-char strings. Those of open groups are
    // in a dictionary; a closed contact moves to the closed index, whose log the caller may keep out of
    // memory (a month's closed contacts are most of the index, and only a late copy reads one again).
    private readonly Dictionary<Guid, Entry> _openByGuid = [];
    private readonly ClosedContactIndex _closedByGuid = new(closedLog ?? IClosedContactLog.InMemory());
    // Other ids, open or closed (Entry.Closed).
    private readonly Dictionary<string, Entry> _byText = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenGroup> _open = new(StringComparer.Ordinal);
    private readonly List<OpenGroup> _closing = [];

    // Chains closed without their root record, by root id → report day: a late root must not start a second chain.
    private readonly Dictionary<string, ushort> _closedOrphans = new(StringComparer.Ordinal);

    /// <summary>
    /// Superseded copies of the reported days' records. A copy counts with the record it lost to, so a copy of another
    /// day's record is in <see cref="Absorbed"/>: consecutive dated runs then count each duplicate once. Copies in an
    /// open group are counted when it closes (its chain's day is known then).
    /// </summary>
    public long Superseded { get; private set; }

    /// <summary>
    /// Records of unreported days not handed on in a closed group (they count as outside the range): late records
    /// that joined a closed chain of such a day, and superseded copies of such days' records.
    /// </summary>
    public long Absorbed { get; private set; }

    /// <summary>Late changes to closed, reported days: the windowed result would differ from a whole-range read.</summary>
    public long LateCorrections { get; private set; }

    /// <summary>
    /// The hold (seconds) that would have kept every chain a <see cref="LateCorrections">late correction</see> reached
    /// open until it came: from the start of its day to the arrival hour it came in, and an hour more (it arrived
    /// within that hour). <see cref="long.MaxValue"/> when no hold would do (a copy that moved to another chain, a
    /// record read before any arrival hour); 0 without corrections.
    /// </summary>
    public long HoldForCorrections { get; private set; }

    // The arrival hour of the last Advance; null before the first: records offered before it (input without an
    // arrival hour, which is read first) have no arrival to bound their stamps by.
    private Instant? _watermark;

    private bool ArrivalKnown => _watermark is not null;

    /// <summary>Every chain of this day and earlier has closed; null until one day has.</summary>
    public DateOnly? ClosedThrough { get; private set; }

    public int OpenGroups => _open.Count;

    /// <summary>
    /// Groups given a record stamped (LastUpdateTimestamp) more than <see cref="ArrivalGraceSeconds"/> past
    /// the arrival hour that followed it: a clock or a writer gone wrong. They close by its arrival.
    /// </summary>
    public long StampedPastArrival { get; private set; }

    /// <summary>The root id of the first group counted in <see cref="StampedPastArrival"/>.</summary>
    public string? FirstStampedPastArrival { get; private set; }

    /// <summary>The index key of a record: pure and thread-safe, so decoding threads can compute it.</summary>
    public static RecordKey KeyOf(ContactRecord record)
    {
        var isGuid = Guid.TryParse(record.ContactId, out var id);
        return new RecordKey(id, isGuid, Fingerprint(record));
    }

    public void Offer(ContactRecord record) => Offer(record, KeyOf(record));

    /// <summary>Offers a record in arrival order with its <see cref="KeyOf"/>.</summary>
    public void Offer(ContactRecord record, RecordKey key)
    {
        var stamp = StampOf(record);
        ref var entry = ref FindOpenOrText(record.ContactId, key);
        if (!Unsafe.IsNullRef(ref entry))
        {
            if (!entry.Closed)
            {
                // The copy is counted with its group when that closes; one whose root id changed between copies has no
                // group to find here: it counts as this run's.
                var group = _open.GetValueOrDefault(record.RootId);
                var at = group?.IndexOf(record.ContactId) ?? -1;
                if (at < 0)
                {
                    Superseded++;
                }
                else
                {
                    group!.CountCopy(at);
                }

                if (stamp < entry.Stamp)
                {
                    return;
                }

                entry.Stamp = stamp;
                if (at < 0)
                {
                    Correction(null); // its root id changed between copies: only a whole-range read gets this right
                }
                else
                {
                    group!.Replace(at, record, key, ArrivalKnown);
                }

                return;
            }

            CountCopies(entry.Day, 1);
            if (stamp < entry.Stamp)
            {
                return;
            }

            entry.Stamp = stamp;
            CountLateChange(record, key, entry.Fingerprint, entry.Day);
            entry.Fingerprint = key.Fingerprint;
            return;
        }

        if (key.IsGuid && _closedByGuid.TryFind(key.Id, out var position, out var closed))
        {
            CountCopies(closed.Day, 1);
            if (stamp < closed.Stamp)
            {
                return;
            }

            CountLateChange(record, key, closed.Fingerprint, closed.Day);
            closed.Stamp = stamp;
            closed.Fingerprint = key.Fingerprint;
            _closedByGuid.Update(position, closed);
            return;
        }

        if (_open.TryGetValue(record.RootId, out var open))
        {
            AddOpen(record.ContactId, key, stamp);
            open.Add(record, key, ArrivalKnown);
            return;
        }

        var day = record.InitiationTimestamp.UtcDate;
        if (record.IsVoice && ClosedDayOf(record) is { } chainDay)
        {
            // Joins a chain already rated: harmless only when neither its day nor the chain's is reported.
            AddClosed(record.ContactId, key, stamp, chainDay);
            if (Reported(chainDay) || reported(day))
            {
                Correction(EarlierOf(chainDay, day));
            }
            else
            {
                Absorbed++;
            }

            return;
        }

        if (ClosedThrough is { } closedThrough && day <= closedThrough && reported(day))
        {
            Correction(day); // a new contact of a day already written
        }

        AddOpen(record.ContactId, key, stamp);
        _open[record.RootId] = new OpenGroup(record.RootId, record, key, ArrivalKnown);
    }

    /// <summary>Superseded copies count with the day of the record they lost to (for voice, its chain's day).</summary>
    private void CountCopies(ushort day, int copies)
    {
        if (Reported(day))
        {
            Superseded += copies;
        }
        else
        {
            Absorbed += copies;
        }
    }

    /// <summary>A later copy of a closed contact that changes it cannot be patched into a reported day.</summary>
    private void CountLateChange(ContactRecord record, RecordKey key, ulong fingerprint, ushort day)
    {
        if (key.Fingerprint != fingerprint && (Reported(day) || reported(record.InitiationTimestamp.UtcDate)))
        {
            Correction(EarlierOf(day, record.InitiationTimestamp.UtcDate));
        }
    }

    /// <summary>Counts a late correction to a chain of <paramref name="day"/> (null: no hold would have avoided it).</summary>
    private void Correction(DateOnly? day)
    {
        LateCorrections++;
        var hold = day is { } d && _watermark is { } w
            ? Math.Max(0, w.UnixSeconds - Instant.FromDate(d).UnixSeconds) + ArrivalGraceSeconds
            : long.MaxValue;
        HoldForCorrections = Math.Max(HoldForCorrections, hold);
    }

    private static DateOnly EarlierOf(ushort day, DateOnly other) =>
        day != NoDay && DateOnly.FromDayNumber(day + EpochDay) is var d && d < other ? d : other;

    /// <summary>
    /// Closes the groups whose last activity is at least <c>hold</c> before the watermark, the arrival
    /// hour about to be read. Every record offered since the last call arrived before it, so their
    /// stamps count for closing no later than the watermark (plus <see cref="ArrivalGraceSeconds"/>);
    /// dedupe still compares their stamps as they are.
    /// </summary>
    public List<ClosedGroup> Advance(Instant watermark)
    {
        var cutoff = watermark.PlusSeconds(-holdSeconds);
        var arrivedBy = watermark.PlusSeconds(ArrivalGraceSeconds);
        _watermark = watermark;
        _closing.Clear();
        DateOnly? firstOpenDay = null;
        foreach (var group in _open.Values)
        {
            if (group.BoundActivity(arrivedBy))
            {
                StampedPastArrival++;
                FirstStampedPastArrival ??= group.Root;
            }

            if (group.LastActivity <= cutoff)
            {
                _closing.Add(group);
            }
            else if (firstOpenDay is null || group.FirstDay < firstOpenDay)
            {
                firstOpenDay = group.FirstDay;
            }
        }

        var closed = Close(_closing);

        // A day is closed once the cutoff has passed its end and no open group starts on or before it.
        var through = cutoff.UtcDate.AddDays(-1);
        if (firstOpenDay is { } open && open <= through)
        {
            through = open.AddDays(-1);
        }

        if (ClosedThrough is null || through > ClosedThrough)
        {
            ClosedThrough = through;
        }

        return closed;
    }

    /// <summary>Closes every open group (end of input).</summary>
    public List<ClosedGroup> CloseAll()
    {
        var closed = Close([.. _open.Values]);
        ClosedThrough = DateOnly.MaxValue;
        return closed;
    }

    // Allocation matters here: a month closes ~a million groups, most of a single record.
    private List<ClosedGroup> Close(List<OpenGroup> groups)
    {
        var closed = new List<ClosedGroup>(groups.Count);
        foreach (var group in groups)
        {
            _open.Remove(group.Root);
            var records = group.ExactRecords();
            var voiceCount = 0;
            Instant? voiceStart = null;
            foreach (var record in records)
            {
                if (record.IsVoice)
                {
                    voiceCount++;
                    voiceStart = voiceStart is { } s && s <= record.InitiationTimestamp ? s : record.InitiationTimestamp;
                }
            }

            // The chain's report day is the day its first record started (Chain.Day). The index is
            // updated first: the chain then takes the records array and sorts it in place.
            var chainDay = voiceStart is { } start ? DayNumber(start.UtcDate) : NoDay;
            for (var i = 0; i < records.Length; i++)
            {
                var key = group.KeyAt(i);
                if (key.IsGuid)
                {
                    _openByGuid.Remove(key.Id);
                }

                // The group holds the copy that won, so its stamp is the entry's.
                var day = records[i].IsVoice ? chainDay : DayNumber(records[i].InitiationTimestamp.UtcDate);
                AddClosed(records[i].ContactId, key, StampOf(records[i]), day);
                if (group.CopiesAt(i) is var copies and > 0)
                {
                    CountCopies(day, copies);
                }
            }

            Chain? chain = null;
            ContactRecord[] nonVoice = [];
            if (voiceCount == records.Length)
            {
                chain = Chain.Owning(group.Root, records);
            }
            else
            {
                var voice = new ContactRecord[voiceCount];
                nonVoice = new ContactRecord[records.Length - voiceCount];
                int v = 0, n = 0;
                foreach (var record in records)
                {
                    if (record.IsVoice)
                    {
                        voice[v++] = record;
                    }
                    else
                    {
                        nonVoice[n++] = record;
                    }
                }

                chain = voiceCount > 0 ? Chain.Owning(group.Root, voice) : null;
            }

            if (chain is { Root: null }) // a late root must join this chain; a missing middle record finds its root closed
            {
                _closedOrphans[group.Root] = chainDay;
            }

            closed.Add(new ClosedGroup(chain, nonVoice));
        }

        return closed;
    }

    private ushort? ClosedDayOf(ContactRecord record)
    {
        var root = record.RootId;
        if (_closedOrphans.TryGetValue(root, out var orphanDay))
        {
            return orphanDay;
        }

        if (record.IsRoot)
        {
            return null; // it is new: it cannot be a closed chain
        }

        if (Guid.TryParse(root, out var id))
        {
            return _closedByGuid.TryFind(id, out _, out var closed) ? closed.Day : null;
        }

        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_byText, root);
        return !Unsafe.IsNullRef(ref entry) && entry.Closed ? entry.Day : null;
    }

    private static readonly long EpochSeconds = Instant.FromDate(new DateOnly(2000, 1, 1)).UnixSeconds;

    private static int StampOf(ContactRecord record) =>
        (int)Math.Clamp(Deduplicator.Stamp(record).UnixSeconds - EpochSeconds, int.MinValue, int.MaxValue);

    private bool Reported(ushort day) => day != NoDay && reported(DateOnly.FromDayNumber(day + EpochDay));

    private static readonly int EpochDay = new DateOnly(2000, 1, 1).DayNumber;

    // Days since 2000-01-01 fit a ushort until 2179; anything outside is "no day" (never reported).
    private static ushort DayNumber(DateOnly day) => (uint)(day.DayNumber - EpochDay) < NoDay ? (ushort)(day.DayNumber - EpochDay) : NoDay;

    /// <summary>The entry of an open contact, or of a closed one whose id is not a GUID; a null ref when there is none.</summary>
    private ref Entry FindOpenOrText(string contactId, RecordKey key) =>
        ref key.IsGuid
            ? ref CollectionsMarshal.GetValueRefOrNullRef(_openByGuid, key.Id)
            : ref CollectionsMarshal.GetValueRefOrNullRef(_byText, contactId);

    private void AddOpen(string contactId, RecordKey key, int stamp)
    {
        var entry = new Entry { Stamp = stamp };
        if (key.IsGuid)
        {
            _openByGuid[key.Id] = entry;
        }
        else
        {
            _byText[contactId] = entry;
        }
    }

    private void AddClosed(string contactId, RecordKey key, int stamp, ushort day)
    {
        if (key.IsGuid)
        {
            _closedByGuid.Add(new ClosedContact { Id = key.Id, Fingerprint = key.Fingerprint, Stamp = stamp, Day = day });
        }
        else
        {
            _byText[contactId] = new Entry { Stamp = stamp, Day = day, Fingerprint = key.Fingerprint, Closed = true };
        }
    }

    /// <summary>
    /// 64-bit FNV-style hash over every field billing and reporting read; LastUpdateTimestamp is left out, so
    /// a re-delivery that only moved it (or changed skipped fields such as attributes) matches.
    /// </summary>
    internal static ulong Fingerprint(ContactRecord r)
    {
        var h = Fnv.Seed;
        Fnv.Add(ref h, r.ContactId, r.InitialContactId, r.PreviousContactId, r.Channel, r.InitiationMethod, r.InstanceArn, r.InstanceIdTag);
        Fnv.Add(ref h, r.CustomerEndpoint?.Address, r.CustomerEndpoint?.Type, r.SystemEndpoint?.Address, r.SystemEndpoint?.Type,
            r.TransferredToEndpoint?.Address, r.TransferredToEndpoint?.Type);
        Fnv.Add(ref h, r.InitiationTimestamp, r.ConnectedToSystemTimestamp, r.DisconnectTimestamp, r.TransferCompletedTimestamp);
        Fnv.Add(ref h, r.ContactLensEnabled ? 1 : 0);
        if (r.Agent is { } a)
        {
            Fnv.Add(ref h, a.Username, a.Arn, a.RoutingProfile);
            Fnv.Add(ref h, a.ConnectedToAgentTimestamp, a.AfterContactWorkStartTimestamp);
            Fnv.Add(ref h, a.CustomerHoldDuration);
            Fnv.Add(ref h, a.AgentInteractionDuration);
        }

        if (r.Queue is { } q)
        {
            Fnv.Add(ref h, q.Name, q.Arn);
            Fnv.Add(ref h, q.EnqueueTimestamp, q.DequeueTimestamp);
            Fnv.Add(ref h, q.Duration);
        }

        return h;
    }

    // An open contact (or any contact whose id is not a GUID).
    private struct Entry
    {
        public ulong Fingerprint;
        public int Stamp; // seconds since 2000-01-01 (to 2068)
        public ushort Day;
        public bool Closed;
    }

    private sealed class OpenGroup
    {
        private static readonly Instant None = new(long.MinValue);

        // Exactly sized up to SmallGroup records (the array becomes the chain's); above, doubled as it fills and
        // trimmed once at close, as growing by one per record was quadratic in a chain of thousands.
        private const int SmallGroup = 16;

        private ContactRecord[] _records;
        private int _count = 1;
        private RecordKey _firstKey;
        private RecordKey[]? _keys; // made when a second record joins: most groups hold one

        // Superseded copies of each record, as the keys: most groups have none, so the array is made at a group's first copy.
        private int _firstCopies;
        private int[]? _copies;

        // The latest stamp of the records offered since the last Advance, which bounds it by their arrival.
        private Instant _unbounded = None;

        public OpenGroup(string root, ContactRecord first, RecordKey firstKey, bool arrivalKnown)
        {
            Root = root;
            _records = [first];
            _firstKey = firstKey;
            FirstDay = first.InitiationTimestamp.UtcDate;
            LastActivity = None;
            Touch(first, arrivalKnown);
        }

        public string Root { get; }

        /// <summary>The group's records, exactly sized (most groups hold one record: no list around it), read at close.</summary>
        public ContactRecord[] ExactRecords()
        {
            if (_records.Length != _count)
            {
                Array.Resize(ref _records, _count);
            }

            return _records;
        }

        public RecordKey KeyAt(int index) => _keys is null ? _firstKey : _keys[index];

        /// <summary>The superseded copies of the record at <paramref name="index"/> read while the group was open.</summary>
        public int CopiesAt(int index) => _keys is null ? _firstCopies : _copies?[index] ?? 0;

        public void CountCopy(int index)
        {
            if (_keys is null)
            {
                _firstCopies++;
                return;
            }

            _copies ??= new int[_keys.Length];
            _copies[index]++;
        }

        /// <summary>The latest stamp of its records, each no later than the arrival bound it was given.</summary>
        public Instant LastActivity { get; private set; }

        public DateOnly FirstDay { get; private set; }

        public void Add(ContactRecord record, RecordKey key, bool arrivalKnown)
        {
            if (_keys is null)
            {
                _keys = [_firstKey];
                _copies = _firstCopies > 0 ? [_firstCopies] : null;
            }

            if (_count == _records.Length)
            {
                var size = _count < SmallGroup ? _count + 1 : 2 * _count;
                Array.Resize(ref _records, size);
                Array.Resize(ref _keys, size);
                if (_copies is not null)
                {
                    Array.Resize(ref _copies, size);
                }
            }

            _records[_count] = record;
            _keys[_count] = key;
            _count++;
            Touch(record, arrivalKnown);
        }

        /// <summary>Where the group holds the contact; -1 when it does not.</summary>
        public int IndexOf(string contactId)
        {
            for (var i = 0; i < _count; i++)
            {
                if (string.Equals(_records[i].ContactId, contactId, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        public void Replace(int i, ContactRecord record, RecordKey key, bool arrivalKnown)
        {
            _records[i] = record;
            if (_keys is null)
            {
                _firstKey = key;
            }
            else
            {
                _keys[i] = key;
            }

            Touch(record, arrivalKnown);
        }

        /// <summary>Moves the stamps offered since the last Advance into the activity, no later than <paramref name="arrivedBy"/>; true when one was later.</summary>
        public bool BoundActivity(Instant arrivedBy)
        {
            if (_unbounded == None)
            {
                return false;
            }

            LastActivity = Instant.Max(LastActivity, Instant.Min(_unbounded, arrivedBy));
            var past = _unbounded > arrivedBy;
            _unbounded = None;
            return past;
        }

        private void Touch(ContactRecord record, bool arrivalKnown)
        {
            var stamp = Deduplicator.Stamp(record);
            if (arrivalKnown)
            {
                _unbounded = Instant.Max(_unbounded, stamp);
            }
            else
            {
                LastActivity = Instant.Max(LastActivity, stamp);
            }

            var day = record.InitiationTimestamp.UtcDate;
            FirstDay = day < FirstDay ? day : FirstDay;
        }
    }

    /// <summary>FNV-1a style, 64-bit: deterministic and allocation-free (string.GetHashCode is 32-bit and seeded per process).</summary>
    private static class Fnv
    {
        public const ulong Seed = 14695981039346656037UL;
        private const ulong Prime = 1099511628211UL;
        private const ulong Lane1 = 0x9E3779B97F4A7C15UL, Lane2 = 0xC2B2AE3D27D4EB4FUL, Lane3 = 0x165667B19E3779F9UL;

        public static void Add(ref ulong h, params ReadOnlySpan<string?> values)
        {
            foreach (var s in values)
            {
                if (s is null)
                {
                    Add(ref h, -1L);
                    continue;
                }

                // Eight bytes (four chars) per step, each a bijection of its lane for a given word (as for
                // a number): a change within one field of the same length always changes the hash. Long
                // strings (ARNs, ids) go four words at a time through four independent lanes, h being the
                // first, so the multiplications overlap instead of waiting on each other; the lanes are
                // then folded into h one by one, each fold a bijection of the lane it adds.
                var bytes = MemoryMarshal.AsBytes(s.AsSpan());
                var words = MemoryMarshal.Cast<byte, ulong>(bytes);
                var blocks = words.Length / 4 * 4;
                if (blocks > 0)
                {
                    ulong l1 = Lane1, l2 = Lane2, l3 = Lane3;
                    for (var i = 0; i < blocks; i += 4)
                    {
                        h = Step(h, words[i]);
                        l1 = Step(l1, words[i + 1]);
                        l2 = Step(l2, words[i + 2]);
                        l3 = Step(l3, words[i + 3]);
                    }

                    h = Step(Step(Step(h, l1), l2), l3);
                }

                foreach (var w in words[blocks..])
                {
                    h = Step(h, w);
                }

                foreach (var b in bytes[(words.Length * 8)..])
                {
                    h = (h ^ b) * Prime;
                }

                Add(ref h, s.Length); // the length separates "ab"+"c" from "a"+"bc"
            }
        }

        public static void Add(ref ulong h, params ReadOnlySpan<Instant?> values)
        {
            foreach (var t in values)
            {
                Add(ref h, t?.UnixSeconds ?? long.MinValue);
            }
        }

        public static void Add(ref ulong h, long n) => h = Step(h, (ulong)n);

        private static ulong Step(ulong h, ulong word)
        {
            h = (h ^ word) * Prime;
            return h ^ (h >> 29);
        }
    }
}
