using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// How well one metering policy's re-rating matches the invoice. <see cref="AbsCostVariance"/> adds up the
/// rows' recorded cost variances (as the <c>reconciliation</c> table holds them); null when costs were not
/// compared (the invoice is in another currency than the card, or mixes currencies).
/// </summary>
public sealed record CalibrationResult(string Policy, decimal AbsQuantityVariance, decimal? AbsCostVariance, int RowsBeyondTolerance, bool IsCurrent)
{
    public int Rank { get; init; }
    /// <summary>True when this policy fits exactly as well as the best one (the month cannot tell them apart).</summary>
    public bool TiedWithBest { get; init; }
}

/// <summary>
/// Ranks the billing-model §6 alternatives by total absolute quantity variance (rate-independent),
/// then absolute cost variance (when costs are compared), then their order in <see cref="BillingPolicy.Alternatives"/>.
/// </summary>
public static class Calibration
{
    public static IReadOnlyList<CalibrationResult> Rank(
        IEnumerable<(BillingPolicy Policy, IReadOnlyCollection<ExpectedUsage> Expected)> alternatives,
        InvoiceAggregate invoice, UsageTypeCatalog catalog, Tolerance tolerance, BillingPolicy current)
    {
        var compareCosts = Reconciler.CostsComparable(invoice, catalog);
        var scored = alternatives.Select((a, index) =>
        {
            var lines = Reconciler.Compare(a.Expected, invoice, catalog, tolerance).Where(l => l.Comparable).ToList();
            return (Index: index, Result: new CalibrationResult(
                a.Policy.ToString(),
                lines.Sum(l => Math.Abs(l.QuantityVariance)),
                compareCosts ? lines.Sum(l => Math.Abs(l.RecordedCostVariance)) : null,
                lines.Count(l => l.BeyondTolerance),
                a.Policy == current));
        }).OrderBy(x => x.Result.AbsQuantityVariance).ThenBy(x => x.Result.AbsCostVariance).ThenBy(x => x.Index).ToList();
        if (scored.Count == 0)
        {
            return [];
        }

        var best = scored[0].Result;
        return scored.Select((x, i) => x.Result with
        {
            Rank = i + 1,
            TiedWithBest = x.Result.AbsQuantityVariance == best.AbsQuantityVariance
                && (x.Result.AbsCostVariance is not { } cost || best.AbsCostVariance is not { } bestCost || Math.Abs(cost - bestCost) <= Tolerance.CostEpsilon),
        }).ToList();
    }
}
