using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Segments;

/// <summary>Segment kinds (billing-model.md §3), for allocating a leg's cost to IVR, queues and agents.</summary>
public static class SegmentKinds
{
    public const string Ivr = "ivr";
    public const string Queue = "queue";
    public const string TransferQueue = "transfer-queue";
    public const string Agent = "agent";
    public const string Hold = "hold";
    /// <summary>Flow time after an agent was reached (transfer flows, surveys, disconnect flows).</summary>
    public const string Flow = "flow";
    /// <summary>The customer on an external party after the agent left (external transfer).</summary>
    public const string External = "external";
    public const string Minimum = "minimum";
}

/// <summary>A consecutive slice of a leg; the slices of a leg sum exactly to its billed seconds.</summary>
public sealed record Segment
{
    public required int LegIndex { get; init; }
    public required string Kind { get; init; }
    public required long Seconds { get; init; }
    /// <summary>Null for the minimum top-up, which has no wall-clock time.</summary>
    public Interval? Interval { get; init; }
    public required string ContactId { get; init; }
    public string? Queue { get; init; }
    public string? Agent { get; init; }
    public string? RoutingProfile { get; init; }
    /// <summary>The leg's cost allocated to this segment by seconds (set by the rater).</summary>
    public decimal Cost { get; init; }
}

/// <summary>
/// Splits legs into segments. For the customer leg, each second goes to the strongest claim on it:
/// an agent (earliest-connected first) over a queue over flow time; hold is carved from the end of
/// the agent's time by its CustomerHoldDuration (the CTR does not say where the holds were).
/// </summary>
public static class Segmenter
{
    private sealed record Mark(Interval Interval, int Rank, string Kind, ContactRecord Record, string? Queue, string? Agent, string? RoutingProfile);

    public static IReadOnlyList<Segment> Split(Chain chain, Leg leg, long billedSeconds)
    {
        var segments = leg.Kind is LegKinds.CustomerInbound or LegKinds.CustomerOutbound or LegKinds.Callback
            ? SplitCustomerLeg(chain, leg)
            : [new Segment { LegIndex = leg.Index, Kind = leg.Kind, Seconds = leg.Seconds, Interval = leg.Span, ContactId = leg.ContactId, Agent = leg.Agent }];

        var topUp = billedSeconds - leg.Seconds;
        if (topUp > 0)
        {
            segments.Add(new Segment { LegIndex = leg.Index, Kind = SegmentKinds.Minimum, Seconds = topUp, ContactId = leg.ContactId });
        }

        return segments;
    }

