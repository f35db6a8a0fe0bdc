using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Cur;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

// End-to-end throughput/memory harness (not a test). Each phase runs in its own child process so its
// peak memory (VmHWM) is its own. Usage:
//   dotnet run -c Release --project tests/ConnectReconcile.Benchmarks -- [--ctrs 1000000] [--data DIR] [--phases floor,decode,rate,replay] [--repeat N]
//   (--ctrs 1000000,2000000 --repeat 3: each size's month, the sizes interleaved run after run, then the
//   medians and each phase's peak memory at every size over the first size's: the memory-scaling target;
//   this machine's speed and Server GC's peaks vary from run to run, so one run per size decides little)
//   (diagnostic phases: frame = gunzip + the decoder's framing scan; parse = frame + records, no dedupe;
//   parquet = the output writer alone writing 1 M synthetic charge rows in replay-sized row groups)
//   CR_BENCH_ALLOCATIONS=1 in the environment adds the runtime's allocation samples by type (~one per 100 KB),
//   those on the large-object heap, and the collections by generation and trigger; CR_BENCH_JIT=1 adds the
//   JIT's compilation time by method and by namespace (the figures line always has its total);
//   CR_BENCH_MEMORY=1 adds what the GC had committed and held at the phase's highest resident size.
//   --against DIR (Linux, needs taskset): this build and another build's harness (DIR holds its
//   ConnectReconcile.Benchmarks) run each phase at the same time, one pinned to each core, swapping cores
//   run after run, and the harness prints this build's time over the other's: both see the same machine
//   (whose speed drifts more than most changes move it), and a one-core run's time is its CPU work.
if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine(Args.Usage);
    return 0;
}

