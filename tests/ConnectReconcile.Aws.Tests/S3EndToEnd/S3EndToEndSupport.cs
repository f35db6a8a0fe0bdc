using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using ConnectReconcile.Aws.S3;
using ConnectReconcile.Cli;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;
using ConnectReconcile.TestServices;
using global::Parquet.Serialization;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>What one run of the real CLI returned.</summary>
public sealed record CliRun(int Exit, string Out, string Err)
{
    public override string ToString() => $"exit {Exit}\nstdout:\n{Out}\nstderr:\n{Err}";
}

/// <summary>
/// The real <c>connect-reconcile</c> command tree, in-process (like tests/ConnectReconcile.Cli.Tests) or as a
/// child process (<c>dotnet connect-reconcile.dll</c> from this test's output folder) when a test must kill it.
/// In-process runs take AWS credentials from the environment (the SDK's default chain), as a user's shell would:
/// <see cref="UseS3rverCredentials"/> sets <c>AWS_ACCESS_KEY_ID=S3RVER</c> once for this test process.
/// </summary>
public static class S3Cli
{
    private static readonly Lock Gate = new();
    private static bool _credentialsSet;

    /// <summary>s3rver accepts only the access key id S3RVER (any secret). Idempotent.</summary>
    public static void UseS3rverCredentials()
    {
        lock (Gate)
        {
            if (_credentialsSet)
            {
                return;
            }

            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", AwsServicesFixture.S3AccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
            _credentialsSet = true;
        }
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunWithSettingsAsync(null, args);

    /// <summary>Runs the CLI with appsettings.json looked for in <paramref name="settingsDirectory"/> (else the working directory).</summary>
    public static async Task<CliRun> RunWithSettingsAsync(string? settingsDirectory, params string[] args)
    {
        UseS3rverCredentials();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment(stdout, stderr, settingsDirectory: settingsDirectory));
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts the CLI as a child process (stdout/stderr drained into the returned builders).</summary>
    public static (Process Process, StringBuilder Out, StringBuilder Err) Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "connect-reconcile.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = AwsServicesFixture.S3AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        start.Environment.Remove("AWS_ENDPOINT_URL_S3");
        start.Environment.Remove("AWS_ENDPOINT_URL");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            lock (stdout)
            {
                stdout.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, stdout, stderr);
    }
}

/// <summary>
/// One small generated month (1,500 contacts over 3 days, bad records and re-deliveries included) and its
/// local-folder replay, shared by every S3 end-to-end test of this process (generation is deterministic).
/// </summary>
public sealed class GeneratedMonth
{
    public const int Contacts = 1_500;
    public const int Days = 3;
    public const int Seed = 20_261;

    private static readonly Lazy<Task<GeneratedMonth>> Shared = new(() => Task.Run(CreateAsync));

    private GeneratedMonth(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string Data => Path.Combine(Root, "data");

    public string Ctr => Path.Combine(Data, "ctr");

    public string Agents => Path.Combine(Data, "agents.csv");

    public string Numbers => Path.Combine(Data, "numbers.csv");

    /// <summary>The whole replay written to a local folder by the CLI.</summary>
    public string LocalOut => Path.Combine(Root, "local-out");

    public long Records { get; private set; }

    /// <summary>Every CTR object, key relative to <see cref="Ctr"/> ('/'-separated, Firehose YYYY/MM/dd/HH/ layout).</summary>
    public IReadOnlyList<string> Keys { get; private set; } = [];

    public static Task<GeneratedMonth> GetAsync() => Shared.Value;

    /// <summary>The replay arguments every test uses, for any source and output.</summary>
    public string[] ReplayArgs(string source, string output, params string[] extra) =>
        ["replay", "--source", source, "--out", output, "--agents", Agents, "--numbers", Numbers, "--summary", "json", .. extra];

    public string[] NightlyArgs(string date, string source, string output, params string[] extra) =>
        ["nightly", "--date", date, "--source", source, "--out", output, "--agents", Agents, "--numbers", Numbers, "--summary", "json", .. extra];

    private static async Task<GeneratedMonth> CreateAsync()
    {
        // The test host is often torn down without ProcessExit: sweep folders that earlier runs left behind.
        foreach (var stale in Directory.EnumerateDirectories(Path.GetTempPath(), "cr-s3e2e-*"))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-2))
                {
                    Directory.Delete(stale, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process may own it.
            }
        }

