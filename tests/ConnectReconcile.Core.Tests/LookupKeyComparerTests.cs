using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Tests;

public sealed class LookupKeyComparerTests
{
    [Fact]
    public void Keys_that_share_a_hash_are_still_told_apart_by_every_part()
    {
        // Same length, first, middle and last characters: one hash, different keys.
        var keys = new[] { ("abcd", "us-east-1", "xayz"), ("axcd", "us-east-1", "xayz"), ("abcd", "us-eabt-1", "xayz"), ("abcd", "us-east-1", "xbyz") };
        var comparer = LookupKeyComparer.Instance;
        Assert.Equal(comparer.GetHashCode(keys[0]), comparer.GetHashCode(keys[1]));
        Assert.Equal(comparer.GetHashCode(keys[0]), comparer.GetHashCode(keys[2]));
        Assert.Equal(comparer.GetHashCode(keys[0]), comparer.GetHashCode(keys[3]));

        var index = new Dictionary<(string, string, string), int>(comparer);
        for (var i = 0; i < keys.Length; i++)
        {
            index.Add(keys[i], i);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            // Equal content from other instances finds the same entry.
            var (a, b, c) = keys[i];
            Assert.Equal(i, index[(new string(a), new string(b), new string(c))]);
        }

        var days = new Dictionary<(string, DateOnly), int>(comparer) { [("i-1", new DateOnly(2026, 10, 1))] = 1, [("i-1", new DateOnly(2026, 10, 2))] = 2, [("i-2", new DateOnly(2026, 10, 1))] = 3 };
        Assert.Equal(2, days[(new string("i-1"), new DateOnly(2026, 10, 2))]);
        Assert.Equal(3, days[("i-2", new DateOnly(2026, 10, 1))]);
    }
}