Args opts;
try
{
    opts = Args.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (opts.Phase is { } phase)
{
    using var allocations = Environment.GetEnvironmentVariable("CR_BENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
    using var jit = Environment.GetEnvironmentVariable("CR_BENCH_JIT") == "1" ? new JitSampler() : null;
    using var memory = Environment.GetEnvironmentVariable("CR_BENCH_MEMORY") == "1" ? new MemorySampler() : null;
    var code = await Phases.RunAsync(phase, opts.Data!);
    allocations?.Print(15);
    jit?.Print(30);
    memory?.Print();
    return code;
}

if ((opts.Data is not null || opts.Against is not null) && opts.Ctrs.Length > 1)
{
    Console.Error.WriteLine("--data and --against take one month: give one --ctrs size with them");
    return 2;
}

var months = opts.Ctrs.Select(n => (Ctrs: n, Data: opts.Data ?? Path.Combine(Path.GetTempPath(), $"cr-bench-{n}"))).ToList();
foreach (var (ctrs, data) in months)
{
    if (!File.Exists(Path.Combine(data, "truth.json")))
    {
        // ~1.23 CTRs per contact in the generated mix; aim for the requested record count.
        var contacts = (int)(ctrs / 1.233);
        Console.WriteLine($"generating ~{ctrs:N0} CTRs ({contacts:N0} contacts, 30 days) into {data} …");
        var sw = Stopwatch.StartNew();
        var generated = SampleMonth.Generate(new GeneratorOptions(contacts, 30, 1, data) { Overwrite = true });
        Console.WriteLine($"  {generated.CtrRecords:N0} CTRs, {generated.Files:N0} files, {generated.Bytes / 1e6:N0} MB gzip in {sw.Elapsed.TotalSeconds:N1} s");
    }
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (opts.Against is { } against)
{
    var (ctrs, data) = months.Single();
    return await PhaseRun.CompareAsync(opts.Phases, data, ctrs, opts.Repeat, Path.Combine(against, "ConnectReconcile.Benchmarks"));
}

var runs = new List<PhaseRun>();
var several = months.Count > 1 || opts.Repeat > 1;
for (var run = 1; run <= opts.Repeat; run++)
{
    foreach (var (ctrs, data) in months)
    {
        if (several)
        {
            Console.WriteLine($"run {run}/{opts.Repeat}, {Path.GetFileName(data)}:");
        }

        foreach (var p in opts.Phases)
        {
            if (await PhaseRun.StartAsync(p, data, ctrs, run) is not { } result)
            {
                return 1;
            }

            runs.Add(result);
        }
    }
}

if (several)
{
    PhaseRun.Summarise(runs, months.Select(m => m.Ctrs).ToList());
}

return 0;

internal sealed record Args(long[] Ctrs, string? Data, string? Phase, string[] Phases, int Repeat, string? Against)
{
    public const string Usage = """
        ConnectReconcile.Benchmarks [--ctrs N[,N…]] [--data DIR] [--phases P,…] [--repeat N] [--against DIR]
          --ctrs     month sizes in CTRs (default 1000000), generated once into $TMPDIR/cr-bench-N
          --data     a generated month's folder instead (one size)
          --phases   floor, decode, rate, replay (default); diagnostics: frame, parse, parquet
          --repeat   runs of every phase; with several sizes, the medians and the peak-memory ratio
          --against  another build's harness folder: both run at once, one pinned to each core
        Environment: CR_BENCH_ALLOCATIONS=1, CR_BENCH_JIT=1, CR_BENCH_MEMORY=1 (see docs/benchmarks.md).
        """;

    private static readonly string[] Known = ["floor", "frame", "parse", "decode", "rate", "replay", "parquet"];

    public static Args Parse(string[] args)
    {
        long[] ctrs = [1_000_000];
        string? data = null, phase = null, against = null;
        var phases = new[] { "floor", "decode", "rate", "replay" };
        var repeat = 1;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 == args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            }

            switch (args[i])
            {
                case "--ctrs": ctrs = args[i + 1].Split(',').Select(n => long.Parse(n, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--data": data = args[i + 1]; break;
                case "--phase": phase = args[i + 1]; break;
                case "--phases": phases = args[i + 1].Split(','); break;
                case "--repeat": repeat = Math.Max(1, int.Parse(args[i + 1], CultureInfo.InvariantCulture)); break;
                case "--against": against = args[i + 1]; break;
                default: throw new ArgumentException($"unknown argument {args[i]}\n{Usage}");
            }
        }

        if (phases.Append(phase).OfType<string>().FirstOrDefault(p => !Known.Contains(p)) is { } unknown)
        {
            throw new ArgumentException($"unknown phase {unknown} (phases: {string.Join(", ", Known)})");
        }

        return new Args(ctrs, data, phase, phases, repeat, against);
    }
}

/// <summary>One phase run in its own child process: what it printed, and the figures the summary needs.</summary>
internal sealed record PhaseRun(string Phase, long Ctrs, int Run, double Seconds, double CtrsPerSecond, double PeakMegabytes)
{
    /// <summary>The child prints its line for people, then this prefix and its figures for the parent.</summary>
    public const string Marker = "#figures ";

    /// <param name="harness">Another build's harness executable instead of this one.</param>
    /// <param name="core">The one core the child may run on (through taskset), if any.</param>
    /// <param name="label">Put before each line the child prints.</param>
    public static async Task<PhaseRun?> StartAsync(string phase, string data, long ctrs, int run, string? harness = null, int? core = null, string label = "")
    {
        var self = harness ?? Environment.ProcessPath!;
        var psi = new ProcessStartInfo(core is null ? self : "taskset") { RedirectStandardOutput = true };
        if (core is { } c)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(c.ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add(self);
        }

        if (harness is null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(Phases).Assembly.Location);
        }

        foreach (var a in new[] { "--phase", phase, "--data", data })
        {
            psi.ArgumentList.Add(a);
        }

        using var child = Process.Start(psi)!;
        PhaseRun? result = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                var f = line[Marker.Length..].Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                result = new PhaseRun(phase, ctrs, run, f[0], f[1], f[2]);
            }
            else
            {
                Console.WriteLine(label + line);
            }
        }

        await child.WaitForExitAsync();
        return child.ExitCode == 0 ? result : null;
    }

    /// <summary>
    /// Each phase of this build and of <paramref name="other"/> at the same time, one per core, the
    /// cores swapped run after run; then this build's time over the other's, per run and on average.
    /// </summary>
    public static async Task<int> CompareAsync(IReadOnlyList<string> phases, string data, long ctrs, int repeat, string other)
    {
        if (Environment.ProcessorCount < 2 || !File.Exists(other))
        {
            Console.Error.WriteLine($"--against needs two cores and {other}");
            return 2;
        }

        foreach (var phase in phases)
        {
            var ratios = new List<double>();
            for (var run = 1; run <= repeat; run++)
            {
                var (mine, theirs) = (run % 2, (run + 1) % 2);
                var results = await Task.WhenAll(
                    StartAsync(phase, data, ctrs, run, core: mine, label: $"this  (core {mine}) "),
                    StartAsync(phase, data, ctrs, run, other, theirs, $"other (core {theirs}) "));
                if (results[0] is not { } a || results[1] is not { } b)
                {
                    return 1;
                }

                ratios.Add(a.Seconds / b.Seconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {phase} run {run}: this {a.Seconds:N2} s, other {b.Seconds:N2} s, this/other {ratios[^1]:N3}"));
            }

            // The two cores need not be equally fast (here one ran ~25 % slower): over an even number of
            // runs each build has had each core equally often, and the geometric mean cancels the cores out.
            var mean = Math.Exp(ratios.Average(Math.Log));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{phase}: this build's time over the other's, geometric mean {mean:N3} over {ratios.Count} runs{(ratios.Count % 2 == 1 ? " (odd: give an even --repeat)" : "")}"));
        }

        return 0;
    }

    /// <summary>Medians per phase and size; with several sizes, each phase's peak over the first size's (median of the runs' own ratios too).</summary>
    public static void Summarise(IReadOnlyList<PhaseRun> runs, IReadOnlyList<long> sizes)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine("medians:");
        foreach (var group in runs.GroupBy(r => (r.Phase, r.Ctrs)))
        {
            var peaks = group.Select(r => r.PeakMegabytes).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {group.Key.Phase,-7} {group.Key.Ctrs,12:N0}: {Median(group.Select(r => r.Seconds)),7:N2} s = {Median(group.Select(r => r.CtrsPerSecond)),10:N0} CTRs/s, peak memory {Median(peaks):N0} MB ({peaks.Min():N0}–{peaks.Max():N0} over {peaks.Count} runs)"));
        }

        foreach (var phase in runs.Select(r => r.Phase).Distinct())
        {
            foreach (var size in sizes.Skip(1))
            {
                var pairs = runs.Where(r => r.Phase == phase && r.Ctrs == sizes[0])
                    .Join(runs.Where(r => r.Phase == phase && r.Ctrs == size), a => a.Run, b => b.Run, (a, b) => (b.PeakMegabytes / a.PeakMegabytes) - 1)
                    .ToList();
                var ofMedians = (Median(runs.Where(r => r.Phase == phase && r.Ctrs == size).Select(r => r.PeakMegabytes))
                    / Median(runs.Where(r => r.Phase == phase && r.Ctrs == sizes[0]).Select(r => r.PeakMegabytes))) - 1;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {phase,-7} peak memory at {size:N0} over {sizes[0]:N0}: {ofMedians:+0%;-0%} (medians); run by run {string.Join(", ", pairs.Select(x => x.ToString("+0%;-0%", CultureInfo.InvariantCulture)))}"));
            }
        }
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

        // Live data: the most that survived any full (gen2) collection, sampled as the run goes, to
        // tell what the job holds from what the GC keeps as headroom.
        long live = 0;
        JsonElement? truth = null;
        string? written = null;
        var correct = true;
        using var liveSampler = new Timer(_ => live = Math.Max(live, GC.GetGCMemoryInfo(GCKind.Background).PromotedBytes), null, 0, 100);
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
            case "frame":
            case "parse":
                // Diagnostics between the floor and decode: gunzip + the decoder's framing scan alone ("frame"), then
                // framing + parsing every record into a ContactRecord ("parse"), in parallel, with no dedupe.
                long framed = 0;
                Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new CtrDecoder(), (file, _, decoder) =>
                {
                    using var stream = File.OpenRead(file);
                    var counter = new CountingSink();
                    if (phase == "frame")
                    {
                        decoder.Split(stream, file, (_, _) => counter.OnRecord(null!, default), counter);
                    }
                    else
                    {
                        decoder.Decode(stream, file, counter);
                    }

                    Interlocked.Add(ref framed, counter.Count);
                    return decoder;
                }, _ => { });
                records = framed;
                break;
            case "parquet":
            {
                // The output writer alone: ~1 M charge rows appended in slices like a replay's day files.
                var rng = new Random(1);
                var kinds = new[] { "service", "telephony:inbound-did", "telephony:inbound-tollfree", "telephony:outbound" };
                // Ids as a replay writes them: a chain's id on its ~2.4 adjacent rows, a contact's on ~1.7.
                var chainIds = Enumerable.Range(0, 420_000).Select(_ => Guid.NewGuid().ToString()).ToArray();
                var contactIds = Enumerable.Range(0, 590_000).Select(_ => Guid.NewGuid().ToString()).ToArray();
                var rowsAll = Enumerable.Range(0, 1_000_000).Select(i => new ConnectReconcile.Io.Parquet.ChargeRow
                {
                    ChainId = chainIds[i * 5 / 12], ContactId = contactIds[i * 10 / 17], Day = new DateOnly(2026, 10, 1 + i / 40_000),
                    StartTime = new DateTime(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 2.5), InstanceId = "11111111-2222-3333-4444-555555555555",
                    Region = "us-east-1", ChargeKind = kinds[rng.Next(4)], LegKind = "customer", LegIndex = rng.Next(3), UsageType = "USE1-connect-usage",
                    Unit = "minutes", PricingModel = "per-second", ActualSeconds = rng.Next(600), BilledSeconds = rng.Next(600),
                    Quantity = rng.Next(600) / 60m, Rate = 0.018m, Cost = rng.Next(100_000) / 1_000_000m, Currency = "USD", Country = "US",
                    Number = "+1555****" + rng.Next(10_000), RateRowId = "row-" + rng.Next(20), RateCardVersion = "2026-01", Policy = "default",
                }).ToList();
                var pqDir = Path.Combine(Path.GetTempPath(), "cr-bench-pq-" + Environment.ProcessId);
                using var writer = new ConnectReconcile.Io.Parquet.ParquetTableWriter(pqDir);
                GC.Collect();
                sw.Restart();
                var allocated = GC.GetTotalAllocatedBytes();
                for (var i = 0; i < rowsAll.Count; i += 7_500)
                {
                    await writer.AppendAsync("charges", new DateOnly(2026, 10, 1 + i / 40_000), rowsAll.GetRange(i, Math.Min(7_500, rowsAll.Count - i)), CancellationToken.None);
                }

                var size = Directory.GetFiles(pqDir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                Console.WriteLine($"  parquet: 1,000,000 charge rows in {sw.Elapsed.TotalSeconds:N2} s, {(GC.GetTotalAllocatedBytes() - allocated) / 1e9:N2} GB allocated, {size / 1e6:N1} MB written");
                Directory.Delete(pqDir, true);
                records = rowsAll.Count;
                break;
            }
            case "decode":
                // What the replay does before rating: decode in arrival order through the chain window, which keeps the
                // dedupe index and a few hours of open chains; closed chains are dropped here instead of rated.
                var store = new LocalObjectStore(ctrDir);
                var selector = new InputSelector();
                var objects = await selector.SelectAsync(store, null, null, 0, CancellationToken.None);
                var closedContacts = new FileClosedContactLog(Path.GetTempPath()); // as the job keeps them
                var window = new ChainWindow(6 * 3600, _ => true, closedContacts);
                long read = 0, closedChains = 0;
                var windowTime = new Stopwatch();
                Instant? watermark = null;
                await foreach (var decoded in new ObjectDecoder(store, Environment.ProcessorCount, windowKeys: true).DecodeInOrderAsync(objects, CancellationToken.None))
                {
                    windowTime.Start();
                    if (selector.ArrivalHour(decoded.Input.Key) is { } hour && (watermark is null || Instant.FromDateTime(hour) > watermark))
                    {
                        watermark = Instant.FromDateTime(hour);
                        closedChains += window.Advance(watermark.Value).Count(g => g.Chain is not null);
                    }

                    for (var i = 0; i < decoded.Records.Count; i++)
                    {
                        window.Offer(decoded.Records[i].Record, decoded.Keys[i]);
                    }

                    windowTime.Stop();

                    read += decoded.Records.Count + decoded.Quarantined.Count;
                }

                closedChains += window.CloseAll().Count(g => g.Chain is not null);
                closedContacts.Dispose();
                records = read;
                Console.WriteLine($"  decode+dedupe: {closedChains:N0} chains closed, superseded {window.Superseded:N0}, late corrections {window.LateCorrections:N0}; {windowTime.Elapsed.TotalSeconds:N2} s in the window (main thread)");
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
                truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "truth.json"))).RootElement;
                correct = Equal(truth.Value.GetProperty("billedSeconds"), result.Totals.BilledSeconds());
                Console.WriteLine($"  {phase}: {result.Counts.Chains:N0} chains, {result.Outputs.Count} Parquet files, totals {(correct ? "EQUAL" : "DIFFERENT")} to truth.json");
                written = phase == "replay" ? outDir : null;
                break;
            default:
                throw new ArgumentException("unknown phase " + phase);
        }

        var seconds = sw.Elapsed.TotalSeconds;
        MemorySampler.Active?.Stop(); // what follows (reading the files back) is not the phase's
        var peak = PeakMegabytes();
        var json = jsonBytes > 0 ? string.Create(CultureInfo.InvariantCulture, $", {jsonBytes / 1e6 / seconds,7:N1} MB/s JSON") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{phase,-7} {records,12:N0} CTRs in {seconds,7:N2} s = {records / seconds,10:N0} CTRs/s, {gzipBytes / 1e6 / seconds,7:N1} MB/s gzip{json}, peak memory {peak:N0} MB (live after gen2 ≤ {live / 1e6:N0} MB), GC pauses {GC.GetTotalPauseDuration().TotalSeconds:N2} s (gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() / 1e9:N1} GB), CPU {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:N1} s, JIT {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:N2} s for {System.Runtime.JitInfo.GetCompiledMethodCount():N0} methods"));
        if (written is not null)
        {
            // After the figures: the files themselves, read back with Parquet.Net, must hold the month's truth
            // (a writer that wrote rows without their columns once passed the in-memory totals above).
            var charges = await SumByAsync(Path.Combine(written, "charges"), "charge_kind", "billed_seconds");
            var legs = await SumByAsync(Path.Combine(written, "legs"), "leg_kind", null);
            var same = Equal(truth!.Value.GetProperty("billedSeconds"), charges) && Equal(truth.Value.GetProperty("legs"), legs);
            Console.WriteLine($"  replay: files read back, billed seconds by charge kind and legs by kind {(same ? "EQUAL" : "DIFFERENT")} to truth.json");
            correct &= same;
            Directory.Delete(written, recursive: true);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{PhaseRun.Marker}{seconds:R} {records / seconds:R} {peak:R}"));
        return correct ? 0 : 1; // a run that got the month wrong does not count
    }

    /// <summary>Whether every figure truth.json gives is the one found (kinds truth does not list are not compared).</summary>
    private static bool Equal(JsonElement truth, IReadOnlyDictionary<string, long> found) =>
        truth.EnumerateObject().All(p => p.Value.GetInt64() == found.GetValueOrDefault(p.Name));

    /// <summary>Sums a long column (or counts rows, when it is null) by a string column over a table's files.</summary>
    private static async Task<Dictionary<string, long>> SumByAsync(string table, string keyColumn, string? valueColumn)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(table, "*.parquet", SearchOption.AllDirectories))
        {
            await using var reader = await Parquet.ParquetReader.CreateAsync(file);
            var fields = reader.Schema.GetDataFields();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = checked((int)group.RowCount);
                var keys = await ParquetColumns.StringsAsync(group, fields.Single(f => f.Name == keyColumn), rows, CancellationToken.None);
                var values = valueColumn is null ? null : await ParquetColumns.LongsAsync(group, fields.Single(f => f.Name == valueColumn), rows, CancellationToken.None);
                for (var i = 0; i < rows; i++)
                {
                    sums[keys[i] ?? ""] = sums.GetValueOrDefault(keys[i] ?? "") + (values is null ? 1 : values[i] ?? 0);
                }
            }
        }

        return sums;
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

    private static double PeakMegabytes() => ProcStatusKilobytes("VmHWM") is { } kb ? kb / 1024.0 : Environment.WorkingSet / 1e6;

    /// <summary>A field of /proc/self/status in kB (VmHWM: the peak resident size, VmRSS: the current one), or null off Linux.</summary>
    internal static long? ProcStatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}

