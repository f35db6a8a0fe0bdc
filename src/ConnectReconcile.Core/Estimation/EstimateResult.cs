namespace ConnectReconcile.Core.Estimation;

/// <summary>One line of an estimate: a charge kind under one usage type, in the invoice's unit.</summary>
public sealed record EstimateLine
{
    public required string ChargeKind { get; init; }
    public required string UsageType { get; init; }
    /// <summary><c>minute</c>, <c>number-day</c> or <c>unit</c>.</summary>
    public required string Unit { get; init; }
    /// <summary>Billed quantity in <see cref="Unit"/> for the month (minutes after minimums, number-days, contacts).</summary>
    public decimal Quantity { get; set; }
    /// <summary>Cost of the rated part, unrounded.</summary>
    public decimal Cost { get; set; }
    /// <summary>Quantity the rate card had no row for (reported, never priced at zero).</summary>
    public decimal UnratedQuantity { get; set; }
    public decimal? Rate { get; set; }
    public string? RateRowId { get; set; }
}

/// <summary>A cost split by one dimension (charge kind, segment kind, leg kind).</summary>
public sealed record CostShare(string Key, decimal Cost);

/// <summary>How many calls of one kind the month holds, and what they cost.</summary>
public sealed record CallGroup(string Group, decimal CallsPerMonth, decimal Cost);

/// <summary>The monthly cost of a volume profile, with what it assumed.</summary>
public sealed record EstimateResult
{
    public required VolumeProfile Profile { get; init; }
    public required string Region { get; init; }
    public required string Country { get; init; }
    public required string PricingModel { get; init; }
    public required string RateCardVersion { get; init; }
    public required string Currency { get; init; }
    public required string Policy { get; init; }
    public required DateOnly From { get; init; }
    public required DateOnly To { get; init; }
    public required int Days { get; init; }
    public required int Resolution { get; init; }
    public required int SyntheticChains { get; init; }
    public required IReadOnlyList<EstimateLine> Lines { get; init; }
    public required IReadOnlyList<CostShare> BySegment { get; init; }
    public required IReadOnlyList<CostShare> ByLegKind { get; init; }
    public required IReadOnlyList<CallGroup> Calls { get; init; }
    public required IReadOnlyList<string> Assumptions { get; init; }
    public required IReadOnlyList<string> UnratedReasons { get; init; }

    public decimal Total => Lines.Sum(l => l.Cost);

    public IReadOnlyList<CostShare> ByChargeKind =>
        Lines.GroupBy(l => l.ChargeKind, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CostShare(g.Key, g.Sum(l => l.Cost))).ToList();
}
