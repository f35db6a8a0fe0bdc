using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Accounting;

/// <summary>Totals by charge kind, accumulated unrounded; rounding to cents happens only when shown.</summary>
public sealed class RunTotals
{
    private readonly SortedDictionary<string, KindTotal> _byKind = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _legs = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, KindTotal> ByKind => _byKind;

    public IReadOnlyDictionary<string, long> LegsByKind => _legs;

    public long Chains { get; private set; }

    public long Orphans { get; private set; }

    public void Add(ChainResult result)
    {
        Chains++;
        if (result.Chain.IsOrphan)
        {
            Orphans++;
        }

        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator, twice per chain of a month.
        for (var i = 0; i < result.Legs.Count; i++)
        {
            var kind = result.Legs[i].Kind;
            _legs[kind] = _legs.GetValueOrDefault(kind) + 1;
        }

        for (var i = 0; i < result.Charges.Count; i++)
        {
            Add(result.Charges[i]);
        }
    }

    /// <summary>Adds another run's totals (e.g. those a part of the job added up on its own thread).</summary>
    public void Add(RunTotals other)
    {
        Chains += other.Chains;
        Orphans += other.Orphans;
        foreach (var (kind, legs) in other._legs)
        {
            _legs[kind] = _legs.GetValueOrDefault(kind) + legs;
        }

        foreach (var (kind, total) in other._byKind)
        {
            Total(kind).Add(total);
        }
    }

    public void Add(Charge charge) => Total(charge.ChargeKind).Add(charge);

    private KindTotal Total(string kind)
    {
        if (!_byKind.TryGetValue(kind, out var total))
        {
            total = new KindTotal();
            _byKind[kind] = total;
        }

        return total;
    }

    /// <summary>Billed seconds of the time-based kinds (number-days and per-unit kinds are not seconds).</summary>
    public IReadOnlyDictionary<string, long> BilledSeconds() =>
        _byKind.Where(kv => ChargeKinds.Voice.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.BilledSeconds);

    /// <summary>Half-away-from-zero to cents, per summary row.</summary>
    public static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);
}

/// <summary>Charges added up: their count, billed seconds, quantity and cost, and how many had no rate.</summary>
public sealed class KindTotal
{
    public long Charges { get; set; }
    public long BilledSeconds { get; set; }
    public decimal Quantity { get; set; }
    public decimal Cost { get; set; }
    public long Unrated { get; set; }

    /// <summary>
    /// Adds each charge's cost as recorded (<see cref="RecordedCost"/>), as daily_usage does, instead of the exact cost
    /// the run summary rounds to cents: for totals compared with the tables' (calibration's against the reconciliation's).
    /// </summary>
    public bool RecordedCosts { get; init; }

    public void Add(Charge charge)
    {
        Charges++;
        BilledSeconds += charge.BilledSeconds;
        Quantity += charge.Quantity;
        if (charge.Cost is { } cost)
        {
            Cost += RecordedCosts ? charge.Recorded!.Value : cost;
        }
        else
        {
            Unrated++;
        }
    }

    public void Add(KindTotal other)
    {
        Charges += other.Charges;
        BilledSeconds += other.BilledSeconds;
        Quantity += other.Quantity;
        Cost += other.Cost;
        Unrated += other.Unrated;
    }
}
