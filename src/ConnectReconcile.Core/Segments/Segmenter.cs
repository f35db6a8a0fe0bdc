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
    /// <summary>
    /// This segment's part of the leg's charges: each charge's minimum top-up on <c>minimum</c>, the rest of
    /// each charge by the segment's seconds inside that charge's metered interval (<see cref="Segmenter.Split"/>).
    /// </summary>
    public decimal Cost { get; init; }
}

/// <summary>
/// A priced charge of a leg as the segmenter allocates it: its cost, the part of the cost its minimum
/// top-up priced (billed − actual seconds × rate), and the intervals it was metered over (telephony:
/// the leg; service: from dialling or connection; Contact Lens: the agent-connected time under the
/// default policy).
/// </summary>
public readonly record struct LegCharge(int? LegIndex, decimal Cost, decimal TopUpCost, IReadOnlyList<Interval> Intervals);

/// <summary>
/// Splits legs into segments. For the customer leg, each second goes to the strongest claim on it:
/// an agent (earliest-connected first) over a queue over flow time; hold is carved from the end of
/// the agent's time by its CustomerHoldDuration (the CTR does not say where the holds were).
/// </summary>
public static class Segmenter
{
    // Value types while slicing and merging: every chain of a month goes through here, and a segment
    // is allocated once, when its cost is known.
    private readonly record struct Mark(Interval Interval, int Rank, string Kind, ContactRecord Record, string? Queue, string? Agent, string? RoutingProfile);

    private readonly record struct Piece(string Kind, long Seconds, Interval? Interval, string ContactId, string? Queue = null, string? Agent = null, string? RoutingProfile = null);

    // Working lists reused per thread (rating runs in parallel), emptied after each leg so they hold no records.
    [ThreadStatic]
    private static Scratch? t_scratch;

    private sealed class Scratch
    {
        public List<ContactRecord> Records { get; } = [];
        public List<Mark> Marks { get; } = [];
        public List<Piece> Pieces { get; } = [];
        public List<Instant> Points { get; } = [];
        public List<decimal> Costs { get; } = [];
        public List<long> Weights { get; } = [];

        public void Clear()
        {
            Records.Clear();
            Marks.Clear();
            Pieces.Clear();
            Costs.Clear();
            Weights.Clear();
        }
    }

    /// <summary>
    /// Adds the leg's segments to <paramref name="into"/>, each charge of the leg allocated over them
    /// (<see cref="LegCharge"/>): its minimum top-up to the <c>minimum</c> segment, the rest to the
    /// segments its metered interval covers, by seconds of overlap. The segment costs of the leg sum
    /// exactly to the costs of its charges.
    /// </summary>
    /// <param name="charges">The chain's priced charges; those of other legs are skipped.</param>
    public static void Split(Chain chain, Leg leg, long billedSeconds, IReadOnlyList<LegCharge> charges, List<Segment> into)
    {
        var scratch = t_scratch ??= new Scratch();
        scratch.Clear(); // also after a leg that threw
        var pieces = scratch.Pieces;
        if (leg.Kind is LegKinds.CustomerInbound or LegKinds.CustomerOutbound or LegKinds.Callback)
        {
            SplitCustomerLeg(chain, leg, scratch);
        }
        else
        {
            pieces.Add(new Piece(leg.Kind, leg.Seconds, leg.Span, leg.ContactId, Agent: leg.Agent));
        }

        var topUp = billedSeconds - leg.Seconds;
        if (topUp > 0)
        {
            pieces.Add(new Piece(SegmentKinds.Minimum, topUp, null, leg.ContactId));
        }

        var costs = scratch.Costs;
        for (var i = 0; i < pieces.Count; i++)
        {
            costs.Add(0m);
        }

        var legCost = 0m;
        for (var c = 0; c < charges.Count; c++)
        {
            if (charges[c].LegIndex == leg.Index)
            {
                legCost += charges[c].Cost;
                Allocate(charges[c], pieces, costs, scratch.Weights);
            }
        }

        // Every cost so far is on the 12-place grid; the leg's residue below it (decimal division's
        // last digits) goes to its last timed segment, so one segment per leg carries more than 12 places
        // and the leg's segments still sum exactly to its charges.
        var sum = 0m;
        var residueTo = pieces.Count - 1;
        for (var i = 0; i < costs.Count; i++)
        {
            sum += costs[i];
            residueTo = pieces[i].Interval is not null ? i : residueTo;
        }

        if (sum != legCost && residueTo >= 0)
        {
            costs[residueTo] += legCost - sum;
        }

        for (var i = 0; i < pieces.Count; i++)
        {
            var p = pieces[i];
            into.Add(new Segment
            {
                LegIndex = leg.Index, Kind = p.Kind, Seconds = p.Seconds, Interval = p.Interval, ContactId = p.ContactId,
                Queue = p.Queue, Agent = p.Agent, RoutingProfile = p.RoutingProfile, Cost = costs[i],
            });
        }

        scratch.Clear();
    }

