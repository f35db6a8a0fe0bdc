namespace ConnectReconcile.Core.Time;

/// <summary>A half-open interval [Start, End) of whole seconds. Empty when End ≤ Start.</summary>
public readonly record struct Interval(Instant Start, Instant End)
{
    public long Seconds => End > Start ? End.UnixSeconds - Start.UnixSeconds : 0;

    public bool IsEmpty => End <= Start;

    public Interval Intersect(Interval other) => new(Instant.Max(Start, other.Start), Instant.Min(End, other.End));

    public override string ToString() => $"[{Start}, {End})";
}

/// <summary>Set operations over intervals: the customer leg is a union, never a sum.</summary>
public static class Intervals
{
    /// <summary>The union as disjoint, sorted intervals (touching intervals merge).</summary>
    public static IReadOnlyList<Interval> Union(IEnumerable<Interval> intervals) =>
        Union(intervals as IReadOnlyList<Interval> ?? [.. intervals]);

    /// <inheritdoc cref="Union(IEnumerable{Interval})"/>
    public static IReadOnlyList<Interval> Union(IReadOnlyList<Interval> intervals)
    {
        // Called several times per chain, mostly on one interval: no enumerator, no list for that case.
        if (intervals.Count == 1)
        {
            return intervals[0].IsEmpty ? [] : [intervals[0]];
        }

        var sorted = new List<Interval>(intervals.Count);
        for (var i = 0; i < intervals.Count; i++)
        {
            if (!intervals[i].IsEmpty)
            {
                sorted.Add(intervals[i]);
            }
        }

        if (sorted.Count > 1)
        {
            sorted.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.End.CompareTo(b.End));
        }

        var result = new List<Interval>(sorted.Count);
        foreach (var interval in sorted)
        {
            if (result.Count > 0 && interval.Start <= result[^1].End)
            {
                var last = result[^1];
                result[^1] = last with { End = Instant.Max(last.End, interval.End) };
            }
            else
            {
                result.Add(interval);
            }
        }

        return result;
    }
}
