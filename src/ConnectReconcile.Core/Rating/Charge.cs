using System.Globalization;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Rating;

/// <summary>
/// One priced line: a metered usage after minimums, with the rate row and arithmetic that priced it.
/// <see cref="Cost"/> is exact (unrounded; what is recorded and shown of it is <see cref="RecordedCost"/>, 12 places)
/// and null when the rate card has no row for it (<see cref="UnratedReason"/> says why): a gap is reported, never priced at zero.
/// </summary>
public sealed record Charge
{
    public required string ChainId { get; init; }
    public required string ContactId { get; init; }
    public required string ChargeKind { get; init; }
    public required string LegKind { get; init; }
    public int? LegIndex { get; init; }
    public required DateOnly Day { get; init; }
    public required Instant Start { get; init; }
    public required string InstanceId { get; init; }
    public required string Region { get; init; }
    public required string PricingModel { get; init; }
    public required string UsageType { get; init; }
    /// <summary>The invoice's unit: <c>minute</c>, <c>number-day</c> or <c>unit</c>.</summary>
    public required string Unit { get; init; }
    public required long ActualSeconds { get; init; }
    public required long BilledSeconds { get; init; }
    /// <summary>Quantity in <see cref="Unit"/> (billed minutes, number-days, units), as the CUR reports it.</summary>
    public required decimal Quantity { get; init; }
    public string? Country { get; init; }
    public string? Number { get; init; }
    public decimal? Rate { get; init; }
    public decimal? Cost
    {
        get => _cost;
        init
        {
            _cost = value;
            Recorded = value is { } exact ? RecordedCost.Of(exact) : null;
        }
    }

    /// <summary>
    /// <see cref="Cost"/> as recorded (<see cref="RecordedCost"/>), worked out once: the cost columns, the contact's and
    /// the day's totals and the segments all take this figure, and rounding a 28-place quotient is not free.
    /// </summary>
    public decimal? Recorded { get; private init; }

    private readonly decimal? _cost;
    public string? RateRowId { get; init; }
    public required string Currency { get; init; }
    public string? UnratedReason { get; init; }
    /// <summary>The increments the rate row applied (1/1 when unrated).</summary>
    public int FirstIncrement { get; init; } = 1;
    public int Increment { get; init; } = 1;

    /// <summary>The increments applied to each record's share of the leg (policy minimums=per-record), not to the leg once.</summary>
    public bool IncrementsPerRecord { get; init; }
    public required string Why { get; init; }

    /// <summary>The computation in words, built on demand (it is only shown in explain and audit exports).</summary>
    private string IncrementsText => FirstIncrement == 1 && Increment == 1 ? "per second, no minimum"
        : $"first {FirstIncrement} s, then {Increment} s{(IncrementsPerRecord ? ", for each record's share" : "")}";

    /// <summary>
    /// Ends with the cost as recorded (12 places, truncated), the figure beside it in audit-export and explain; the rate
    /// and a number-day quantity are written as those outputs write them too (<see cref="RecordedRate"/>, <see cref="StoredQuantity"/>).
    /// </summary>
    public string Arithmetic => Unit switch
    {
        Units.Minute when Rate is { } rate => string.Create(CultureInfo.InvariantCulture,
            $"{ActualSeconds} s actual → {BilledSeconds} s billed ({IncrementsText}) × {RecordedRate.Text(rate)} {Currency}/min ÷ 60 = {RecordedCost.Text(this)}"),
        Units.Minute => $"{ActualSeconds} s actual → {BilledSeconds} s billed; unrated",
        Units.NumberDay when Rate is { } rate => string.Create(CultureInfo.InvariantCulture,
            $"{BilledSeconds / 3600} h held ÷ 24 = {StoredQuantity.Of(Quantity)} number-days × {RecordedRate.Text(rate)} {Currency}/day = {RecordedCost.Text(this)}"),
        Units.NumberDay => string.Create(CultureInfo.InvariantCulture, $"{BilledSeconds / 3600} h held ÷ 24 = {StoredQuantity.Of(Quantity)} number-days; unrated"),
        _ when Rate is { } rate => string.Create(CultureInfo.InvariantCulture, $"{Quantity} {Unit} × {RecordedRate.Text(rate)} {Currency} = {RecordedCost.Text(this)}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Quantity} {Unit}; unrated"),
    };
}

public static class ChargeLists
{
    /// <summary>The telephony charge of a leg (each telephony leg has exactly one), or null.</summary>
    public static Charge? TelephonyOf(this IReadOnlyList<Charge> charges, int legIndex)
    {
        // A loop, not LINQ: asked for every leg of every chain.
        for (var i = 0; i < charges.Count; i++)
        {
            if (charges[i].LegIndex == legIndex && charges[i].ChargeKind.StartsWith("telephony:", StringComparison.Ordinal))
            {
                return charges[i];
            }
        }

        return null;
    }
}

/// <summary>Per-second billing with a first increment (the minimum) and then an increment.</summary>
public static class Increments
{
    public static long Bill(long seconds, int firstIncrement, int increment)
    {
        if (seconds <= 0)
        {
            return 0;
        }

        if (seconds <= firstIncrement)
        {
            return firstIncrement;
        }

        var rest = seconds - firstIncrement;
        return checked(firstIncrement + (rest + increment - 1) / increment * increment);
    }
}
