using System.Diagnostics;
using System.Text;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Cli;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Storage;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>
/// Two generated days (1,200 contacts, seed 7: re-deliveries and bad records planted) and what a file replay
/// writes for each day: <c>replay --from D --to D --look-ahead-hours 240</c> (the look-ahead reaches the
/// generator's latest re-deliveries, which a stream sees too).
/// </summary>
public sealed class StreamTestData : IAsyncLifetime
{
    public static readonly string[] RatedTables = ["charges", "contacts", "daily_usage", "legs", "segments"];
    public static readonly DateOnly[] Days = [new(2026, 10, 1), new(2026, 10, 2)];

    public StreamTestData()
        : this(Path.Combine(Path.GetTempPath(), "cr-stream-" + Guid.NewGuid().ToString("N")))
    {
    }

    /// <summary>Files already generated under <paramref name="root"/>/data (the reference is not built).</summary>
    internal StreamTestData(string root) => Root = root;

    public string Root { get; }

    public string Data => Path.Combine(Root, "data");

    public string Ctr => Path.Combine(Data, "ctr");

    public string Agents => Path.Combine(Data, "agents.csv");

    public string Numbers => Path.Combine(Data, "numbers.csv");

    public GroundTruth Truth { get; private set; } = null!;

    /// <summary>Relative path (<c>table/dt=D/part-00000.parquet</c>) → bytes, for the rated tables of both days.</summary>
    public SortedDictionary<string, byte[]> Reference { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Truth = SampleMonth.Generate(new GeneratorOptions(1_200, 2, 7, Data) { Overwrite = true }).Truth;
        foreach (var day in Days)
        {
            var d = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var outDir = Path.Combine(Root, "replay-" + d);
            var (exit, _, err) = await RunCliAsync("replay", "--source", Ctr, "--from", d, "--to", d, "--look-ahead-hours", "240",
                "--agents", Agents, "--numbers", Numbers, "--out", outDir, "--summary", "json");
            Assert.True(exit == 0, err);
            foreach (var (path, bytes) in StreamAsserts.RatedPartitions(outDir))
            {
                Reference[path] = bytes;
            }
        }
    }

    public Task DisposeAsync()
    {
        StreamAsserts.DeleteQuietly(Root);
        return Task.CompletedTask;
    }

    public Rater Rater() => new(BuiltInRateCards.Default, BillingPolicy.Parse(null), Inputs.Agents(Agents, _ => { }), Inputs.Numbers(Numbers, _ => { }));

    public NumberInventory NumberInventory() => Inputs.Numbers(Numbers, _ => { });

    /// <summary>Every framed JSON object of the files in arrival order, as the loader puts them.</summary>
    public List<byte[]> RawObjects()
    {
        var objects = new List<byte[]>();
        var store = new LocalObjectStore(Ctr);
        var selected = new ConnectReconcile.Io.Jobs.InputSelector().SelectAsync(store, null, null, 0, CancellationToken.None).GetAwaiter().GetResult();
        foreach (var obj in selected)
        {
            using var raw = store.OpenReadAsync(obj.Key, CancellationToken.None).GetAwaiter().GetResult();
            new CtrDecoder().Split(raw, obj.Key, (json, _) => objects.Add(json.ToArray()), new NullSink());
        }

        return objects;
    }

    /// <summary>Runs the real command tree in-process (no AWS involved), capturing stdout/stderr.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunCliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment(stdout, stderr));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private sealed class NullSink : IDecodeSink
    {
        public void OnRecord(Core.Ctr.ContactRecord record, SourcePosition position)
        {
        }

        public void OnQuarantine(QuarantineEntry entry)
        {
        }
    }
}

/// <summary>Comparisons and small helpers shared by the stream tests.</summary>
internal static class StreamAsserts
{
    /// <summary>Files of the rated tables' day partitions under an output folder.</summary>
    public static SortedDictionary<string, byte[]> RatedPartitions(string outDir) => Partitions(outDir, StreamTestData.RatedTables);

