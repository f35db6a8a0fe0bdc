using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Chains;

/// <summary>
/// One customer interaction: the root record and every record whose InitialContactId names it.
/// Records are ordered by initiation time then ContactId, so input order never matters.
/// </summary>
public sealed class Chain
{
    public Chain(string rootId, IReadOnlyList<ContactRecord> records)
        : this(rootId, records.ToArray())
    {
    }

    /// <summary>Takes <paramref name="records"/> as its own (sorted in place): the window's closed groups, a million a month, are not copied.</summary>
    private Chain(string rootId, ContactRecord[] sorted)
    {
        RootId = rootId;
        Array.Sort(sorted, RecordOrder);
        _records = sorted;
        foreach (var record in sorted)
        {
            if (record.ContactId == rootId)
            {
                Root = record;
                break;
            }
        }

        IsOrphan = Root is null || HasMissingParent(sorted);

        // Read on every charge and row: looked up once per chain, not per use.
        InstanceId = Head.InstanceId;
        Region = Head.Region;
    }

    /// <summary>A chain that owns <paramref name="records"/>: the caller must not use the array again.</summary>
    internal static Chain Owning(string rootId, ContactRecord[] records) => new(rootId, records);

    /// <summary>Records in time order: initiation, then ContactId (also the order of a day's non-voice rows).</summary>
    public static readonly Comparison<ContactRecord> RecordOrder = static (a, b) => a.InitiationTimestamp != b.InitiationTimestamp
        ? a.InitiationTimestamp.CompareTo(b.InitiationTimestamp) : string.CompareOrdinal(a.ContactId, b.ContactId);

    /// <summary>
    /// Sorts chains into output order: start, then root id. The keys are copied out once: comparing
    /// the chains themselves read each one's first record on every comparison (a day is ~25,000 chains).
    /// </summary>
    public static void SortInOutputOrder(List<Chain> chains)
    {
        var keys = new (Instant Start, string Root)[chains.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = (chains[i].Start, chains[i].RootId);
        }

        keys.AsSpan().Sort(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(chains), static (a, b) => a.Start != b.Start
            ? a.Start.CompareTo(b.Start) : string.CompareOrdinal(a.Root, b.Root));
    }

    public string RootId { get; }

    private readonly ContactRecord[] _records;

    public IReadOnlyList<ContactRecord> Records => _records;

    /// <summary>The records as a span, for loops that run for every chain (a foreach over <see cref="Records"/> allocates an enumerator).</summary>
    public ReadOnlySpan<ContactRecord> RecordSpan => _records;

    /// <summary>The first record; null when it never arrived (the chain is then an orphan).</summary>
    public ContactRecord? Root { get; }

    /// <summary>
    /// A record's parent never arrived (billing-model §1): the root is missing, or some record's
    /// <c>PreviousContactId</c> names a record that is not in the chain. Computed once per chain.
    /// </summary>
    public bool IsOrphan { get; }

    /// <summary>
    /// Up to this many records a chain is scanned, for its orphan check, its children, its callbacks and its
    /// segments (nothing allocated; most chains are 1–3 records); above, indexed, as a scan per record is
    /// quadratic in a chain of thousands.
    /// </summary>
    internal const int SmallChain = 16;

    // Parent ContactId → its children in chain order: built on the first question about a chain above SmallChain.
    private Dictionary<string, List<ContactRecord>>? _children;

    private static bool HasMissingParent(ContactRecord[] records)
    {
        if (records.Length <= SmallChain)
        {
            foreach (var r in records)
            {
                if (r.PreviousContactId is { } parent && !Contains(records, parent))
                {
                    return true;
                }
            }

            return false;
        }

        var ids = new HashSet<string>(records.Length, StringComparer.Ordinal);
        foreach (var r in records)
        {
            ids.Add(r.ContactId);
        }

        foreach (var r in records)
        {
            if (r.PreviousContactId is { } parent && !ids.Contains(parent))
            {
                return true;
            }
        }

        return false;

        static bool Contains(ContactRecord[] records, string id)
        {
            foreach (var r in records)
            {
                if (string.Equals(r.ContactId, id, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The record that stands for the chain: the root, else the earliest record.</summary>
    public ContactRecord Head => Root ?? Records[0];

    public Instant Start => Records[0].InitiationTimestamp;

    public Instant End
    {
        get
        {
            var end = _records[0].End;
            foreach (var r in _records)
            {
                end = Instant.Max(end, r.End);
            }

            return end;
        }
    }

    /// <summary>The UTC day the chain is reported under: the day its first record started.</summary>
    public DateOnly Day => Start.UtcDate;

    public string InstanceId { get; }

    public string Region { get; }

    /// <summary>The records whose <c>PreviousContactId</c> is <paramref name="contactId"/>, in chain order.</summary>
    public IEnumerable<ContactRecord> ChildrenOf(string contactId)
    {
        if (_records.Length <= SmallChain)
        {
            return _records.Where(r => r.PreviousContactId == contactId);
        }

        if (_children is null)
        {
            var children = new Dictionary<string, List<ContactRecord>>(StringComparer.Ordinal);
            foreach (var r in _records)
            {
                if (r.PreviousContactId is { } parent)
                {
                    if (!children.TryGetValue(parent, out var list))
                    {
                        children[parent] = list = [];
                    }

                    list.Add(r);
                }
            }

            _children = children;
        }

        return _children.TryGetValue(contactId, out var found) ? found : [];
    }
}

/// <summary>Groups deduplicated voice records into chains by root id.</summary>
public static class ChainBuilder
{
    public static IReadOnlyList<Chain> Build(IEnumerable<ContactRecord> records)
    {
        var chains = records
            .GroupBy(r => r.RootId, StringComparer.Ordinal)
            .Select(g => new Chain(g.Key, g.ToList()))
            .ToList();
        Chain.SortInOutputOrder(chains); // root ids are unique, so the order is total
        return chains;
    }
}
