using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Segments;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// A queued callback whose agent transfers the customer on (billing-model §2–§4, ctr-facts "Queued
/// callback: two records"): INBOUND → CALLBACK → TRANSFER, the TRANSFER's PreviousContactId naming the
/// CALLBACK. The inbound call ended when the callback was created; the customer is on the outbound call
/// Connect placed for the callback until the transfer's disconnect, so the TRANSFER joins the callback
/// leg (a union, like the customer leg's), not the inbound customer leg.
/// </summary>
public sealed class CallbackTransferTests
{
    private static Instant At(string time) => Instant.Parse($"2026-10-14T{time}Z");

    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001";

    // The customer calls the toll-free number, waits in the queue and asks for a callback at 11:37:00.
    private static readonly ContactRecord Root = new()
    {
        ContactId = "c04-root",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Inbound,
        InitiationTimestamp = At("11:35:00"),
        ConnectedToSystemTimestamp = At("11:35:00"),
        DisconnectTimestamp = At("11:37:00"),
        SystemEndpoint = new Endpoint("+18005550100", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+12065550123", "TELEPHONE_NUMBER"),
        Queue = new QueueInfo { Name = "support", EnqueueTimestamp = At("11:35:20"), DequeueTimestamp = At("11:37:00") },
        InstanceArn = Instance,
    };

    // smith is connected at 11:39:00, the customer answers at 11:39:10; smith transfers at 11:41:50 and
    // leaves at 11:42:10.
    private static readonly ContactRecord Callback = new()
    {
        ContactId = "c04-cb",
        InitialContactId = "c04-root",
        PreviousContactId = "c04-root",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Callback,
        InitiationTimestamp = At("11:37:00"),
        ConnectedToSystemTimestamp = At("11:39:10"),
        DisconnectTimestamp = At("11:42:10"),
        TransferCompletedTimestamp = At("11:42:10"),
        CustomerEndpoint = new Endpoint("+12065550123", "TELEPHONE_NUMBER"),
        Queue = new QueueInfo { Name = "support", EnqueueTimestamp = At("11:38:39"), DequeueTimestamp = At("11:39:00") },
        Agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("11:39:00"), AfterContactWorkStartTimestamp = At("11:42:10") },
        InstanceArn = Instance,
    };

    // The transfer to the billing queue: bob from 11:42:00 until the customer hangs up at 11:50:00.
    private static readonly ContactRecord Transfer = new()
    {
        ContactId = "c04-tr",
        InitialContactId = "c04-root",
        PreviousContactId = "c04-cb",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Transfer,
        InitiationTimestamp = At("11:41:50"),
        ConnectedToSystemTimestamp = At("11:41:50"),
        DisconnectTimestamp = At("11:50:00"),
        CustomerEndpoint = new Endpoint("+12065550123", "TELEPHONE_NUMBER"),
        Queue = new QueueInfo { Name = "billing", EnqueueTimestamp = At("11:41:50"), DequeueTimestamp = At("11:42:00") },
        Agent = new AgentInfo { Username = "bob", ConnectedToAgentTimestamp = At("11:42:00"), AfterContactWorkStartTimestamp = At("11:50:00") },
        InstanceArn = Instance,
    };

    private static ChainResult Rate(string policy = "", params ContactRecord[] records) =>
        new Rater(BuiltInRateCards.Default, policy.Length == 0 ? BillingPolicy.Default : BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("c04-root", records.Length == 0 ? [Root, Callback, Transfer] : records));

