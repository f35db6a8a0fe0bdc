namespace ConnectReconcile.Core.Rating;

/// <summary>
/// Keys of the rate card's lookups, which run for every charge: a few dozen distinct values, mostly
/// the same few string instances. Hashed from each string's length and three of its characters
/// instead of all of them with the randomized hash a tuple of strings gets by default; equality is
/// still ordinal over the whole strings, so a collision costs a comparison, never a wrong answer.
/// </summary>
internal sealed class LookupKeyComparer : IEqualityComparer<(string, string, string)>, IEqualityComparer<(string, DateOnly)>
{
    public static readonly LookupKeyComparer Instance = new();

    public bool Equals((string, string, string) x, (string, string, string) y) =>
        string.Equals(x.Item1, y.Item1, StringComparison.Ordinal) && string.Equals(x.Item2, y.Item2, StringComparison.Ordinal)
        && string.Equals(x.Item3, y.Item3, StringComparison.Ordinal);

    public int GetHashCode((string, string, string) key) => HashCode.Combine(Sample(key.Item1), Sample(key.Item2), Sample(key.Item3));

    public bool Equals((string, DateOnly) x, (string, DateOnly) y) => x.Item2 == y.Item2 && string.Equals(x.Item1, y.Item1, StringComparison.Ordinal);

    public int GetHashCode((string, DateOnly) key) => HashCode.Combine(Sample(key.Item1), key.Item2.DayNumber);

    private static int Sample(string? s) => s is not { Length: > 0 } ? 0 : (s.Length << 24) ^ (s[0] << 16) ^ (s[s.Length / 2] << 8) ^ s[^1];
}
