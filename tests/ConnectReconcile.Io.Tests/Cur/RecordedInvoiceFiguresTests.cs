using System.Globalization;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Reports;
using ConnectReconcile.Io.Storage;
using DuckDB.NET.Data;

namespace ConnectReconcile.Io.Tests.Cur;

/// <summary>
/// How the reconciliation tables and the HTML report give the invoice's amounts: rounded to 12 places (not
/// truncated, which kept the CUR's floating-point noise), variances as the difference of the written figures,
/// and a row whose lines mix currencies never summed.
/// </summary>
public sealed class RecordedInvoiceFiguresTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 10, 1);
    private static readonly DateOnly Day2 = new(2026, 10, 2);
    private const string Service = "USE1-end-customer-mins";
    private static readonly UsageTypeCatalog Catalog = new(BuiltInRateCards.Default);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-recorded-" + Guid.NewGuid().ToString("N"));

    public RecordedInvoiceFiguresTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CurLine Line(DateOnly day, decimal amount, decimal cost, string currency, int hour = 10, string type = "Usage") =>
        InvoiceLines.Line(day, Service, amount, 0.018m, type, cost, currency: currency, hour: hour);

    private static ExpectedUsage Expected(DateOnly day, decimal minutes, decimal cost) =>
        new(day, "inst-1", "us-east-1", Service, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 1, (long)(minutes * 60), minutes, cost, 0);

    private static InvoiceAggregate Invoice(params CurLine[] lines)
    {
        var invoice = new InvoiceAggregate(Day1);
        foreach (var l in lines)
        {
            invoice.Add(l);
        }

        return invoice;
    }

    private static ReconciliationReport Report(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, ReconciliationEvidence evidence) =>
        ReconciliationReport.Build(expected, invoice, Catalog, Tolerance.Default,
            evidence with { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });

    private static string Scalar(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    private string Glob(string table) => Path.Combine(_dir, table, "*", "*.parquet");

    [Fact]
    public async Task Invoice_amounts_are_rounded_to_12_places_and_each_variance_is_the_difference_of_the_written_figures()
    {
        // The CUR's amounts are sums of doubles: 0.60918 billed reads 0.6091799999999999 (truncated, 0.609179999999).
        var expected = new[] { Expected(Day1, 30m, 0.5538m), Expected(Day2, 30m, 0.54m) };
        var invoice = Invoice(Line(Day1, 33.84333m, 0.6091799999999999m, "USD"), Line(Day2, 30m, 0.5400000000000001m, "USD"),
            Line(Day1, 0m, 0.0479999999999999m, "USD", type: "Tax"));
        var calibration = Calibration.Rank([(BillingPolicy.Default, expected)], invoice, Catalog, Tolerance.Default, BillingPolicy.Default);
        var contacts = new[] { new ContactVariance(Day1, Service, "chain-1", "contact-1", 30m, 33.84333m, 0.5538m, 0.6091799999999999m, true) { InvoiceCurrency = "USD" } };
        var report = Report(expected, invoice, new ReconciliationEvidence { Contacts = contacts, Calibration = calibration });
        Assert.True(report.CostsCompared);
        await ReconciliationTables.WriteAsync(new LocalObjectStore(_dir), report, CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var rec = Glob(ReconciliationTables.Table);
        Assert.Equal("0.609180000000 0.055380000000", Scalar(db, $"SELECT invoiced_cost::VARCHAR || ' ' || cost_variance::VARCHAR FROM read_parquet('{rec}') WHERE row_kind = 'usage' AND day = DATE '2026-10-01'"));
        Assert.Equal("0.540000000000 0.000000000000", Scalar(db, $"SELECT invoiced_cost::VARCHAR || ' ' || cost_variance::VARCHAR FROM read_parquet('{rec}') WHERE row_kind = 'usage' AND day = DATE '2026-10-02'"));
        Assert.Equal("0.048000000000", Scalar(db, $"SELECT invoiced_cost::VARCHAR FROM read_parquet('{rec}') WHERE row_kind = 'tax'"));
        Assert.Equal("0", Scalar(db, $"SELECT count(*) FROM read_parquet('{rec}') WHERE row_kind = 'usage' AND cost_variance <> invoiced_cost - expected_cost"));

        var contactsGlob = Glob(ReconciliationTables.ContactsTable);
        Assert.Equal("0.609180000000 0.055380000000 USD", Scalar(db, $"SELECT invoiced_cost::VARCHAR || ' ' || cost_variance::VARCHAR || ' ' || invoice_currency FROM read_parquet('{contactsGlob}')"));

        // Calibration adds up the rows as written.
        Assert.Equal(Scalar(db, $"SELECT sum(abs(cost_variance))::VARCHAR FROM read_parquet('{rec}') WHERE row_kind = 'usage'"),
            Scalar(db, $"SELECT abs_cost_variance::VARCHAR FROM read_parquet('{Glob(ReconciliationTables.CalibrationTable)}') WHERE is_current"));
    }

    [Fact]
    public async Task A_row_whose_lines_mix_currencies_has_no_invoiced_cost_and_every_row_names_its_currency()
    {
        var expected = new[] { Expected(Day1, 100m, 1.8m), Expected(Day2, 10m, 0.18m) };
        // Day 1 is billed in USD in one hour and JPY in the next; day 2 not at all; a tax line in USD.
        var invoice = Invoice(Line(Day1, 50m, 0.9m, "USD"), Line(Day1, 50m, 135m, "JPY", hour: 11), Line(Day1, 0m, 0.09m, "USD", type: "Tax"));
        // Chains: one billed in USD and JPY, one in USD, one the invoice does not bill.
        var contacts = new[]
        {
            new ContactVariance(Day1, Service, "chain-mixed", "contact-1 contact-2", 50m, 100m, 0.9m, 135.9m, true) { InvoiceCurrency = "JPY,USD" },
            new ContactVariance(Day1, Service, "chain-usd", "contact-3", 50m, 60m, 0.9m, 1.08m, true) { InvoiceCurrency = "USD" },
            new ContactVariance(Day2, Service, "chain-unbilled", "", 10m, 0m, 0.18m, 0m, true),
        };
        var report = Report(expected, invoice, new ReconciliationEvidence { Contacts = contacts });
        Assert.Equal("JPY,USD", report.Currency);
        await ReconciliationTables.WriteAsync(new LocalObjectStore(_dir), report, CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var rec = Glob(ReconciliationTables.Table);
        string Row(string where) => Scalar(db, $"SELECT coalesce(invoiced_cost::VARCHAR, 'null') || ' ' || coalesce(invoice_currency, 'null') FROM read_parquet('{rec}') WHERE {where}");
        Assert.Equal("null JPY,USD", Row("row_kind = 'usage' AND day = DATE '2026-10-01'")); // was 135.9 (yen and dollars added up), no currency column
        Assert.Equal("0.000000000000 null", Row("row_kind = 'usage' AND day = DATE '2026-10-02'"));
        Assert.Equal("0.090000000000 USD", Row("row_kind = 'tax'"));
        Assert.Equal("invoice_currency VARCHAR, invoiced_cost DECIMAL(24,12)", Scalar(db, $"SELECT string_agg(column_name || ' ' || column_type, ', ' ORDER BY column_name) FROM (DESCRIBE SELECT invoiced_cost, invoice_currency FROM read_parquet('{rec}'))"));

        // reconciliation_contacts the same way: invoice_currency right after invoiced_cost, no sum of yen and dollars.
        var con = Glob(ReconciliationTables.ContactsTable);
        string Contact(string chain) => Scalar(db, $"SELECT coalesce(invoiced_cost::VARCHAR, 'null') || ' ' || coalesce(invoice_currency, 'null') || ' ' || coalesce(cost_variance::VARCHAR, 'null') || ' ' || status FROM read_parquet('{con}') WHERE chain_id = '{chain}'");
        Assert.Equal("null JPY,USD null over", Contact("chain-mixed")); // was 135.900000000000, no currency column
        Assert.Equal("1.080000000000 USD null over", Contact("chain-usd"));
        Assert.Equal("0.000000000000 null null only-in-ctrs", Contact("chain-unbilled"));
        Assert.Equal("cost_variance DECIMAL(24,12), invoice_currency VARCHAR, invoiced_cost DECIMAL(24,12)",
            Scalar(db, $"SELECT string_agg(column_name || ' ' || column_type, ', ' ORDER BY column_name) FROM (DESCRIBE SELECT invoiced_cost, invoice_currency, cost_variance FROM read_parquet('{con}'))"));
        using var columns = db.CreateCommand();
        columns.CommandText = $"SELECT * FROM read_parquet('{con}') LIMIT 0";
        using var reader = columns.ExecuteReader();
        var order = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        Assert.Equal(["invoiced_cost", "invoice_currency", "cost_variance"], order.Skip(order.IndexOf("invoiced_cost")).Take(3));

        var html = HtmlReport.Render(report, new ReportSources("cur", "out"));
        var rows = html[html.IndexOf("id=\"all-rows\"", StringComparison.Ordinal)..];
        Assert.Contains(">not summed (JPY,USD)<", rows, StringComparison.Ordinal); // was "135.90 JPY,USD"
        Assert.Contains(">0.00<", rows, StringComparison.Ordinal); // the row without lines; was "0.00 JPY,USD"
        Assert.DoesNotContain(" JPY,USD<", rows, StringComparison.Ordinal);
    }
}
