using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
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
    /// segments its metered interval covers, by seconds of overlap. Each segment cost is on the 12-place
    /// grid the cost columns hold, and the segment costs of the leg sum exactly to its charges' recorded
    /// costs (<see cref="RecordedCost"/>), so SUM(segments.cost) and SUM(charges.cost) of a leg agree.
    /// </summary>
    /// <param name="charges">The chain's priced charges; those of other legs are skipped.</param>
    public static void Split(Chain chain, Leg leg, long billedSeconds, IReadOnlyList<LegCharge> charges, List<Segment> into) =>
        Split(chain, leg, billedSeconds, charges, into, indexed: null);

    // Up to Chain.SmallChain records a leg is sliced by scanning every mark and record per piece (nothing
    // allocated); above, by one sweep with heaps, which a long chain needs (a scan is quadratic).

    /// <summary>
    /// As the public <c>Split</c>; <paramref name="indexed"/> forces the scans (false) or the sweeps (true) when slicing,
    /// carving holds and allocating, else each is chosen by size (tests compare the two).
    /// </summary>
    internal static void Split(Chain chain, Leg leg, long billedSeconds, IReadOnlyList<LegCharge> charges, List<Segment> into, bool? indexed)
    {
        var scratch = t_scratch ??= new Scratch();
        scratch.Clear(); // also after a leg that threw
        var pieces = scratch.Pieces;
        if (leg.Kind is LegKinds.CustomerInbound or LegKinds.CustomerOutbound or LegKinds.Callback)
        {
            SplitCustomerLeg(chain, leg, scratch, indexed);
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
                legCost += RecordedCost.Of(charges[c].Cost);
                Allocate(charges[c], pieces, costs, scratch.Weights, indexed);
            }
        }

        // Each charge's recorded cost is spread whole, so the sums agree; were a charge to cover no piece
        // (a leg always has seconds, so never), its cost would go to the last timed segment.
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
    /// One charge's recorded cost (12 places, as its row holds it) over the leg's pieces: its top-up to
    /// <c>minimum</c> (when the leg has one, else with the rest), the rest by each piece's seconds inside the
    /// charge's intervals (the running total rounded to 12 places, below). A charge that covers no piece (none
    /// in practice) is spread over every timed piece by seconds.
    /// </summary>
    private static void Allocate(in LegCharge charge, List<Piece> pieces, List<decimal> costs, List<long> weights, bool? indexed)
    {
        var rest = RecordedCost.Of(charge.Cost);
        var last = pieces.Count - 1;
        if (last >= 0 && pieces[last].Kind == SegmentKinds.Minimum && pieces[last].Interval is null && charge.TopUpCost != 0m)
        {
            // Truncated as the cost is: the top-up is part of the cost, so it never exceeds it.
            var topUp = RecordedCost.Of(charge.TopUpCost);
            costs[last] += topUp;
            rest -= topUp;
        }

        weights.Clear();
        long total = 0;
        if ((indexed ?? (long)pieces.Count * charge.Intervals.Count > SmallOverlap) && InTimeOrder(pieces, charge.Intervals))
        {
            total = OverlapsInOnePass(pieces, charge.Intervals, weights);
        }
        else
        {
            foreach (var p in pieces)
            {
                var w = p.Interval is { } span ? Overlap(span, charge.Intervals) : 0;
                weights.Add(w);
                total += w;
            }
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

        if (total == 0)
        {
            return; // no pieces with seconds: nothing to carry a cost (a leg has seconds, so never)
        }

        // Shares by rounding the running total, not each share: no share is negative or off by more than
        // 10⁻¹² (rounding each share alone, four equal pieces of 2·10⁻¹² took 1, 1, 1 and −1), and the last
        // covered piece brings the running total to the whole cost.
        long covered = 0;
        var allocated = 0m;
        for (var i = 0; i < weights.Count; i++)
        {
            if (weights[i] == 0)
            {
                continue;
            }

            covered += weights[i];
            var upTo = covered == total ? rest : Math.Round(rest * covered / total, RecordedCost.Places, MidpointRounding.AwayFromZero);
            costs[i] += upTo - allocated;
            allocated = upTo;
        }
    }

    // Pieces × intervals up to which each piece's overlap is summed over every interval (a long chain's Contact Lens
    // charge has an interval per analysed agent, its leg a piece per record: both run to thousands).
    private const int SmallOverlap = 256;

    /// <summary>Whether the timed pieces follow one another and the intervals are sorted and disjoint, as a leg's are.</summary>
    private static bool InTimeOrder(List<Piece> pieces, IReadOnlyList<Interval> intervals)
    {
        for (var i = 1; i < intervals.Count; i++)
        {
            if (intervals[i].Start < intervals[i - 1].End)
            {
                return false;
            }
        }

        Instant? previousEnd = null;
        foreach (var p in pieces)
        {
            if (p.Interval is { } span)
            {
                if (previousEnd is { } end && span.Start < end)
                {
                    return false;
                }

                previousEnd = span.End;
            }
        }

        return true;
    }

    /// <summary>
    /// Each piece's seconds inside the intervals (as <see cref="Overlap"/> per piece), both walked once in time
    /// order: an interval that ended by a piece's start covers no later piece either. Returns their sum.
    /// </summary>
    private static long OverlapsInOnePass(List<Piece> pieces, IReadOnlyList<Interval> intervals, List<long> weights)
    {
        long total = 0;
        var next = 0;
        foreach (var p in pieces)
        {
            long w = 0;
            if (p.Interval is { } span)
            {
                while (next < intervals.Count && intervals[next].End <= span.Start)
                {
                    next++;
                }

                for (var j = next; j < intervals.Count && intervals[j].Start < span.End; j++)
                {
                    w += span.Intersect(intervals[j]).Seconds;
                }
            }

            weights.Add(w);
            total += w;
        }

        return total;
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

    private static void SplitCustomerLeg(Chain chain, Leg leg, Scratch scratch, bool? indexed)
    {
        var records = scratch.Records;
        var hasExternal = false;
        var all = chain.RecordSpan;
        var calls = indexed is { } forced ? CallbackCalls.Of(chain, forced) : CallbackCalls.Of(chain);
        for (var i = 0; i < all.Length; i++)
        {
            // The leg's own records: a callback leg's CALLBACK and the transfers on its call, the customer leg the rest.
            var r = all[i];
            if (leg.Kind == LegKinds.Callback ? calls.OnCallbackLeg(i, leg.ContactId) : calls.OnCustomerLeg(i))
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

        // Each piece between boundaries goes to its strongest mark; a piece no mark covers is ivr before the first
        // agent, external after the last one when the call went to an external number, flow otherwise.
        var unmarked = new Unmarked(firstAgent, lastAgentEnd, hasExternal, leg.ContactId);
        if (indexed ?? records.Count > Chain.SmallChain)
        {
            SliceBySweep(leg.Intervals, records, marks, scratch, unmarked);
            CarveHoldsInOnePass(scratch.Pieces, records);
        }
        else
        {
            SliceByScan(leg.Intervals, records, marks, scratch, unmarked);
            CarveHolds(scratch.Pieces, records);
        }
    }

    /// <summary>What a piece that no mark covers is: its kind by where it lies against the agents' time, and its record.</summary>
    private readonly record struct Unmarked(Instant? FirstAgent, Instant? LastAgentEnd, bool HasExternal, string LegContactId)
    {
        public Piece For(Interval piece, string? owner) => new(
            FirstAgent is null || piece.End <= FirstAgent ? SegmentKinds.Ivr
                : HasExternal && LastAgentEnd is { } last && piece.Start >= last ? SegmentKinds.External
                : SegmentKinds.Flow,
            piece.Seconds,
            piece,
            owner ?? LegContactId);
    }

    private static Piece Marked(in Mark m, Interval piece) =>
        new(m.Kind, piece.Seconds, piece, m.Record.ContactId, m.Queue, m.Agent, m.RoutingProfile);

    /// <summary>A small leg's pieces: for each, every mark and record scanned.</summary>
    private static void SliceByScan(IReadOnlyList<Interval> spans, List<ContactRecord> records, List<Mark> marks, Scratch scratch, in Unmarked unmarked)
    {
        var pieces = scratch.Pieces;
        var points = scratch.Points;
        foreach (var span in spans)
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

            SortDistinct(points);
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

                Append(pieces, best >= 0 ? Marked(marks[best], piece) : unmarked.For(piece, OwnerOf(records, piece)));
            }
        }
    }

    /// <summary>
    /// A large leg's pieces, the same as <see cref="SliceByScan"/> gives, in one sweep in time order: the mark
    /// boundaries sorted once; the marks begun by a piece's start in a heap by strength, the records connected by
    /// then in a heap by chain order, each dropped when it surfaces ended before the piece's end (it covers no
    /// later piece either). A piece costs a few heap steps, not a scan of every mark and record.
    /// </summary>
    private static void SliceBySweep(IReadOnlyList<Interval> spans, List<ContactRecord> records, List<Mark> marks, Scratch scratch, in Unmarked unmarked)
    {
        for (var i = 1; i < spans.Count; i++)
        {
            if (spans[i].Start < spans[i - 1].End)
            {
                SliceByScan(spans, records, marks, scratch, unmarked); // not a leg's sorted, disjoint spans: never, but then safely
                return;
            }
        }

        var bounds = scratch.Points;
        bounds.Clear();
        foreach (var m in marks)
        {
            bounds.Add(m.Interval.Start);
            bounds.Add(m.Interval.End);
        }

        SortDistinct(bounds);
        var marksByStart = new int[marks.Count];
        var starts = new Instant[marks.Count];
        for (var i = 0; i < marks.Count; i++)
        {
            marksByStart[i] = i;
            starts[i] = marks[i].Interval.Start;
        }

        Array.Sort(starts, marksByStart);
        var recordsByStart = new int[records.Count];
        var connected = new Instant[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            recordsByStart[i] = i;
            connected[i] = records[i].ConnectedToSystemTimestamp ?? records[i].InitiationTimestamp;
        }

        Array.Sort(connected, recordsByStart);
        var strongest = new PriorityQueue<int, int>(Comparer<int>.Create((a, b) => Strength(marks[a], a, marks[b], b)));
        var earliest = new PriorityQueue<int, int>(); // by chain order, as OwnerOf takes the first covering record
        int nextBound = 0, nextMark = 0, nextRecord = 0;
        var pieces = scratch.Pieces;
        foreach (var span in spans)
        {
            while (nextBound < bounds.Count && bounds[nextBound] <= span.Start)
            {
                nextBound++;
            }

            for (var from = span.Start; from < span.End;)
            {
                var to = nextBound < bounds.Count && bounds[nextBound] < span.End ? bounds[nextBound++] : span.End;
                var piece = new Interval(from, to);
                while (nextMark < marksByStart.Length && starts[nextMark] <= from)
                {
                    strongest.Enqueue(marksByStart[nextMark], marksByStart[nextMark]);
                    nextMark++;
                }

                while (strongest.TryPeek(out var top, out _) && marks[top].Interval.End < to)
                {
                    strongest.Dequeue();
                }

                if (strongest.TryPeek(out var best, out _))
                {
                    Append(pieces, Marked(marks[best], piece));
                }
                else
                {
                    while (nextRecord < recordsByStart.Length && connected[nextRecord] <= from)
                    {
                        earliest.Enqueue(recordsByStart[nextRecord], recordsByStart[nextRecord]);
                        nextRecord++;
                    }

                    while (earliest.TryPeek(out var first, out _) && records[first].End < to)
                    {
                        earliest.Dequeue();
                    }

                    Append(pieces, unmarked.For(piece, earliest.TryPeek(out var owner, out _) ? records[owner].ContactId : null));
                }

                from = to;
            }
        }
    }

    private static void SortDistinct(List<Instant> points)
    {
        points.Sort();
        var distinct = points.Count == 0 ? 0 : 1;
        for (var i = 1; i < points.Count; i++)
        {
            if (points[i] != points[distinct - 1])
            {
                points[distinct++] = points[i];
            }
        }

        points.RemoveRange(distinct, points.Count - distinct);
    }

    /// <summary>Agent over queue; among equals the earliest start, then the lowest ContactId.</summary>
    private static bool Stronger(in Mark candidate, in Mark best) =>
        candidate.Rank > best.Rank
        || (candidate.Rank == best.Rank && (candidate.Interval.Start < best.Interval.Start
            || (candidate.Interval.Start == best.Interval.Start && string.CompareOrdinal(candidate.Record.ContactId, best.Record.ContactId) < 0)));

    /// <summary><see cref="Stronger"/> as an order (the stronger first), ties to the earlier mark as the scan keeps the first it finds.</summary>
    private static int Strength(in Mark a, int aIndex, in Mark b, int bIndex) =>
        Stronger(a, b) ? -1 : Stronger(b, a) ? 1 : aIndex.CompareTo(bIndex);

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

    /// <summary>
    /// <see cref="CarveHolds"/> for a large leg, in one pass from the end: each agent piece gives its record's holds
    /// from its end backwards, as <see cref="CarveHolds"/> does record by record (a ContactId seen twice carving
    /// after the first), without scanning the leg once per record.
    /// </summary>
    private static void CarveHoldsInOnePass(List<Piece> pieces, List<ContactRecord> records)
    {
        // Per ContactId, the hold seconds still to carve, the next at the end.
        Dictionary<string, List<long>>? owed = null;
        for (var i = records.Count - 1; i >= 0; i--)
        {
            if (records[i].Agent?.CustomerHoldDuration is > 0 and var hold)
            {
                owed ??= new Dictionary<string, List<long>>(StringComparer.Ordinal);
                if (!owed.TryGetValue(records[i].ContactId, out var holds))
                {
                    owed[records[i].ContactId] = holds = [];
                }

                holds.Add(hold);
            }
        }

        if (owed is null)
        {
            return; // most legs
        }

        var reversed = new List<Piece>(pieces.Count + records.Count);
        for (var i = pieces.Count - 1; i >= 0; i--)
        {
            var s = pieces[i];
            if (s.Kind == SegmentKinds.Agent && s.Interval is not null && owed.TryGetValue(s.ContactId, out var holds))
            {
                // Holds off the piece's end, latest first; what is left stays agent time before them.
                while (holds.Count > 0 && s.Interval is { } span)
                {
                    var take = Math.Min(holds[^1], s.Seconds);
                    var holdStart = span.End.PlusSeconds(-take);
                    reversed.Add(s with { Kind = SegmentKinds.Hold, Seconds = take, Interval = new Interval(holdStart, span.End) });
                    holds[^1] -= take;
                    if (holds[^1] == 0)
                    {
                        holds.RemoveAt(holds.Count - 1);
                    }

                    s = take == s.Seconds ? s with { Seconds = 0, Interval = null } : s with { Seconds = s.Seconds - take, Interval = new Interval(span.Start, holdStart) };
                }

                if (s.Interval is null)
                {
                    continue; // all hold
                }
            }

            reversed.Add(s);
        }

        reversed.Reverse();
        pieces.Clear();
        pieces.AddRange(reversed);
    }
}
