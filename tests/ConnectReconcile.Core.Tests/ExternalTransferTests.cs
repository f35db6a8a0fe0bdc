using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// A transfer to an external number with no EXTERNAL_OUTBOUND leg record (billing-model §2, third party
/// "no leg record"): the leg starts at TransferCompletedTimestamp, else the agent's after-contact-work
/// start (estimated), else — a flow's transfer, no agent — the record's connection (estimated, an upper bound).
/// </summary>
public sealed class ExternalTransferTests
{
    private static Instant At(string time) => Instant.Parse($"2026-10-14T{time}Z");

    // The IVR transfers the caller to +1 206 555 0199 at some moment nothing records; the caller leaves at 10:10:00.
    private static ContactRecord Call(Instant? completed = null, AgentInfo? agent = null) => new()
    {
        ContactId = "x-root",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Inbound,
        InitiationTimestamp = At("10:00:00"),
        ConnectedToSystemTimestamp = At("10:00:00"),
        DisconnectTimestamp = At("10:10:00"),
        TransferCompletedTimestamp = completed,
        SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+12065550123", "TELEPHONE_NUMBER"),
        TransferredToEndpoint = new Endpoint("+12065550199", "TELEPHONE_NUMBER"),
        Agent = agent,
        InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001",
    };

    private static Leg ThirdParty(ContactRecord call) =>
        new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("x-root", [call])).Legs.Single(l => l.Kind == LegKinds.ThirdParty);

    [Fact]
    public void The_third_party_leg_starts_at_the_completed_transfer_else_the_agents_wrap_up_else_the_calls_connection_flagged()
    {
        var completed = ThirdParty(Call(completed: At("10:02:00")));
        Assert.Equal((480L, false), (completed.Seconds, completed.Estimated));

        var wrapUp = ThirdParty(Call(agent: new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("10:01:00"), AfterContactWorkStartTimestamp = At("10:04:00") }));
        Assert.Equal((360L, true), (wrapUp.Seconds, wrapUp.Estimated));

        // Was no leg at all, and nothing said so.
        var flow = ThirdParty(Call());
        Assert.Equal((600L, true), (flow.Seconds, flow.Estimated));
        Assert.Contains("an upper bound", flow.Why, StringComparison.Ordinal);
    }

    /// <summary>The EXTERNAL_OUTBOUND record of the transfer's leg, 10:02:00–10:10:00, answered at 10:02:10.</summary>
    private static ContactRecord LegRecord(Endpoint? customer) => new()
    {
        ContactId = "x-leg",
        InitialContactId = "x-root",
        PreviousContactId = "x-root",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.ExternalOutbound,
        InitiationTimestamp = At("10:02:00"),
        ConnectedToSystemTimestamp = At("10:02:10"),
        DisconnectTimestamp = At("10:10:00"),
        CustomerEndpoint = customer,
        InstanceArn = Call().InstanceArn,
    };

    [Theory]
    [InlineData("12065550199")] // the same number without its +
    [InlineData("+1 206-555-0199")]
    [InlineData(null)] // a leg record that names no number can only be that leg
    public void The_leg_record_of_the_transfer_is_its_leg_however_its_number_is_written(string? written)
    {
        var leg = LegRecord(written is null ? null : new Endpoint(written, "TELEPHONE_NUMBER"));

        var legs = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("x-root", [Call(completed: At("10:02:00")), leg])).Legs;

        // Was two third-party legs unless the record wrote the number exactly as TransferredToEndpoint: 470 s more of each.
        var third = Assert.Single(legs, l => l.Kind == LegKinds.ThirdParty);
        Assert.Equal(("x-leg", 470L), (third.ContactId, third.Seconds));
    }

    [Fact]
    public void A_leg_record_without_a_connection_says_it_is_billed_from_its_initiation()
    {
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        var leg = LegRecord(new Endpoint("+12065550199", "TELEPHONE_NUMBER"));
        Leg ThirdPartyOf(ContactRecord record) => rater.Rate(new Chain("x-root", [Call(completed: At("10:02:00")), record])).Legs.Single(l => l.Kind == LegKinds.ThirdParty);

        var connected = ThirdPartyOf(leg);
        Assert.Equal(470L, connected.Seconds);
        Assert.EndsWith("billed from its connection to its disconnect", connected.Why, StringComparison.Ordinal);

        // Was "billed from its connection to its disconnect" for the 480 s from its initiation.
        var unconnected = ThirdPartyOf(leg with { ConnectedToSystemTimestamp = null });
        Assert.Equal(480L, unconnected.Seconds);
        Assert.Contains("billed from its initiation to its disconnect, as it has no ConnectedToSystemTimestamp", unconnected.Why, StringComparison.Ordinal);
        Assert.DoesNotContain("from its connection", unconnected.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transfer_whose_agent_has_no_wrap_up_says_so_and_not_that_there_was_no_agent()
    {
        // An agent took the call but the record has no after-contact-work start: the leg starts at the call's connection.
        var agent = new AgentInfo { Username = "smith", ConnectedToAgentTimestamp = At("10:01:00") };
        var withAgent = ThirdParty(Call(agent: agent));
        Assert.Equal((600L, true), (withAgent.Seconds, withAgent.Estimated));
        Assert.Contains("no TransferCompletedTimestamp and no after-contact-work start for its agent; start estimated as the call's connection (an upper bound)", withAgent.Why, StringComparison.Ordinal);
        Assert.DoesNotContain("no agent", withAgent.Why, StringComparison.Ordinal); // was "… and no agent", beside the agent's name

        var flow = ThirdParty(Call());
        Assert.Contains("no TransferCompletedTimestamp and no agent; start estimated as the call's connection", flow.Why, StringComparison.Ordinal);

        // No connection either: from the initiation, and the why says so.
        var unconnected = ThirdParty(Call() with { InitiationTimestamp = At("09:59:50"), ConnectedToSystemTimestamp = null });
        Assert.Equal(610L, unconnected.Seconds);
        Assert.Contains("start estimated as the call's initiation, as it has no ConnectedToSystemTimestamp (an upper bound)", unconnected.Why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sip:+18005550100@example", "VOIP")]
    [InlineData("Softphone", "TELEPHONE_NUMBER")] // typed a number, holds none: was a DID "Softphone" in ZZ, unrated and unflagged
    [InlineData("anonymous", "TELEPHONE_NUMBER")]
    public void An_inbound_call_whose_dialled_number_is_unknown_is_priced_as_a_guess_and_says_so(string address, string type)
    {
        var call = Call() with { SystemEndpoint = new Endpoint(address, type), TransferredToEndpoint = null };

        var result = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing).Rate(new Chain("x-root", [call]));

        var customer = Assert.Single(result.Legs);
        Assert.True(customer.Estimated); // was a DID of the caller's country, unflagged: a toll-free line billed at a fifth of its rate
        Assert.Equal((null, "US", NumberTypes.Did), (customer.Number, customer.Country, customer.NumberType));
        Assert.StartsWith("the number the customer called is unknown (SystemEndpoint is not a telephone number): estimated as a DID in the caller's country (US)", customer.Why, StringComparison.Ordinal);
        Assert.Contains(ChainFlags.Estimated, result.Flags);
        var telephony = result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundDid);
        Assert.Equal((600L, null), (telephony.BilledSeconds, telephony.UnratedReason));
        Assert.NotNull(telephony.Cost);
    }

    [Fact]
    public void A_transfer_to_no_number_is_the_leg_of_its_leg_record_and_else_kept_unpriced_as_written()
    {
        var call = Call(completed: At("10:02:00")) with { TransferredToEndpoint = new Endpoint("Softphone", "TELEPHONE_NUMBER") };
        var leg = LegRecord(new Endpoint("+12065550199", "TELEPHONE_NUMBER"));
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);

        // Was a second third-party leg "Softphone" (ZZ, unrated) beside the leg record's.
        var third = Assert.Single(rater.Rate(new Chain("x-root", [call, leg])).Legs, l => l.Kind == LegKinds.ThirdParty);
        Assert.Equal(("x-leg", "US"), (third.ContactId, third.Country));

        // Without a leg record the transfer is still a leg, its destination unknown: unrated, never dropped.
        var alone = rater.Rate(new Chain("x-root", [call]));
        var unknown = Assert.Single(alone.Legs, l => l.Kind == LegKinds.ThirdParty);
        Assert.Equal(("Softphone", "ZZ", 480L), (unknown.Number, unknown.Country, unknown.Seconds));
        Assert.Null(alone.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyOutbound).Cost);
    }

    [Fact]
    public void An_outbound_call_to_an_address_that_is_no_number_has_no_country()
    {
        var call = Call() with
        {
            InitiationMethod = InitiationMethods.Outbound, SystemEndpoint = null, TransferredToEndpoint = null,
            CustomerEndpoint = new Endpoint("sip:alice123@example", "TELEPHONE_NUMBER"),
        };

        var customer = Assert.Single(new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("x-root", [call])).Legs);

        // Was US: the digits "123" read as calling code 1.
        Assert.Equal(("sip:alice123@example", "ZZ"), (customer.Number, customer.Country));
    }

    [Theory]
    [InlineData("minimums=none", "29 s actual → 29 s billed (per second, no minimum)")]
    [InlineData("minimums=per-leg", "29 s actual → 60 s billed (first 60 s, then 1 s)")]
    public void The_arithmetic_names_the_increments_the_policy_applied(string policy, string expected)
    {
        var call = Call() with { DisconnectTimestamp = At("10:00:29"), TransferredToEndpoint = null };

        var charges = new Rater(BuiltInRateCards.Default, BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing).Rate(new Chain("x-root", [call])).Charges;

        // Was "(first 60 s, then 1 s)" under minimums=none too, beside 29 s billed.
        Assert.StartsWith(expected, charges.Single(c => c.ChargeKind.StartsWith("telephony:", StringComparison.Ordinal)).Arithmetic, StringComparison.Ordinal);
    }
}
