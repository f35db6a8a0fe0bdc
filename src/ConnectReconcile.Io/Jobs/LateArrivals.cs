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
/// <para>
/// A record is late for more days than its own: for its chain's day, when the chain started earlier (a
/// transfer after midnight of a call that began before it, delivered after that day's look-ahead, was
/// left out of that day's chain); and for every day its call spanned (a parent delivered late leaves
/// its children, which started within its span, rated alone as orphans on their days, until those days
/// are run again with a look-ahead that reads the parent and finds them another day's).
/// </para>
/// <para>
/// A chain began on an earlier day when this run read a record of it that started before the range, or when the output
/// already holds it under the day before the range (<paramref name="published"/>): a transfer after midnight whose
/// parent this run never read, which the run leaves to that day (<see cref="DayPartitions"/>).
/// </para>
/// </summary>
public sealed class LateArrivals(DateOnly? from, DateOnly? to, int lookAheadHours, InputSelector selector, PublishedChains? published = null)
{
    private readonly PublishedChains _published = published ?? PublishedChains.None;

    private readonly SortedDictionary<DateOnly, (long Records, DateTime LatestHour)> _days = [];

    // The earliest start before the range of each chain root this run read a record of: a record of the
    // chain that starts inside the range is still late for that day's run.
    private readonly Dictionary<string, DateOnly> _earlierChains = new(StringComparer.Ordinal);

    public void Observe(DecodedObject decoded)
    {
        if (from is not { } first || selector.ArrivalHour(decoded.Input.Key) is not { } hour)
        {
            return;
        }

        var ownHour = to is not { } last || hour < Midnight(last.AddDays(1));
        foreach (var (record, _) in decoded.Records)
        {
            var start = record.InitiationTimestamp.UtcDate;
            if (start < first && (!_earlierChains.TryGetValue(record.RootId, out var known) || start < known))
            {
                _earlierChains[record.RootId] = start;
            }

            if (!ownHour)
            {
                continue;
            }

            if (_earlierChains.TryGetValue(record.RootId, out var chainDay) && chainDay < start)
            {
                Note(chainDay, hour);
            }
            else if (record.InitialContactId is not null && !_published.IsEmpty && start >= first && _published.DayOf(record.RootId) is { } publishedDay)
            {
                Note(publishedDay, hour);
            }

            // The days its call spanned: a queued callback's from when it was dialled (its chain's day, the request's,
            // is noted on its own: nothing of the chain starts on the days it waited), none if it never was.
            var callDay = record.CallStart?.UtcDate;
            if ((callDay is null || callDay > start) && start < first)
            {
                Note(start, hour);
            }

            for (var day = callDay ?? first; day < first && day <= record.End.UtcDate; day = day.AddDays(1))
            {
                Note(day, hour);
            }
        }
    }

    private void Note(DateOnly day, DateTime hour)
    {
        if (hour >= Midnight(day.AddDays(1)).AddHours(lookAheadHours))
        {
            var (records, latest) = _days.GetValueOrDefault(day);
            _days[day] = (records + 1, hour > latest ? hour : latest);
        }
    }

    private static DateTime Midnight(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>The days, earliest first, each with the look-ahead that reaches its latest arrival hour.</summary>
    public IReadOnlyList<LateDay> Days => _days
        .Select(d => new LateDay(d.Key, d.Value.Records, (int)(d.Value.LatestHour - Midnight(d.Key.AddDays(1))).TotalHours + 1))
        .ToList();
}
