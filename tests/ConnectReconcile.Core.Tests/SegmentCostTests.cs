using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Segments;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// How a leg's charges are allocated to its segments (billing-model §3): each charge over the segments
/// its own metered interval covers, its minimum top-up on <c>minimum</c>; the segments of a leg sum
/// exactly to the leg's charges as recorded (12 places).
/// </summary>
public sealed class SegmentCostTests
{
    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/i-1";

    private static Instant At(string time) => Instant.Parse($"2026-10-14T{time}Z");

    private static ChainResult Rate(string policy, params ContactRecord[] records) =>
        new Rater(BuiltInRateCards.Default, BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain(records[0].ContactId, records));

    /// <summary>The agent dials at 10:00:00; the customer answers at <paramref name="answered"/> and hangs up at <paramref name="end"/>.</summary>
    private static ContactRecord Outbound(string answered, string end) => new()
    {
        ContactId = "out-1",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Outbound,
        InitiationTimestamp = At("10:00:00"),
        ConnectedToSystemTimestamp = At(answered),
        DisconnectTimestamp = At(end),
        SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
        Agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("10:00:00"), AfterContactWorkStartTimestamp = At(end) },
        InstanceArn = Instance,
    };

    /// <summary>IVR 10:00:00–10:00:20, queue to 10:01:00, agent to 10:05:00 (the last 60 s on hold).</summary>
    private static ContactRecord Inbound(bool lens) => new()
    {
        ContactId = "in-1",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Inbound,
        InitiationTimestamp = At("10:00:00"),
        ConnectedToSystemTimestamp = At("10:00:00"),
        DisconnectTimestamp = At("10:05:00"),
        SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
        Queue = new QueueInfo { Name = "sales", EnqueueTimestamp = At("10:00:20"), DequeueTimestamp = At("10:01:00") },
        Agent = new AgentInfo
        {
            Username = "smith", ConnectedToAgentTimestamp = At("10:01:00"), AfterContactWorkStartTimestamp = At("10:05:00"), CustomerHoldDuration = 60,
        },
        ContactLensEnabled = lens,
        InstanceArn = Instance,
    };

    private static Charge ChargeOf(ChainResult result, string kind) =>
        Assert.Single(result.Charges, c => c.ChargeKind == kind && c.LegIndex == 0);

    private static decimal CostOf(ChainResult result, string kind) =>
        result.Segments.Where(s => s.LegIndex == 0 && s.Kind == kind).Sum(s => s.Cost);

    [Fact]
    public void The_minimum_segment_of_a_short_outbound_call_carries_only_the_telephony_top_up()
    {
        // Dialled 10:00:00, answered 10:00:25, hung up 10:00:55: service 55 s (from dialling, over its
        // 10 s minimum), telephony 30 s billed as 60 s. The top-up is 30 s of outbound telephony only.
        var result = Rate("default", Outbound("10:00:25", "10:00:55"));
        var telephony = ChargeOf(result, ChargeKinds.TelephonyOutbound);
        var service = ChargeOf(result, ChargeKinds.Service);
        Assert.Equal((30L, 60L), (telephony.ActualSeconds, telephony.BilledSeconds));
        Assert.Equal((55L, 55L), (service.ActualSeconds, service.BilledSeconds));

        Assert.Equal(
            [$"{SegmentKinds.Agent} 30", $"{SegmentKinds.Minimum} 30"],
            result.Segments.Select(s => $"{s.Kind} {s.Seconds}"));
        Assert.Equal(30 * 0.0048m / 60, CostOf(result, SegmentKinds.Minimum)); // 0.0024
        // The agent's segment: its 30 s of telephony and all of the service (dialling included).
        Assert.Equal(30 * 0.0048m / 60 + 55 * 0.018m / 60, CostOf(result, SegmentKinds.Agent)); // 0.0189
        Assert.Equal(RecordedCost.Of(telephony.Cost!.Value) + RecordedCost.Of(service.Cost!.Value), result.Segments.Sum(s => s.Cost));
    }

    [Fact]
    public void A_service_top_up_joins_the_telephony_top_up_on_the_minimum_segment()
    {
        // Dialled 10:00:00, answered 10:00:05, hung up 10:00:08: service 8 s billed as 10 s, telephony 3 s as 60 s.
        var result = Rate("default", Outbound("10:00:05", "10:00:08"));
        Assert.Equal((8L, 10L), (ChargeOf(result, ChargeKinds.Service).ActualSeconds, ChargeOf(result, ChargeKinds.Service).BilledSeconds));
        Assert.Equal(57 * 0.0048m / 60 + 2 * 0.018m / 60, CostOf(result, SegmentKinds.Minimum));
        Assert.Equal(3 * 0.0048m / 60 + 8 * 0.018m / 60, CostOf(result, SegmentKinds.Agent));
    }

    [Fact]
    public void Contact_lens_cost_stays_on_the_agent_connected_segments()
    {
        var result = Rate("default", Inbound(lens: true));
        Assert.Equal(
            [$"{SegmentKinds.Ivr} 20", $"{SegmentKinds.Queue} 40", $"{SegmentKinds.Agent} 180", $"{SegmentKinds.Hold} 60"],
            result.Segments.Select(s => $"{s.Kind} {s.Seconds}"));
        var lens = ChargeOf(result, ChargeKinds.ContactLens);
        Assert.Equal(240, lens.BilledSeconds);
        var telephony = result.Charges.TelephonyOf(0)!;
        var perSecond = (telephony.Rate!.Value + ChargeOf(result, ChargeKinds.Service).Rate!.Value) / 60;

        // The IVR and the queue pay telephony and service only (shares are rounded to 12 places), exactly as without Contact Lens.
        Assert.Equal(20 * perSecond, CostOf(result, SegmentKinds.Ivr), 11);
        Assert.Equal(40 * perSecond, CostOf(result, SegmentKinds.Queue), 11);
        var without = Rate("default", Inbound(lens: false));
        Assert.Equal(CostOf(without, SegmentKinds.Ivr), CostOf(result, SegmentKinds.Ivr));
        Assert.Equal(CostOf(without, SegmentKinds.Queue), CostOf(result, SegmentKinds.Queue));

        // Agent and hold share the Contact Lens charge by their seconds (180 : 60).
        Assert.Equal(180 * perSecond + lens.Cost!.Value * 180 / 240, CostOf(result, SegmentKinds.Agent), 11);
        Assert.Equal(60 * perSecond + lens.Cost!.Value * 60 / 240, CostOf(result, SegmentKinds.Hold), 11);
        Assert.Equal(RecordedCost.Total(result.Charges), result.Segments.Sum(s => s.Cost));
    }

    [Fact]
    public void Under_the_customer_leg_contact_lens_policy_every_segment_shares_contact_lens()
    {
        var result = Rate("contact-lens=customer-leg", Inbound(lens: true));
        var lens = ChargeOf(result, ChargeKinds.ContactLens);
        Assert.Equal(300, lens.BilledSeconds);
        var without = Rate("contact-lens=customer-leg", Inbound(lens: false));
        Assert.Equal(CostOf(without, SegmentKinds.Ivr) + lens.Cost!.Value * 20 / 300, CostOf(result, SegmentKinds.Ivr), 11);
        Assert.Equal(RecordedCost.Total(result.Charges), result.Segments.Sum(s => s.Cost));
    }

    [Fact]
    public void A_cost_of_a_few_billionths_of_a_cent_is_never_split_into_a_negative_share()
    {
        // IVR, queue, agent and hold 10 s each, and a charge of 2·10⁻¹² over all four: rounding each
        // quarter (0.5·10⁻¹²) alone gave 1, 1, 1 and then −1 to balance.
        var record = Inbound(lens: false) with
        {
            DisconnectTimestamp = At("10:00:40"),
            Queue = new QueueInfo { Name = "sales", EnqueueTimestamp = At("10:00:10"), DequeueTimestamp = At("10:00:20") },
            Agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("10:00:20"), AfterContactWorkStartTimestamp = At("10:00:40"), CustomerHoldDuration = 10 },
        };
        var chain = new Chain(record.ContactId, [record]);
        var leg = Assert.Single(new LegBuilder(AgentDirectory.Empty, NumberInventory.Missing, BillingPolicy.Default).Build(chain).Legs);
        List<Segment> segments = [];
        Segmenter.Split(chain, leg, leg.Seconds, [new LegCharge(leg.Index, 0.000000000002m, 0m, leg.Intervals)], segments);

        Assert.Equal([$"{SegmentKinds.Ivr} 10", $"{SegmentKinds.Queue} 10", $"{SegmentKinds.Agent} 10", $"{SegmentKinds.Hold} 10"], segments.Select(s => $"{s.Kind} {s.Seconds}"));
        Assert.All(segments, s => Assert.True(s.Cost >= 0, $"{s.Kind}: {s.Cost}"));
        Assert.Equal(0.000000000002m, segments.Sum(s => s.Cost));
    }

    /// <summary>The top-up priced as the charge is: (billed − actual) seconds at its rate per minute.</summary>
    private static decimal TopUp(Charge c) => (c.BilledSeconds - c.ActualSeconds) * (c.Rate ?? 0m) / 60m;

    [Fact]
    public void Every_leg_splits_its_charges_exactly_under_every_policy()
    {
        foreach (var policy in BillingPolicy.Alternatives)
        {
            var rater = new Rater(BuiltInRateCards.Default, policy,
                new AgentDirectory([new AgentPhoneEntry("desk", PhoneTypes.DeskPhone, "+12065559999", new Instant(0))]), NumberInventory.Missing);
            for (var seed = 0; seed < 300; seed++)
            {
                var records = PropertyTests.RandomChain(new Random(seed));
                var result = rater.Rate(new Chain(records[0].ContactId, records));
                foreach (var leg in result.Legs)
                {
                    var charges = result.Charges.Where(c => c.LegIndex == leg.Index && c.Cost is not null).ToList();
                    var segments = result.Segments.Where(s => s.LegIndex == leg.Index).ToList();
                    var where = $"policy {policy}, seed {seed}, leg {leg.Index} {leg.Kind}";
                    // The DECIMAL(24,12) columns hold every figure exactly: SUM(segments.cost) of a leg is SUM(charges.cost).
                    var recorded = RecordedCost.Total(charges);
                    Assert.True(recorded == segments.Sum(s => s.Cost), $"{where}: segments {segments.Sum(s => s.Cost)} ≠ charges as recorded {recorded}");
                    Assert.True(segments.All(s => s.Cost >= 0), $"{where}: a negative segment cost");
                    Assert.True(segments.All(s => s.Cost == RecordedCost.Of(s.Cost)), $"{where}: a segment cost past 12 places");
                    if (segments.SingleOrDefault(s => s.Kind == SegmentKinds.Minimum) is { } minimum)
                    {
                        // Every top-up of the leg (each as recorded), and nothing else.
                        var topUps = charges.Sum(c => RecordedCost.Of(TopUp(c)));
                        Assert.True(topUps == minimum.Cost, $"{where}: minimum {minimum.Cost} ≠ top-ups {topUps}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Contact_lens_never_changes_a_segment_outside_its_agent_connected_time()
    {
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        for (var seed = 0; seed < 300; seed++)
        {
            var records = PropertyTests.RandomChain(new Random(seed)).Select(r => r with { ContactLensEnabled = false }).ToList();
            var root = records[0];
            if (root.Agent is not { ConnectedToAgentTimestamp: { } connected } agent)
            {
                continue;
            }

            var lensSpan = new Interval(connected, agent.AfterContactWorkStartTimestamp ?? root.End);
            var without = rater.Rate(new Chain(root.ContactId, records));
            var with = rater.Rate(new Chain(root.ContactId, [root with { ContactLensEnabled = true }, .. records.Skip(1)]));
            Assert.Equal(without.Segments.Select(s => (s.LegIndex, s.Kind, s.Seconds)), with.Segments.Select(s => (s.LegIndex, s.Kind, s.Seconds)));
            for (var i = 0; i < with.Segments.Count; i++)
            {
                var s = with.Segments[i];
                if (s.Interval is not { } span || span.Intersect(lensSpan).IsEmpty)
                {
                    Assert.True(without.Segments[i].Cost == s.Cost, $"seed {seed}: {s.Kind} {s.Interval} took Contact Lens cost ({without.Segments[i].Cost} → {s.Cost})");
                }
            }
        }
    }
}
