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
    public static IReadOnlyList<Interval> Union(IEnumerable<Interval> intervals)
    {
        // Called several times per chain on lists of one to a few intervals: a plain sort, no LINQ pipeline.
        var sorted = new List<Interval>(intervals is IReadOnlyCollection<Interval> c ? c.Count : 4);
        foreach (var interval in intervals)
        {
            if (!interval.IsEmpty)
            {
                sorted.Add(interval);
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
