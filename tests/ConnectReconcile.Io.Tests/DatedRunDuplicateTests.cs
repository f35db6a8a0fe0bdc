using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// A dated run reads into the next day's arrival hours and counts that day's records as other days' (outOfRange);
/// a superseded copy of such a record is that day's too. It was counted as the run's duplicate, so consecutive
/// nightlies counted it twice: once each, where the replay of both days counts it once.
/// </summary>
public sealed class DatedRunDuplicateTests : IDisposable
{
    private static readonly DateOnly Oct3 = new(2026, 10, 3), Oct4 = new(2026, 10, 4);
    private readonly TempDir _dir = new();

    public DatedRunDuplicateTests()
    {
        // A on 10-03; on 10-04 a call U and a chat C, each delivered twice an hour apart (the second copy updated later),
        // all inside the night of 10-03's look-ahead.
        var a = At(3, 12);
        var src = _dir.Sub("src");
        HourlySource.Put(src, a, HourlySource.Ctr(1, a, a.AddMinutes(5), a.AddMinutes(5)));
        var u = At(4, 1);
        HourlySource.Put(src, u, HourlySource.Ctr(2, u, u.AddMinutes(3), u.AddMinutes(3)) + HourlySource.Ctr(3, u.AddMinutes(20), u.AddMinutes(40), u.AddMinutes(40), "CHAT"));
        HourlySource.Put(src, u.AddHours(1), HourlySource.Ctr(2, u, u.AddMinutes(3), u.AddMinutes(10)) + HourlySource.Ctr(3, u.AddMinutes(20), u.AddMinutes(40), u.AddMinutes(50), "CHAT"));
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Consecutive_nightlies_count_each_superseded_copy_once_with_its_records_day(bool held)
    {
        var night3 = await RunAsync(Oct3, Oct3, held);
        var night4 = await RunAsync(Oct4, Oct4, held);
        var replay = await RunAsync(null, null, held);

        // Night 03 read U's and C's copies as 10-04's records: every one is out of range, none its duplicate.
        Assert.Equal((5L, 1L, 0L, 4L), (night3.Read, night3.Rated, night3.Superseded, night3.OutOfRange));
        Assert.Equal((4L, 1L, 2L, 1L, 0L), (night4.Read, night4.Rated, night4.Superseded, night4.NonVoice, night4.OutOfRange));
        Assert.Equal(replay.Superseded, night3.Superseded + night4.Superseded);
        Assert.Equal(replay.Rated + replay.NonVoice, night3.Rated + night3.NonVoice + night4.Rated + night4.NonVoice);
        Assert.All([night3, night4, replay], c => Assert.True(c.AddsUp));

        // The replay counts as before: both copies superseded, nothing out of range.
        Assert.Equal((5L, 2L, 2L, 1L, 0L), (replay.Read, replay.Rated, replay.Superseded, replay.NonVoice, replay.OutOfRange));
    }

    /// <param name="held">Rate with an OnDayRated consumer that cannot forget (no OnRestart): the job holds every record.</param>
    private async Task<RunCounts> RunAsync(DateOnly? from, DateOnly? to, bool held)
    {
        var result = await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(_dir.Sub("src")),
            From = from,
            To = to,
            Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing),
            Numbers = NumberInventory.Missing,
            OnDayRated = held ? (_, _, _) => { } : null,
        }).RunAsync(null, CancellationToken.None);
        Assert.Equal(held ? null : 6, result.WindowHoldHours);
        return result.Counts;
    }

    private static DateTime At(int day, int hour) => new(2026, 10, day, hour, 0, 0, DateTimeKind.Utc);
}
