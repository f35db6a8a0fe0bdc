using ConnectReconcile.Core.Chains;

namespace ConnectReconcile.Core.Tests;

public sealed class ClosedContactIndexTests
{
    private static Guid Id(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static ClosedContact Contact(Guid id, int n) =>
        new() { Id = id, Fingerprint = (ulong)n * 0x9E3779B97F4A7C15UL, Stamp = n, Day = (ushort)(n % 9000) };

    [Fact]
    public void Every_added_contact_is_found_with_its_entry_through_growth_and_others_are_not()
    {
        var random = new Random(7);
        var log = IClosedContactLog.InMemory();
        var index = new ClosedContactIndex(log);
        var ids = Enumerable.Range(0, 70_000).Select(_ => Id(random)).ToList(); // past one log chunk, many table growths
        for (var i = 0; i < ids.Count; i++)
        {
            index.Add(Contact(ids[i], i));
        }

        Assert.Equal(ids.Count, index.Count);
        Assert.Equal(ids.Count, log.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            Assert.True(index.TryFind(ids[i], out var position, out var found));
            Assert.Equal(Contact(ids[i], i), found);
            Assert.Equal(i, position);
        }

        for (var i = 0; i < 10_000; i++)
        {
            Assert.False(index.TryFind(Id(random), out _, out _));
        }
    }

    [Fact]
    public void Ids_with_the_same_tag_stay_apart()
    {
        // Birthday search for two ids with one 32-bit tag (expected within ~80,000 ids).
        var random = new Random(11);
        var seen = new Dictionary<uint, Guid>();
        (Guid A, Guid B)? pair = null;
        while (pair is null)
        {
            var id = Id(random);
            if (!seen.TryAdd(ClosedContactIndex.Tag(id), id))
            {
                pair = (seen[ClosedContactIndex.Tag(id)], id);
            }
        }

        var (a, b) = pair.Value;
        var index = new ClosedContactIndex(IClosedContactLog.InMemory());
        index.Add(Contact(a, 1));
        Assert.False(index.TryFind(b, out _, out _)); // same tag, other id: the log decides
        index.Add(Contact(b, 2));
        Assert.True(index.TryFind(a, out _, out var foundA));
        Assert.True(index.TryFind(b, out _, out var foundB));
        Assert.Equal(Contact(a, 1), foundA);
        Assert.Equal(Contact(b, 2), foundB);
    }

    [Fact]
    public void An_update_is_what_the_next_lookup_reads()
    {
        var random = new Random(3);
        var index = new ClosedContactIndex(IClosedContactLog.InMemory());
        var ids = Enumerable.Range(0, 100).Select(_ => Id(random)).ToList();
        ids.ForEach(id => index.Add(Contact(id, 1)));

        Assert.True(index.TryFind(ids[42], out var position, out var contact));
        contact.Stamp = 99;
        contact.Fingerprint = 12345;
        index.Update(position, contact);

        Assert.True(index.TryFind(ids[42], out _, out var again));
        Assert.Equal(99, again.Stamp);
        Assert.Equal(12345UL, again.Fingerprint);
        Assert.True(index.TryFind(ids[41], out _, out var other));
        Assert.Equal(1, other.Stamp);
    }
}