    private static List<Segment> SplitCustomerLeg(Chain chain, Leg leg)
    {
        var records = leg.Kind == LegKinds.Callback
            ? chain.Records.Where(r => r.ContactId == leg.ContactId).ToList()
            : chain.Records.Where(LegBuilder.KeepsCustomer).ToList();
        var marks = new List<Mark>();
        foreach (var r in records)
        {
            var end = r.End;
            if (r.Agent is { ConnectedToAgentTimestamp: { } connected } agent)
            {
                var agentEnd = agent.AfterContactWorkStartTimestamp is { } acw && acw < end ? acw : end;
                marks.Add(new Mark(new Interval(connected, agentEnd), 2, SegmentKinds.Agent, r, r.Queue?.DisplayName, agent.Username ?? agent.Arn, agent.RoutingProfile));
            }

            if (r.Queue is { EnqueueTimestamp: { } enqueued } queue)
            {
                var dequeued = queue.DequeueTimestamp ?? r.Agent?.ConnectedToAgentTimestamp ?? end;
                var kind = r.IsRoot || r.InitiationMethod == InitiationMethods.Callback ? SegmentKinds.Queue : SegmentKinds.TransferQueue;
                marks.Add(new Mark(new Interval(enqueued, dequeued), 1, kind, r, queue.DisplayName, null, null));
            }
        }

        Instant? firstAgent = null, lastAgentEnd = null;
        foreach (var m in marks)
        {
            if (m.Rank == 2)
            {
                firstAgent = firstAgent is { } f && f <= m.Interval.Start ? f : m.Interval.Start;
                lastAgentEnd = lastAgentEnd is { } l && l >= m.Interval.End ? l : m.Interval.End;
            }
        }

        var hasExternal = chain.Records.Any(r => r.TransferredToEndpoint is { IsTelephoneNumber: true } || r.InitiationMethod == InitiationMethods.ExternalOutbound);

        var segments = new List<Segment>();
        foreach (var span in leg.Intervals)
        {
            // The span's ends and every mark boundary inside it, sorted and distinct.
            var points = new List<Instant>(2 + (2 * marks.Count)) { span.Start, span.End };
            foreach (var m in marks)
            {
                if (m.Interval.Start > span.Start && m.Interval.Start < span.End) points.Add(m.Interval.Start);
                if (m.Interval.End > span.Start && m.Interval.End < span.End) points.Add(m.Interval.End);
            }

            points.Sort();
            var distinct = 1;
            for (var i = 1; i < points.Count; i++)
            {
                if (points[i] != points[distinct - 1])
                {
                    points[distinct++] = points[i];
                }
            }

            points.RemoveRange(distinct, points.Count - distinct);
            for (var i = 0; i + 1 < points.Count; i++)
            {
                var piece = new Interval(points[i], points[i + 1]);
                Mark? best = null;
                foreach (var m in marks)
                {
                    if (m.Interval.Start <= piece.Start && m.Interval.End >= piece.End && Stronger(m, best))
                    {
                        best = m;
                    }
                }

                var segment = best is not null
                    ? new Segment { LegIndex = leg.Index, Kind = best.Kind, Seconds = piece.Seconds, Interval = piece, ContactId = best.Record.ContactId, Queue = best.Queue, Agent = best.Agent, RoutingProfile = best.RoutingProfile }
                    : new Segment
                    {
                        LegIndex = leg.Index,
                        Kind = firstAgent is null || piece.End <= firstAgent ? SegmentKinds.Ivr
                            : hasExternal && lastAgentEnd is { } last && piece.Start >= last ? SegmentKinds.External
                            : SegmentKinds.Flow,
                        Seconds = piece.Seconds,
                        Interval = piece,
                        ContactId = OwnerOf(records, piece) ?? leg.ContactId,
                    };
                Append(segments, segment);
            }
        }

        CarveHolds(segments, records);
        return segments;
    }

    /// <summary>Agent over queue; among equals the earliest start, then the lowest ContactId.</summary>
    private static bool Stronger(Mark candidate, Mark? best) =>
        best is null
        || candidate.Rank > best.Rank
        || (candidate.Rank == best.Rank && (candidate.Interval.Start < best.Interval.Start
            || (candidate.Interval.Start == best.Interval.Start && string.CompareOrdinal(candidate.Record.ContactId, best.Record.ContactId) < 0)));

    private static string? OwnerOf(List<ContactRecord> records, Interval piece)
    {
        foreach (var r in records)
        {
            if ((r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp) <= piece.Start && r.End >= piece.End)
            {
                return r.ContactId;
            }
        }

        return null;
    }

    private static void Append(List<Segment> segments, Segment next)
    {
        if (segments.Count > 0)
        {
            var last = segments[^1];
            if (last.Kind == next.Kind && last.ContactId == next.ContactId && last.Queue == next.Queue && last.Agent == next.Agent &&
                last.Interval is { } a && next.Interval is { } b && a.End == b.Start)
            {
                segments[^1] = last with { Seconds = last.Seconds + next.Seconds, Interval = new Interval(a.Start, b.End) };
                return;
            }
        }

        segments.Add(next);
    }

    private static void CarveHolds(List<Segment> segments, List<ContactRecord> records)
    {
        foreach (var r in records)
        {
            var remaining = r.Agent?.CustomerHoldDuration ?? 0;
            for (var i = segments.Count - 1; i >= 0 && remaining > 0; i--)
            {
                var s = segments[i];
                if (s.Kind != SegmentKinds.Agent || s.ContactId != r.ContactId || s.Interval is not { } span)
                {
                    continue;
                }

                var take = Math.Min(remaining, s.Seconds);
                remaining -= take;
                var holdStart = span.End.PlusSeconds(-take);
                var hold = s with { Kind = SegmentKinds.Hold, Seconds = take, Interval = new Interval(holdStart, span.End) };
                if (take == s.Seconds)
                {
                    segments[i] = hold;
                }
                else
                {
                    segments[i] = s with { Seconds = s.Seconds - take, Interval = new Interval(span.Start, holdStart) };
                    segments.Insert(i + 1, hold);
                }
            }
        }
    }
}
