using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

public sealed class ComparisonTests
{
    [Fact]
    public void Equal_quantities_and_costs_match_even_when_the_invoice_splits_the_day_into_hours()
    {
        // 100.5 minutes over three hourly lines, summed from doubles as the CUR stores them.
        var invoice = Invoice(
            Usage(Day1, Service, (decimal)(double)(40.25m), 0.018m, hour: 9),
            Usage(Day1, Service, (decimal)(double)(30.1m), 0.018m, hour: 10),
            Usage(Day1, Service, (decimal)(double)(30.15m), 0.018m, hour: 11));
        var line = Assert.Single(Compare([Expected(Day1, Service, 100.5m, 0.018m)], invoice));
        Assert.Equal(Statuses.Match, line.Status);
        Assert.False(line.BeyondTolerance);
        Assert.Equal(0m, line.QuantityVariance);
        Assert.Null(line.InstanceId); // the invoice names no instance: both sides summed
        Assert.Equal(ChargeKinds.Service, line.ChargeKind);
    }

    [Fact]
    public void Quantities_are_cut_to_6_places_as_daily_usage_stores_them_not_rounded()
    {
        // 16369 billed seconds = 272.8166666… minutes: daily_usage.quantity holds 272.816666.
        var line = Assert.Single(Compare([Expected(Day1, Service, 16369m / 60m, 0.018m)], Invoice(Usage(Day1, Service, (decimal)(16369.0 / 60.0), 0.018m))));
        Assert.Equal((272.816666m, 272.816666m), (line.ExpectedQuantity, line.InvoicedQuantity)); // was 272.816667 for both
        Assert.Equal(Statuses.Match, line.Status);

        // Three hourly lines of 20 s as doubles read back (0.333333333333333 each) add up to a hair under
        // one minute: the cut keeps them one minute, not 0.999999.
        var third = (decimal)(20.0 / 60.0);
        var split = Assert.Single(Compare([Expected(Day1, Service, 1m, 0.018m)],
            Invoice(Usage(Day1, Service, third, 0.018m, hour: 9), Usage(Day1, Service, third, 0.018m, hour: 10), Usage(Day1, Service, third, 0.018m, hour: 11))));
        Assert.Equal((1m, 0m), (split.InvoicedQuantity, split.QuantityVariance));
    }

    [Fact]
    public void Quantities_are_compared_first_then_cost()
    {
        var quantityOff = Assert.Single(Compare([Expected(Day1, Service, 100m, 0.018m)], Invoice(Usage(Day1, Service, 110m, 0.018m))));
        Assert.Equal((Statuses.Over, "quantity", true), (quantityOff.Status, quantityOff.Basis, quantityOff.BeyondTolerance));
        Assert.Equal(10m, quantityOff.QuantityVariance);
        Assert.Equal(10m, quantityOff.QuantityVariancePercent);

        var priceOff = Assert.Single(Compare([Expected(Day1, Service, 100m, 0.018m)], Invoice(Usage(Day1, Service, 100m, 0.015m))));
        Assert.Equal((Statuses.Under, "cost", true), (priceOff.Status, priceOff.Basis, priceOff.BeyondTolerance));
        Assert.Equal(0m, priceOff.QuantityVariance);
        Assert.Equal(-0.3m, priceOff.CostVariance);
        Assert.Equal(0.015m, priceOff.InvoicedRate);
        Assert.Equal(0.018m, priceOff.ExpectedRate);
    }

    [Theory]
    [InlineData(100.5, 1, 0.01, "within-tolerance")]   // 0.5 %: under 1 %
    [InlineData(102, 1, 0.01, "over")]                 // 2 % and 0.036 USD: beyond both
    [InlineData(102, 1, 0.05, "within-tolerance")]     // 2 % but 0.036 USD ≤ 0.05 USD: within (both must be exceeded)
    [InlineData(102, 5, 0.01, "within-tolerance")]     // 0.036 USD but 2 % ≤ 5 %
    [InlineData(98, 1, 0.01, "under")]
    public void A_variance_is_beyond_tolerance_only_when_it_exceeds_both_thresholds(double invoiced, double pct, double abs, string status)
    {
        var line = Assert.Single(Compare([Expected(Day1, Service, 100m, 0.018m)], Invoice(Usage(Day1, Service, (decimal)invoiced, 0.018m)),
            new Tolerance((decimal)pct, (decimal)abs)));
        Assert.Equal(status, line.Status);
        Assert.Equal(status is "over" or "under", line.BeyondTolerance);
    }