internal sealed class CountingSink : IDecodeSink
{
    public long Count { get; private set; }

    public void OnRecord(ConnectReconcile.Core.Ctr.ContactRecord record, SourcePosition position) => Count++;

    public void OnQuarantine(QuarantineEntry entry) => Count++;
}

/// <summary>
/// The runtime's allocation samples (one per ~100 KB) by type, the large-object heap's by type, and the
/// collections by generation and trigger: large-object allocations count against their own budget,
/// and each time it runs out the runtime starts a gen2 collection.
/// </summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private const int SampleBytes = 100_000;
    private static readonly string[] Reasons = ["small-object budget", "induced", "low memory", "empty", "large-object budget", "out of small-object space", "out of large-object space"];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bytes = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _largeBytes = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _collections = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.Payload is not { } payload || e.PayloadNames is not { } names)
        {
            return;
        }

        if (e.EventName == "GCAllocationTick_V4")
        {
            var type = payload[names.IndexOf("TypeName")] as string ?? "?";
            _bytes.AddOrUpdate(type, SampleBytes, (_, b) => b + SampleBytes);
            if (Convert.ToInt32(payload[names.IndexOf("AllocationKind")], CultureInfo.InvariantCulture) == 1)
            {
                _largeBytes.AddOrUpdate(type, SampleBytes, (_, b) => b + SampleBytes);
            }
        }
        else if (e.EventName == "GCStart_V2")
        {
            var depth = Convert.ToInt32(payload[names.IndexOf("Depth")], CultureInfo.InvariantCulture);
            var reason = Convert.ToInt32(payload[names.IndexOf("Reason")], CultureInfo.InvariantCulture);
            var background = Convert.ToInt32(payload[names.IndexOf("Type")], CultureInfo.InvariantCulture) == 1;
            var key = $"gen{depth} {(background ? "background" : "blocking")}, {(reason < Reasons.Length ? Reasons[reason] : $"reason {reason}")}";
            _collections.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
    }

    public void Print(int top)
    {
        Console.WriteLine($"  allocation samples (~{_bytes.Values.Sum() / 1e9:N1} GB):");
        foreach (var (type, bytes) in _bytes.ToArray().OrderByDescending(p => p.Value).Take(top))
        {
            Console.WriteLine($"    {bytes / 1e6,8:N0} MB  {type}");
        }

        Console.WriteLine($"  of which on the large-object heap (~{_largeBytes.Values.Sum() / 1e6:N0} MB):");
        foreach (var (type, bytes) in _largeBytes.ToArray().OrderByDescending(p => p.Value).Take(top))
        {
            Console.WriteLine($"    {bytes / 1e6,8:N1} MB  {type}");
        }

        Console.WriteLine("  collections by generation and trigger:");
        foreach (var (key, count) in _collections.ToArray().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"    {count,8:N0}  {key}");
        }
    }
}

