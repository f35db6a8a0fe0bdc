using System.Text.Json;
using Amazon.S3.Model;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>
/// The real CLI reading Firehose-layout CTRs from s3rver and writing Parquet back to it, compared with the
/// same run on local folders.
/// </summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3ReplayEndToEndTests(AwsServicesFixture services, ITestOutputHelper output)
{
    [Fact]
    public async Task A_replay_from_S3_to_S3_equals_the_local_folder_replay()
    {
        var source = await S3Source.GetAsync(services);
        var month = source.Month;

        var s3Tree = await source.CleanReplayAsync();

        // stdout carries the same summary; the published tree is the local one (see Trees.AssertSameRunAsync for
        // the two places where an input's location is legitimately part of the output).
        Assert.Equal(month.LocalSummary, source.CleanRun!.Out.Trim());
        var how = await Trees.AssertSameRunAsync(Trees.Local(month.LocalOut), Path.GetFullPath(month.Ctr) + "/", s3Tree, source.Uri);
        output.WriteLine($"{month.Keys.Count} objects, {month.Records} CTRs: {how}");
        Assert.DoesNotContain(s3Tree.Keys, k => k.StartsWith("_staging/", StringComparison.Ordinal));
        Assert.Contains("run.json", s3Tree.Keys);

        // The quarantine table names each bad record's object by its s3:// URI.
        var quarantine = s3Tree.Where(kv => kv.Key.StartsWith("quarantine/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(quarantine);
        foreach (var (_, bytes) in quarantine)
        {
            Assert.All(await Trees.QuarantineRowsAsync(bytes), r => Assert.StartsWith(source.Uri, r.Source, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Throttling_and_connection_resets_on_every_kind_of_request_still_yield_identical_output()
    {
        var source = await S3Source.GetAsync(services);
        var clean = await source.CleanReplayAsync();
        const string outPrefix = "results/faulty/";

        // A seeded share of all requests (lists, object GETs, staged PUTs, copies, deletes, the manifest) is
        // answered 503 SlowDown or has its response body cut by a TCP reset; on top of that, the first attempt
        // of every kind of publish request is answered 503, so the write path is always exercised.
        var firstAttempts = new HashSet<string>(StringComparer.Ordinal);
        await using var proxy = new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            SlowDownShare = 0.05,
            ResetShare = 0.08,
            Seed = 4242,
            MaxFaults = 60,
            FailWith = r =>
            {
                if (!r.Path.Contains("/" + outPrefix, StringComparison.Ordinal) || r.Method is not ("PUT" or "DELETE"))
                {
                    return null;
                }

                var kind = r.Method == "DELETE" ? "delete" : r.Header("x-amz-copy-source") is not null ? "copy"
                    : r.Path.EndsWith("/run.json", StringComparison.Ordinal) ? "manifest" : "staged-put";
                lock (firstAttempts)
                {
                    return firstAttempts.Add(kind) ? 503 : null;
                }
            },
        });
        var run = await S3Cli.RunAsync(source.Month.ReplayArgs(source.Uri, $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", proxy.Url));

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal(source.CleanRun!.Out, run.Out);
        var faulty = await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix);
        // Same source URIs, so everything (quarantine rows and run.json included) is byte-identical.
        Trees.AssertIdentical(clean, faulty);

        var requests = proxy.Requests;
        var objectGets = requests.Where(r => r.Method == "GET" && r.Path.Contains("/" + S3Source.CtrPrefix, StringComparison.Ordinal)).ToList();
        var resets = objectGets.Count(r => r.Fault == InjectedFault.ResetMidBody);
        var resumes = objectGets.Count(r => r.Header("range") is not null);
        var slowDowns = proxy.Count(InjectedFault.SlowDown);
        var writeFaults = requests.Count(r => r.Method is "PUT" or "DELETE" && r.Fault != InjectedFault.None);
        Assert.Equal(["copy", "delete", "manifest", "staged-put"], firstAttempts.Order(StringComparer.Ordinal));
        output.WriteLine($"{requests.Count} requests: {slowDowns} SlowDown, {proxy.Count(InjectedFault.ResetMidBody)} resets ({resets} mid-object), {resumes} ranged resumes, {writeFaults} faults on writes");
        Assert.True(resets >= 1 && resumes >= resets, $"resets {resets}, resumes {resumes}");
        Assert.True(slowDowns >= 1, "no SlowDown was injected");
        Assert.True(writeFaults >= 4, $"{writeFaults} faults hit the publish phase");
    }

    [Fact]
    public async Task AWS_ENDPOINT_URL_S3_alone_reaches_the_endpoint_for_sources_outputs_and_reference_files()
    {
        var source = await S3Source.GetAsync(services);
        var clean = await source.CleanReplayAsync();
        var month = source.Month;
        const string outPrefix = "results/env-endpoint/";
        foreach (var (key, body) in new[]
                 {
                     ("reference/agents.csv", await File.ReadAllTextAsync(month.Agents)),
                     ("reference/numbers.csv", await File.ReadAllTextAsync(month.Numbers)),
                     ("reference/rate-card.json", BuiltInRateCards.Default.ToJson()),
                 })
        {
            await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = source.Bucket, Key = key, ContentBody = body });
        }

        await using var proxy = new FaultInjectingProxy(services.S3Port);
        CliRun run;
        var previous = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", proxy.Url);
        try
        {
            run = await S3Cli.RunAsync(
                "replay", "--source", source.Uri, "--out", $"s3://{source.Bucket}/{outPrefix}", "--summary", "json",
                "--agents", $"s3://{source.Bucket}/reference/agents.csv",
                "--numbers", $"s3://{source.Bucket}/reference/numbers.csv",
                "--rate-card", $"s3://{source.Bucket}/reference/rate-card.json");
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", previous);
        }

        Assert.True(run.Exit == 0, run.ToString());
        Trees.AssertIdentical(clean, await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix));
        // Path-style addressing: every request names the bucket in the path (no virtual-hosted Host header).
        var requests = proxy.Requests;
        Assert.All(requests, r => Assert.StartsWith($"/{source.Bucket}", r.Path, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.StartsWith("127.0.0.1:", r.Header("host"), StringComparison.Ordinal));
        foreach (var reference in new[] { "agents.csv", "numbers.csv", "rate-card.json" })
        {
            Assert.Contains(requests, r => r.Method == "GET" && r.Path.EndsWith("/reference/" + reference, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_endpoint_url_flag_also_reaches_s3_reference_files()
    {
        var source = await S3Source.GetAsync(services);
        await services.S3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = source.Bucket, Key = "reference/agents.csv", ContentBody = await File.ReadAllTextAsync(source.Month.Agents),
        });

        // The flag must win over the environment, as it does for --source and --out.
        await using var flag = new FaultInjectingProxy(services.S3Port);
        await using var env = new FaultInjectingProxy(services.S3Port);
        var previous = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", env.Url);
        CliRun run;
        try
        {
            run = await S3Cli.RunAsync(
                "nightly", "--date", "2026-10-01", "--source", source.Uri, "--out", $"s3://{source.Bucket}/results/flag-endpoint/",
                "--agents", $"s3://{source.Bucket}/reference/agents.csv", "--endpoint-url", flag.Url, "--summary", "json");
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", previous);
        }

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Empty(env.Requests);
        Assert.Contains(flag.Requests, r => r.Method == "GET" && r.Path.EndsWith("/reference/agents.csv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_s3_reference_file_answered_short_is_read_again_and_never_taken_for_a_shorter_file()
    {
        // A 200 with half the body and a Content-Length saying so: a CSV cut in half still parses, with half the
        // agents (their desk phones' outbound legs unbilled). Opened without a size, the first answer was taken.
        var source = await S3Source.GetAsync(services);
        const string key = "reference/cut-agents.csv";
        await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = source.Bucket, Key = key, ContentBody = await File.ReadAllTextAsync(source.Month.Agents) });
        var cuts = 1;
        await using var proxy = new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            ShortenWhen = r => r.Method == "GET" && r.Path.EndsWith("/" + key, StringComparison.Ordinal) && Interlocked.Decrement(ref cuts) >= 0,
        });
        string[] Args(string name) =>
            ["nightly", "--date", "2026-10-01", "--source", source.Uri, "--out", $"s3://{source.Bucket}/results/{name}/",
             "--agents", $"s3://{source.Bucket}/{key}", "--endpoint-url", proxy.Url, "--summary", "json"];

        var once = await S3Cli.RunAsync(Args("cut-once"));
        Assert.True(once.Exit == 0, once.ToString());
        Assert.Equal(1, proxy.Count(InjectedFault.ShortBody));
        Assert.Equal(2, proxy.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/" + key, StringComparison.Ordinal)));

        cuts = int.MaxValue; // cut every time: the run fails, naming the file, and publishes nothing
        var always = await S3Cli.RunAsync(Args("cut-always"));
        Assert.Equal(2, always.Exit);
        Assert.Contains($"Cannot read the agent directory at 's3://{source.Bucket}/{key}'", always.Err, StringComparison.Ordinal);
        Assert.Contains("where its listing says", always.Err, StringComparison.Ordinal);
        Assert.Empty(await Trees.DownloadAsync(services.S3, source.Bucket, "results/cut-always/"));
    }

    [Fact]
    public async Task Whatif_reads_its_s3_reference_files_and_scenario_rate_card_through_the_endpoint_url_flag()
    {
        var source = await S3Source.GetAsync(services);
        foreach (var (key, body) in new[]
                 {
                     ("reference/whatif-agents.csv", await File.ReadAllTextAsync(source.Month.Agents)),
                     ("reference/whatif-card.json", BuiltInRateCards.Default.ToJson()),
                 })
        {
            await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = source.Bucket, Key = key, ContentBody = body });
        }

        // Only the flag names the endpoint: a file read without it would go to AWS and fail.
        await using var flag = new FaultInjectingProxy(services.S3Port);
        var run = await S3Cli.RunAsync(
            "whatif", "--source", source.Uri, "--from", "2026-10-01", "--to", "2026-10-01", "--json", "--endpoint-url", flag.Url,
            "--agents", $"s3://{source.Bucket}/reference/whatif-agents.csv",
            "--scenario", $"rate-card=s3://{source.Bucket}/reference/whatif-card.json");

        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains(flag.Requests, r => r.Method == "GET" && r.Path.EndsWith("/reference/whatif-agents.csv", StringComparison.Ordinal));
        Assert.Contains(flag.Requests, r => r.Method == "GET" && r.Path.EndsWith("/reference/whatif-card.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Generate_reads_an_s3_invoice_rate_card_through_the_endpoint_url_flag()
    {
        var source = await S3Source.GetAsync(services);
        await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = source.Bucket, Key = "reference/generate-card.json", ContentBody = BuiltInRateCards.Default.ToJson() });
        var outDir = Directory.CreateTempSubdirectory("cr-generate-s3-card-").FullName;
        // Only the flag names the endpoint: a card read without it would go to AWS and fail.
        await using var flag = new FaultInjectingProxy(services.S3Port);
        try
        {
            var run = await S3Cli.RunAsync(
                "generate", "--contacts", "20", "--days", "1", "--out", outDir, "--endpoint-url", flag.Url,
                "--cur-rate-card", $"s3://{source.Bucket}/reference/generate-card.json");

            Assert.True(run.Exit == 0, run.ToString());
            Assert.Contains(flag.Requests, r => r.Method == "GET" && r.Path.EndsWith("/reference/generate-card.json", StringComparison.Ordinal));
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "cur"), "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Theory]
    [InlineData("s3", null, "AES256")]
    [InlineData("kms", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "aws:kms")]
    public async Task Server_side_encryption_from_the_settings_is_requested_on_every_object_written(string sse, string? keyId, string header)
    {
        var source = await S3Source.GetAsync(services);
        var outPrefix = $"results/sse-{sse}/";
        await using var proxy = new FaultInjectingProxy(services.S3Port);
        var saved = (Sse: Environment.GetEnvironmentVariable("CONNECT_RECONCILE_SSE"), Key: Environment.GetEnvironmentVariable("CONNECT_RECONCILE_KMS_KEY_ID"));
        Environment.SetEnvironmentVariable("CONNECT_RECONCILE_SSE", sse);
        Environment.SetEnvironmentVariable("CONNECT_RECONCILE_KMS_KEY_ID", keyId);
        CliRun run;
        try
        {
            run = await S3Cli.RunAsync(source.Month.NightlyArgs("2026-10-01", source.Uri, $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", proxy.Url));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONNECT_RECONCILE_SSE", saved.Sse);
            Environment.SetEnvironmentVariable("CONNECT_RECONCILE_KMS_KEY_ID", saved.Key);
        }

        Assert.True(run.Exit == 0, run.ToString());
        var writes = proxy.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.True(writes.Count >= 3, $"{writes.Count} PUTs");
        Assert.Contains(writes, r => r.Header("x-amz-copy-source") is not null);
        Assert.Contains(writes, r => r.Path.EndsWith("/run.json", StringComparison.Ordinal));
        Assert.All(writes, r => Assert.Equal(header, r.Header("x-amz-server-side-encryption")));
        Assert.All(writes, r => Assert.Equal(keyId, r.Header("x-amz-server-side-encryption-aws-kms-key-id")));
        using var summary = JsonDocument.Parse(run.Out);
        Assert.True(summary.RootElement.GetProperty("chains").GetInt64() > 0);
    }

    [Fact]
    public async Task Server_side_encryption_can_come_from_appsettings_json_like_every_other_setting()
    {
        var source = await S3Source.GetAsync(services);
        const string keyId = "arn:aws:kms:us-east-1:111122223333:key/abcd";
        await using var proxy = new FaultInjectingProxy(services.S3Port);
        var workDir = Directory.CreateTempSubdirectory("cr-appsettings-").FullName;
        await File.WriteAllTextAsync(Path.Combine(workDir, "appsettings.json"), $$"""{ "sse": "kms", "kms-key-id": "{{keyId}}" }""");
        CliRun run;
        try
        {
            // The settings the command runs with, not a second read of the working directory's file.
            run = await S3Cli.RunWithSettingsAsync(workDir, source.Month.NightlyArgs("2026-10-03", source.Uri, $"s3://{source.Bucket}/results/sse-appsettings/", "--endpoint-url", proxy.Url));
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }

        Assert.True(run.Exit == 0, run.ToString());
        var writes = proxy.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.NotEmpty(writes);
        Assert.All(writes, r => Assert.Equal("aws:kms", r.Header("x-amz-server-side-encryption")));
        Assert.All(writes, r => Assert.Equal(keyId, r.Header("x-amz-server-side-encryption-aws-kms-key-id")));
    }
}
