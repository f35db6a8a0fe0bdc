namespace ConnectReconcile.Generator;

/// <summary>
/// What to generate. <see cref="Contacts"/> is the number of customer interactions (chains, chat
/// included); each chain writes 1–4 contact records. Same options → byte-identical output.
/// </summary>
public sealed record GeneratorOptions(int Contacts, int Days, int Seed, string OutputDirectory)
{
    /// <summary>First instant of the generated range (UTC; an unspecified kind is read as UTC).</summary>
    public DateTime Start { get; init; } = new(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary><c>us-east-1</c> (US numbers) or <c>ap-northeast-1</c> (JP numbers).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Plant ~0.05 % damaged or foreign records (plus one of each reason), counted in truth.json.</summary>
    public bool IncludeBadRecords { get; init; } = true;

    /// <summary>Re-deliver ~1 % of records in a later arrival hour (exact copies and updates).</summary>
    public bool IncludeRedeliveries { get; init; } = true;

    /// <summary>
    /// When the output directory already holds generated output (<c>ctr/</c> with files, agents.csv,
    /// numbers.csv or truth.json), delete it first instead of failing. Off by default, so that a
    /// mistyped path never loses data and two generations never mix. Even on, only a generated month
    /// (truth.json, or a stopped generation's marker) is replaced: ctr/ or numbers.csv without one is refused.
    /// </summary>
    public bool Overwrite { get; init; }

    /// <summary>Regions with a built-in instance model.</summary>
    public static IReadOnlyList<string> SupportedRegions { get; } = ["us-east-1", "ap-northeast-1"];
}

/// <summary>What <see cref="SampleMonth.Generate"/> wrote.</summary>
/// <param name="CtrRecords">Every record written, duplicates and bad records included (= truth.records).</param>
/// <param name="Files">Number of <c>.gz</c> objects written under <c>ctr/</c>.</param>
/// <param name="Bytes">Total compressed size of those objects.</param>
/// <param name="Truth">The ground truth also written to <c>truth.json</c>.</param>
public sealed record GenerationResult(long CtrRecords, long Files, long Bytes, GroundTruth Truth);
