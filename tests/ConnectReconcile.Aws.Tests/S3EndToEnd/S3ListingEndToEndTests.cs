using System.Globalization;
using System.Web;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>A dated run lists only the Firehose hour prefixes that can hold its days plus the look-ahead.</summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3ListingEndToEndTests(AwsServicesFixture services, ITestOutputHelper output)
{
    [Theory]
    [InlineData(3)]
    [InlineData(6)] // the default
    public async Task Nightly_lists_only_that_days_hour_prefixes_plus_the_look_ahead_and_equals_the_local_nightly(int lookAhead)
    {
        var source = await S3Source.GetAsync(services);
        var month = source.Month;
        var outPrefix = $"results/nightly-{lookAhead}/";
        var extra = lookAhead == 6 ? Array.Empty<string>() : ["--look-ahead-hours", lookAhead.ToString(CultureInfo.InvariantCulture)];
        await using var proxy = new FaultInjectingProxy(services.S3Port); // no faults: it only counts

        var run = await S3Cli.RunAsync(month.NightlyArgs("2026-10-02", source.Uri, $"s3://{source.Bucket}/{outPrefix}", ["--endpoint-url", proxy.Url, .. extra]));

        Assert.True(run.Exit == 0, run.ToString());
        var expectedPrefixes = Enumerable.Range(0, 24 + lookAhead)
            .Select(h => new DateTime(2026, 10, 2, 0, 0, 0, DateTimeKind.Utc).AddHours(h).ToString("yyyy'/'MM'/'dd'/'HH'/'", CultureInfo.InvariantCulture))
            .ToList();
        var sourceLists = proxy.Requests
            .Where(r => r.Method == "GET" && r.Path.TrimEnd('/') == "/" + source.Bucket && r.Query.Contains("list-type=2", StringComparison.Ordinal))
            .Select(r => HttpUtility.ParseQueryString(r.Query)["prefix"] ?? string.Empty)
            .Where(p => !p.StartsWith("results/", StringComparison.Ordinal)) // the publish step lists its own partitions
            .ToList();
        output.WriteLine($"look-ahead {lookAhead}: {sourceLists.Count} LIST requests on the source: {string.Join(", ", sourceLists.Take(3))} … {sourceLists[^1]}");
        Assert.Equal(expectedPrefixes.Select(p => S3Source.CtrPrefix + p), sourceLists.Order(StringComparer.Ordinal));

        // Every object GET is inside those prefixes, and every object there is read exactly once.
        var wanted = month.Keys.Where(k => expectedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList();
        var gets = proxy.Requests
            .Where(r => r.Method == "GET" && r.Path.StartsWith($"/{source.Bucket}/{S3Source.CtrPrefix}", StringComparison.Ordinal))
            .Select(r => r.Path[$"/{source.Bucket}/{S3Source.CtrPrefix}".Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(wanted, gets);
        Assert.True(wanted.Count < month.Keys.Count / 2, $"{wanted.Count} of {month.Keys.Count} objects read");

        // And the day's output equals the same nightly on local folders.
        var localOut = Path.Combine(month.Root, $"local-nightly-{lookAhead}-{Guid.NewGuid():N}");
        var local = await S3Cli.RunAsync(month.NightlyArgs("2026-10-02", month.Ctr, localOut, extra));
        Assert.True(local.Exit == 0, local.ToString());
        Assert.Equal(local.Out, run.Out);
        var how = await Trees.AssertSameRunAsync(Trees.Local(localOut), Path.GetFullPath(month.Ctr) + "/", await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix), source.Uri);
        output.WriteLine(how);
    }

    [Fact]
    public async Task A_day_without_objects_still_lists_only_its_hour_prefixes()
    {
        var source = await S3Source.GetAsync(services);
        await using var proxy = new FaultInjectingProxy(services.S3Port);

        var run = await S3Cli.RunAsync(source.Month.NightlyArgs("2026-11-20", source.Uri, $"s3://{source.Bucket}/results/empty-day/", "--endpoint-url", proxy.Url));

        Assert.True(run.Exit == 0, run.ToString());
        var listRequests = proxy.Requests
            .Where(r => r.Method == "GET" && r.Query.Contains("list-type=2", StringComparison.Ordinal))
            .Select(r => HttpUtility.ParseQueryString(r.Query))
            .Where(q => (q["prefix"] ?? string.Empty).StartsWith(S3Source.CtrPrefix, StringComparison.Ordinal))
            .ToList();
        var hourLists = listRequests.Select(q => q["prefix"]!).Where(p => p != S3Source.CtrPrefix).ToList();
        Assert.Equal(30, hourLists.Count);
        Assert.All(hourLists, p => Assert.StartsWith(S3Source.CtrPrefix + "2026/11/2", p, StringComparison.Ordinal));
        // With every hour empty, one page of the root tells an hour-laid-out source from a flat one; it is never paged through.
        var rootProbes = listRequests.Where(q => q["prefix"] == S3Source.CtrPrefix).ToList();
        Assert.True(rootProbes.Count <= 1, $"{rootProbes.Count} root listings");
        Assert.All(rootProbes, q => Assert.Null(q["continuation-token"]));
    }
}
