using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// Every day a run publishes has its file in every table: also an arrival day of a whole replay that
/// holds only quarantined records, whose other tables get the same empty files a nightly of that day writes.
/// </summary>
public sealed class QuarantineOnlyDayTests : IDisposable
{
    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_replay_day_of_only_quarantined_records_publishes_every_tables_file_as_a_nightly_of_that_day_does()
    {
        Put("2026/11/03/12", """{"ContactId":"call-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-11-03T12:00:00Z","ConnectedToSystemTimestamp":"2026-11-03T12:00:00Z","DisconnectTimestamp":"2026-11-03T12:03:00Z","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"},""" + $"\"InstanceARN\":\"{Instance}\"}}");
        Put("2026/11/04/09", "not a record\n{\"Channel\":\"VOICE\"}");

        var replay = await RunAsync("replay", null);
        var nightly = await RunAsync("nightly", new DateOnly(2026, 11, 4));

        const string Day = "dt=2026-11-04";
        foreach (var table in BillingJob.Tables)
        {
            Assert.Equal(["dt=2026-11-03", Day], Directory.GetDirectories(Path.Combine(_dir.Sub("replay"), table)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var file = $"{table}/{Day}/part-00000.parquet";
            Assert.Equal(table == "quarantine" ? 2 : 0, replay.Outputs.Single(o => o.Path == file).Rows);
            Assert.Equal(File.ReadAllBytes(Path.Combine(_dir.Sub("nightly"), file)), File.ReadAllBytes(Path.Combine(_dir.Sub("replay"), file)));
            Assert.Contains($"\"{file}\"", await File.ReadAllTextAsync(Path.Combine(_dir.Sub("replay"), "run.json")), StringComparison.Ordinal);
        }

        Assert.Equal(12, replay.Outputs.Count);
        Assert.Equal((2, 1), (replay.Counts.Quarantined, replay.Counts.Rated));
        Assert.Equal(2, nightly.Counts.Quarantined);
    }

    [Fact]
    public async Task With_an_inventory_a_replay_day_of_only_quarantined_records_charges_the_number_days_a_nightly_of_that_day_does()
    {
        // The replay replaces the day's tables: without the day's number-days it took back what a nightly had charged there.
        Put("2026/11/03/12", """{"ContactId":"call-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-11-03T12:00:00Z","ConnectedToSystemTimestamp":"2026-11-03T12:00:00Z","DisconnectTimestamp":"2026-11-03T12:03:00Z","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"},""" + $"\"InstanceARN\":\"{Instance}\"}}");
        Put("2026/11/06/09", "not a record");
        var numbers = ReferenceReaders.ReadNumbers("number,type,country,claimed_at,released_at,instance_id,region\n+12065550100,DID,US,2026-10-01T00:00:00Z,,aaaaaaaa-0000-4000-8000-000000000001,us-east-1\n");

        var replay = await RunAsync("replay", null, numbers);
        var nightly = await RunAsync("nightly", new DateOnly(2026, 11, 6), numbers);

        foreach (var table in new[] { "charges", "daily_usage" })
        {
            var file = $"{table}/dt=2026-11-06/part-00000.parquet";
            Assert.Equal(1, replay.Outputs.Single(o => o.Path == file).Rows);
            Assert.Equal(File.ReadAllBytes(Path.Combine(_dir.Sub("nightly"), file)), File.ReadAllBytes(Path.Combine(_dir.Sub("replay"), file)));
        }

        // The days between the last call and that day are not the replay's (a nightly of each charges them), as before.
        Assert.Equal(["dt=2026-11-03", "dt=2026-11-06"], Directory.GetDirectories(Path.Combine(_dir.Sub("replay"), "charges")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(2m, replay.Totals.ByKind[ChargeKinds.NumberDaysDid].Quantity);
    }

    private async Task<JobResult> RunAsync(string output, DateOnly? day, NumberInventory? numbers = null)
    {
        numbers ??= NumberInventory.Missing;
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, numbers);
        return await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(_dir.Sub("src")),
            Output = new LocalObjectStore(_dir.Sub(output)),
            From = day,
            To = day,
            Rater = rater,
            Numbers = numbers,
        }).RunAsync(null, CancellationToken.None);
    }

    private void Put(string hour, string text)
    {
        var folder = Path.Combine(_dir.Sub("src"), hour);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "ctr.json"), text);
    }
}