    [Fact]
    public void Rows_only_one_side_has_are_only_in_invoice_or_only_in_ctrs()
    {
        var lines = Compare([Expected(Day1, Service, 50m, 0.018m)], Invoice(Usage(Day2, Service, 40m, 0.018m)));
        Assert.Equal(2, lines.Count);
        Assert.Equal((Statuses.OnlyInCtrs, true), (lines[0].Status, lines[0].BeyondTolerance));
        Assert.Equal(Day1, lines[0].Day);
        Assert.Equal((Statuses.OnlyInInvoice, true), (lines[1].Status, lines[1].BeyondTolerance));
        Assert.Equal(-50m, lines[0].QuantityVariance);
        Assert.Null(lines[1].QuantityVariancePercent);
    }

    [Fact]
    public void Usage_only_our_side_has_and_cannot_price_is_listed_but_not_alarmed()
    {
        var chat = Expected(Day1, "USE1-chat-message", 20m, 0m, kind: "chat", unit: Units.Unit, charges: 20, unrated: 20);
        var line = Assert.Single(Compare([chat], Invoice()));
        Assert.Equal(Statuses.OnlyInCtrs, line.Status);
        Assert.False(line.BeyondTolerance);
        Assert.False(line.Comparable);
    }

    [Fact]
    public void When_the_invoice_names_instances_rows_are_split_per_instance()
    {
        const string other = "99999999-8888-7777-6666-555555555555";
        var invoice = Invoice(
            Usage(Day1, Service, 100m, 0.018m, resource: $"arn:aws:connect:us-east-1:123456789012:instance/{Instance}"),
            Usage(Day1, Service, 10m, 0.018m, instanceTag: other));
        var lines = Compare([Expected(Day1, Service, 100m, 0.018m), Expected(Day1, Service, 12m, 0.018m, instance: other)], invoice);
        Assert.Equal(2, lines.Count);
        Assert.Equal((Instance, Statuses.Match), (lines[0].InstanceId, lines[0].Status));
        Assert.Equal((other, Statuses.Under), (lines[1].InstanceId, lines[1].Status));
    }

    [Fact]
    public void Taxes_credits_refunds_and_other_lines_are_kept_apart_and_other_services_are_skipped()
    {
        var month = Day1.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var invoice = Invoice(
            Usage(Day1, Service, 100m, 0.018m),
            Usage(Day1, "", 0m, 0m, product: "ContactCenterTelecomm", lineType: "Tax", cost: 0.42m, description: "Tax for product code ContactCenterTelecomm"),
            Usage(Day1, Service, 0m, 0m, lineType: "Credit", cost: -1.62m, description: "AWS Free Tier credit: 90 minutes"),
            Usage(Day1, Service, 0m, 0m, lineType: "Credit", cost: -5m, description: "Service credit"),
            Usage(Day1, Service, 0m, 0m, lineType: "Refund", cost: -2m),
            Usage(Day1, Service, 0m, 0m, lineType: "Fee", cost: 3m),
            Usage(Day1, "USE1-TimedStorage-ByteHrs", 10m, 0.023m, product: "AmazonS3"),
            Usage(new DateOnly(2026, 11, 1), Service, 5m, 0.018m));
        var line = Assert.Single(Compare([Expected(Day1, Service, 100m, 0.018m)], invoice));
        Assert.Equal(Statuses.Match, line.Status); // nothing above reaches the usage comparison
        var adjustments = Reconciler.Adjustments(invoice, [line]);
        Assert.Equal(
            [(LineKinds.Credit, -5m), (LineKinds.FreeTier, -1.62m), (LineKinds.Other, 3m), (LineKinds.Refund, -2m), (LineKinds.Tax, 0.42m)],
            adjustments.Select(a => (a.Kind, a.Amount)).ToArray());
        Assert.Equal(1L, invoice.OtherServices.Single(o => o.ProductCode == "AmazonS3").Lines);
        Assert.Equal([new OtherServiceTotal("AmazonS3", "USD", 1, 0.23m, 0)], invoice.OtherServices); // listed with its amount, never compared
        Assert.Equal(1L, invoice.OutsideMonth);
        Assert.Equal(month.Month, invoice.MonthStart.Month);
    }

