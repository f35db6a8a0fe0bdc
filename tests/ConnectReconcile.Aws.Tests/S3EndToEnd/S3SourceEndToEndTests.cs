using ConnectReconcile.TestServices;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>What a <c>--source</c> on S3 that holds nothing at all does: it is refused.</summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3SourceEndToEndTests(AwsServicesFixture services)
{
    private const string Day = "2026-10-02";

    [Fact]
    public async Task A_nightly_from_a_prefix_holding_nothing_is_refused_and_the_published_day_stays()
    {
        var source = await S3Source.GetAsync(services);
        var outPrefix = "results/typo-source/";
        var first = await S3Cli.RunAsync(source.Month.NightlyArgs(Day, source.Uri, $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", services.S3ServiceUrl));
        Assert.True(first.Exit == 0, first.ToString());
        var published = await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix);
        Assert.Contains(published.Keys, k => k.StartsWith($"charges/dt={Day}/", StringComparison.Ordinal));

        // A typo in the source prefix: was exit 0 with a warning, and the day's partitions replaced by empty ones.
        await using var proxy = new FaultInjectingProxy(services.S3Port);
        var typo = await S3Cli.RunAsync(source.Month.NightlyArgs(Day, $"s3://{source.Bucket}/connect/crt/", $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", proxy.Url));

        Assert.Equal(2, typo.Exit);
        Assert.Contains($"error: The source s3://{source.Bucket}/connect/crt/ holds no objects", typo.Err, StringComparison.Ordinal);
        Assert.Equal(published, await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix));
        // Told by the listings a quiet day makes anyway (its 30 hour prefixes, one page of the root); nothing was written.
        var requests = proxy.Requests;
        Assert.Equal(31, requests.Count(r => r.Method == "GET" && r.Query.Contains("list-type=2", StringComparison.Ordinal)));
        Assert.Equal(31, requests.Count);
    }
}
