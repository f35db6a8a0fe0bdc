// Shared xunit fixture: real local AWS servers (kinesalite, s3rver) for integration tests.
// Link into a test project (which must reference src/ConnectReconcile.Aws):
//   <Compile Include="..\aws-services\*.cs" LinkBase="aws-services" />
// and mark test classes with [Collection(AwsServicesCollection.Name)].
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ConnectReconcile.Aws.Kinesis;

namespace ConnectReconcile.TestServices;

/// <summary>One kinesalite + s3rver pair per test collection.</summary>
[CollectionDefinition(Name)]
public sealed class AwsServicesCollection : ICollectionFixture<AwsServicesFixture>
{
    public const string Name = "aws-services";
}

/// <summary>
/// Starts <c>tests/aws-services/start.js</c> (after <c>npm ci</c> when node_modules is missing), reads the
/// ports it prints, and hands out clients. The launcher exits when its stdin closes, so a crashed test
/// run never leaves it behind; <see cref="DisposeAsync"/> closes stdin and waits.
/// </summary>
public sealed class AwsServicesFixture : IAsyncLifetime
{
    /// <summary>The only access key id s3rver accepts by default (any secret).</summary>
    public const string S3AccessKey = "S3RVER";

    public const string Region = "us-east-1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);

    private readonly StringBuilder _stderr = new();
    private Process? _process;
    private AmazonS3Client? _s3;
    private KinesisClient? _kinesis;
    private int _buckets;

    public int S3Port { get; private set; }

    /// <summary>s3rver itself, without the aws-chunked decoding front (fine for reads only).</summary>
    public int S3DirectPort { get; private set; }

    public int KinesisPort { get; private set; }

    public string S3ServiceUrl => $"http://127.0.0.1:{S3Port}";

    public string KinesisEndpoint => $"http://127.0.0.1:{KinesisPort}";

    /// <summary>Folder where s3rver keeps buckets (removed when the launcher exits).</summary>
    public string S3Directory { get; private set; } = string.Empty;

    public AmazonS3Client S3 => _s3 ?? throw new InvalidOperationException("Fixture not started.");

    public KinesisClient Kinesis => _kinesis ?? throw new InvalidOperationException("Fixture not started.");

    /// <summary>What the launcher wrote on stderr so far (for failure messages).</summary>
    public string ServerLog
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static AmazonS3Config S3Config(string serviceUrl, int maxErrorRetry = 4) => new()
    {
        ServiceURL = serviceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = Region,
        RetryMode = RequestRetryMode.Standard,
        MaxErrorRetry = maxErrorRetry,
    };

    public static AWSCredentials S3Credentials => new BasicAWSCredentials(S3AccessKey, "S3RVER");

    /// <summary>A new S3 client; pass another URL (e.g. a fault proxy in front of <see cref="S3ServiceUrl"/>).</summary>
    public AmazonS3Client CreateS3Client(string? serviceUrl = null, int maxErrorRetry = 4) =>
        new(S3Credentials, S3Config(serviceUrl ?? S3ServiceUrl, maxErrorRetry));

    /// <summary>A new Kinesis client for kinesalite (any key works; signatures are not checked).</summary>
    public KinesisClient CreateKinesisClient(Func<KinesisClientOptions, KinesisClientOptions>? configure = null)
    {
        var options = new KinesisClientOptions
        {
            EndpointUrl = KinesisEndpoint,
            Region = Region,
            Credentials = new BasicAWSCredentials("AKIDLOCALTEST", "local-secret"),
            RequestTimeout = TimeSpan.FromSeconds(10),
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        };
        return new KinesisClient(configure is null ? options : configure(options));
    }

    /// <summary>Creates an empty bucket with a unique name.</summary>
    public async Task<string> CreateBucketAsync(string hint = "test")
    {
        var name = $"{hint.ToLowerInvariant()}-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid():N}";
        name = name[..Math.Min(name.Length, 63)];
        await S3.PutBucketAsync(new PutBucketRequest { BucketName = name }).ConfigureAwait(false);
        return name;
    }

    /// <summary>A unique stream name.</summary>
    public static string NewStreamName(string hint = "stream") => $"{hint}-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        var folder = FindServicesFolder();
        await EnsureNodeModulesAsync(folder).ConfigureAwait(false);

        var start = new ProcessStartInfo(NodeExecutable())
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--openssl-legacy-provider");
        start.ArgumentList.Add("start.js");
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (string.IsNullOrWhiteSpace(line))
        {
            await DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"tests/aws-services/start.js did not report its ports within {StartTimeout.TotalSeconds} s. stderr:\n{ServerLog}");
        }

        using (var doc = JsonDocument.Parse(line))
        {
            S3Port = doc.RootElement.GetProperty("s3").GetInt32();
            S3DirectPort = doc.RootElement.GetProperty("s3Direct").GetInt32();
            KinesisPort = doc.RootElement.GetProperty("kinesis").GetInt32();
            S3Directory = doc.RootElement.GetProperty("s3Dir").GetString() ?? string.Empty;
        }

        _s3 = CreateS3Client();
        _kinesis = CreateKinesisClient();
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        _kinesis?.Dispose();
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>tests/aws-services, found from the test assembly folder upwards (or AWS_SERVICES_DIR).</summary>
    public static string FindServicesFolder()
    {
        var configured = Environment.GetEnvironmentVariable("AWS_SERVICES_DIR");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "aws-services");
            if (File.Exists(Path.Combine(candidate, "start.js")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/aws-services/start.js not found above {AppContext.BaseDirectory}.");
    }

    private static string NodeExecutable() => Environment.GetEnvironmentVariable("NODE") is { Length: > 0 } node ? node : "node";

    /// <summary>Runs <c>npm ci</c> once when the packages are missing; a lock file keeps parallel test projects from racing.</summary>
    private static async Task EnsureNodeModulesAsync(string folder)
    {
        static bool Installed(string f) =>
            File.Exists(Path.Combine(f, "node_modules", "s3rver", "package.json"))
            && File.Exists(Path.Combine(f, "node_modules", "kinesalite", "package.json"));

        if (Installed(folder))
        {
            return;
        }

        var lockPath = Path.Combine(folder, ".npm-install.lock");
        var deadline = DateTime.UtcNow + NpmTimeout;
        FileStream? gate = null;
        while (gate is null)
        {
            try
            {
                gate = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250).ConfigureAwait(false);
            }
        }

        await using (gate.ConfigureAwait(false))
        {
            if (Installed(folder))
            {
                return;
            }

            var npm = new ProcessStartInfo(Environment.GetEnvironmentVariable("NPM") is { Length: > 0 } n ? n : "npm")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
            {
                npm.ArgumentList.Add(arg);
            }

            using var process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(NpmTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"npm ci in {folder} took longer than {NpmTimeout.TotalMinutes} minutes.");
            }

            if (process.ExitCode != 0 || !Installed(folder))
            {
                throw new InvalidOperationException(
                    $"npm ci in {folder} failed (exit {process.ExitCode}):\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
            }
        }
    }
}
