using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// An answered outbound call whose agent transfers the customer to another agent (billing-model §2, customer
/// outbound): the customer stays on the call Connect placed, so the TRANSFER record joins the customer leg.
/// A TRANSFER record may omit ConnectedToSystemTimestamp; like an inbound or callback transfer it then counts
/// from its InitiationTimestamp, and never before the call was answered.
/// </summary>
public sealed class OutboundTransferTests
{
    private static Instant At(string time) => Instant.Parse($"2026-10-14T{time}Z");

    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001";

    // al dials +1 312 555 0100 at 10:00:00; the customer answers at 10:00:10; al leaves at 10:03:30.
    private static readonly ContactRecord Root = new()
    {
        ContactId = "obx",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Outbound,
        InitiationTimestamp = At("10:00:00"),
        ConnectedToSystemTimestamp = At("10:00:10"),
        DisconnectTimestamp = At("10:03:30"),
        TransferCompletedTimestamp = At("10:03:30"),
        SystemEndpoint = new Endpoint("+12065550000", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+13125550100", "TELEPHONE_NUMBER"),
        Agent = new AgentInfo { Username = "al", ConnectedToAgentTimestamp = At("10:00:00"), AfterContactWorkStartTimestamp = At("10:03:30") },
        InstanceArn = Instance,
    };

    // The transfer to bo at 10:03:00, with no ConnectedToSystemTimestamp; the customer hangs up at 10:20:00.
    private static readonly ContactRecord Transfer = new()
    {
        ContactId = "obx-t",
        InitialContactId = "obx",
        PreviousContactId = "obx",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Transfer,
        InitiationTimestamp = At("10:03:00"),
        DisconnectTimestamp = At("10:20:00"),
        SystemEndpoint = new Endpoint("+12065550000", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+13125550100", "TELEPHONE_NUMBER"),
        Agent = new AgentInfo { Username = "bo", ConnectedToAgentTimestamp = At("10:03:20"), AfterContactWorkStartTimestamp = At("10:20:00") },
        InstanceArn = Instance,
    };

    private static ChainResult Rate(string policy, params ContactRecord[] records) =>
        new Rater(BuiltInRateCards.Default, policy.Length == 0 ? BillingPolicy.Default : BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("obx", records));

    /// <summary>
    /// By hand (us-east-1 built-in card: US outbound 0.0048/min, service 0.018/min):
    /// <code>
    /// customer-outbound: OUTBOUND [10:00:10 answer, 10:03:30) ∪ TRANSFER [10:03:00, 10:20:00) = [10:00:10, 10:20:00) = 1190 s
    ///                    shares: obx 200 s, obx-t 990 s
    /// telephony:outbound 1190 s × 0.0048 / 60 = 0.0952
    /// service (dialling) OUTBOUND [10:00:00, 10:03:30) ∪ TRANSFER [10:03:00, 10:20:00) = 1200 s × 0.018 / 60 = 0.36
    /// </code>
    /// Before the fix the TRANSFER was billed 0 s: telephony 200 s, service 210 s, the 16.5 minutes with bo nowhere.
    /// </summary>
    [Fact]
    public void A_transfer_without_ConnectedToSystemTimestamp_stays_on_the_answered_outbound_leg()
    {
        var result = Rate("", Root, Transfer);

        var leg = Assert.Single(result.Legs);
        Assert.Equal((LegKinds.CustomerOutbound, "US"), (leg.Kind, leg.Country));
        Assert.Equal([new Interval(At("10:00:10"), At("10:20:00"))], leg.Intervals);
        Assert.Equal([new RecordShare("obx", 200), new RecordShare("obx-t", 990)], leg.Shares);

        var telephony = result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyOutbound);
        Assert.Equal((1190L, 0.0952m), (telephony.BilledSeconds, telephony.Cost));
        var service = result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service);
        Assert.Equal((1200L, 0.36m), (service.BilledSeconds, service.Cost));

        // Segments still add up to the leg: bo's time is on the leg now (was 200 s of al only).
        Assert.Equal(1190, result.Segments.Where(g => g.LegIndex == leg.Index).Sum(g => g.Seconds));
        Assert.Contains(result.Segments, g => g.LegIndex == leg.Index && g.ContactId == "obx-t");

        // Service from the answer: the same union as telephony.
        Assert.Equal(1190, Rate("outbound-start=answer", Root, Transfer).Charges.Single(c => c.ChargeKind == ChargeKinds.Service).BilledSeconds);
    }

    [Fact]
    public void A_transfer_counts_from_the_answer_at_the_earliest_and_an_unanswered_call_has_no_leg()
    {
        // A transfer record stamped before the customer answered: the customer was not on the line before 10:00:10.
        var early = Rate("", Root, Transfer with { InitiationTimestamp = At("09:59:00") });
        Assert.Equal([new Interval(At("10:00:10"), At("10:20:00"))], Assert.Single(early.Legs).Intervals);

        // The record Connect dialled was never answered: no leg, and nothing for the record after it either.
        var unanswered = Rate("outbound-start=answer", Root with { ConnectedToSystemTimestamp = null }, Transfer);
        Assert.Empty(unanswered.Legs);
        Assert.DoesNotContain(unanswered.Charges, c => c.ChargeKind is ChargeKinds.TelephonyOutbound or ChargeKinds.Service);
    }
}
