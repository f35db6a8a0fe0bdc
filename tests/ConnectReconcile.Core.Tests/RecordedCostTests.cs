using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

public sealed class RecordedCostTests
{
    /// <summary>A US DID call: 1198 s at 0.0022 USD/min ÷ 60 repeats forever; service at 0.018 is exact.</summary>
    private static ChainResult Rate1198SecondCall()
    {
        var start = Instant.Parse("2026-10-03T21:40:17Z");
        var call = new ContactRecord
        {
            ContactId = "did-1",
            Channel = Channels.Voice,
            InitiationMethod = InitiationMethods.Inbound,
            InitiationTimestamp = start,
            ConnectedToSystemTimestamp = start,
            DisconnectTimestamp = start.PlusSeconds(1198),
            SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
            CustomerEndpoint = new Endpoint("+12065550123", "TELEPHONE_NUMBER"),
            InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/i-1",
        };
        return new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing).Rate(new Chain("did-1", [call]));
    }

    [Fact]
    public void A_cost_is_recorded_to_12_places_truncated_not_rounded()
    {
        Assert.Equal(0.043926666666m, RecordedCost.Of(0.0439266666666666666666666667m)); // rounded it would be …667
        Assert.Equal(0.0075m, RecordedCost.Of(0.0075m));
        Assert.Equal(0m, RecordedCost.Of(0.0000000000009m));
        Assert.Equal(12, RecordedCost.Places);
    }

    [Fact]
    public void A_charges_arithmetic_ends_with_its_recorded_cost_and_a_total_adds_recorded_costs()
    {
        var result = Rate1198SecondCall();
        var telephony = result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundDid);
        var service = result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service);
        Assert.Equal(1198 * 0.0022m / 60m, telephony.Cost); // exact in memory
        Assert.Equal(0.043926666666m, RecordedCost.Of(telephony));

        // Was "… ÷ 60 = 0.0439266666666666666666666667", beside 0.043926666666 in the audit row's cost.
        Assert.EndsWith("× 0.0022 USD/min ÷ 60 = 0.043926666666", telephony.Arithmetic, StringComparison.Ordinal);
        Assert.EndsWith("= 0.3594", service.Arithmetic, StringComparison.Ordinal);
        Assert.Equal(0.3594m + 0.043926666666m, RecordedCost.Total(result.Charges));

        // Two such charges: their recorded costs add to …332, where the exact sum cut to 12 places is …333.
        Assert.Equal(0.087853333332m, RecordedCost.Total([telephony, telephony]));
        Assert.Equal(0.087853333333m, RecordedCost.Of(2 * telephony.Cost!.Value));

        // An unrated charge has no recorded cost and adds nothing (a gap, not a zero).
        var unrated = telephony with { Rate = null, Cost = null, RateRowId = null, UnratedReason = "no rate-card row" };
        Assert.Null(RecordedCost.Of(unrated));
        Assert.Equal(0.043926666666m, RecordedCost.Total([telephony, unrated]));
    }

    [Theory]
    [InlineData("0.0120", "0.012")] // a card's price keeps the scale it was written with
    [InlineData("0.10", "0.1")]
    [InlineData("0.00483333", "0.00483333")]
    [InlineData("1.00000000", "1")]
    public void A_rate_is_written_like_a_cost_without_trailing_zeros(string price, string text) =>
        Assert.Equal(text, RecordedRate.Text(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void The_arithmetic_writes_the_rate_and_a_number_days_quantity_as_the_outputs_hold_them()
    {
        var telephony = Rate1198SecondCall().Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundDid);

        // Was "× 0.0220 USD/min": the card's price as written, beside "rate": "0.022" nowhere else.
        var scaled = telephony with { Rate = 0.0220m, Cost = 1198 * 0.0220m / 60m };
        Assert.EndsWith("× 0.022 USD/min ÷ 60 = 0.439266666666", scaled.Arithmetic, StringComparison.Ordinal);

        // A number held 14 hours: was "= 0.5833333333333333333333333333 number-days × 0.030 USD/day", beside quantity 0.583333.
        var numberDay = telephony with
        {
            ChargeKind = ChargeKinds.NumberDaysDid, Unit = Units.NumberDay, ActualSeconds = 14 * 3600, BilledSeconds = 14 * 3600,
            Quantity = 14m / 24m, Rate = 0.030m, Cost = 14m * 0.030m / 24m,
        };
        Assert.Equal("14 h held ÷ 24 = 0.583333 number-days × 0.03 USD/day = 0.0175", numberDay.Arithmetic);
        Assert.Equal("14 h held ÷ 24 = 0.583333 number-days; unrated", (numberDay with { Rate = null, Cost = null }).Arithmetic);
    }

    [Theory]
    [InlineData("0.030", "0.03")] // a sum keeps its terms' scale: 0.012 + 0.018
    [InlineData("0.0201000000000", "0.0201")]
    [InlineData("0.0036666666666666", "0.003666666666")] // truncated to 12 places, as recorded
    [InlineData("0.000", "0")]
    [InlineData("12", "12")]
    public void A_recorded_cost_is_written_one_way_whatever_its_scale(string exact, string text) =>
        Assert.Equal(text, RecordedCost.Text(decimal.Parse(exact, System.Globalization.CultureInfo.InvariantCulture)));
}
