using System.Globalization;
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
        Put(a, Record(1, "VOICE", a, a.AddMinutes(5), a.AddMinutes(5)));
        var u = At(4, 1);
        Put(u, Record(2, "VOICE", u, u.AddMinutes(3), u.AddMinutes(3)) + Record(3, "CHAT", u.AddMinutes(20), u.AddMinutes(40), u.AddMinutes(40)));
        Put(u.AddHours(1), Record(2, "VOICE", u, u.AddMinutes(3), u.AddMinutes(10)) + Record(3, "CHAT", u.AddMinutes(20), u.AddMinutes(40), u.AddMinutes(50)));
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

    private void Put(DateTime arrival, string json)
    {
        var folder = Path.Combine(_dir.Sub("src"), arrival.ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, $"ctr-{Directory.GetFiles(folder).Length}.json"), json);
    }

    private static string Record(int id, string channel, DateTime start, DateTime end, DateTime lastUpdate) => $$"""
        {"AWSAccountId":"111122223333","AWSContactTraceRecordFormatVersion":"2017-03-10","Agent":null,"Attributes":{},
         "Channel":"{{channel}}","ConnectedToSystemTimestamp":"{{T(start)}}","ContactId":"{{new Guid(id, 0, 0, new byte[8])}}",
         "CustomerEndpoint":{"Address":"+819011112224","Type":"TELEPHONE_NUMBER"},"DisconnectTimestamp":"{{T(end)}}",
         "InitialContactId":null,"InitiationMethod":"INBOUND","InitiationTimestamp":"{{T(start)}}",
         "InstanceARN":"arn:aws:connect:ap-northeast-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001","LastUpdateTimestamp":"{{T(lastUpdate)}}",
         "NextContactId":null,"PreviousContactId":null,"Queue":null,
         "SystemEndpoint":{"Address":"+81312340001","Type":"TELEPHONE_NUMBER"},"TransferCompletedTimestamp":null,"TransferredToEndpoint":null}
        """;

    private static string T(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
