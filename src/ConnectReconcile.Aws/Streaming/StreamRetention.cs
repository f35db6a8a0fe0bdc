using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>
/// Which report days the worker still keeps open. Its clock is data, not the wall clock: the latest
/// <see cref="ClockOf">time</see> of any committed CTR, so a worker catching up on a backlog, or recovering,
/// closes days exactly as the live run did. Day D is closed once the clock's UTC date is after D + N days
/// (N = <c>--retain-days</c>), i.e. once N whole days have passed since D ended: with N = 14, a clock on
/// 2026-10-20 closes 2026-10-05 and keeps 2026-10-06 open. A closed day stays closed, whatever N a later run
/// is given (<see cref="FirstOpenDay"/> never moves back), and its partitions are never rewritten again.
/// </summary>
public sealed class StreamRetention
{
    /// <summary>Ten years: beyond that a day would never close in practice, and dates would run out of range.</summary>
    public const int MaxRetainDays = 3650;

    /// <summary>The latest <see cref="ClockOf"/> of a committed CTR; null before the first batch with a CTR.</summary>
    public DateTimeOffset? Clock { get; private set; }

    /// <summary>The oldest open day; null while nothing is closed (no batch yet).</summary>
    public DateOnly? FirstOpenDay { get; private set; }

    /// <summary>
    /// What one CTR tells the clock: its <c>ApproximateArrivalTimestamp</c>, but no later than the CTR's own
    /// <c>LastUpdateTimestamp</c> (else its end). Live, Connect writes a CTR as it is updated, so the two agree;
    /// a backlog put on the stream today (files loaded with <c>load</c>) would otherwise close every day at once,
    /// and the cap on arrival keeps a CTR stamped in the future from closing days that are still live.
    /// </summary>
    public static DateTimeOffset ClockOf(ContactRecord record, DateTimeOffset arrival)
    {
        var stamp = new DateTimeOffset(DateTime.SpecifyKind((record.LastUpdateTimestamp ?? record.End).ToDateTime(), DateTimeKind.Utc));
        return stamp < arrival ? stamp : arrival;
    }

    /// <summary>
    /// Moves the clock to <paramref name="clock"/> (a batch's latest <see cref="ClockOf"/>) if it is later, and closes
    /// the days <paramref name="retainDays"/> behind it; true when that closed a day. A smaller N than before closes
    /// more days at once; a larger one reopens none.
    /// </summary>
    public bool Advance(DateTimeOffset? clock, int retainDays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainDays, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(retainDays, MaxRetainDays);
        if (clock is { } c && (Clock is not { } known || c > known))
        {
            Clock = c;
        }

        if (Clock is not { } now)
        {
            return false;
        }

        return CloseBefore(DateOnly.FromDateTime(now.UtcDateTime).AddDays(-retainDays));
    }

    /// <summary>
    /// Closes the days before <paramref name="firstOpenDay"/> (the retention's, or a closing an earlier run recorded); true
    /// when that closed a day. Days once closed stay closed.
    /// </summary>
    public bool CloseBefore(DateOnly firstOpenDay)
    {
        if (FirstOpenDay >= firstOpenDay)
        {
            return false;
        }

        FirstOpenDay = firstOpenDay;
        return true;
    }
}
