using System.Globalization;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Reports;
using ConnectReconcile.Io.Storage;
using DuckDB.NET.Data;

namespace ConnectReconcile.Io.Tests.Cur;

/// <summary>
/// The tables and HTML report of an invoice whose costs are not compared with ours (another currency
/// than the card, or several): no cost variance recorded, nothing ranked by one, each amount in its currency.
/// </summary>
public sealed class CostsNotComparedOutputTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 10, 1);
    private const string Service = "USE1-end-customer-mins";
    private static readonly UsageTypeCatalog Catalog = new(BuiltInRateCards.Default);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-report-cur-" + Guid.NewGuid().ToString("N"));

    public CostsNotComparedOutputTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CurLine Line(string usageType, decimal amount, decimal rate, string currency, string type = "Usage", decimal? cost = null, int hour = 10) =>
        InvoiceLines.Line(Day1, usageType, amount, rate, type, cost, currency: currency, hour: hour);

    private static readonly ExpectedUsage[] Expected =
        [new(Day1, "inst-1", "us-east-1", Service, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 10, 6000, 100m, 1.8m, 0)];

    private static ReconciliationReport Report(InvoiceAggregate invoice, ReconciliationEvidence? evidence = null) =>
        ReconciliationReport.Build(Expected, invoice, Catalog, Tolerance.Default,
            (evidence ?? new ReconciliationEvidence()) with { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1 } });

    private static InvoiceAggregate Invoice(params CurLine[] lines)
    {
        var invoice = new InvoiceAggregate(Day1);
        foreach (var l in lines)
        {
            invoice.Add(l);
        }

        return invoice;
    }

    /// <summary>Over by 10 min, billed in EUR; two contacts 5 min over each; calibrated with one policy.</summary>
    private static ReconciliationReport EuroReport()
    {
        var invoice = Invoice(Line(Service, 110m, 0.0166m, "EUR"));
        var calibration = Calibration.Rank([(BillingPolicy.Default, Expected)], invoice, Catalog, Tolerance.Default, BillingPolicy.Default);
        var contacts = new[]
        {
            new ContactVariance(Day1, Service, "chain-small-cost", "chain-small-cost", 5m, 15m, 0.09m, 0.249m, true),
            new ContactVariance(Day1, Service, "chain-large-cost", "chain-large-cost", 5m, 6m, 0.09m, 0.9m, true),
        };
        return Report(invoice, new ReconciliationEvidence { Contacts = contacts, Calibration = calibration });
    }

    private static Dictionary<string, string> Types(DuckDBConnection db, string glob)
    {
        var types = new Dictionary<string, string>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"DESCRIBE SELECT * FROM read_parquet('{glob}')";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            types[r.GetString(0)] = r.GetString(1);
        }

        return types;
    }

    private static long Count(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task An_invoice_in_another_currency_records_no_cost_variance_in_any_table_and_keeps_the_column_types()
    {
        var report = EuroReport();
        Assert.False(report.CostsCompared);
        await ReconciliationTables.WriteAsync(new LocalObjectStore(_dir), report, CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        string Glob(string table) => Path.Combine(_dir, table, "*", "*.parquet");

        var rec = Types(db, Glob(ReconciliationTables.Table));
        Assert.Equal(("DECIMAL(24,12)", "DECIMAL(18,6)"), (rec["cost_variance"], rec["cost_variance_pct"]));
        Assert.Equal(1, Count(db, $"SELECT count(*) FROM read_parquet('{Glob(ReconciliationTables.Table)}') WHERE row_kind = 'usage'"));
        // Was -0.174 ("1.826 EUR − 1.80 USD") and -9.666667 %.
        Assert.Equal(0, Count(db, $"SELECT count(*) FROM read_parquet('{Glob(ReconciliationTables.Table)}') WHERE cost_variance IS NOT NULL OR cost_variance_pct IS NOT NULL"));

        Assert.Equal("DECIMAL(24,12)", Types(db, Glob(ReconciliationTables.ContactsTable))["cost_variance"]);
        Assert.Equal(0, Count(db, $"SELECT count(*) FROM read_parquet('{Glob(ReconciliationTables.ContactsTable)}') WHERE cost_variance IS NOT NULL"));

        Assert.Equal("DECIMAL(24,12)", Types(db, Glob(ReconciliationTables.CalibrationTable))["abs_cost_variance"]);
        Assert.Equal(0, Count(db, $"SELECT count(*) FROM read_parquet('{Glob(ReconciliationTables.CalibrationTable)}') WHERE abs_cost_variance IS NOT NULL"));
    }

    [Fact]
    public async Task Compared_costs_are_still_recorded_with_the_same_column_types()
    {
        var invoice = Invoice(Line(Service, 110m, 0.018m, "USD"));
        var calibration = Calibration.Rank([(BillingPolicy.Default, Expected)], invoice, Catalog, Tolerance.Default, BillingPolicy.Default);
        var report = Report(invoice, new ReconciliationEvidence { Calibration = calibration });
        await ReconciliationTables.WriteAsync(new LocalObjectStore(_dir), report, CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var rec = Path.Combine(_dir, ReconciliationTables.Table, "*", "*.parquet");
        var cal = Path.Combine(_dir, ReconciliationTables.CalibrationTable, "*", "*.parquet");
        Assert.Equal("DECIMAL(24,12)", Types(db, rec)["cost_variance"]);
        Assert.Equal(1, Count(db, $"SELECT count(*) FROM read_parquet('{rec}') WHERE cost_variance = 0.18 AND cost_variance_pct = 10"));
        Assert.Equal(1, Count(db, $"SELECT count(*) FROM read_parquet('{cal}') WHERE abs_cost_variance = 0.18"));
    }

    [Fact]
    public void The_HTML_ranks_the_contacts_of_an_invoice_in_another_currency_by_quantity()
    {
        var html = HtmlReport.Render(EuroReport(), new ReportSources("cur", "out"));
        var section = html[html.IndexOf("id=\"contacts\"", StringComparison.Ordinal)..];
        // +10 min before +1 min; their EUR − USD "cost variances" (0.159, 0.81) put the +1 min first.
        Assert.True(section.IndexOf("chain-small-cost", StringComparison.Ordinal) < section.IndexOf("chain-large-cost", StringComparison.Ordinal));
    }

    [Fact]
    public void The_HTML_labels_each_amount_of_an_invoice_mixing_currencies_with_its_own_currency()
    {
        var report = Report(Invoice(
            Line(Service, 110m, 0.018m, "USD"), Line(Service, 0m, 0m, "USD", "Tax", 0.09m), Line(Service, 0m, 0m, "JPY", "Tax", 13.5m),
            Line("USE1-new-thing", 10m, 3m, "JPY", hour: 12)));
        Assert.Equal("JPY,USD", report.Currency);
        var html = HtmlReport.Render(report, new ReportSources("cur", "out"));

        var adjustments = html[html.IndexOf("id=\"adjustments\"", StringComparison.Ordinal)..html.IndexOf("</section>", html.IndexOf("id=\"adjustments\"", StringComparison.Ordinal), StringComparison.Ordinal)];
        Assert.Contains(">0.09 USD<", adjustments, StringComparison.Ordinal);
        Assert.Contains(">13.50 JPY<", adjustments, StringComparison.Ordinal);
        Assert.DoesNotContain("13.59", adjustments, StringComparison.Ordinal); // the two tax lines were one amount
        Assert.DoesNotContain("JPY,USD", adjustments, StringComparison.Ordinal);

        var unknown = html[html.IndexOf("id=\"unknown\"", StringComparison.Ordinal)..];
        Assert.Contains(">30.00 JPY<", unknown[..unknown.IndexOf("</section>", StringComparison.Ordinal)], StringComparison.Ordinal); // was "30.00 JPY,USD"

        var rows = html[html.IndexOf("id=\"all-rows\"", StringComparison.Ordinal)..];
        Assert.Contains(">1.98 USD<", rows, StringComparison.Ordinal); // the service row's invoiced cost, was "1.98 JPY,USD"
        Assert.DoesNotContain(" JPY,USD<", rows, StringComparison.Ordinal);
    }
}