    /// <summary>
    /// One charge's cost (to 12 places) over the leg's pieces: its top-up to <c>minimum</c> (when the leg has
    /// one, else with the rest), the rest by each piece's seconds inside the charge's intervals, each share
    /// rounded to 12 places and the last piece it covers taking the charge's remainder. A charge that covers
    /// no piece (none in practice) is spread over every timed piece by seconds.
    /// </summary>
    private static void Allocate(in LegCharge charge, List<Piece> pieces, List<decimal> costs, List<long> weights)
    {
        var rest = Math.Round(charge.Cost, 12, MidpointRounding.AwayFromZero);
        var last = pieces.Count - 1;
        if (last >= 0 && pieces[last].Kind == SegmentKinds.Minimum && pieces[last].Interval is null && charge.TopUpCost != 0m)
        {
            var topUp = Math.Round(charge.TopUpCost, 12, MidpointRounding.AwayFromZero);
            costs[last] += topUp;
            rest -= topUp;
        }

        weights.Clear();
        long total = 0;
        foreach (var p in pieces)
        {
            var w = p.Interval is { } span ? Overlap(span, charge.Intervals) : 0;
            weights.Add(w);
            total += w;
        }

        if (total == 0)
        {
            // No overlap: every timed piece by its seconds (a leg of only a top-up cannot occur, but then that).
            for (var i = 0; i < pieces.Count; i++)
            {
                weights[i] = pieces[i].Interval is null ? 0 : pieces[i].Seconds;
                total += weights[i];
            }

            if (total == 0)
            {
                for (var i = 0; i < pieces.Count; i++)
                {
                    weights[i] = pieces[i].Seconds;
                    total += weights[i];
                }
            }
        }

        var lastCovered = -1;
        for (var i = 0; i < weights.Count; i++)
        {
            lastCovered = weights[i] > 0 ? i : lastCovered;
        }

        if (lastCovered < 0)
        {
            return; // no pieces with seconds: nothing to carry a cost (a leg has seconds, so never)
        }

        var allocated = 0m;
        for (var i = 0; i <= lastCovered; i++)
        {
            if (weights[i] == 0)
            {
                continue;
            }

            var share = i == lastCovered ? rest - allocated : Math.Round(rest * weights[i] / total, 12, MidpointRounding.AwayFromZero);
            allocated += share;
            costs[i] += share;
        }
    }

    /// <summary>Seconds of <paramref name="span"/> inside the (disjoint) intervals.</summary>
    private static long Overlap(Interval span, IReadOnlyList<Interval> intervals)
    {
        long seconds = 0;
        for (var i = 0; i < intervals.Count; i++)
        {
            seconds += span.Intersect(intervals[i]).Seconds;
        }

        return seconds;
    }

    private static void SplitCustomerLeg(Chain chain, Leg leg, Scratch scratch)
    {
        var records = scratch.Records;
        var hasExternal = false;
        foreach (var r in chain.RecordSpan)
        {
            // The leg's own records: a callback leg's CALLBACK and the transfers on its call, the customer leg the rest.
            if (leg.Kind == LegKinds.Callback ? LegBuilder.OnCallbackLeg(chain, leg.ContactId, r) : LegBuilder.OnCustomerLeg(chain, r))
            {
                records.Add(r);
            }

            hasExternal |= r.TransferredToEndpoint is { IsTelephoneNumber: true } || r.InitiationMethod == InitiationMethods.ExternalOutbound;
        }

        var marks = scratch.Marks;
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

        var pieces = scratch.Pieces;
        var points = scratch.Points;
        foreach (var span in leg.Intervals)
        {
            // The span's ends and every mark boundary inside it, sorted and distinct.
            points.Clear();
            points.Add(span.Start);
            points.Add(span.End);
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
                var best = -1;
                for (var j = 0; j < marks.Count; j++)
                {
                    var m = marks[j];
                    if (m.Interval.Start <= piece.Start && m.Interval.End >= piece.End && (best < 0 || Stronger(m, marks[best])))
                    {
                        best = j;
                    }
                }

                Append(pieces, best >= 0
                    ? new Piece(marks[best].Kind, piece.Seconds, piece, marks[best].Record.ContactId, marks[best].Queue, marks[best].Agent, marks[best].RoutingProfile)
                    : new Piece(
                        firstAgent is null || piece.End <= firstAgent ? SegmentKinds.Ivr
                            : hasExternal && lastAgentEnd is { } last && piece.Start >= last ? SegmentKinds.External
                            : SegmentKinds.Flow,
                        piece.Seconds,
                        piece,
                        OwnerOf(records, piece) ?? leg.ContactId));
            }
        }

        CarveHolds(pieces, records);
    }

    /// <summary>Agent over queue; among equals the earliest start, then the lowest ContactId.</summary>
    private static bool Stronger(in Mark candidate, in Mark best) =>
        candidate.Rank > best.Rank
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

    private static void Append(List<Piece> pieces, Piece next)
    {
        if (pieces.Count > 0)
        {
            var last = pieces[^1];
            if (last.Kind == next.Kind && last.ContactId == next.ContactId && last.Queue == next.Queue && last.Agent == next.Agent &&
                last.Interval is { } a && next.Interval is { } b && a.End == b.Start)
            {
                pieces[^1] = last with { Seconds = last.Seconds + next.Seconds, Interval = new Interval(a.Start, b.End) };
                return;
            }
        }

        pieces.Add(next);
    }

    private static void CarveHolds(List<Piece> pieces, List<ContactRecord> records)
    {
        foreach (var r in records)
        {
            var remaining = r.Agent?.CustomerHoldDuration ?? 0;
            for (var i = pieces.Count - 1; i >= 0 && remaining > 0; i--)
            {
                var s = pieces[i];
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
                    pieces[i] = hold;
                }
                else
                {
                    pieces[i] = s with { Seconds = s.Seconds - take, Interval = new Interval(span.Start, holdStart) };
                    pieces.Insert(i + 1, hold);
                }
            }
        }
    }
}
