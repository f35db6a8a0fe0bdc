using System.Runtime.CompilerServices;
using ConnectReconcile.Core.Chains;

namespace ConnectReconcile.Core.Tests;

public sealed class GuidIndexTests
{
    [Fact]
    public void Every_key_keeps_its_value_through_growth_whether_random_or_nearly_equal()
    {
        var random = new Random(7);
        var keys = Enumerable.Range(0, 50_000).Select(_ => new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16)))
            .Concat(Enumerable.Range(1, 50_000).Select(n => new Guid(n, 0, 0, new byte[8]))) // differ in a few low bits only
            .Append(Guid.Empty)
            .ToList();
        var index = new GuidIndex<long>();
        for (var i = 0; i < keys.Count; i++)
        {
            ref var value = ref index.GetOrAdd(keys[i], out var exists);
            Assert.False(exists);
            value = i;
        }

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(i, index.Find(keys[i]));
            ref var again = ref index.GetOrAdd(keys[i], out var exists);
            Assert.True(exists);
            Assert.Equal(i, again);
        }

        Assert.True(Unsafe.IsNullRef(ref index.Find(Guid.NewGuid())));
    }

    [Fact]
    public void The_empty_guid_is_a_key_like_any_other()
    {
        var index = new GuidIndex<int>();
        Assert.True(Unsafe.IsNullRef(ref index.Find(Guid.Empty)));
        index.GetOrAdd(Guid.Empty, out var exists) = 5;
        Assert.False(exists);
        Assert.Equal(5, index.Find(Guid.Empty));
        Assert.True(Unsafe.IsNullRef(ref index.Find(new Guid(1, 0, 0, new byte[8]))));
    }
}
