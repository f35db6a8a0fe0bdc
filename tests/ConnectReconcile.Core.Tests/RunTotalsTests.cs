using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

public sealed class RunTotalsTests
{
    [Fact]
    public void A_kind_adds_up_in_one_total_whichever_string_instance_names_it_and_kinds_list_in_order()
    {
        var totals = new RunTotals();
        // Kinds named by the constants and by equal strings of their own.
        foreach (var i in Enumerable.Range(0, 20))
        {
            totals.Add(Charge(new string(ChargeKinds.TelephonyOutbound), 60, 0.01m));
            totals.Add(Charge(ChargeKinds.Service, 30, 0.02m));
            totals.Add(Charge(new string(ChargeKinds.Service), 10, null));
        }

        Assert.Equal([ChargeKinds.Service, ChargeKinds.TelephonyOutbound], totals.ByKind.Keys);
        var service = totals.ByKind[ChargeKinds.Service];
        Assert.Equal((40L, 800L, 0.40m, 20L), (service.Charges, service.BilledSeconds, service.Cost, service.Unrated));
        var outbound = totals.ByKind[ChargeKinds.TelephonyOutbound];
        Assert.Equal((20L, 1200L, 0.20m), (outbound.Charges, outbound.BilledSeconds, outbound.Cost));
    }

    [Fact]
    public void Totals_added_up_in_parts_and_joined_equal_those_added_up_at_once()
    {
        var charges = Enumerable.Range(0, 30).Select(i => Charge(i % 3 == 0 ? ChargeKinds.Service : ChargeKinds.TelephonyOutbound, 7 + i, i % 5 == 0 ? null : 0.0001m * i)).ToList();
        var whole = new RunTotals();
        charges.ForEach(whole.Add);
        var (first, second, joined) = (new RunTotals(), new RunTotals(), new RunTotals());
        charges.Take(11).ToList().ForEach(first.Add);
        charges.Skip(11).ToList().ForEach(second.Add);
        joined.Add(second);
        joined.Add(first);

        Assert.Equal(whole.ByKind.Keys, joined.ByKind.Keys);
        foreach (var (kind, total) in whole.ByKind)
        {
            var other = joined.ByKind[kind];
            Assert.Equal((total.Charges, total.BilledSeconds, total.Quantity, total.Cost, total.Unrated), (other.Charges, other.BilledSeconds, other.Quantity, other.Cost, other.Unrated));
            Assert.Equal(total.Cost.ToString(System.Globalization.CultureInfo.InvariantCulture), other.Cost.ToString(System.Globalization.CultureInfo.InvariantCulture)); // the same scale too
        }

        Assert.Equal((whole.Chains, whole.Orphans), (joined.Chains, joined.Orphans));
    }

    private static Charge Charge(string kind, long seconds, decimal? cost) => new()
    {
        ChainId = "c", ContactId = "c", ChargeKind = kind, LegKind = "customer-inbound", Day = new DateOnly(2026, 10, 1),
        Start = Instant.FromDate(new DateOnly(2026, 10, 1)), InstanceId = "i", Region = "us-east-1", PricingModel = PricingModels.PerFeature,
        UsageType = "u", Unit = Units.Minute, ActualSeconds = seconds, BilledSeconds = seconds, Quantity = seconds / 60m, Cost = cost,
        Currency = "USD", Why = "test",
    };
}
