using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>Contact Lens on every record that enabled it, CALLBACK included (billing-model §4, §6).</summary>
public sealed class ContactLensTests
{
    private static Instant At(string time) => Instant.Parse($"2026-10-14T{time}Z");

    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/i-1";

    // The customer hangs up in the queue and asks for a callback.
    private static ContactRecord Inbound(bool lens = false, AgentInfo? agent = null) => new()
    {
        ContactId = "t6-b",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Inbound,
        InitiationTimestamp = At("11:35:00"),
        ConnectedToSystemTimestamp = At("11:35:00"),
        DisconnectTimestamp = At("11:37:00"),
        SystemEndpoint = new Endpoint("+18005550100", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
        Queue = new QueueInfo { Name = "sales", EnqueueTimestamp = At("11:35:20") },
        Agent = agent,
        ContactLensEnabled = lens,
        InstanceArn = Instance,
    };

    // The agent is connected at 11:39:00, the customer answers at 11:39:10.
    private static ContactRecord Callback(bool lens = true) => new()
    {
        ContactId = "t6-b-cb",
        InitialContactId = "t6-b",
        PreviousContactId = "t6-b",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Callback,
        InitiationTimestamp = At("11:38:50"),
        ConnectedToSystemTimestamp = At("11:39:10"),
        DisconnectTimestamp = At("11:45:00"),
        CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
        Agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("11:39:00"), AfterContactWorkStartTimestamp = At("11:45:00") },
        ContactLensEnabled = lens,
        InstanceArn = Instance,
    };

    private static ChainResult Rate(string policy, params ContactRecord[] records) =>
        new Rater(BuiltInRateCards.Default, BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("t6-b", records));

    private static long LensSeconds(ChainResult result) =>
        result.Charges.Where(c => c.ChargeKind == ChargeKinds.ContactLens).Sum(c => c.ActualSeconds);

