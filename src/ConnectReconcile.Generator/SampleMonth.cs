using System.Globalization;
using System.Text;
using ConnectReconcile.Generator.Internals;

namespace ConnectReconcile.Generator;

/// <summary>
/// Deterministic generator of a realistic month of Amazon Connect contact trace records, laid out
/// as Kinesis Data Firehose writes them to S3, with the agent directory, the number inventory and
/// the ground truth (truth.json) computed from the simulated calls. See docs/generator.md.
/// </summary>
public static class SampleMonth
{
    /// <summary>Contacts per unit of parallel work (a block never spans two days).</summary>
    internal const int BlockChains = 20_000;

    private static readonly UTF8Encoding Utf8NoBom = new(false);

    /// <summary>
    /// Writes <c>ctr/YYYY/MM/dd/HH/*.gz</c>, <c>agents.csv</c>, <c>numbers.csv</c> and <c>truth.json</c>
    /// under <see cref="GeneratorOptions.OutputDirectory"/>. Same options → byte-identical files.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options (negative contacts, no days, unknown region).</exception>
    /// <exception cref="IOException">The directory already holds generated output and <see cref="GeneratorOptions.Overwrite"/> is off,
    /// or holds ctr/, agents.csv or numbers.csv that are not a generated month's (see <see cref="HoldsGeneratedMonth"/>).</exception>
    public static GenerationResult Generate(GeneratorOptions o, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(o);
        Validate(o);
        var start = Ts.FromDateTime(NormalizeStart(o.Start));
        var global = new Random(o.Seed);
        var inst = Instance.Create(o.Region, global, o.Contacts, o.Days, start);
        var deck = StoryDraw.Deal(global, o.Contacts);
        var blocks = PlanBlocks(o, start, global);

        var outDir = Path.GetFullPath(o.OutputDirectory);
        var ctrRoot = Path.Combine(outDir, "ctr");
        PrepareOutput(outDir, ctrRoot, o.Overwrite);
        WriteAgents(Path.Combine(outDir, "agents.csv"), inst);
        WriteNumbers(Path.Combine(outDir, "numbers.csv"), inst);

        var hourCum = StoryDraw.HourCumulative(inst.Japan);
        var results = new BlockResult[blocks.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct };
        Parallel.For(0, blocks.Count, parallel, i =>
            results[i] = new BlockSimulator(inst, o, deck, hourCum, ctrRoot).Run(blocks[i], ct));

        var total = new TruthAccumulator();
        long records = 0, files = 0, bytes = 0;
        foreach (var b in results)
        {
            total.Add(b.Truth);
            records += b.Records;
            files += b.Files;
            bytes += b.Bytes;
        }

        var truth = total.ToGroundTruth(inst.Dids.Length * (long)o.Days, inst.TollFrees.Length * (long)o.Days);
        File.WriteAllText(Path.Combine(outDir, TruthFile), truth.ToJson(), Utf8NoBom);
        File.Delete(Path.Combine(outDir, IncompleteMarker));
        return new GenerationResult(records, files, bytes, truth);
    }

    private static void Validate(GeneratorOptions o)
    {
        if (o.Contacts < 0)
        {
            throw new ArgumentException("Contacts must be zero or more", nameof(o));
        }

        if (o.Days is < 1 or > 366)
        {
            throw new ArgumentException("Days must be between 1 and 366", nameof(o));
        }

        if (string.IsNullOrWhiteSpace(o.OutputDirectory))
        {
            throw new ArgumentException("OutputDirectory is required", nameof(o));
        }

        if (!GeneratorOptions.SupportedRegions.Contains(o.Region))
        {
            throw new ArgumentException($"unsupported region '{o.Region}' (supported: {string.Join(", ", GeneratorOptions.SupportedRegions)})", nameof(o));
        }
    }