/// <summary>
/// Each JIT compilation's time (from its MethodJittingStarted to its MethodLoad on the same thread), summed by
/// method and by namespace: where the tiered JIT's share of the CPU goes.
/// </summary>
internal sealed class JitSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (DateTime Start, string Method)> _started = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (double Ms, int Count)> _byMethod = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x10); // JIT keyword
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.Payload is not { } payload || e.PayloadNames is not { } names || e.EventName is null)
        {
            return;
        }

        if (e.EventName.StartsWith("MethodJittingStarted", StringComparison.Ordinal))
        {
            var method = $"{payload[names.IndexOf("MethodNamespace")]}::{payload[names.IndexOf("MethodName")]}";
            _started[e.OSThreadId] = (e.TimeStamp, method);
        }
        else if (e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) && _started.TryRemove(e.OSThreadId, out var started))
        {
            var ms = (e.TimeStamp - started.Start).TotalMilliseconds;
            _byMethod.AddOrUpdate(started.Method, (ms, 1), (_, v) => (v.Ms + ms, v.Count + 1));
        }
    }

    public void Print(int top)
    {
        // A snapshot: the runtime's tier-1 compilations go on arriving while this prints, and enumerating the
        // live dictionary through LINQ's ICollection copy fails when it grows meanwhile.
        var byMethod = _byMethod.ToArray();
        Console.WriteLine($"  JIT: {byMethod.Sum(p => p.Value.Ms) / 1000:N2} s over {byMethod.Sum(p => p.Value.Count):N0} compilations of {byMethod.Length:N0} methods; top methods (ms, compilations):");
        foreach (var (method, (ms, count)) in byMethod.OrderByDescending(p => p.Value.Ms).Take(top))
        {
            Console.WriteLine($"    {ms,8:N1}  {count,3}  {(method.Length > 150 ? method[..150] : method)}");
        }

        Console.WriteLine("  by namespace (ms, compilations):");
        foreach (var group in byMethod.GroupBy(p => string.Join('.', p.Key.Split("::")[0].Split('`')[0].Split('[')[0].Split('.').Take(3))).OrderByDescending(g => g.Sum(p => p.Value.Ms)).Take(top))
        {
            Console.WriteLine($"    {group.Sum(p => p.Value.Ms),8:N1}  {group.Sum(p => p.Value.Count),5}  {group.Key}");
        }
    }
}

