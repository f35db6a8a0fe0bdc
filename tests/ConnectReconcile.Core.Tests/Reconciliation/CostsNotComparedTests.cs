using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

/// <summary>
/// An invoice whose costs are not compared with ours (another currency than the card, or several):
/// nothing ranks, explains or totals by a difference between two currencies, and each invoice amount
/// carries its own lines' currency. Also: calibration's cost total is what the rows record.
/// </summary>
public sealed class CostsNotComparedTests
{
    private const string Other = "99999999-8888-7777-6666-555555555555";

    private static CurLine Euro(DateOnly day, decimal minutes, decimal rate, string? instance = null) =>
        Usage(day, Service, minutes, rate, instanceTag: instance) with { Currency = "EUR" };

    private static ReconciliationReport Build(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, ReconciliationEvidence? evidence = null) =>
        ReconciliationReport.Build(expected, invoice, Catalog, Tolerance.Default,
            (evidence ?? new ReconciliationEvidence()) with { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });

    [Fact]
    public void Calibration_adds_up_the_cost_variances_the_rows_record()
    {
        // 3 min for 0.05 USD: our rate is 0.0166…, so the free-tier minute valued at it, and the cost variance, repeat forever.
        var expected = new[] { Day1, Day2 }.Select(d =>
            new ExpectedUsage(d, Instance, "us-east-1", Service, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 3, 180, 3m, 0.05m, 0)).ToList();
        var invoice = Invoice(
            Usage(Day1, Service, 2m, 0.018m), Usage(Day1, Service, 1m, 0m, hour: 1, description: "AWS Free Tier minutes", cost: 0m),
            Usage(Day2, Service, 2m, 0.018m), Usage(Day2, Service, 1m, 0m, hour: 1, description: "AWS Free Tier minutes", cost: 0m));
        var lines = Compare(expected, invoice);
        Assert.All(lines, l => Assert.NotEqual(l.CostVariance, RecordedCost.Of(l.CostVariance))); // beyond 12 places

        var ranked = Calibration.Rank([(BillingPolicy.Default, expected)], invoice, Catalog, Tolerance.Default, BillingPolicy.Default);
        // As the table records each: the invoiced cost as recorded less our net expected cost as recorded (0.036 − 0.033333333333).
        var recorded = lines.Sum(l => Math.Abs(RecordedCost.OfInvoice(l.InvoicedCost) - RecordedCost.Of(l.ExpectedCostNet)));
        Assert.Equal(0.005333333334m, recorded);
        Assert.Equal(recorded, Assert.Single(ranked).AbsCostVariance); // was 0.0053333333333333333333333334
    }

    [Fact]
    public void Calibration_gives_no_cost_variance_for_an_invoice_in_another_currency_and_ties_on_quantity()
    {
        var invoice = Invoice(Euro(Day1, 100m, 0.0166m));
        var current = BillingPolicy.Default;
        var perRecord = current with { ServiceMetering = ServiceMetering.PerRecord };
        // The same minutes; USD against EUR "differs" by 0.14 for one and 0.50 for the other.
        var ranked = Calibration.Rank(
        [
            (current, [Expected(Day1, Service, 100m, 0.018m)]),
            (perRecord, [Expected(Day1, Service, 100m, 0.0216m)]),
        ], invoice, Catalog, Tolerance.Default, current);
        Assert.All(ranked, r => Assert.Null(r.AbsCostVariance)); // was 0.14 and 0.50
        Assert.True(ranked[1].TiedWithBest);
    }

    [Fact]
    public void An_instance_without_CTRs_billed_fewer_minutes_in_another_currency_is_not_said_to_be_billed_more()
    {
        // The invoice bills the instance 90 EUR for 90 min, 10 fewer than our 100 min (1.80 USD): under, not "missing CTRs".
        var invoice = Invoice(Euro(Day1, 90m, 1m, Other));
        var report = Build([Expected(Day1, Service, 100m, 0.018m, instance: Other)], invoice,
            new ReconciliationEvidence { InstancesWithCtrs = new HashSet<string> { Instance } });
        var line = Assert.Single(report.Lines);
        Assert.Equal((Statuses.Under, "quantity"), (line.Status, line.Basis));
        Assert.DoesNotContain(line.Causes, c => c.Code == CauseCodes.MissingCtrsInstance); // +88.20 "EUR − USD" said it was billed more
    }

    [Fact]
    public void Contacts_behind_a_row_in_another_currency_rank_by_quantity_alone()
    {
        // Both contacts 5 min over; their EUR − USD "cost variances" (0.09 and 0.30) rank nothing.
        var evidence = new ReconciliationEvidence
        {
            Contacts =
            [
                new ContactVariance(Day1, Service, "chain-a", "chain-a", 5m, 10m, 0.09m, 0.18m, true),
                new ContactVariance(Day1, Service, "chain-b", "chain-b", 5m, 10m, 0.09m, 0.39m, true),
            ],
        };
        var report = Build([Expected(Day1, Service, 10m, 0.018m)], Invoice(Euro(Day1, 20m, 0.0166m)), evidence);
        var line = Assert.Single(report.Lines);
        Assert.Equal("quantity", line.Basis);
        var contacts = Assert.Single(line.Causes, c => c.Code == CauseCodes.Contacts);
        Assert.EndsWith("largest: chain-a (+5 min), chain-b (+5 min)", contacts.Text, StringComparison.Ordinal); // chain-b came first
        Assert.Null(contacts.ExplainedCost);
    }
}
