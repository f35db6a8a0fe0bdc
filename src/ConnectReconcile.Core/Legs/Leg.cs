using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Legs;

/// <summary>Canonical leg kinds (billing-model.md §2); these exact strings appear in every output.</summary>
public static class LegKinds
{
    public const string CustomerInbound = "customer-inbound";
    public const string CustomerOutbound = "customer-outbound";
    public const string Callback = "callback";
    public const string ThirdParty = "third-party";
    public const string DeskPhone = "desk-phone";
}

/// <summary>
/// One connection the telephone network carries between Connect and the outside world.
/// <see cref="Intervals"/> are disjoint and sorted (a union over the records that make the leg).
/// </summary>
public sealed record Leg
{
    public required int Index { get; init; }
    public required string Kind { get; init; }
    public required string Direction { get; init; }
    public string? Number { get; init; }
    public required string Country { get; init; }
    /// <summary>DID or TOLL_FREE for inbound legs; null for outbound.</summary>
    public string? NumberType { get; init; }
    public required IReadOnlyList<Interval> Intervals { get; init; }
    /// <summary>Seconds each contributing record adds to the union (earliest record owns overlaps).</summary>
    public required IReadOnlyList<RecordShare> Shares { get; init; }
    public required string ContactId { get; init; }
    public required string Why { get; init; }
    /// <summary>True when a timestamp had to be inferred (e.g. ACW start standing in for transfer completion).</summary>
    public bool Estimated { get; init; }
    /// <summary>Agent behind a desk-phone leg.</summary>
    public string? Agent { get; init; }

    public long Seconds
    {
        get
        {
            long seconds = 0;
            for (var i = 0; i < Intervals.Count; i++)
            {
                seconds += Intervals[i].Seconds;
            }

            return seconds;
        }
    }

    public Interval Span => new(Intervals[0].Start, Intervals[^1].End);
}

/// <summary>The seconds one contact record contributes to a leg or a metered usage.</summary>
public readonly record struct RecordShare(string ContactId, long Seconds);

public static class Directions
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
}