    [Fact]
    public void Free_tier_usage_counts_as_quantity_and_its_value_is_shown_apart_not_as_a_variance()
    {
        var invoice = Invoice(
            Usage(Day1, Service, 90m, 0m, description: "0.0 per minute under monthly free tier"),
            Usage(Day1, Service, 110m, 0.018m));
        var line = Assert.Single(Compare([Expected(Day1, Service, 200m, 0.018m)], invoice));
        Assert.Equal(Statuses.Match, line.Status);
        Assert.Equal(90m, line.FreeTierQuantity);
        Assert.Equal(0m, line.CostVariance);
        var freeTier = Assert.Single(Reconciler.Adjustments(invoice, [line]));
        Assert.Equal((LineKinds.FreeTier, 90m, -1.62m), (freeTier.Kind, freeTier.Quantity, freeTier.ValueAtOurRate));
    }

    [Fact]
    public void A_running_month_is_compared_only_through_the_day_given()
    {
        var invoice = new InvoiceAggregate(Day1, through: Day1);
        invoice.Add(Usage(Day1, Service, 10m, 0.018m));
        invoice.Add(Usage(Day2, Service, 10m, 0.018m));
        var line = Assert.Single(Compare([Expected(Day1, Service, 10m, 0.018m), Expected(Day2, Service, 12m, 0.018m)], invoice));
        Assert.Equal((Day1, Statuses.Match), (line.Day, line.Status));
        Assert.Equal(1L, invoice.OutsideMonth);
    }

    [Fact]
    public void Unknown_connect_usage_types_are_listed_never_dropped()
    {
        var invoice = Invoice(Usage(Day1, "USE1-video-calling-mins", 12m, 0.004m), Usage(Day1, Service, 10m, 0.018m));
        var lines = Compare([Expected(Day1, Service, 10m, 0.018m)], invoice);
        var unknown = Assert.Single(lines, l => l.UsageType == "USE1-video-calling-mins");
        Assert.Equal(Statuses.OnlyInInvoice, unknown.Status);
        Assert.False(unknown.KnownUsageType);
        Assert.Equal("USE1-video-calling-mins", Assert.Single(Reconciler.Unknown(invoice, Catalog)).UsageType);
    }

    [Fact]
    public void Customer_profiles_lines_are_connect_usage_reported_as_unknown_usage_types()
    {
        // cur-facts.md lists CustomerProfiles among Connect's product codes; we model none of its usage types.
        var invoice = Invoice(Usage(Day2, "USE1-ProfilesIngestion", 100m, 0.01m, product: "CustomerProfiles"), Usage(Day1, Service, 10m, 0.018m));
        var lines = Compare([Expected(Day1, Service, 10m, 0.018m)], invoice);
        Assert.Empty(invoice.OtherServices);
        var row = Assert.Single(lines, l => l.UsageType == "USE1-ProfilesIngestion");
        Assert.Equal((Statuses.OnlyInInvoice, false, "CustomerProfiles"), (row.Status, row.KnownUsageType, row.ProductCode));
        Assert.Equal(new UnknownUsageType("USE1-ProfilesIngestion", "CustomerProfiles", 100m, 1m) { Currency = "USD" }, Assert.Single(Reconciler.Unknown(invoice, Catalog)));
    }

    [Fact]
    public void An_invoice_in_another_currency_than_the_card_has_its_quantities_compared_and_its_costs_not()
    {
        // Billed in JPY at 150 yen to the dollar: the same minutes cost 150 times as much.
        CurLine Yen(DateOnly day, string usageType, decimal minutes) => Usage(day, usageType, minutes, 0.018m * 150m) with { Currency = "JPY" };
        var invoice = Invoice(Yen(Day1, Service, 100m), Yen(Day2, Service, 120m));
        var expected = new[] { Expected(Day1, Service, 100m, 0.018m), Expected(Day2, Service, 100m, 0.018m) };

        var report = ReconciliationReport.Build(expected, invoice, Catalog, Tolerance.Default,
            new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });

        Assert.False(report.CostsCompared);
        Assert.Equal(("JPY", "USD"), (report.Currency, report.ExpectedCurrency));
        Assert.Contains("The invoice is in JPY and the rate card prices in USD", report.CurrencyNote, StringComparison.Ordinal);
        Assert.Equal(Statuses.Match, report.Lines.Single(l => l.Day == Day1).Status); // costs 150 times apart, quantities equal
        var day2 = report.Lines.Single(l => l.Day == Day2);
        Assert.Equal((Statuses.Over, "quantity"), (day2.Status, day2.Basis));
        Assert.DoesNotContain(day2.Causes, c => c.Code == CauseCodes.RateDifference); // yen against dollars says nothing about the rate
        Assert.DoesNotContain(day2.Causes, c => c.Text.Contains("USD", StringComparison.Ordinal));