        var root = Path.Combine(Path.GetTempPath(), "cr-s3e2e-" + Guid.NewGuid().ToString("N"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        };
        var month = new GeneratedMonth(root);
        var generated = SampleMonth.Generate(new GeneratorOptions(Contacts, Days, Seed, month.Data) { Overwrite = true });
        month.Records = generated.CtrRecords;
        month.Keys = Directory.EnumerateFiles(month.Ctr, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(month.Ctr, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var run = await S3Cli.RunAsync(month.ReplayArgs(month.Ctr, month.LocalOut));
        if (run.Exit != 0)
        {
            throw new InvalidOperationException("The local replay failed: " + run);
        }

        month.LocalSummary = run.Out.Trim();
        return month;
    }

    /// <summary>The local replay's <c>--summary json</c> line.</summary>
    public string LocalSummary { get; private set; } = string.Empty;
}

/// <summary>Object trees: download an S3 prefix, read a local folder, and compare run outputs.</summary>
public static class Trees
{
    /// <summary>Uploads the generated CTR objects under <c>s3://bucket/prefix</c>, keys as on disk (Firehose layout).</summary>
    public static async Task UploadAsync(IAmazonS3 s3, string bucket, string prefix, GeneratedMonth month, Func<string, bool>? include = null)
    {
        await Parallel.ForEachAsync(month.Keys.Where(k => include?.Invoke(k) ?? true), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (key, ct) =>
        {
            await s3.PutObjectAsync(
                new PutObjectRequest { BucketName = bucket, Key = prefix + key, FilePath = Path.Combine(month.Ctr, key.Replace('/', Path.DirectorySeparatorChar)) },
                ct);
        });
    }

    /// <summary>Every object under the prefix, key relative to it, with its bytes.</summary>
    public static async Task<SortedDictionary<string, byte[]>> DownloadAsync(IAmazonS3 s3, string bucket, string prefix)
    {
        var tree = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var store = new S3ObjectStore(s3, ConnectReconcile.Aws.S3.S3Location.Parse($"s3://{bucket}/{prefix}"));
        await foreach (var o in store.ListAsync(string.Empty, CancellationToken.None))
        {
            await using var stream = await store.OpenReadAsync(o.Key, CancellationToken.None);
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            tree[o.Key] = copy.ToArray();
        }

        return tree;
    }

    /// <summary>A local output's files, as an S3 one would hold them: without the lock that orders local publishes.</summary>
    public static SortedDictionary<string, byte[]> Local(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(dir, f) != LocalObjectStore.PublishLock)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes), StringComparer.Ordinal);

    /// <summary>
    /// Asserts two output trees of the same run from different locations are the same: the same keys; every
    /// rated table (charges, contacts, daily_usage, legs, segments) byte for byte; the quarantine table row for
    /// row once each row's <c>source</c> (a path or an s3:// URI of the input object) is made relative to its
    /// source root; and run.json equal except the <c>bytes</c>/<c>sha256</c> of the quarantine files, which
    /// legitimately differ because those files hold the source locations. Returns what was compared how.
    /// </summary>
    public static async Task<string> AssertSameRunAsync(
        SortedDictionary<string, byte[]> expected, string expectedSourceRoot,
        SortedDictionary<string, byte[]> actual, string actualSourceRoot)
    {
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys, actual.Keys);
        int identical = 0, quarantine = 0, quarantineRows = 0, manifests = 0;
        foreach (var (key, bytes) in expected)
        {
            if (key.StartsWith("quarantine/", StringComparison.Ordinal))
            {
                var a = await QuarantineAsync(bytes, expectedSourceRoot);
                var b = await QuarantineAsync(actual[key], actualSourceRoot);
                Assert.Equal(a, b); // a clean day's file has no rows
                quarantine++;
                quarantineRows += a.Count;
            }
            else if (key.EndsWith("run.json", StringComparison.Ordinal))
            {
                Assert.Equal(NormalizedManifest(bytes), NormalizedManifest(actual[key]));
                manifests++;
            }
            else
            {
                Assert.True(bytes.AsSpan().SequenceEqual(actual[key]), $"{key} differs");
                identical++;
            }
        }

