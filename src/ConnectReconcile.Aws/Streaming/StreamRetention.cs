namespace ConnectReconcile.Aws.Streaming;

/// <summary>
/// Which report days the worker still keeps open. Its clock is data, not the wall clock: the latest
/// <c>ApproximateArrivalTimestamp</c> of any committed record (a worker catching up on a backlog, or recovering,
/// closes days exactly as the live run did). Day D is closed once the clock's UTC date is after D + N days,
/// i.e. once N whole days have passed since D ended: with N = 14, a record that arrived on 2026-10-20 closes
/// 2026-10-05 and keeps 2026-10-06 open. A closed day's partitions are never rewritten again.
/// </summary>
public sealed class StreamRetention
{
    public StreamRetention(int retainDays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainDays, 1);
        RetainDays = retainDays;
    }

    public int RetainDays { get; }

    /// <summary>The latest arrival of a committed record; null before the first batch.</summary>
    public DateTimeOffset? Clock { get; private set; }

    /// <summary>The oldest open day; null while nothing is closed (no batch yet).</summary>
    public DateOnly? FirstOpenDay => Clock is { } c ? DateOnly.FromDateTime(c.UtcDateTime).AddDays(-RetainDays) : null;

    public bool IsClosed(DateOnly day) => FirstOpenDay is { } open && day < open;

    /// <summary>Moves the clock to <paramref name="arrival"/> if it is later; true when that closed a day.</summary>
    public bool Advance(DateTimeOffset? arrival)
    {
        if (arrival is not { } a || (Clock is { } c && a <= c))
        {
            return false;
        }

        var before = FirstOpenDay;
        Clock = a;
        return before != FirstOpenDay;
    }
}