/// <summary>
/// Resident memory every 20 ms, and at its highest what the GC had committed and held then: whether a peak is
/// the managed heap (live data or the GC's headroom) or memory outside it.
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Timer _timer;
    private (long Rss, long Committed, long Heap, long Live, double Seconds) _top;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public MemorySampler()
    {
        Active = this;
        _timer = new Timer(_ => Sample(), null, 0, 20);
    }

    public static MemorySampler? Active { get; private set; }

    public void Stop() => _timer.Change(Timeout.Infinite, Timeout.Infinite);

    private void Sample()
    {
        var rss = Rss();
        if (rss > _top.Rss)
        {
            var info = GC.GetGCMemoryInfo();
            _top = (rss, info.TotalCommittedBytes, GC.GetTotalMemory(false), info.HeapSizeBytes - info.FragmentedBytes, _clock.Elapsed.TotalSeconds);
        }
    }

    private static long Rss() => (Phases.ProcStatusKilobytes("VmRSS") ?? 0) * 1024;

    public void Print() => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  memory at the highest resident size ({_top.Rss / 1e6:N0} MB, {_top.Seconds:N1} s in): GC committed {_top.Committed / 1e6:N0} MB at the last collection, managed heap {_top.Heap / 1e6:N0} MB, of which the last collection left {_top.Live / 1e6:N0} MB; outside the GC's commit {(_top.Rss - _top.Committed) / 1e6:N0} MB"));

    public void Dispose() => _timer.Dispose();
}
