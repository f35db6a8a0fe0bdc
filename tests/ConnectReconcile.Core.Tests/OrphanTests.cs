using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>billing-model §1: a record whose parent never arrives is rated on its own and flagged orphan.</summary>
public sealed class OrphanTests
{
    private static ContactRecord Record(string id, string from, string to, string method = InitiationMethods.Inbound,
        string? initial = null, string? previous = null) => new()
    {
        ContactId = id,
        InitialContactId = initial,
        PreviousContactId = previous,
        Channel = Channels.Voice,
        InitiationMethod = method,
        InitiationTimestamp = Instant.Parse($"2026-10-14T{from}Z"),
        DisconnectTimestamp = Instant.Parse($"2026-10-14T{to}Z"),
        SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
        InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/i-1",
    };

    private static readonly ContactRecord R = Record("R", "11:00:00", "11:03:00");
    private static readonly ContactRecord M = Record("M", "11:03:00", "11:06:00", InitiationMethods.Transfer, "R", "R");
    private static readonly ContactRecord G = Record("G", "11:06:00", "11:09:00", InitiationMethods.Transfer, "R", "M");

    [Fact]
    public void A_chain_whose_middle_record_never_arrived_is_an_orphan_although_its_root_is_there()
    {
        var chain = new Chain("R", [R, G]);
        Assert.NotNull(chain.Root);
        Assert.True(chain.IsOrphan);

        var result = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing).Rate(chain);
        Assert.Contains(ChainFlags.Orphan, result.Flags);
    }

    [Fact]
    public void A_whole_chain_is_not_an_orphan_and_a_missing_root_still_makes_one()
    {
        Assert.False(new Chain("R", [G, R, M]).IsOrphan);
        Assert.False(new Chain("R", [R]).IsOrphan);
        Assert.True(new Chain("R", [M, G]).IsOrphan);
        Assert.True(new Chain("R", [G]).IsOrphan);
    }

    [Fact]
    public void Long_chains_are_checked_too()
    {
        // Past the small-chain path: a parent missing among many records.
        var records = new List<ContactRecord> { R };
        for (var i = 1; i <= 40; i++)
        {
            records.Add(Record($"C{i}", "11:03:00", "11:04:00", InitiationMethods.Transfer, "R", i == 1 ? "R" : $"C{i - 1}"));
        }

        Assert.False(new Chain("R", records).IsOrphan);
        records.RemoveAt(20);
        Assert.True(new Chain("R", records).IsOrphan);
    }
}