        // The manifest names every output with its SHA-256: it must describe the bytes actually published.
        foreach (var (key, bytes) in actual.Where(kv => kv.Key.EndsWith("run.json", StringComparison.Ordinal)))
        {
            AssertManifestMatches(bytes, actual);
        }

        return $"{identical} files byte-identical, {quarantine} quarantine files equal by rows ({quarantineRows} rows, source made relative), {manifests} manifests equal but for quarantine file hashes";
    }

    /// <summary>Every output the manifest names exists with the size and SHA-256 it states.</summary>
    public static void AssertManifestMatches(byte[] manifest, IReadOnlyDictionary<string, byte[]> tree)
    {
        using var doc = JsonDocument.Parse(manifest);
        var outputs = doc.RootElement.GetProperty("outputs").EnumerateArray().ToList();
        Assert.NotEmpty(outputs);
        foreach (var output in outputs)
        {
            var path = output.GetProperty("path").GetString()!;
            Assert.True(tree.TryGetValue(path, out var bytes), $"run.json names {path}, which is missing");
            Assert.Equal(output.GetProperty("bytes").GetInt64(), bytes.LongLength);
            Assert.Equal(output.GetProperty("sha256").GetString(), Sha256(bytes));
        }
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>Quarantine rows with the source root stripped from <c>source</c> and <c>detail</c>.</summary>
    public static async Task<List<string>> QuarantineAsync(byte[] parquet, string sourceRoot)
    {
        using var stream = new MemoryStream(parquet);
        var rows = await ParquetSerializer.DeserializeAsync<QuarantineRow>(stream);
        return rows.Data.Select(r =>
        {
            Assert.StartsWith(sourceRoot, r.Source, StringComparison.Ordinal);
            var relative = r.Source[sourceRoot.Length..].Replace('\\', '/');
            return $"{relative}|{r.Position}|{r.RecordIndex}|{r.Reason}|{r.Detail.Replace(sourceRoot, "<root>", StringComparison.Ordinal)}";
        }).ToList();
    }

    public static async Task<List<QuarantineRow>> QuarantineRowsAsync(byte[] parquet)
    {
        using var stream = new MemoryStream(parquet);
        return (await ParquetSerializer.DeserializeAsync<QuarantineRow>(stream)).Data.ToList();
    }

    /// <summary>Every quarantine row a run published under <c>s3://bucket/prefix</c>.</summary>
    public static async Task<List<QuarantineRow>> QuarantineRowsAsync(IAmazonS3 s3, string bucket, string prefix) =>
        await QuarantineRowsAsync(await DownloadAsync(s3, bucket, prefix));

    /// <summary>Every quarantine row of a downloaded tree (<see cref="DownloadAsync"/>).</summary>
    public static async Task<List<QuarantineRow>> QuarantineRowsAsync(IReadOnlyDictionary<string, byte[]> tree)
    {
        var rows = new List<QuarantineRow>();
        foreach (var (_, parquet) in tree.Where(kv => kv.Key.StartsWith("quarantine/", StringComparison.Ordinal)))
        {
            rows.AddRange(await QuarantineRowsAsync(parquet));
        }

        return rows;
    }

    /// <summary>run.json with the size and hash of quarantine files removed (they hold source locations).</summary>
    public static string NormalizedManifest(byte[] manifest)
    {
        var node = JsonNode.Parse(manifest)!;
        foreach (var output in node["outputs"]!.AsArray())
        {
            if (output!["path"]!.GetValue<string>().StartsWith("quarantine/", StringComparison.Ordinal))
            {
                output.AsObject().Remove("bytes");
                output.AsObject().Remove("sha256");
            }
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Asserts byte-for-byte equality of two whole trees (same keys, same bytes).</summary>
    public static void AssertIdentical(SortedDictionary<string, byte[]> expected, SortedDictionary<string, byte[]> actual)
    {
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[key]), $"{key} differs");
        }
    }
}