    private static DateTime NormalizeStart(DateTime start)
    {
        var utc = start.Kind switch
        {
            DateTimeKind.Utc => start,
            DateTimeKind.Local => start.ToUniversalTime(),
            _ => DateTime.SpecifyKind(start, DateTimeKind.Utc),
        };
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    /// <summary>
    /// Contacts per day (weekdays weight 10, Saturday 6, Sunday 5; largest remainder), then each day
    /// split into blocks of at most <see cref="BlockChains"/> contacts, each with its own seed.
    /// </summary>
    internal static List<BlockPlan> PlanBlocks(GeneratorOptions o, long start, Random global)
    {
        var weights = new long[o.Days];
        long totalWeight = 0;
        for (var d = 0; d < o.Days; d++)
        {
            weights[d] = Ts.ToDateTime(start + (d * 86_400L)).DayOfWeek switch
            {
                DayOfWeek.Saturday => 6,
                DayOfWeek.Sunday => 5,
                _ => 10,
            };
            totalWeight += weights[d];
        }

        var perDay = new long[o.Days];
        var remainders = new long[o.Days];
        long assigned = 0;
        for (var d = 0; d < o.Days; d++)
        {
            var num = o.Contacts * weights[d];
            perDay[d] = num / totalWeight;
            remainders[d] = num % totalWeight;
            assigned += perDay[d];
        }

        foreach (var d in Enumerable.Range(0, o.Days).OrderByDescending(d => remainders[d]).ThenBy(d => d).Take((int)(o.Contacts - assigned)))
        {
            perDay[d]++;
        }

        var blocks = new List<BlockPlan>();
        var next = 0;
        for (var d = 0; d < o.Days; d++)
        {
            var n = (int)perDay[d];
            var parts = Math.Max(1, (n + BlockChains - 1) / BlockChains);
            for (var p = 0; p < parts; p++)
            {
                var count = (n / parts) + (p < n % parts ? 1 : 0);
                blocks.Add(new BlockPlan(d, start + (d * 86_400L), next, count, global.Next(), blocks.Count == 0));
                next += count;
            }
        }

        return blocks;
    }

    /// <summary>Written last: a folder holding it holds a month generated here.</summary>
    public const string TruthFile = "truth.json";

    /// <summary>
    /// Written before anything else and removed after <see cref="TruthFile"/>: a generation that was stopped
    /// leaves it, so running again may replace the part it wrote.
    /// </summary>
    public const string IncompleteMarker = "generate-incomplete.txt";

    /// <summary>What a generation writes directly under its folder (besides <c>ctr/</c>).</summary>
    private static readonly string[] OutputFiles = ["agents.csv", "numbers.csv", TruthFile];

    /// <summary>
    /// Whether <paramref name="directory"/> holds a month this generator wrote (whole, or stopped part-way):
    /// only such a month is ever replaced; anything else there is someone's data.
    /// </summary>
    public static bool HoldsGeneratedMonth(string directory) =>
        File.Exists(Path.Combine(directory, TruthFile)) || File.Exists(Path.Combine(directory, IncompleteMarker));

    /// <summary>
    /// What a generation in <paramref name="directory"/> would replace that it did not write: a non-empty <c>ctr/</c>,
    /// agents.csv, numbers.csv (and the non-empty <paramref name="moreFolders"/> a caller also writes there) when the
    /// directory holds no generated month (<see cref="HoldsGeneratedMonth"/>); nothing when it does.
    /// </summary>
    public static IReadOnlyList<string> NotGeneratedHere(string directory, params string[] moreFolders)
    {
        if (HoldsGeneratedMonth(directory))
        {
            return [];
        }

        bool Filled(string folder) => Directory.Exists(Path.Combine(directory, folder)) && Directory.EnumerateFileSystemEntries(Path.Combine(directory, folder)).Any();
        var found = new List<string>();
        if (Filled("ctr"))
        {
            found.Add("ctr/");
        }

        found.AddRange(OutputFiles.Where(f => Path.Exists(Path.Combine(directory, f))));
        found.AddRange(moreFolders.Where(Filled).Select(f => f + "/"));
        return found;
    }

    private static void PrepareOutput(string outDir, string ctrRoot, bool overwrite)
    {
        var existing = (Directory.Exists(ctrRoot) && Directory.EnumerateFileSystemEntries(ctrRoot).Any())
            || OutputFiles.Any(f => File.Exists(Path.Combine(outDir, f)));
        if (existing)
        {
            if (!overwrite)
            {
                throw new IOException($"'{outDir}' already holds generated output (ctr/, agents.csv, numbers.csv or truth.json); choose an empty directory or overwrite");
            }

            // Overwrite replaces a generated month only: a ctr/ or numbers.csv without truth.json is real data.
            if (!HoldsGeneratedMonth(outDir))
            {
                throw new IOException($"'{outDir}' holds ctr/, agents.csv or numbers.csv but no {TruthFile}: not a generated month, so nothing there is replaced; choose an empty directory");
            }
        }

        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, IncompleteMarker), "A generation started here and has not finished.\n", Utf8NoBom);
        if (Directory.Exists(ctrRoot))
        {
            Directory.Delete(ctrRoot, recursive: true);
        }

        foreach (var f in OutputFiles)
        {
            File.Delete(Path.Combine(outDir, f));
        }

        Directory.CreateDirectory(ctrRoot);
    }

    private static void WriteAgents(string path, Instance inst)
    {
        var sb = new StringBuilder("username,phone_type,desk_phone_number,as_of\n");
        foreach (var a in inst.Agents)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{a.Username},{(a.Desk ? "DESK_PHONE" : "SOFT_PHONE")},{a.DeskNumber ?? ""},{Ts.ToIso(a.AsOf)}\n");
        }

        File.WriteAllText(path, sb.ToString(), Utf8NoBom);
    }

    private static void WriteNumbers(string path, Instance inst)
    {
        var sb = new StringBuilder("number,type,country,claimed_at,released_at\n");
        foreach (var n in inst.Numbers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{n.E164},{(n.TollFree ? "TOLL_FREE" : "DID")},{n.Country},{Ts.ToIso(n.ClaimedAt)},\n");
        }

        File.WriteAllText(path, sb.ToString(), Utf8NoBom);
    }
}