    public static SortedDictionary<string, byte[]> Partitions(string outDir, IEnumerable<string> tables)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var dir = Path.Combine(outDir, table);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories))
            {
                result[Path.GetRelativePath(outDir, file).Replace(Path.DirectorySeparatorChar, '/')] = File.ReadAllBytes(file);
            }
        }

        return result;
    }

    public static void SameBytes(IReadOnlyDictionary<string, byte[]> expected, IReadOnlyDictionary<string, byte[]> actual, string what)
    {
        Assert.True(expected.Keys.SequenceEqual(actual.Keys, StringComparer.Ordinal),
            $"{what}: partitions differ.\nexpected: {string.Join(", ", expected.Keys)}\nactual:   {string.Join(", ", actual.Keys)}");
        var different = expected.Where(kv => !kv.Value.AsSpan().SequenceEqual(actual[kv.Key])).Select(kv => kv.Key).ToList();
        Assert.True(different.Count == 0, $"{what}: files differ: {string.Join(", ", different)}");
    }

    public static async Task<string> NewStreamAsync(IKinesisClient kinesis, int shards, string hint)
    {
        var name = AwsServicesFixture.NewStreamName(hint);
        await kinesis.CreateStreamAsync(name, shards, CancellationToken.None);
        await kinesis.WaitForActiveAsync(name, TimeSpan.FromSeconds(10), CancellationToken.None);
        return name;
    }

    public static StreamWorkerOptions Options(StreamTestData data, string stream, string outDir, ITestOutputHelper? output = null) => new()
    {
        StreamName = stream,
        Output = new LocalObjectStore(outDir),
        Rater = data.Rater(),
        Numbers = data.NumberInventory(),
        BatchRecords = 5000,
        BatchAge = TimeSpan.FromSeconds(1),
        StopWhenIdle = TimeSpan.FromSeconds(1.5),
        IdlePollInterval = TimeSpan.FromMilliseconds(250),
        ShardListInterval = TimeSpan.FromSeconds(1),
        Log = output is null ? NullStreamLog.Instance : new TestLog(output),
    };

    public static FileCheckpointStore Checkpoints(string outDir) => new(Path.Combine(outDir, "_stream", "checkpoints.json"));

    public static void DeleteQuietly(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Worker log lines into the test output (shown for failing tests).</summary>
internal sealed class TestLog(ITestOutputHelper output) : IStreamLog
{
    public void Log(StreamLogLevel level, Exception? exception, string template, params object?[] args)
    {
        var i = 0;
        var text = System.Text.RegularExpressions.Regex.Replace(template, @"\{[^}]+\}", _ => i < args.Length ? Convert.ToString(args[i++], System.Globalization.CultureInfo.InvariantCulture) ?? "" : "?");
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {level}: {text}{(exception is null ? "" : " " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished.
        }
    }
}

/// <summary>The CLI as a child process (<c>dotnet connect-reconcile.dll …</c> from the test's output folder), so it can be killed.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Out => Read(_stdout);

    public string Err => Read(_stderr);

    public static CliProcess Start(AwsServicesFixture services, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "connect-reconcile.dll");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // kinesalite accepts any key; the endpoint comes from the environment like a deployed task's would.
        start.Environment["AWS_ACCESS_KEY_ID"] = "AKIDLOCALTEST";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "local-secret";
        start.Environment["AWS_REGION"] = AwsServicesFixture.Region;
        start.Environment["AWS_ENDPOINT_URL_KINESIS"] = services.KinesisEndpoint;
        start.Environment.Remove("AWS_PROFILE");
        return new CliProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the CLI."));
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The CLI did not exit within {timeout}.\nstdout:\n{Out}\nstderr:\n{Err}");
        }

        Process.WaitForExit(); // drains the redirected output
        return Process.ExitCode;
    }

    /// <summary>Log messages (the JSON console logger's "Message" fields), for failure output.</summary>
    public string Messages() => string.Join("\n", Err.Split('\n').Select(line =>
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("Message").GetString();
        }
        catch (System.Text.Json.JsonException)
        {
            return line;
        }
    }));

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }

        Process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sb)
        {
            sb.AppendLine(line);
        }
    }

    private static string Read(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
