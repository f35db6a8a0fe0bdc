using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

/// <summary>An invoice exported at monthly time granularity: one line per usage type covering the whole month.</summary>
public sealed class MonthlyInvoiceTests
{
    private static readonly DateOnly Day3 = new(2026, 10, 3);
    private static readonly DateOnly LastDay = new(2026, 10, 31);

    /// <summary>A line of the whole month, as a monthly export writes it: from the 1st to the next month's 1st.</summary>
    private static CurLine Monthly(string usageType, decimal amount, decimal rate, string product = "AmazonConnect") =>
        Usage(Day1, usageType, amount, rate, product: product) with { UsageEnd = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc) };

    private static ExpectedUsage[] ThreeDays(decimal day1, decimal day2, decimal day3) =>
        [Expected(Day1, Service, day1, 0.018m), Expected(Day2, Service, day2, 0.018m), Expected(Day3, Service, day3, 0.018m)];

    [Fact]
    public void A_monthly_invoice_is_compared_per_month_not_on_its_first_day()
    {
        var invoice = Invoice(Monthly(Service, 300m, 0.018m));
        var line = Assert.Single(Compare(ThreeDays(100m, 120m, 80m), invoice));
        Assert.Equal((Day1, LastDay, true), (line.Day, line.PeriodEnd, line.WholeMonth));
        Assert.Equal((300m, 300m, Statuses.Match), (line.ExpectedQuantity, line.InvoicedQuantity, line.Status));

        var stats = InvoiceStats.Of(invoice);
        Assert.Equal(("monthly", true), (stats.Granularity, stats.Monthly));
        Assert.Contains("monthly time granularity", stats.MonthlyNote(Day1), StringComparison.Ordinal);
        Assert.Null(InvoiceStats.Of(Invoice(Usage(Day1, Service, 1m, 0.018m))).MonthlyNote(Day1)); // an hourly invoice: per day, no note
    }

    [Fact]
    public void A_monthly_line_among_daily_ones_makes_the_comparison_monthly_and_says_so()
    {
        var invoice = Invoice(Usage(Day1, Service, 100m, 0.018m) with { UsageEnd = Day2.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) },
            Monthly(Did, 50m, 0.0022m, product: "ContactCenterTelecomm"));
        var lines = Compare([.. ThreeDays(100m, 0m, 0m)[..1], Expected(Day2, Did, 50m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid)], invoice);
        Assert.All(lines, l => Assert.Equal((Day1, Statuses.Match), (l.Day, l.Status)));
        Assert.Equal("mixed", InvoiceStats.Of(invoice).Granularity);
        Assert.Contains("1 of the invoice's 2 usage lines cover more than a day", InvoiceStats.Of(invoice).MonthlyNote(Day1), StringComparison.Ordinal);
    }

    [Fact]
    public void A_month_row_names_the_months_days_without_CTRs_not_its_first_day()
    {
        var evidence = new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1, Day3 }, Card = BuiltInRateCards.Default, Catalog = Catalog };
        var invoice = Invoice(Monthly(Service, 300m, 0.018m));
        var line = Assert.Single(Explainer.Explain(Compare([Expected(Day1, Service, 100m, 0.018m), Expected(Day3, Service, 100m, 0.018m)], invoice), evidence));
        Assert.Equal(Statuses.Over, line.Status);
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.MissingCtrsDay, cause.Code);
        Assert.Contains("2026-10-02", cause.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("for 2026-10-01", cause.Text, StringComparison.Ordinal);
        Assert.Null(cause.ExplainedQuantity); // the monthly invoice does not say how much those days hold
    }

    [Fact]
    public void A_month_row_that_no_rule_explains_is_unexplained_not_blamed_on_a_day()
    {
        var evidence = new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2, Day3 }, Card = BuiltInRateCards.Default, Catalog = Catalog };
        var line = Assert.Single(Explainer.Explain(Compare(ThreeDays(100m, 100m, 100m), Invoice(Monthly(Service, 330m, 0.018m))), evidence));
        Assert.Equal(CauseCodes.Unexplained, Assert.Single(line.Causes).Code);
    }

    [Fact]
    public void Calibration_ranks_policies_on_the_month_rows_of_a_monthly_invoice()
    {
        var invoice = Invoice(Monthly(Service, 300m, 0.018m));
        var current = BillingPolicy.Default;
        var perRecord = current with { ServiceMetering = ServiceMetering.PerRecord };
        var ranked = Calibration.Rank(
        [
            (current, ThreeDays(250m, 20m, 20m)),  // 10 min short over the month, but close to the invoice's first day
            (perRecord, ThreeDays(100m, 100m, 100m)), // the month exactly
        ], invoice, Catalog, Tolerance.Default, current);
        Assert.Equal([perRecord.ToString(), current.ToString()], ranked.Select(r => r.Policy).ToArray());
        Assert.Equal((0m, 10m), (ranked[0].AbsQuantityVariance, ranked[1].AbsQuantityVariance));
    }
}
