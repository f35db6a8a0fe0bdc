using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

public sealed class DeduplicatorTests
{
    private static readonly Instant Day1 = Instant.FromDate(new DateOnly(2026, 10, 1));

    private static ContactRecord Call(string id, long lastUpdate) => new()
    {
        ContactId = id,
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Inbound,
        InitiationTimestamp = Day1.PlusSeconds(100),
        DisconnectTimestamp = Day1.PlusSeconds(160),
        LastUpdateTimestamp = Day1.PlusSeconds(lastUpdate),
    };

    [Fact]
    public void Remove_forgets_a_contact_and_the_copies_it_is_given_so_count_plus_superseded_stays_what_is_held()
    {
        var dedupe = new Deduplicator();
        dedupe.Offer(Call("a", 200));
        dedupe.Offer(Call("a", 300));
        dedupe.Offer(Call("a", 250)); // older copy read later: superseded at once
        dedupe.Offer(Call("b", 200));
        Assert.Equal((2, 2L), (dedupe.Count, dedupe.Superseded));
        Assert.Equal((2, 0), (dedupe.CopiesOf("a"), dedupe.CopiesOf("b"))); // a dated run counts them with a's day

        Assert.True(dedupe.Remove("a", supersededCopies: 2));
        Assert.Equal((1, 0L), (dedupe.Count, dedupe.Superseded));
        Assert.False(dedupe.TryGet("a", out _));
        Assert.True(dedupe.TryGet("b", out _));
        Assert.False(dedupe.Remove("a"));

        // Offered again after removal, it is a first copy (nothing left to supersede).
        Assert.True(dedupe.Offer(Call("a", 100)));
        Assert.Equal((2, 0L, 0), (dedupe.Count, dedupe.Superseded, dedupe.CopiesOf("a")));
    }

    [Fact]
    public void Remove_refuses_to_take_more_copies_than_were_superseded()
    {
        var dedupe = new Deduplicator();
        dedupe.Offer(Call("a", 200));
        Assert.Throws<ArgumentOutOfRangeException>(() => dedupe.Remove("a", supersededCopies: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => dedupe.Remove("a", supersededCopies: -1));
        Assert.Equal(1, dedupe.Count);
    }
}
