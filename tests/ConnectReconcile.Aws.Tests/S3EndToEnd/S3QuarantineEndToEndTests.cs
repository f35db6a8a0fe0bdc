using System.Text.Json;
using Amazon.S3.Model;
using ConnectReconcile.Aws.S3;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>Damaged and unreadable S3 objects: quarantined with their s3:// key, the rest rated; --strict fails.</summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3QuarantineEndToEndTests(AwsServicesFixture services, ITestOutputHelper output)
{
    private static readonly string[] RatedTables = ["charges/", "contacts/", "daily_usage/", "legs/", "segments/"];

    [Fact]
    public async Task A_corrupt_gzip_object_is_quarantined_by_its_key_and_everything_else_is_rated()
    {
        var month = await GeneratedMonth.GetAsync();
        var bucket = await services.CreateBucketAsync("corrupt");
        await Trees.UploadAsync(services.S3, bucket, S3Source.CtrPrefix, month);

        // A damaged copy of a real object (deflate data overwritten in the middle), as a failed or tampered
        // delivery would leave it. Records before the damage are exact duplicates of the intact object's.
        var original = month.Keys.OrderByDescending(k => new FileInfo(Path.Combine(month.Ctr, k)).Length).ThenBy(k => k, StringComparer.Ordinal).First();
        var bytes = await File.ReadAllBytesAsync(Path.Combine(month.Ctr, original));
        Array.Fill(bytes, (byte)0xFF, bytes.Length / 2, 512);
        var corruptKey = original[..(original.LastIndexOf('/') + 1)] + "connect-ctr-1-zz-damaged.gz";
        await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = S3Source.CtrPrefix + corruptKey, InputStream = new MemoryStream(bytes) });
        var corruptUri = $"s3://{bucket}/{S3Source.CtrPrefix}{corruptKey}";

        var run = await S3Cli.RunAsync(month.ReplayArgs($"s3://{bucket}/{S3Source.CtrPrefix}", $"s3://{bucket}/results/", "--endpoint-url", services.S3ServiceUrl));

        Assert.True(run.Exit == 0, run.ToString());
        var tree = await Trees.DownloadAsync(services.S3, bucket, "results/");
        var rows = await Trees.QuarantineRowsAsync(tree);

        var damaged = rows.Where(r => r.Source == corruptUri).ToList();
        foreach (var r in damaged)
        {
            output.WriteLine($"{r.Reason} at {r.Position} (value {r.RecordIndex}): {r.Detail}");
        }

        // One entry for the object, at the decompressed offset where the damage was found. The decoder names it
        // corrupt-gzip when the damage falls between two records and truncated-record (detail: "the gzip stream
        // broke inside the object") when it falls inside one, which with }{-concatenated records is the usual case.
        var entry = Assert.Single(damaged, r => r.Reason is "corrupt-gzip" or "truncated-record");
        Assert.Contains("gzip", entry.Detail, StringComparison.OrdinalIgnoreCase);
        // The rest is rated exactly as without the damaged object: every rated table is byte-identical.
        var local = Trees.Local(month.LocalOut);
        foreach (var (key, expected) in local.Where(kv => RatedTables.Any(t => kv.Key.StartsWith(t, StringComparison.Ordinal))))
        {
            Assert.True(tree.TryGetValue(key, out var actual) && expected.AsSpan().SequenceEqual(actual), key);
        }

        using var summary = JsonDocument.Parse(run.Out);
        using var baseline = JsonDocument.Parse(month.LocalSummary);
        Assert.Equal(baseline.RootElement.GetProperty("quarantined").GetInt64() + damaged.Count, summary.RootElement.GetProperty("quarantined").GetInt64());
        Assert.Equal(baseline.RootElement.GetProperty("rated").GetInt64(), summary.RootElement.GetProperty("rated").GetInt64());
        Assert.Equal(baseline.RootElement.GetProperty("totalCost").GetString(), summary.RootElement.GetProperty("totalCost").GetString());
        // run.json lists the damaged object as an input with what it yielded.
        using var manifest = JsonDocument.Parse(tree["run.json"]);
        var input = manifest.RootElement.GetProperty("inputs").EnumerateArray().Single(i => i.GetProperty("key").GetString() == corruptKey);
        Assert.Equal(damaged.Count, input.GetProperty("quarantined").GetInt64());
    }

    [Fact]
    public async Task An_object_that_cannot_be_read_is_quarantined_and_the_run_continues_but_strict_fails_and_publishes_nothing()
    {
        // Every GET of one object is refused (403 is not retried), as with a key the role may not read.
        await UnreadableAsync("unreadable", victim => new FaultProxyOptions
        {
            FailWith = r => r.Method == "GET" && r.Path.EndsWith("/" + victim, StringComparison.Ordinal) ? 403 : null,
        }, (_, proxy) => Assert.True(proxy.Count(InjectedFault.Failed) >= 1));
    }

    [Fact]
    public async Task An_object_always_answered_short_is_unreadable_not_damaged_and_strict_fails()
    {
        // Every GET of one object is a 200 with half its body, a Content-Length saying so and a multipart-style
        // ETag (the SDK checks no MD5 then): it looked like a smaller object whose gzip stops inside a record.
        await UnreadableAsync("short", victim => new FaultProxyOptions
        {
            ShortenWhen = r => r.Method == "GET" && r.Path.EndsWith("/" + victim, StringComparison.Ordinal),
        }, (row, proxy) =>
        {
            Assert.Contains("where its listing says", row.Detail, StringComparison.Ordinal);
            Assert.Equal(6, proxy.Count(InjectedFault.ShortBody)); // the first answer and 5 more (MaxResumeAttempts)
        });
    }

    /// <summary>
    /// A nightly of 2026-10-02 through a proxy breaking every GET of one object: without --strict it ends 0 with
    /// that object's one quarantine row, <c>unreadable-object</c>, which <paramref name="check"/> looks at with the
    /// proxy's counts; with --strict it fails and publishes nothing.
    /// </summary>
    private async Task UnreadableAsync(string name, Func<string, FaultProxyOptions> breaking, Action<Io.Parquet.QuarantineRow, FaultInjectingProxy> check)
    {
        var source = await S3Source.GetAsync(services);
        var month = source.Month;
        var victim = month.Keys.First(k => k.StartsWith("2026/10/02/", StringComparison.Ordinal));
        await using var proxy = new FaultInjectingProxy(services.S3Port, breaking(victim));

        var lenient = await S3Cli.RunAsync(month.NightlyArgs("2026-10-02", source.Uri, $"s3://{source.Bucket}/results/{name}/", "--endpoint-url", proxy.Url));

        Assert.True(lenient.Exit == 0, lenient.ToString());
        var rows = await Trees.QuarantineRowsAsync(services.S3, source.Bucket, $"results/{name}/");
        var row = Assert.Single(rows, r => r.Source == source.Uri + victim);
        output.WriteLine($"{row.Source}: {row.Reason}: {row.Detail}");
        Assert.Equal("unreadable-object", row.Reason);
        check(row, proxy);

        var strictPrefix = $"results/{name}-strict/";
        var strict = await S3Cli.RunAsync(month.NightlyArgs("2026-10-02", source.Uri, $"s3://{source.Bucket}/{strictPrefix}", "--endpoint-url", proxy.Url, "--strict"));

        Assert.True(strict.Exit == 1, strict.ToString());
        Assert.Equal(string.Empty, strict.Out); // no summary: the run failed before rating
        Assert.Empty(await Trees.DownloadAsync(services.S3, source.Bucket, strictPrefix));
    }

    [Fact]
    public async Task A_read_that_keeps_breaking_mid_object_fails_a_strict_run()
    {
        var source = await S3Source.GetAsync(services);
        var victim = source.Month.Keys.First(k => k.StartsWith("2026/10/02/", StringComparison.Ordinal));
        // Every GET of one object is cut part-way through its body and no resume is allowed: the read gives up
        // with an IOException after some records were decoded (what five drops in a row do with the defaults).
        await using var proxy = new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            ResetShare = 1,
            Eligible = r => r.Method == "GET" && r.Path.EndsWith("/" + victim, StringComparison.Ordinal),
        });
        using var store = new S3ObjectStore(
            services.CreateS3Client(proxy.Url), ConnectReconcile.Aws.S3.S3Location.Parse(source.Uri), new S3StoreOptions { MaxResumeAttempts = 0 }, ownsClient: true);
        var job = new BillingJob(new BillingJobOptions
        {
            Source = store,
            From = new DateOnly(2026, 10, 2),
            To = new DateOnly(2026, 10, 2),
            Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing),
            Numbers = NumberInventory.Missing,
            Strict = true,
        });

        var failure = await Record.ExceptionAsync(() => job.RunAsync(null, CancellationToken.None));

        Assert.True(proxy.Count(InjectedFault.ResetMidBody) >= 1);
        Assert.NotNull(failure);
    }
}
