using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Legs;

/// <summary>Canonical charge kinds (billing-model.md §2).</summary>
public static class ChargeKinds
{
    public const string Service = "service";
    public const string TelephonyInboundDid = "telephony:inbound-did";
    public const string TelephonyInboundTollFree = "telephony:inbound-tollfree";
    public const string TelephonyOutbound = "telephony:outbound";
    public const string ContactLens = "contact-lens";
    public const string NumberDaysDid = "number-days:did";
    public const string NumberDaysTollFree = "number-days:tollfree";

    /// <summary>Per-unit kind for a non-voice channel, e.g. <c>chat</c>, <c>task</c>, <c>email</c>.</summary>
    public static string ForChannel(string channel) => channel.ToLowerInvariant();

    public static readonly IReadOnlyList<string> Voice =
        [Service, TelephonyInboundDid, TelephonyInboundTollFree, TelephonyOutbound, ContactLens];

    /// <summary>
    /// Telephony and number-day kinds: priced by the far end's country and number. Service, Contact Lens and
    /// channels are priced by region alone, so a rate row of theirs has neither.
    /// </summary>
    public static bool HasFarEnd(string chargeKind) =>
        chargeKind is TelephonyInboundDid or TelephonyInboundTollFree or TelephonyOutbound or NumberDaysDid or NumberDaysTollFree;

    public static string TelephonyFor(Leg leg) =>
        leg.Direction == Directions.Outbound ? TelephonyOutbound
        : leg.NumberType == Reference.NumberTypes.TollFree ? TelephonyInboundTollFree
        : TelephonyInboundDid;
}

/// <summary>
/// Seconds of one charge kind before minimums are applied: the output of metering, the input of rating.
/// <see cref="Shares"/> splits the seconds by record so a per-record minimum can be applied.
/// </summary>
public sealed record MeteredUsage
{
    public required string ChargeKind { get; init; }
    /// <summary>The leg kind this usage belongs to (service on an unanswered outbound has a kind but no leg).</summary>
    public required string LegKind { get; init; }
    /// <summary>The leg's index, or null when no telephony leg exists.</summary>
    public int? LegIndex { get; init; }
    public required IReadOnlyList<Interval> Intervals { get; init; }
    public required IReadOnlyList<RecordShare> Shares { get; init; }
    public required string ContactId { get; init; }
    /// <summary>Number the charge is rated for (destination for outbound, dialled number for inbound).</summary>
    public string? Number { get; init; }
    public required string Country { get; init; }
    public required string Why { get; init; }

    public long Seconds
    {
        get
        {
            long seconds = 0;
            for (var i = 0; i < Shares.Count; i++)
            {
                seconds += Shares[i].Seconds;
            }

            return seconds;
        }
    }

    public Instant Start => Intervals.Count > 0 ? Intervals[0].Start : default;
}
