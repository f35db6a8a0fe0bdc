namespace ConnectReconcile.Generator.Internals;

/// <summary>
/// Deterministic helpers over a seeded <see cref="Random"/>. Only integer arithmetic and
/// <see cref="Random.Next(int, int)"/> / <see cref="Random.NextDouble"/> are used (no Math.Log/Exp),
/// so the same seed gives the same numbers on every platform.
/// </summary>
internal static class Rng
{
    /// <summary>A random (version 4 shaped) GUID taken from the stream.</summary>
    public static Guid NewGuid(Random r)
    {
        Span<byte> b = stackalloc byte[16];
        r.NextBytes(b);
        b[7] = (byte)((b[7] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b);
    }

    public static bool Chance(Random r, double p) => r.NextDouble() < p;

    public static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    /// <summary>SplitMix64 step: also used to derive sub-seeds.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong NextUInt64(Random r) => ((ulong)(uint)r.Next() << 33) ^ ((ulong)(uint)r.Next() << 11) ^ (uint)r.Next();
}

/// <summary>A tiny SplitMix64 generator for per-record derived values (attributes), so that a record
/// re-written later (a duplicate) produces the same bytes without keeping them in memory.</summary>
internal struct Mixer(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((Next() >> 32) % (uint)n);

    public bool Chance(int percent) => Next(100) < percent;
}

/// <summary>
/// A piecewise-uniform distribution: pick a bucket by weight, then a value uniformly inside
/// [lo, hi). Good enough for call durations (a coarse log-normal) and exactly reproducible.
/// </summary>
internal sealed class Dist
{
    private readonly int[] _lo;
    private readonly int[] _hi;
    private readonly int[] _cum;

    public Dist(params (int Lo, int Hi, int Weight)[] buckets)
    {
        _lo = new int[buckets.Length];
        _hi = new int[buckets.Length];
        _cum = new int[buckets.Length];
        var total = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i].Hi <= buckets[i].Lo || buckets[i].Weight <= 0)
            {
                throw new ArgumentException("empty bucket", nameof(buckets));
            }

            _lo[i] = buckets[i].Lo;
            _hi[i] = buckets[i].Hi;
            total += buckets[i].Weight;
            _cum[i] = total;
        }
    }

    public int Sample(Random r)
    {
        var x = r.Next(_cum[^1]);
        var i = 0;
        while (x >= _cum[i])
        {
            i++;
        }

        return r.Next(_lo[i], _hi[i]);
    }
}
