namespace ConnectReconcile.Core.Rating;

/// <summary>The rate cards that ship inside the program (us-east-1 and ap-northeast-1; sources per row).</summary>
public static class BuiltInRateCards
{
    public static readonly IReadOnlyList<string> Regions = ["us-east-1", "ap-northeast-1"];

    /// <summary>All built-in cards merged into one, versioned by the concatenation of their versions.</summary>
    public static RateCard Default { get; } = Merge(Regions.Select(Load).ToList());

    public static RateCard Load(string region)
    {
        using var stream = typeof(BuiltInRateCards).Assembly.GetManifestResourceStream($"ratecards/{region}.json")
            ?? throw new ArgumentException($"No built-in rate card for region '{region}'.", nameof(region));
        using var reader = new StreamReader(stream);
        return RateCard.FromJson(reader.ReadToEnd());
    }

    private static RateCard Merge(IReadOnlyList<RateCard> cards) => new()
    {
        Version = "builtin-2026.11",
        Currency = cards[0].Currency,
        RegionCodes = cards.SelectMany(c => c.RegionCodes).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.First().Value),
        UsageTypes = cards[0].UsageTypes,
        Instances = cards[0].Instances,
        Rows = cards.SelectMany(c => c.Rows).ToList(),
    };
}
