using System.Globalization;

namespace ConnectReconcile.Generator.Tests.Support;

/// <summary>A generated month read back: files, objects, classified records, deduplicated records.</summary>
public sealed class GeneratedMonth : IDisposable
{
    private readonly TempDir _dir = new();

    internal GeneratedMonth(int contacts, int days, int seed, string region)
    {
        Options = new GeneratorOptions(contacts, days, seed, _dir.Path) { Region = region };
        Result = SampleMonth.Generate(Options);
        Files = OutputReader.ReadFiles(_dir.Path);
        Objects = OutputReader.Objects(Files);
        foreach (var o in Objects)
        {
            var reason = OutputReader.Classify(o.Bytes, out var ctr, o);
            if (reason is null)
            {
                Valid.Add(ctr!);
            }
            else
            {
                Quarantined[reason] = Quarantined.GetValueOrDefault(reason) + 1;
            }
        }

        // Dedupe as billing-model.md says: latest LastUpdateTimestamp wins, ties keep the later arrival.
        Unique = [.. Valid
            .GroupBy(c => c.ContactId)
            .Select(g => g.OrderBy(c => c.LastUpdate).ThenBy(c => c.Source.FolderHour).ThenBy(c => c.Source.File, StringComparer.Ordinal).Last())];
        Truth = GroundTruth.Load(System.IO.Path.Combine(_dir.Path, "truth.json"));

        AgentsCsv = File.ReadAllLines(System.IO.Path.Combine(_dir.Path, "agents.csv"));
        NumbersCsv = File.ReadAllLines(System.IO.Path.Combine(_dir.Path, "numbers.csv"));
        DeskAgents = AgentsCsv.Skip(1).Select(l => l.Split(',')).Where(f => f[1] == "DESK_PHONE").Select(f => f[0]).ToHashSet(StringComparer.Ordinal);
        NumberTypes = NumbersCsv.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
    }

    public GeneratedMonth()
        : this(2000, 30, 20261001, "us-east-1")
    {
    }

    public string Dir => _dir.Path;
    public GeneratorOptions Options { get; }
    public GenerationResult Result { get; }
    public GroundTruth Truth { get; }
    internal List<OutputFile> Files { get; }
    internal List<OutputObject> Objects { get; }
    internal List<Ctr> Valid { get; } = [];
    internal List<Ctr> Unique { get; }
    internal Dictionary<string, long> Quarantined { get; } = new(StringComparer.Ordinal);
    internal string[] AgentsCsv { get; }
    internal string[] NumbersCsv { get; }
    internal HashSet<string> DeskAgents { get; }
    internal Dictionary<string, string> NumberTypes { get; }

    internal DateTime Start => Options.Start;

    internal static DateTime ParseIso(string s) =>
        DateTime.ParseExact(s, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public void Dispose() => _dir.Dispose();
}

/// <summary>The same month on the Tokyo instance (smaller).</summary>
public sealed class GeneratedTokyoMonth : IDisposable
{
    public GeneratedTokyoMonth() => Month = new GeneratedMonth(800, 10, 99, "ap-northeast-1");

    public GeneratedMonth Month { get; }

    public void Dispose() => Month.Dispose();
}
