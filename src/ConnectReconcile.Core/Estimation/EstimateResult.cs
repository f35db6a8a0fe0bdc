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

    /// <summary>The rate of the rated quantity when one rate priced all of it; null when none did, or several (<see cref="Rates"/>).</summary>
    public decimal? Rate => _parts.Count > 0 && _parts.Values.All(p => p.Rate == _parts.Values.First().Rate) ? _parts.Values.First().Rate : null;

    /// <summary>The rate row that priced the rated quantity when there was one; null when none did, or several (<see cref="Rates"/>).</summary>
    public string? RateRowId => _parts.Count == 1 ? _parts.Keys.First() : null;

    /// <summary>
    /// The rated quantity and cost by rate row, in row-id order: more than one row when prefix rows, or a price change
    /// inside the estimated days, priced parts of the usage type.
    /// </summary>
    public IReadOnlyList<RatePart> Rates => _parts.Values.ToList();

    /// <summary>True when the rated quantity was priced at more than one rate (the line's rate is then no single number).</summary>
    public bool MixedRates => _parts.Count > 1 && Rate is null;

    private readonly SortedDictionary<string, RatePart> _parts = new(StringComparer.Ordinal);

    /// <summary>Adds rated quantity and its cost, priced by rate row <paramref name="rowId"/> at <paramref name="rate"/>.</summary>
    public void AddRated(string? rowId, decimal rate, decimal quantity, decimal cost)
    {
        var key = rowId ?? "";
        if (!_parts.TryGetValue(key, out var part))
        {
            _parts[key] = part = new RatePart(key, rate);
        }

        part.Quantity += quantity;
        part.Cost += cost;
        Quantity += quantity;
        Cost += cost;
    }
}

/// <summary>The part of an estimate line one rate row priced.</summary>
public sealed record RatePart(string RowId, decimal Rate)
{
    public decimal Quantity { get; set; }
    public decimal Cost { get; set; }
}

/// <summary>A cost split by one dimension (charge kind, segment kind, leg kind).</summary>
public sealed record CostShare(string Key, decimal Cost);

/// <summary>How many calls of one kind the month holds, and what they cost.</summary>
public sealed record CallGroup(string Group, decimal CallsPerMonth, decimal Cost);

/// <summary>The cost of a volume profile over its days (a month unless the profile says fewer), with what it assumed.</summary>
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

    /// <summary>True when the days estimated are one calendar month; a profile derived from a few days of CTRs covers only those.</summary>
    public bool WholeMonth => From.Day == 1 && Days == DateTime.DaysInMonth(From.Year, From.Month);

    /// <summary>What the totals cover, for labels: "a month", else "for N days".</summary>
    public string Period => WholeMonth ? "a month" : Days == 1 ? "for 1 day" : $"for {Days} days";

    public IReadOnlyList<CostShare> ByChargeKind =>
        Lines.GroupBy(l => l.ChargeKind, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CostShare(g.Key, g.Sum(l => l.Cost))).ToList();
}
