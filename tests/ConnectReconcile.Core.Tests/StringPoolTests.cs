using System.Text;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Core.Tests;

public sealed class StringPoolTests
{
    // Every length through several eight-byte blocks and tails, ASCII and multi-byte UTF-8.
    private static readonly string[] Values =
        [.. Enumerable.Range(0, 70).Select(n => new string('q', n)), .. Enumerable.Range(0, 70).Select(n => "é" + new string('x', n) + "€"), "Basic Queue", "BasicQueue ", "basic queue"];

    [Fact]
    public void Equal_bytes_give_one_shared_string_and_different_bytes_their_own()
    {
        var pool = new StringPool();
        var first = Values.Select(v => pool.Get(Encoding.UTF8.GetBytes(v))).ToList();
        Assert.Equal(Values, first);
        Assert.Equal(Values.Length, pool.Count);

        // Again, from fresh byte arrays (the pool kept copies, not the caller's buffers), after growing.
        for (var i = 0; i < Values.Length; i++)
        {
            Assert.Same(first[i], pool.Get(Encoding.UTF8.GetBytes(Values[i])));
        }

        Assert.Equal(Values.Length, pool.Count);
    }

    [Fact]
    public void Past_its_capacity_a_pool_allocates_without_adding_and_a_window_starts_over()
    {
        var bounded = new StringPool(capacity: 100);
        var window = new StringPool(capacity: 100, clearWhenFull: true);
        var ids = Enumerable.Range(0, 150).Select(i => Encoding.UTF8.GetBytes($"contact-{i:D4}")).ToList();
        foreach (var id in ids)
        {
            Assert.Equal(Encoding.UTF8.GetString(id), bounded.Get(id));
            Assert.Equal(Encoding.UTF8.GetString(id), window.Get(id));
        }

        Assert.Equal(100, bounded.Count);
        Assert.Same(bounded.Get(ids[0]), bounded.Get(ids[0]));
        Assert.NotSame(bounded.Get(ids[120]), bounded.Get(ids[120]));

        Assert.Equal(50, window.Count);
        Assert.Same(window.Get(ids[120]), window.Get(ids[120]));
        Assert.Equal(50, window.Count);
    }

    [Fact]
    public void Values_whose_hashes_collide_stay_apart()
    {
        // Birthday search for two keys with one 31-bit hash (expected within ~60,000 keys).
        var seen = new Dictionary<int, string>();
        (string A, string B)? pair = null;
        for (var i = 0; pair is null; i++)
        {
            var key = $"agent-{i:D7}"; // one length: only the bytes tell them apart
            var hash = StringPool.Hash(Encoding.UTF8.GetBytes(key));
            if (seen.TryGetValue(hash, out var other))
            {
                pair = (other, key);
            }

            seen[hash] = key;
        }

        var pool = new StringPool();
        var a = pool.Get(Encoding.UTF8.GetBytes(pair.Value.A));
        var b = pool.Get(Encoding.UTF8.GetBytes(pair.Value.B));
        Assert.Equal(pair.Value.A, a);
        Assert.Equal(pair.Value.B, b);
        Assert.Same(a, pool.Get(Encoding.UTF8.GetBytes(pair.Value.A)));
        Assert.Same(b, pool.Get(Encoding.UTF8.GetBytes(pair.Value.B)));
    }

    [Fact]
    public void Long_values_that_differ_only_before_their_hashed_end_stay_apart()
    {
        // Two instances' queues with one queue id: the same length and last 40 bytes, so the same hash.
        const string Tail = "/queue/9c6f8f96-22b1-489a-854b-5e4dfdad5164";
        var first = "arn:aws:connect:us-east-1:613483589019:instance/e4974082-95a3-4fcf-8669-9c73c4a1cd10" + Tail;
        var second = "arn:aws:connect:us-west-2:613483589019:instance/e4974082-95a3-4fcf-8669-9c73c4a1cd10" + Tail;
        Assert.Equal(StringPool.Hash(Encoding.UTF8.GetBytes(first)), StringPool.Hash(Encoding.UTF8.GetBytes(second)));

        var pool = new StringPool();
        var a = pool.Get(Encoding.UTF8.GetBytes(first));
        var b = pool.Get(Encoding.UTF8.GetBytes(second));
        Assert.Equal(first, a);
        Assert.Equal(second, b);
        Assert.Same(a, pool.Get(Encoding.UTF8.GetBytes(first)));
        Assert.Same(b, pool.Get(Encoding.UTF8.GetBytes(second)));
    }
}
