using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

// End-to-end throughput/memory harness (not a test). Each phase runs in its own child process so its
// peak memory (VmHWM) is its own. Usage:
//   dotnet run -c Release --project tests/ConnectReconcile.Benchmarks -- [--ctrs 1000000] [--data DIR] [--phases floor,decode,rate,replay]
var opts = Args.Parse(args);
if (opts.Phase is { } phase)
{
    return await Phases.RunAsync(phase, opts.Data!);
}

var data = opts.Data ?? Path.Combine(Path.GetTempPath(), $"cr-bench-{opts.Ctrs}");
if (!File.Exists(Path.Combine(data, "truth.json")))
{
    // ~1.23 CTRs per contact in the generated mix; aim for the requested record count.
    var contacts = (int)(opts.Ctrs / 1.233);
    Console.WriteLine($"generating ~{opts.Ctrs:N0} CTRs ({contacts:N0} contacts, 30 days) into {data} …");
    var sw = Stopwatch.StartNew();
    var generated = SampleMonth.Generate(new GeneratorOptions(contacts, 30, 1, data) { Overwrite = true });
    Console.WriteLine($"  {generated.CtrRecords:N0} CTRs, {generated.Files:N0} files, {generated.Bytes / 1e6:N0} MB gzip in {sw.Elapsed.TotalSeconds:N1} s");
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
foreach (var p in opts.Phases)
{
    var self = Environment.ProcessPath!;
    var entry = typeof(Phases).Assembly.Location;
    var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        psi.ArgumentList.Add(entry);
    }

    foreach (var a in new[] { "--phase", p, "--data", data })
    {
        psi.ArgumentList.Add(a);
    }

    using var child = Process.Start(psi)!;
    Console.Write(await child.StandardOutput.ReadToEndAsync());
    await child.WaitForExitAsync();
    if (child.ExitCode != 0)
    {
        return child.ExitCode;
    }
}

return 0;

internal sealed record Args(long Ctrs, string? Data, string? Phase, string[] Phases)
{
    public static Args Parse(string[] args)
    {
        long ctrs = 1_000_000;
        string? data = null, phase = null;
        var phases = new[] { "floor", "decode", "rate", "replay" };
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--ctrs": ctrs = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--data": data = args[i + 1]; break;
                case "--phase": phase = args[i + 1]; break;
                case "--phases": phases = args[i + 1].Split(','); break;
                default: throw new ArgumentException("unknown argument " + args[i]);
            }
        }

        return new Args(ctrs, data, phase, phases);
    }
}

internal static class Phases
{
    public static async Task<int> RunAsync(string phase, string data)
    {
        var ctrDir = Path.Combine(data, "ctr");
        var files = Directory.GetFiles(ctrDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var gzipBytes = files.Sum(f => new FileInfo(f).Length);
        var sw = Stopwatch.StartNew();
        long records;
        long jsonBytes = 0;
        switch (phase)
        {
            case "floor":
                // gunzip + a bare Utf8JsonReader pass over the same bytes, one file per thread.
                long count = 0, bytes = 0;
                Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, file =>
                {
                    var (n, b) = BareScan(file);
                    Interlocked.Add(ref count, n);
                    Interlocked.Add(ref bytes, b);
                });
                records = count;
                jsonBytes = bytes;
                break;
            case "decode":
                // What the replay does before rating: decode in arrival order through the chain window, which keeps the
                // dedupe index and a few hours of open chains; closed chains are dropped here instead of rated.
                var store = new LocalObjectStore(ctrDir);
                var selector = new InputSelector();
                var objects = await selector.SelectAsync(store, null, null, 0, CancellationToken.None);
                var window = new ChainWindow(6 * 3600, _ => true);
                long read = 0, closedChains = 0;
                await foreach (var decoded in new ObjectDecoder(store, Environment.ProcessorCount).DecodeInOrderAsync(objects, CancellationToken.None))
                {
                    if (selector.ArrivalHour(decoded.Input.Key) is { } hour)
                    {
                        closedChains += window.Advance(Instant.FromDateTime(hour)).Count(g => g.Chain is not null);
                    }

                    foreach (var (record, _) in decoded.Records)
                    {
                        window.Offer(record);
                    }

                    read += decoded.Records.Count + decoded.Quarantined.Count;
                }

                closedChains += window.CloseAll().Count(g => g.Chain is not null);
                records = read;
                Console.WriteLine($"  decode+dedupe: {closedChains:N0} chains closed, superseded {window.Superseded:N0}, late corrections {window.LateCorrections:N0}");
                break;
            case "rate":
            case "replay":
                var outDir = Path.Combine(Path.GetTempPath(), "cr-bench-out-" + Environment.ProcessId);
                var numbers = ReferenceReaders.ReadNumbers(await File.ReadAllTextAsync(Path.Combine(data, "numbers.csv")));
                var agents = ReferenceReaders.ReadAgents(await File.ReadAllTextAsync(Path.Combine(data, "agents.csv")));
                var result = await new BillingJob(new BillingJobOptions
                {
                    Source = new LocalObjectStore(ctrDir),
                    Output = phase == "replay" ? new LocalObjectStore(outDir) : null,
                    Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, agents, numbers),
                    Numbers = numbers,
                }).RunAsync(null, CancellationToken.None);
                records = result.Counts.Read;
                var truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "truth.json"))).RootElement;
                var ok = truth.GetProperty("billedSeconds").EnumerateObject().All(p => p.Value.GetInt64() == result.Totals.BilledSeconds().GetValueOrDefault(p.Name));
                Console.WriteLine($"  replay: {result.Counts.Chains:N0} chains, {result.Outputs.Count} Parquet files, totals {(ok ? "EQUAL" : "DIFFERENT")} to truth.json");
                if (Directory.Exists(outDir))
                {
                    Directory.Delete(outDir, recursive: true);
                }
                break;
            default:
                throw new ArgumentException("unknown phase " + phase);
        }

        var seconds = sw.Elapsed.TotalSeconds;
        var peak = PeakMegabytes();
        var json = jsonBytes > 0 ? string.Create(CultureInfo.InvariantCulture, $", {jsonBytes / 1e6 / seconds,7:N1} MB/s JSON") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{phase,-7} {records,12:N0} CTRs in {seconds,7:N2} s = {records / seconds,10:N0} CTRs/s, {gzipBytes / 1e6 / seconds,7:N1} MB/s gzip{json}, peak memory {peak:N0} MB, GC pauses {GC.GetTotalPauseDuration().TotalSeconds:N2} s (gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() / 1e9:N1} GB), CPU {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:N1} s"));
        return 0;
    }

    private static (long Values, long Bytes) BareScan(string file)
    {
        using var stream = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        var buffer = new byte[1 << 20];
        var state = new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true });
        int filled = 0;
        long values = 0, bytes = 0;
        var broken = false;
        while (true)
        {
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            bytes += read;
            int consumed;
            if (broken)
            {
                consumed = filled; // past a planted malformed value: keep inflating, stop parsing
            }
            else
            {
                var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), read == 0, state);
                try
                {
                    while (reader.Read())
                    {
                        if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == 0)
                        {
                            values++;
                        }
                    }
                }
                catch (JsonException)
                {
                    broken = true;
                }

                state = reader.CurrentState;
                consumed = broken ? filled : (int)reader.BytesConsumed;
            }

            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
            if (read == 0)
            {
                return (values, bytes);
            }

            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
    }

    private static double PeakMegabytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return Environment.WorkingSet / 1e6;
    }
}