        // In one currency, the same invoice's costs are compared and the rate difference named.
        var dollars = ReconciliationReport.Build(expected, Invoice(Usage(Day1, Service, 100m, 0.018m * 150m)), Catalog, Tolerance.Default,
            new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });
        Assert.True(dollars.CostsCompared);
        var line = dollars.Lines.Single(l => l.Day == Day1);
        Assert.Equal((Statuses.Over, "cost"), (line.Status, line.Basis));
        Assert.Contains(line.Causes, c => c.Code == CauseCodes.RateDifference);
    }

    /// <summary>A month billed in EUR against the USD card: day 1 over by 10 min, day 2 by 5 min, at an EUR rate that makes day 2's USD − EUR difference the larger.</summary>
    internal static ReconciliationReport EuroReport()
    {
        CurLine Euro(DateOnly day, decimal minutes) => Usage(day, Service, minutes, 0.0166m) with { Currency = "EUR" };
        var expected = new[] { Expected(Day1, Service, 100m, 0.018m), Expected(Day2, Service, 100m, 0.018m) };
        return ReconciliationReport.Build(expected, Invoice(Euro(Day1, 110m), Euro(Day2, 105m)), Catalog, Tolerance.Default,
            new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });
    }

    [Fact]
    public void Costs_in_two_currencies_give_no_cost_variance_and_rows_rank_by_quantity_valued_at_our_rate()
    {
        var report = EuroReport();
        Assert.False(report.CostsCompared);
        // USD 1.80 against EUR 1.826 and 1.743: the cost "variances" (+0.03, -0.06) mean nothing and would put day 2 first.
        Assert.Equal([Day1, Day2], report.BeyondTolerance.Select(l => l.Day));
        Assert.All(report.Lines, l => Assert.Null(report.CostVarianceOf(l)));
        Assert.Null(report.UsageCostVariance);
    }

    [Fact]
    public void An_invoice_mixing_currencies_adds_up_none_of_its_amounts()
    {
        var invoice = Invoice(Usage(Day1, Service, 100m, 0.018m), Usage(Day2, Service, 100m, 0.018m * 150m) with { Currency = "JPY" },
            Usage(Day1, "", 0m, 0m, lineType: "Tax", cost: 0.4m), Usage(Day2, "", 0m, 0m, lineType: "Tax", cost: 60m) with { Currency = "JPY" });
        var report = ReconciliationReport.Build([Expected(Day1, Service, 100m, 0.018m), Expected(Day2, Service, 100m, 0.018m)], invoice, Catalog, Tolerance.Default,
            new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });
        Assert.Equal("JPY,USD", report.Currency);
        Assert.Null(report.InvoicedUsageCostTotal); // not 271.80 "JPY,USD"
        Assert.Null(report.AdjustmentTotalOrNull(LineKinds.Tax));
        Assert.Null(report.FreeTierTotalOrNull);
    }

    [Fact]
    public void An_organizations_invoice_is_compared_for_the_account_asked_for_and_says_when_it_holds_several()
    {
        CurLine Of(string account, decimal minutes) => Usage(Day1, Service, minutes, 0.018m) with { UsageAccountId = account };
        var lines = new[] { Of("111111111111", 100m), Of("222222222222", 40m), Of("33333333333", 5m) }; // the last typed as a number: a zero lost

        var all = new InvoiceAggregate(Day1);
        var one = new InvoiceAggregate(Day1, account: "111111111111");
        var padded = new InvoiceAggregate(Day1, account: "033333333333");
        foreach (var line in lines)
        {
            all.Add(line);
            one.Add(line);
            padded.Add(line);
        }

        Assert.Equal(["033333333333", "111111111111", "222222222222"], all.Accounts);
        Assert.Equal(145m, all.Usage.Values.Sum(u => u.Quantity));
        Assert.Contains("Connect usage of 3 accounts (033333333333, 111111111111, 222222222222)", InvoiceStats.Of(all).AccountsNote, StringComparison.Ordinal);

        Assert.Equal((100m, 2L, 1L), (one.Usage.Values.Sum(u => u.Quantity), one.OtherAccountLines, one.ConnectLines));
        Assert.Null(InvoiceStats.Of(one).AccountsNote);
        Assert.Equal(Statuses.Match, Assert.Single(Compare([Expected(Day1, Service, 100m, 0.018m)], one)).Status);
        Assert.Equal(5m, padded.Usage.Values.Sum(u => u.Quantity));
    }
}
