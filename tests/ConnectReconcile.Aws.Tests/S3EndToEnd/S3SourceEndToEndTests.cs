using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>What a <c>--source</c> on S3 is: a prefix, one object, or nothing at all (refused).</summary>
[Collection(AwsServicesCollection.Name)]
public sealed partial class S3SourceEndToEndTests(AwsServicesFixture services, ITestOutputHelper output)
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
        // Told by the listings a quiet day makes anyway (its 30 hour prefixes, one page of the root) and one HEAD
        // for an object of that name; nothing was written.
        var requests = proxy.Requests;
        Assert.Equal(31, requests.Count(r => r.Method == "GET" && r.Query.Contains("list-type=2", StringComparison.Ordinal)));
        Assert.Equal($"/{source.Bucket}/connect/crt", Assert.Single(requests, r => r.Method == "HEAD").Path);
        Assert.Equal(32, requests.Count);
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_a_usage_error_as_a_mistyped_prefix_is()
    {
        var source = await S3Source.GetAsync(services);
        var outPrefix = "results/typo-bucket/";
        // Was exit 1, "Failed: The specified bucket does not exist", logged as a failed run.
        var typo = await S3Cli.RunAsync(source.Month.NightlyArgs(Day, "s3://no-such-bucket-here/connect/ctr/", $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", services.S3ServiceUrl));
        Assert.Equal(2, typo.Exit);
        Assert.Contains("(NoSuchBucket): check the bucket", typo.Err, StringComparison.Ordinal);
        Assert.Empty(await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix));
    }

    [Fact]
    public async Task A_refused_write_names_the_operation_and_the_object_and_fails_with_exit_1()
    {
        var source = await S3Source.GetAsync(services);
        const string outPrefix = "results/denied-out/";
        // A role without s3:PutObject under --out: every upload is refused. The message was "Failed: Access Denied".
        await using var proxy = new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            FailWith = r => r.Method == "PUT" && r.Path.Contains("/" + outPrefix, StringComparison.Ordinal) ? 403 : null,
        });
        var (process, _, stderr) = S3Cli.Start(null, [.. source.Month.NightlyArgs(Day, source.Uri, $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", proxy.Url)]);
        using var _ = process;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        var err = stderr.ToString();
        output.WriteLine(err[Math.Max(0, err.Length - 1500)..]);
        Assert.Equal(1, process.ExitCode);
        Assert.Matches($@"Failed: Writing s3://{Regex.Escape(source.Bucket)}/{outPrefix}_staging/[^ ]+ failed: ", err);
    }

    [Fact]
    public async Task A_single_object_as_source_is_read_alone_and_rates_as_the_same_file_given_locally()
    {
        var source = await S3Source.GetAsync(services);
        var month = source.Month;
        var (key, day) = await ObjectWithQuarantinedRecordsAsync(month);
        var objectUri = $"{source.Uri}{key}";
        var localFile = Path.GetFullPath(Path.Combine(month.Ctr, key));
        const string outPrefix = "results/single-object/";
        await using var proxy = new FaultInjectingProxy(services.S3Port);

        // Was read as the prefix ".../file.gz/": nothing read, an empty day published, exit 0.
        var run = await S3Cli.RunAsync(month.NightlyArgs(day, objectUri, $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", proxy.Url));

        Assert.True(run.Exit == 0, run.ToString());
        var objectGets = proxy.Requests
            .Where(r => r.Method == "GET" && r.Path.StartsWith($"/{source.Bucket}/{S3Source.CtrPrefix}", StringComparison.Ordinal))
            .Select(r => r.Path)
            .ToList();
        Assert.Equal([$"/{source.Bucket}/{S3Source.CtrPrefix}{key}"], objectGets);
        Assert.Single(proxy.Requests, r => r.Method == "HEAD");

        // The same nightly from the same file on disk: the same summary, the same tables, and the quarantine rows
        // (which name the object) in the same day's partition, the arrival day both take from the object's full key.
        var localOut = Path.Combine(month.Root, $"single-file-{Guid.NewGuid():N}");
        var local = await S3Cli.RunAsync(month.NightlyArgs(day, localFile, localOut));
        Assert.True(local.Exit == 0, local.ToString());
        Assert.Equal(local.Out, run.Out);
        Assert.True(System.Text.Json.JsonDocument.Parse(run.Out).RootElement.GetProperty("records").GetInt64() > 0, run.Out);
        var s3Tree = await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix);
        Assert.Contains($"quarantine/dt={day}/part-00000.parquet", s3Tree.Keys);
        output.WriteLine($"{key}: " + await Trees.AssertSameRunAsync(Trees.Local(localOut), localFile, s3Tree, objectUri));
    }

    [Fact]
    public async Task Explain_and_audit_export_read_a_single_object_as_they_read_the_same_file_locally()
    {
        var source = await S3Source.GetAsync(services);
        var month = source.Month;
        var (key, day) = await ObjectWithQuarantinedRecordsAsync(month);
        var objectUri = $"{source.Uri}{key}";
        var localFile = Path.GetFullPath(Path.Combine(month.Ctr, key));
        var contact = ContactIds(await File.ReadAllBytesAsync(localFile)).First();

        var localExplain = await S3Cli.RunAsync("explain", "--source", localFile, "--contact", contact, "--agents", month.Agents, "--numbers", month.Numbers);
        var s3Explain = await S3Cli.RunAsync("explain", "--source", objectUri, "--contact", contact, "--agents", month.Agents, "--numbers", month.Numbers,
            "--endpoint-url", services.S3ServiceUrl);
        Assert.True(localExplain.Exit == 0, localExplain.ToString());
        Assert.True(s3Explain.Exit == 0, s3Explain.ToString()); // was "error: no contact … in s3://…", exit 1
        Assert.Contains(contact, s3Explain.Out, StringComparison.Ordinal);
        Assert.Equal(localExplain.Out.Replace(localFile, objectUri, StringComparison.Ordinal), s3Explain.Out);

        var csv = Path.Combine(month.Root, $"audit-{Guid.NewGuid():N}");
        var localAudit = await S3Cli.RunAsync("audit-export", "--source", localFile, "--from", day, "--to", day, "--out", csv + "-local.csv", "--numbers", month.Numbers);
        var s3Audit = await S3Cli.RunAsync("audit-export", "--source", objectUri, "--from", day, "--to", day, "--out", csv + "-s3.csv", "--numbers", month.Numbers,
            "--endpoint-url", services.S3ServiceUrl);
        Assert.True(localAudit.Exit == 0, localAudit.ToString());
        Assert.True(s3Audit.Exit == 0, s3Audit.ToString());
        var rows = await File.ReadAllLinesAsync(csv + "-s3.csv");
        Assert.True(rows.Length > 1, $"{rows.Length} lines"); // was the header alone
        Assert.Equal(await File.ReadAllBytesAsync(csv + "-local.csv"), await File.ReadAllBytesAsync(csv + "-s3.csv"));
    }

    /// <summary>
    /// The object with the most quarantined records in the month's local replay (so a run of it alone has
    /// quarantine rows to compare), and its arrival day, from its Firehose key.
    /// </summary>
    private static async Task<(string Key, string Day)> ObjectWithQuarantinedRecordsAsync(GeneratedMonth month)
    {
        var root = Path.GetFullPath(month.Ctr) + "/";
        var rows = new List<ConnectReconcile.Io.Parquet.QuarantineRow>();
        foreach (var (_, bytes) in Trees.Local(month.LocalOut).Where(kv => kv.Key.StartsWith("quarantine/", StringComparison.Ordinal)))
        {
            rows.AddRange(await Trees.QuarantineRowsAsync(bytes));
        }

        var key = rows
            .Where(r => r.Source.StartsWith(root, StringComparison.Ordinal))
            .GroupBy(r => r.Source[root.Length..], StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .First().Key;
        return (key, key[..10].Replace('/', '-'));
    }

    private static IEnumerable<string> ContactIds(byte[] file)
    {
        using var raw = new MemoryStream(file);
        using Stream text = file is [0x1f, 0x8b, ..] ? new GZipStream(raw, CompressionMode.Decompress) : raw;
        using var reader = new StreamReader(text, Encoding.UTF8);
        return ContactId().Matches(reader.ReadToEnd()).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex("\"ContactId\"\\s*:\\s*\"([0-9a-f-]{36})\"")]
    private static partial Regex ContactId();
}