    [Theory]
    [InlineData("2026-10-14T11:39:00Z", "2026-10-15T11:45:00Z")] // after-contact work a day late
    [InlineData("2026-10-13T11:39:00Z", "2026-10-14T11:45:00Z")] // connected a day early
    [InlineData("2026-10-14T11:39:00Z", "9998-12-31T00:00:00Z")]
    public void Agent_times_outside_the_record_bill_no_time_beyond_it(string connected, string afterContactWork)
    {
        // Contact Lens (and a desk phone's leg) ran from the agent's connection to after-contact work as written:
        // a day late billed 86,640 s of Contact Lens on a 6-minute call.
        var agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = Instant.Parse(connected), AfterContactWorkStartTimestamp = Instant.Parse(afterContactWork) };
        var callback = Callback() with { Agent = agent };
        var desk = new AgentDirectory([new AgentPhoneEntry("smith", PhoneTypes.DeskPhone, "+12065550199", null)]);
        var result = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, desk, NumberInventory.Missing).Rate(new Chain("t6-b", [Inbound(), callback]));

        var span = (callback.DisconnectTimestamp!.Value.UnixSeconds - callback.InitiationTimestamp.UnixSeconds);
        Assert.InRange(LensSeconds(result), 1, span);
        Assert.InRange(result.Legs.Single(l => l.Kind == LegKinds.DeskPhone).Seconds, 1, span);
    }

    [Fact]
    public void A_callback_with_contact_lens_is_metered_over_its_agent_connected_time()
    {
        var result = Rate("contact-lens=agent", Inbound(), Callback());
        Assert.Equal(360, LensSeconds(result));
        var charge = Assert.Single(result.Charges, c => c.ChargeKind == ChargeKinds.ContactLens);
        Assert.Equal(360, charge.BilledSeconds);
        Assert.Equal(LegKinds.Callback, charge.LegKind);
    }

    [Fact]
    public void Agent_time_of_the_first_leg_and_the_callback_is_one_union_over_the_chain()
    {
        var agent = new AgentInfo { Username = "jones", ConnectedToAgentTimestamp = At("11:36:00"), AfterContactWorkStartTimestamp = At("11:37:00") };
        Assert.Equal(60 + 360, LensSeconds(Rate("contact-lens=agent", Inbound(lens: true, agent), Callback())));
        Assert.Equal(60, LensSeconds(Rate("contact-lens=agent", Inbound(lens: true, agent), Callback(lens: false))));
    }

    [Fact]
    public void Under_customer_leg_policy_a_callback_meters_its_own_leg_and_the_first_leg_only_when_it_enabled_lens()
    {
        // The callback leg is answer → disconnect: 11:39:10–11:45:00.
        Assert.Equal(350, LensSeconds(Rate("contact-lens=customer-leg", Inbound(), Callback())));
        Assert.Equal(120 + 350, LensSeconds(Rate("contact-lens=customer-leg", Inbound(lens: true), Callback())));
        Assert.Equal(120, LensSeconds(Rate("contact-lens=customer-leg", Inbound(lens: true), Callback(lens: false))));
    }

    [Fact]
    public void A_callback_the_customer_never_answered_has_no_customer_leg_lens_but_its_agent_time_counts()
    {
        var unanswered = Callback() with { ConnectedToSystemTimestamp = null };
        Assert.Equal(0, LensSeconds(Rate("contact-lens=customer-leg", Inbound(), unanswered)));
        Assert.Equal(360, LensSeconds(Rate("contact-lens=agent", Inbound(), unanswered)));
    }

    // An in-app call (WEBRTC_API, no telephone network): smith 09:01–09:05, then a transfer jones takes at 09:05:10.
    private static ContactRecord InApp() => new()
    {
        ContactId = "app-1",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.WebRtcApi,
        InitiationTimestamp = At("09:00:00"),
        ConnectedToSystemTimestamp = At("09:00:00"),
        DisconnectTimestamp = At("09:05:00"),
        Agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("09:01:00"), AfterContactWorkStartTimestamp = At("09:05:00") },
        ContactLensEnabled = true,
        InstanceArn = Instance,
    };

    private static ContactRecord InAppTransfer() => InApp() with
    {
        ContactId = "app-2",
        InitialContactId = "app-1",
        PreviousContactId = "app-1",
        InitiationMethod = InitiationMethods.Transfer,
        InitiationTimestamp = At("09:05:00"),
        ConnectedToSystemTimestamp = At("09:05:00"),
        DisconnectTimestamp = At("09:07:00"),
        Agent = new AgentInfo { Username = "jones", ConnectedToAgentTimestamp = At("09:05:10"), AfterContactWorkStartTimestamp = At("09:07:00") },
    };

    [Fact]
    public void Under_customer_leg_policy_an_in_app_call_meters_the_customers_connected_time()
    {
        static ChainResult RateInApp(string policy) =>
            new Rater(BuiltInRateCards.Default, BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
                .Rate(new Chain("app-1", [InApp(), InAppTransfer()]));

        // Agents: 09:01–09:05 and 09:05:10–09:07. The customer: 09:00–09:07, the time service is charged on.
        Assert.Equal(240 + 110, LensSeconds(RateInApp("contact-lens=agent")));
        var result = RateInApp("contact-lens=customer-leg");
        Assert.Empty(result.Legs); // no telephony leg, yet the customer was connected
        var lens = Assert.Single(result.Charges, c => c.ChargeKind == ChargeKinds.ContactLens);
        var service = Assert.Single(result.Charges, c => c.ChargeKind == ChargeKinds.Service);
        Assert.Equal(420, lens.ActualSeconds);
        Assert.Equal(service.ActualSeconds, lens.ActualSeconds);
        Assert.Equal(420 * 0.015m / 60m, lens.Cost);
        Assert.Equal(LegKinds.CustomerInbound, lens.LegKind);
        Assert.Null(lens.LegIndex);
    }

    [Fact]
    public void Contact_lens_on_an_outbound_call_the_customer_never_answered_is_on_the_outbound_side_as_its_service()
    {
        // smith is connected at 10:00:00 and dials; nobody answers; the call ends at 10:00:40.
        var dialled = new ContactRecord
        {
            ContactId = "out-1",
            Channel = Channels.Voice,
            InitiationMethod = InitiationMethods.Outbound,
            InitiationTimestamp = At("10:00:00"),
            DisconnectTimestamp = At("10:00:40"),
            SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
            CustomerEndpoint = new Endpoint("+442079460000", "TELEPHONE_NUMBER"),
            Agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("10:00:00"), AfterContactWorkStartTimestamp = At("10:00:40") },
            ContactLensEnabled = true,
            InstanceArn = Instance,
        };
        var result = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("out-1", [dialled]));

        var lens = Assert.Single(result.Charges, c => c.ChargeKind == ChargeKinds.ContactLens);
        var service = Assert.Single(result.Charges, c => c.ChargeKind == ChargeKinds.Service);
        Assert.Equal(40, lens.ActualSeconds);
        Assert.Equal((LegKinds.CustomerOutbound, "GB"), (service.LegKind, service.Country));
        Assert.Equal((service.LegKind, service.Number, service.Country), (lens.LegKind, lens.Number, lens.Country));
    }
}
