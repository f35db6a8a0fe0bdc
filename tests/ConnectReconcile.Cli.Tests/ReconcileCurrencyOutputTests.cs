using System.Text.Json;
using ConnectReconcile.Cli.Commands;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using Spectre.Console;

namespace ConnectReconcile.Cli.Tests;

/// <summary>The console table and <c>--summary json</c> of an invoice whose amounts are not in our currency.</summary>
public sealed class ReconcileCurrencyOutputTests
{
    private static readonly DateOnly Day1 = new(2026, 10, 1);
    private const string Service = "USE1-end-customer-mins";
    private static readonly UsageTypeCatalog Catalog = new(BuiltInRateCards.Default);

    private static CurLine Line(DateOnly day, decimal amount, decimal rate, string currency, string type = "Usage", decimal? cost = null) => new()
    {
        UsageStart = day.ToDateTime(new TimeOnly(10, 0), DateTimeKind.Utc),
        UsageEnd = day.ToDateTime(new TimeOnly(11, 0), DateTimeKind.Utc),
        ProductCode = "AmazonConnect",
        UsageType = type == "Usage" ? Service : "",
        LineItemType = type,
        UsageAmount = amount,
        UnblendedRate = rate,
        UnblendedCost = cost ?? amount * rate,
        Currency = currency,
    };

    private static ReconciliationReport Report(params CurLine[] lines)
    {
        var invoice = new InvoiceAggregate(Day1);
        foreach (var l in lines)
        {
            invoice.Add(l);
        }

        // 100 min at the USD card's 0.018 = 1.80 USD.
        var expected = new[] { new ExpectedUsage(Day1, "inst-1", "us-east-1", Service, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 10, 6000, 100m, 1.8m, 0) };
        return ReconciliationReport.Build(expected, invoice, Catalog, Tolerance.Default,
            new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1 } });
    }

    private static string Console(ReconciliationReport report)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 240;
        ReconcileTable.Write(console, report, [], 20);
        return writer.ToString();
    }

    [Fact]
    public void An_invoice_in_EUR_gives_no_cost_variance_on_the_console_or_in_json()
    {
        // Over by 10 min, billed at 0.0166 EUR: 1.66 EUR against our 1.80 USD, a "-0.14" that is no variance.
        var report = Report(Line(Day1, 110m, 0.0166m, "EUR"));
        var row = Assert.Single(report.BeyondTolerance);
        Assert.Equal((Statuses.Over, "quantity"), (row.Status, row.Basis));

        using var json = JsonDocument.Parse(ReconcileCommand.SummaryJson(report, []));
        var variance = Assert.Single(json.RootElement.GetProperty("variances").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, variance.GetProperty("costVariance").ValueKind); // was "-0.14"

        var text = Console(report);
        Assert.DoesNotContain("-0.14", text, StringComparison.Ordinal);
        Assert.Contains("—", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invoice_mixing_currencies_adds_up_none_of_its_amounts()
    {
        // 1.80 USD on one line, 270 yen on another, and a tax line in each: no total adds them.
        var report = Report(Line(Day1, 100m, 0.018m, "USD"), Line(Day1, 100m, 2.7m, "JPY") with { UsageStart = Day1.ToDateTime(new TimeOnly(12, 0), DateTimeKind.Utc), UsageEnd = Day1.ToDateTime(new TimeOnly(13, 0), DateTimeKind.Utc) },
            Line(Day1, 0m, 0m, "USD", "Tax", 0.09m), Line(Day1, 0m, 0m, "JPY", "Tax", 13.5m));
        Assert.Equal("JPY,USD", report.Currency);

        using var json = JsonDocument.Parse(ReconcileCommand.SummaryJson(report, []));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("invoicedUsageCost").ValueKind); // was "271.80"
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("taxes").ValueKind); // was "13.59"

        var text = Console(report);
        Assert.DoesNotContain("271.80", text, StringComparison.Ordinal);
        Assert.DoesNotContain("13.59", text, StringComparison.Ordinal);
        Assert.Contains("not summed (mixed currencies)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_usage_type_of_an_invoice_mixing_currencies_is_shown_in_its_own_currency()
    {
        var report = Report(Line(Day1, 100m, 0.018m, "USD"), Line(Day1, 10m, 3m, "JPY") with { UsageType = "USE1-new-thing" });
        Assert.Equal("JPY,USD", report.Currency);
        var text = Console(report);
        Assert.Contains("USE1-new-thing (10, 30.00 JPY)", text, StringComparison.Ordinal); // was "(10, 30.00)" under a "JPY,USD" header
    }
}
