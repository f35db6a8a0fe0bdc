using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

/// <summary>Which invoice lines are hourly figures: the hour rule and <c>invoiceGranularity</c> rest on them.</summary>
public sealed class HourlyLinesTests
{
    private const string Lens = "USE1-ContactLens-voice-mins";

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    /// <summary>A line of the whole day, as a daily export writes it.</summary>
    private static CurLine Daily(DateOnly day, string usageType, decimal amount, decimal rate, string product = "AmazonConnect") =>
        Usage(day, usageType, amount, rate, product: product) with { UsageEnd = At(day.AddDays(1), 0) };

    /// <summary>Day 2's inbound minutes are 50 over, spread over the day; our CTRs have every hour (13.75 min at midnight).</summary>
    private static IReadOnlyList<ReconciliationLine> Explain(InvoiceAggregate invoice)
    {
        var expectedHourly = Enumerable.Range(0, 24).ToDictionary(h => new HourKey(At(Day2, h), Did), h => h == 0 ? 13.75m : 35m);
        var evidence = new ReconciliationEvidence
        {
            Card = BuiltInRateCards.Default,
            Catalog = Catalog,
            DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 },
            ExpectedHourly = expectedHourly,
            // As ReconcileJob passes it.
            InvoicedHourly = invoice.HasHourlyLines ? invoice.Hourly : null,
        };
        var expected = new[]
        {
            Expected(Day2, Did, expectedHourly.Values.Sum(), 0.0022m, kind: ChargeKinds.TelephonyInboundDid),
            Expected(Day1, Lens, 24m, 0.015m, kind: ChargeKinds.ContactLens),
        };
        return Explainer.Explain(Compare(expected, invoice), evidence);
    }

    private static CurLine[] InboundDay2Over50() => [Daily(Day2, Did, 13.75m + 23 * 35m + 50m, 0.0022m, product: "ContactCenterTelecomm")];

    [Fact]
    public void Hourly_lines_of_one_day_do_not_make_another_days_daily_line_a_midnight_gap()
    {
        var lensHours = Enumerable.Range(0, 24).Select(h => Usage(Day1, Lens, 1m, 0.015m, hour: h, product: "ContactLensAmazonConnect"));
        var invoice = Invoice([.. InboundDay2Over50(), .. lensHours]);

        var inbound = Assert.Single(Explain(invoice), l => l.UsageType == Did);
        Assert.Equal((Statuses.Over, true), (inbound.Status, inbound.BeyondTolerance));
        Assert.Equal(CauseCodes.Unexplained, Assert.Single(inbound.Causes).Code);
        Assert.DoesNotContain(invoice.Hourly.Keys, k => k.UsageType == Did); // the day's line is no hour's figure
        Assert.Equal(24m, invoice.Hourly.Where(kv => kv.Key.UsageType == Lens).Sum(kv => kv.Value));
        // Days are compared, and only some lines are hourly: the invoice is daily, not hourly.
        Assert.Equal("daily", InvoiceStats.Of(invoice).Granularity);
    }

    [Fact]
    public void Lines_without_an_end_are_not_hourly_figures()
    {
        var invoice = Invoice([.. InboundDay2Over50().Select(l => l with { UsageEnd = null }), Usage(Day1, Lens, 24m, 0.015m, product: "ContactLensAmazonConnect") with { UsageEnd = null }]);

        Assert.False(invoice.HasHourlyLines);
        Assert.Equal("daily", InvoiceStats.Of(invoice).Granularity);
        Assert.Equal(CauseCodes.Unexplained, Assert.Single(Assert.Single(Explain(invoice), l => l.UsageType == Did).Causes).Code);
    }

    [Fact]
    public void An_invoice_of_hourly_lines_only_is_hourly_and_its_hours_are_compared()
    {
        // Hour 0 of day 2 billed 64 min where our CTRs have 13.75: a gap the hour rule names.
        var hours = Enumerable.Range(0, 24).Select(h => Usage(Day2, Did, h == 0 ? 63.75m : 35m, 0.0022m, hour: h, product: "ContactCenterTelecomm"));
        var invoice = Invoice([.. hours, Usage(Day1, Lens, 24m, 0.015m, product: "ContactLensAmazonConnect")]);

        Assert.Equal("hourly", InvoiceStats.Of(invoice).Granularity);
        var cause = Assert.Single(Assert.Single(Explain(invoice), l => l.UsageType == Did).Causes);
        Assert.Equal(CauseCodes.MissingCtrsHour, cause.Code);
        Assert.Contains("2026-10-02 00:00–01:00 UTC", cause.Text, StringComparison.Ordinal);
    }
}
