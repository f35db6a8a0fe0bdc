using ConnectReconcile.Io.Decoding;

namespace ConnectReconcile.Io.Jobs;

/// <summary>Records of calls on <see cref="Day"/> that arrived after its run's look-ahead; a run of the day needs <see cref="LookAheadHours"/> to read them.</summary>
public sealed record LateDay(DateOnly Day, long Records, int LookAheadHours);

/// <summary>
/// A dated run reads the arrival hours of its days plus the look-ahead, so the run of an earlier day
/// never read a record of that day's calls that arrived later (a late update, a re-delivery, a parent
/// delivered after its child). This run reads such records and counts them outside its range; it
/// notes them here so the earlier day can be run again with a look-ahead that reaches them. Only those
/// that arrived in its own days' hours: its look-ahead hours are the next night's days, whose run notes
/// them, so consecutive nightlies name each record once and their counts add up.
/// </summary>
public sealed class LateArrivals(DateOnly? from, DateOnly? to, int lookAheadHours, InputSelector selector)
{
    private readonly SortedDictionary<DateOnly, (long Records, DateTime LatestHour)> _days = [];

    public void Observe(DecodedObject decoded)
    {
        if (from is not { } first || selector.ArrivalHour(decoded.Input.Key) is not { } hour
            || (to is { } last && hour >= last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)))
        {
            return;
        }

        foreach (var (record, _) in decoded.Records)
        {
            var day = record.InitiationTimestamp.UtcDate;
            if (day < first && hour >= day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddHours(lookAheadHours))
            {
                var (records, latest) = _days.GetValueOrDefault(day);
                _days[day] = (records + 1, hour > latest ? hour : latest);
            }
        }
    }

    /// <summary>The days, earliest first, each with the look-ahead that reaches its latest arrival hour.</summary>
    public IReadOnlyList<LateDay> Days => _days
        .Select(d => new LateDay(d.Key, d.Value.Records,
            (int)(d.Value.LatestHour - d.Key.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)).TotalHours + 1))
        .ToList();
}
