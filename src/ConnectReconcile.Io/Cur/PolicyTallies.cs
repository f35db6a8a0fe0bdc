using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;

namespace ConnectReconcile.Io.Cur;

/// <summary>
/// Each candidate policy's voice usage per (day, instance, region, usage type, kind, unit, pricing
/// model), added up a slice of chains at a time as the billing job hands them over, so calibration
/// holds the totals and not the month's chains. The first rater is the job's own: its charges come
/// with the results; the others re-rate each chain.
/// </summary>
internal sealed class PolicyTallies(IReadOnlyList<Rater> raters, int parallelism)
{
    private readonly Dictionary<Key, KindTotal>[] _cells = raters.Select(_ => new Dictionary<Key, KindTotal>()).ToArray();

    public long Chains { get; private set; }

    public void Add(IReadOnlyList<ChainResult> results, CancellationToken ct)
    {
        var n = results.Count;
        if (n == 0)
        {
            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct };
        // Each chain under every other policy in turn, while its records are in the core's cache (a policy
        // per thread would leave cores idle with fewer policies than cores); then added up policy by policy.
        var others = raters.Count - 1;
        var charges = new IReadOnlyList<Charge>[others * n];
        Parallel.For(0, others == 0 ? 0 : n, options, j =>
        {
            for (var p = 0; p < others; p++)
            {
                charges[(p * n) + j] = raters[1 + p].Rate(results[j].Chain).Charges;
            }
        });
        Parallel.For(0, raters.Count, options, p =>
        {
            var cells = _cells[p];
            for (var j = 0; j < n; j++)
            {
                Add(cells, p == 0 ? results[j].Charges : charges[((p - 1) * n) + j]);
            }
        });
        Chains += n;
    }

    /// <summary>The policy's expected usage: its voice rows, in key order, then the rows no policy changes.</summary>
    public IReadOnlyCollection<ExpectedUsage> Expected(int policy, IEnumerable<ExpectedUsage> policyIndependent) =>
        _cells[policy]
            .OrderBy(kv => kv.Key.Day).ThenBy(kv => kv.Key.InstanceId, StringComparer.Ordinal).ThenBy(kv => kv.Key.Region, StringComparer.Ordinal)
            .ThenBy(kv => kv.Key.UsageType, StringComparer.Ordinal).ThenBy(kv => kv.Key.ChargeKind, StringComparer.Ordinal)
            .ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal).ThenBy(kv => kv.Key.PricingModel, StringComparer.Ordinal)
            .Select(kv => new ExpectedUsage(kv.Key.Day, kv.Key.InstanceId, kv.Key.Region, kv.Key.UsageType, kv.Key.ChargeKind, kv.Key.Unit, kv.Key.PricingModel,
                kv.Value.Charges, kv.Value.BilledSeconds,
                // Exact, as the reconcile reads daily_usage; the comparison cuts the row's sum to 6 places.
                kv.Key.Unit == Units.Minute ? kv.Value.BilledSeconds / 60m : kv.Value.Quantity,
                kv.Value.Cost, kv.Value.Unrated))
            .Concat(policyIndependent)
            .ToList();

    private static void Add(Dictionary<Key, KindTotal> cells, IReadOnlyList<Charge> charges)
    {
        foreach (var c in charges)
        {
            var key = new Key(c.Day, c.InstanceId, c.Region, c.UsageType, c.ChargeKind, c.Unit, c.PricingModel);
            if (!cells.TryGetValue(key, out var cell))
            {
                // Costs as recorded, as daily_usage adds them: the current policy's rows then equal the reconciliation's.
                cells[key] = cell = new KindTotal { RecordedCosts = true };
            }

            cell.Add(c);
        }
    }

    private readonly record struct Key(DateOnly Day, string InstanceId, string Region, string UsageType, string ChargeKind, string Unit, string PricingModel);
}
