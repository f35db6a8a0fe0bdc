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

    private static Charge Charge(string kind, long seconds, decimal? cost) => new()
    {
        ChainId = "c", ContactId = "c", ChargeKind = kind, LegKind = "customer-inbound", Day = new DateOnly(2026, 10, 1),
        Start = Instant.FromDate(new DateOnly(2026, 10, 1)), InstanceId = "i", Region = "us-east-1", PricingModel = PricingModels.PerFeature,
        UsageType = "u", Unit = Units.Minute, ActualSeconds = seconds, BilledSeconds = seconds, Quantity = seconds / 60m, Cost = cost,
        Currency = "USD", Why = "test",
    };
}
