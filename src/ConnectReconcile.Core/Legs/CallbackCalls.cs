using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Core.Legs;

/// <summary>
/// Which queued callback's outbound call each record of a chain is on (docs/billing.md): a record's nearest
/// CALLBACK ancestor through <c>PreviousContactId</c> within the chain (a TRANSFER the callback's agent made,
/// and that transfer's own transfers). None when the record descends from no CALLBACK, or its line of parents
/// leaves the chain before reaching one. A CALLBACK record is not its own: for it this names an earlier callback
/// it descends from, if any.
/// <para>
/// Asked for every record, several times per leg: a small chain walks the parents on each question (no list, as
/// most chains have 1–4 records and no CALLBACK); a large one resolves every record once, in one pass over
/// a ContactId index, so a long chain of transfers after a callback is linear, not cubic.
/// </para>
/// </summary>
public readonly struct CallbackCalls
{
    private const int None = -1;
    private const int Unresolved = -2;
    private const int Resolving = -3;

    private readonly Chain _chain;
    private readonly bool _hasCallback;

    /// <summary>Large chains with a CALLBACK: per record (chain order), the index of its CALLBACK, or <see cref="None"/>.</summary>
    private readonly int[]? _owners;

    private CallbackCalls(Chain chain, bool hasCallback, int[]? owners)
    {
        _chain = chain;
        _hasCallback = hasCallback;
        _owners = owners;
    }

    /// <summary>Resolves <paramref name="chain"/>: nothing for a chain without a CALLBACK (most), an index for a large one.</summary>
    public static CallbackCalls Of(Chain chain) => Of(chain, indexed: chain.RecordSpan.Length > Chain.SmallChain);

    /// <summary>As <see cref="Of(Chain)"/>, the walk or the index chosen by the caller (tests compare the two).</summary>
    internal static CallbackCalls Of(Chain chain, bool indexed)
    {
        var records = chain.RecordSpan;
        var hasCallback = false;
        foreach (var r in records)
        {
            if (r.InitiationMethod == InitiationMethods.Callback)
            {
                hasCallback = true;
                break;
            }
        }

        return new CallbackCalls(chain, hasCallback, hasCallback && indexed ? Resolve(records) : null);
    }

    /// <summary>The CALLBACK whose call the record at <paramref name="index"/> (in chain order) is on; null when none.</summary>
    public ContactRecord? CallbackOf(int index)
    {
        if (!_hasCallback)
        {
            return null; // most chains
        }

        var records = _chain.RecordSpan;
        if (_owners is { } owners)
        {
            return owners[index] == None ? null : records[owners[index]];
        }

        var current = records[index];
        // At most one step per record: a PreviousContactId loop (malformed data) ends rather than spins.
        for (var steps = 0; steps < records.Length && current.PreviousContactId is { } parentId; steps++)
        {
            var parent = IndexOf(records, parentId);
            if (parent < 0)
            {
                return null;
            }

            if (records[parent].InitiationMethod == InitiationMethods.Callback)
            {
                return records[parent];
            }

            current = records[parent];
        }

        return null;
    }

    /// <summary>The CALLBACK whose leg the record belongs to: itself for a CALLBACK, else the callback whose call it is on.</summary>
    public ContactRecord? CallbackFor(int index)
    {
        var r = _chain.RecordSpan[index];
        return r.InitiationMethod == InitiationMethods.Callback ? r : CallbackOf(index);
    }

    /// <summary>A record the chain's own customer leg unions: it keeps the customer and is not on a callback's call.</summary>
    public bool OnCustomerLeg(int index) => LegBuilder.KeepsCustomer(_chain.RecordSpan[index]) && CallbackOf(index) is null;

    /// <summary>A record a callback leg unions: the CALLBACK record itself, or a record on its call that keeps the customer.</summary>
    public bool OnCallbackLeg(int index, string callbackId)
    {
        var r = _chain.RecordSpan[index];
        return string.Equals(r.ContactId, callbackId, StringComparison.Ordinal)
            || (LegBuilder.KeepsCustomer(r) && CallbackOf(index) is { } of && string.Equals(of.ContactId, callbackId, StringComparison.Ordinal));
    }

    /// <summary>The first record (chain order) with that ContactId, as the walk finds a parent; -1 when none.</summary>
    private static int IndexOf(ReadOnlySpan<ContactRecord> records, string contactId)
    {
        for (var i = 0; i < records.Length; i++)
        {
            if (string.Equals(records[i].ContactId, contactId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Every record's CALLBACK at once, each record's answer kept and reused by the records below it: the walk's
    /// answers exactly, a loop of parents included (a loop through a CALLBACK names it, even for that CALLBACK).
    /// </summary>
    private static int[] Resolve(ReadOnlySpan<ContactRecord> records)
    {
        var index = new Dictionary<string, int>(records.Length, StringComparer.Ordinal);
        for (var i = 0; i < records.Length; i++)
        {
            index.TryAdd(records[i].ContactId, i); // the first, as the walk's scan
        }

        var parents = new int[records.Length];
        var owners = new int[records.Length];
        for (var i = 0; i < records.Length; i++)
        {
            parents[i] = records[i].PreviousContactId is { } p && index.TryGetValue(p, out var at) ? at : None;
            owners[i] = Unresolved;
        }

        for (var i = 0; i < records.Length; i++)
        {
            if (owners[i] != Unresolved)
            {
                continue;
            }

            // Up the parents until a CALLBACK, a record already answered, the chain's edge, or back onto this path
            // (a loop without a CALLBACK: none); then the whole path takes that answer.
            int answer;
            var current = i;
            while (true)
            {
                owners[current] = Resolving;
                var parent = parents[current];
                if (parent == None)
                {
                    answer = None;
                    break;
                }

                if (records[parent].InitiationMethod == InitiationMethods.Callback)
                {
                    answer = parent;
                    break;
                }

                if (owners[parent] == Resolving)
                {
                    answer = None;
                    break;
                }

                if (owners[parent] != Unresolved)
                {
                    answer = owners[parent];
                    break;
                }

                current = parent;
            }

            for (current = i; current != None && owners[current] == Resolving; current = parents[current])
            {
                owners[current] = answer;
            }
        }

        return owners;
    }
}
