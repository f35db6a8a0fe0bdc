using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// One record stamped (LastUpdateTimestamp) months after the hour it arrived in must not hold the run's
/// days open to the end: the job rates each day as the arrival hours pass it, and warns about the record.
/// </summary>
public sealed class StampedPastArrivalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public StampedPastArrivalTests()
    {
        // A call an hour on each of three days, in Firehose's hour folders; one more read at 01:00 on the first, stamped 2027.
        for (var day = 1; day <= 3; day++)
        {
            for (var hour = 0; hour < 24; hour++)
            {
                var start = new DateTime(2026, 10, day, hour, 0, 0, DateTimeKind.Utc);
                HourlySource.Put(_dir.Sub("src"), start, HourlySource.Ctr(day * 100 + hour, start, start.AddSeconds(100), start.AddSeconds(120)));
            }
        }

        var odd = new DateTime(2026, 10, 1, 1, 0, 0, DateTimeKind.Utc);
        HourlySource.Put(_dir.Sub("src"), odd, HourlySource.Ctr(999, odd, odd.AddSeconds(100), new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Days_are_rated_as_the_hours_pass_them_and_the_record_is_named_in_a_warning()
    {
        var warnings = new List<string>();
        var rates = new List<JobProgress>();
        var result = await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(_dir.Sub("src")),
            Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing),
            Numbers = NumberInventory.Missing,
            Warn = warnings.Add,
        }).RunAsync(new Progress(p => rates.AddRange(p.Phase == "rate" ? [p] : [])), CancellationToken.None);

        Assert.Equal(73, result.Counts.Read);
        // At the end of the input only the last day is left to rate (plus the closing step), not all three.
        Assert.Equal(2, rates[0].Total);
        var warning = Assert.Single(warnings);
        Assert.Contains($"1 chain(s) (the first: root {new Guid(999, 0, 0, new byte[8])})", warning, StringComparison.Ordinal);
    }

    private sealed class Progress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