    /// <summary>
    /// By hand (us-east-1 built-in card: toll-free inbound 0.012/min, US outbound 0.0048/min, service
    /// 0.018/min; telephony first increment 60 s, service 10 s — all legs are longer, so billed = actual):
    /// <code>
    /// customer-inbound (toll-free): INBOUND [11:35:00, 11:37:00)                      = 120 s
    /// callback (outbound):          CALLBACK [11:39:10 answer, 11:42:10)
    ///                               ∪ TRANSFER [11:41:50, 11:50:00)  = [11:39:10, 11:50:00) = 650 s
    /// telephony:inbound-tollfree 120 s × 0.012  / 60 = 0.024
    /// telephony:outbound         650 s × 0.0048 / 60 = 0.052
    /// service  inbound leg       120 s × 0.018  / 60 = 0.036
    /// service  callback leg      650 s × 0.018  / 60 = 0.195   (service 770 s in all)
    /// total                                            0.307
    /// segments: inbound  ivr [11:35:00, 11:35:20) 20 s + queue support [11:35:20, 11:37:00) 100 s = 120 s
    ///           callback agent smith [11:39:10, 11:42:10) 180 s (the earlier agent owns 11:42:00–11:42:10)
    ///                    + agent bob [11:42:10, 11:50:00) 470 s                                = 650 s
    /// </code>
    /// Before the fix the TRANSFER joined the inbound leg: toll-free 610 s (0.122), callback 180 s
    /// (0.0144), service 790 s (0.237), total 0.3734 — the 20 s where CALLBACK and TRANSFER overlap
    /// charged service twice and 490 outbound seconds priced as toll-free inbound.
    /// </summary>
    [Fact]
    public void A_transfer_from_a_callback_stays_on_the_callback_leg_billed_once()
    {
        var result = Rate();

        Assert.Equal(
            ["callback|outbound|-|US|[2026-10-14T11:39:10Z, 2026-10-14T11:50:00Z)|650", "customer-inbound|inbound|TOLL_FREE|US|[2026-10-14T11:35:00Z, 2026-10-14T11:37:00Z)|120"],
            result.Legs.Select(l => $"{l.Kind}|{l.Direction}|{l.NumberType ?? "-"}|{l.Country}|{string.Join(" + ", l.Intervals)}|{l.Seconds}").Order(StringComparer.Ordinal));
        var callback = result.Legs.Single(l => l.Kind == LegKinds.Callback);
        Assert.Equal("c04-cb", callback.ContactId);
        Assert.Equal([new RecordShare("c04-cb", 180), new RecordShare("c04-tr", 470)], callback.Shares);
        Assert.Contains("transferred the customer on", callback.Why, StringComparison.Ordinal);

        var billed = result.Charges.GroupBy(c => c.ChargeKind).ToDictionary(g => g.Key, g => g.Sum(c => c.BilledSeconds));
        Assert.Equal(
            new Dictionary<string, long> { [ChargeKinds.TelephonyInboundTollFree] = 120, [ChargeKinds.TelephonyOutbound] = 650, [ChargeKinds.Service] = 770 }.OrderBy(kv => kv.Key),
            billed.OrderBy(kv => kv.Key));

        Assert.Equal(0.024m, result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundTollFree).Cost);
        Assert.Equal(0.052m, result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyOutbound).Cost);
        Assert.Equal(0.036m, result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service && c.LegKind == LegKinds.CustomerInbound).Cost);
        var callbackService = result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service && c.LegKind == LegKinds.Callback);
        Assert.Equal((650L, 0.195m, callback.Index), (callbackService.BilledSeconds, callbackService.Cost, callbackService.LegIndex!.Value));
        Assert.Equal(0.307m, result.Cost);

        Assert.Equal(
            ["0 ivr 20 c04-root  ", "0 queue 100 c04-root support ", "1 agent 180 c04-cb support smith", "1 agent 470 c04-tr billing bob"],
            result.Segments.Select(s => $"{s.LegIndex} {s.Kind} {s.Seconds} {s.ContactId} {s.Queue} {s.Agent}"));
        foreach (var leg in result.Legs)
        {
            var telephony = result.Charges.Single(c => c.LegIndex == leg.Index && c.ChargeKind.StartsWith("telephony:", StringComparison.Ordinal));
            Assert.Equal(telephony.BilledSeconds, result.Segments.Where(s => s.LegIndex == leg.Index).Sum(s => s.Seconds));
            Assert.Equal(RecordedCost.Total(result.Charges.Where(c => c.LegIndex == leg.Index).ToList()), result.Segments.Where(s => s.LegIndex == leg.Index).Sum(s => s.Cost));
        }
    }

    [Fact]
    public void The_transfers_own_transfers_join_the_callback_leg_too()
    {
        // bob passes the customer on again at 11:49:00; carol has them until 11:53:00.
        var second = Transfer with
        {
            ContactId = "c04-tr2", PreviousContactId = "c04-tr", InitiationTimestamp = At("11:49:00"), ConnectedToSystemTimestamp = At("11:49:00"),
            DisconnectTimestamp = At("11:53:00"), Queue = null,
            Agent = new AgentInfo { Username = "carol", ConnectedToAgentTimestamp = At("11:49:00"), AfterContactWorkStartTimestamp = At("11:53:00") },
        };
        var result = Rate("", Root, Callback, Transfer, second);
        Assert.Equal(120, result.Legs.Single(l => l.Kind == LegKinds.CustomerInbound).Seconds);
        Assert.Equal(650 + 180, result.Legs.Single(l => l.Kind == LegKinds.Callback).Seconds); // 11:39:10 → 11:53:00
        Assert.Equal(120 + 830, result.Charges.Where(c => c.ChargeKind == ChargeKinds.Service).Sum(c => c.BilledSeconds));
    }

    [Fact]
    public void Policies_apply_to_the_callback_leg_as_to_the_customer_leg()
    {
        // Per-record service metering counts each record's own time, overlap included: 120 + 180 + 490.
        Assert.Equal(790, Rate("service=per-record").Charges.Where(c => c.ChargeKind == ChargeKinds.Service).Sum(c => c.BilledSeconds));
        // Dialling start does not move a callback's start (it runs from the answer) nor its transfer's.
        Assert.Equal(770, Rate("outbound-start=dialling").Charges.Where(c => c.ChargeKind == ChargeKinds.Service).Sum(c => c.BilledSeconds));
        // Contact Lens over the whole customer leg: the transfer's analytics count the callback leg it is on.
        var lens = Rate("contact-lens=customer-leg", Root, Callback, Transfer with { ContactLensEnabled = true })
            .Charges.Single(c => c.ChargeKind == ChargeKinds.ContactLens);
        Assert.Equal((650L, LegKinds.Callback), (lens.ActualSeconds, lens.LegKind));
        // Agent-connected Contact Lens is reported on that leg as well: bob 11:42:00 → 11:50:00.
        lens = Rate("contact-lens=agent", Root, Callback, Transfer with { ContactLensEnabled = true }).Charges.Single(c => c.ChargeKind == ChargeKinds.ContactLens);
        Assert.Equal((480L, LegKinds.Callback), (lens.ActualSeconds, lens.LegKind));
    }

    [Fact]
    public void A_desk_phone_agent_the_customer_is_transferred_to_gets_their_own_desk_leg_beside_the_callback_leg()
    {
        var agents = new AgentDirectory([new AgentPhoneEntry("bob", PhoneTypes.DeskPhone, "+12065559999", new Instant(0))]);
        var result = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, agents, NumberInventory.Missing)
            .Rate(new Chain("c04-root", [Root, Callback, Transfer]));
        var desk = result.Legs.Single(l => l.Kind == LegKinds.DeskPhone);
        Assert.Equal(("c04-tr", 480L), (desk.ContactId, desk.Seconds)); // bob 11:42:00 → 11:50:00
        Assert.Equal(650, result.Legs.Single(l => l.Kind == LegKinds.Callback).Seconds);
        Assert.Equal(650 + 480, result.Charges.Where(c => c.ChargeKind == ChargeKinds.TelephonyOutbound).Sum(c => c.BilledSeconds));
    }

    [Fact]
    public void A_callback_never_answered_has_no_leg_and_its_transfer_is_not_on_the_inbound_leg()
    {
        var result = Rate("", Root, Callback with { ConnectedToSystemTimestamp = null }, Transfer);
        Assert.Equal(LegKinds.CustomerInbound, Assert.Single(result.Legs).Kind);
        Assert.Equal(120, result.Legs[0].Seconds);
        Assert.Contains("1 record(s) transferred on from a queued callback", result.Legs[0].Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transfer_whose_callback_has_not_arrived_is_rated_on_its_own_and_moves_when_it_does()
    {
        // Orphan: the TRANSFER's parent is missing, so nothing says it followed a callback.
        var orphan = Rate("", Root, Transfer);
        Assert.Contains(ChainFlags.Orphan, orphan.Flags);
        Assert.Equal(120 + 490, orphan.Legs.Single(l => l.Kind == LegKinds.CustomerInbound).Seconds);
        // Once the CALLBACK arrives the chain rates as in the first test.
        Assert.Equal(0.307m, Rate("", Transfer, Root, Callback).Cost);
    }

    [Fact]
    public void Segments_of_the_callback_leg_follow_the_transfer_queue()
    {
        // The transfer waits in the billing queue after smith has left: that wait is transfer-queue time on the callback leg.
        var late = Transfer with
        {
            InitiationTimestamp = At("11:42:10"), ConnectedToSystemTimestamp = At("11:42:10"),
            Queue = new QueueInfo { Name = "billing", EnqueueTimestamp = At("11:42:10"), DequeueTimestamp = At("11:43:00") },
            Agent = new AgentInfo { Username = "bob", ConnectedToAgentTimestamp = At("11:43:00"), AfterContactWorkStartTimestamp = At("11:50:00") },
        };
        var result = Rate("", Root, Callback, late);
        var leg = result.Legs.Single(l => l.Kind == LegKinds.Callback).Index;
        Assert.Equal(
            [$"{SegmentKinds.Agent} 180", $"{SegmentKinds.TransferQueue} 50", $"{SegmentKinds.Agent} 420"],
            result.Segments.Where(s => s.LegIndex == leg).Select(s => $"{s.Kind} {s.Seconds}"));
    }
}
