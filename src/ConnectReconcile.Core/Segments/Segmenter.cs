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
    /// <summary>The leg's cost allocated to this segment by seconds.</summary>
    public decimal Cost { get; init; }
}

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

        public void Clear()
        {
            Records.Clear();
            Marks.Clear();
            Pieces.Clear();
        }
    }

    /// <summary>
    /// Adds the leg's segments to <paramref name="into"/>, with <paramref name="legCost"/> spread over
    /// them by seconds (the last takes the remainder, so they sum to it exactly).
    /// </summary>
    public static void Split(Chain chain, Leg leg, long billedSeconds, decimal legCost, List<Segment> into)
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

        long totalSeconds = 0;
        foreach (var piece in pieces)
        {
            totalSeconds += piece.Seconds;
        }

        var allocated = 0m;
        for (var i = 0; i < pieces.Count; i++)
        {
            var p = pieces[i];
            var cost = i == pieces.Count - 1 || totalSeconds == 0
                ? legCost - allocated
                : Math.Round(legCost * p.Seconds / totalSeconds, 12, MidpointRounding.AwayFromZero);
            allocated += cost;
            into.Add(new Segment
            {
                LegIndex = leg.Index, Kind = p.Kind, Seconds = p.Seconds, Interval = p.Interval, ContactId = p.ContactId,
                Queue = p.Queue, Agent = p.Agent, RoutingProfile = p.RoutingProfile, Cost = cost,
            });
        }

        scratch.Clear();
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
