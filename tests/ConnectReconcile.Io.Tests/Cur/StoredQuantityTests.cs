using System.Globalization;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Reports;
using ConnectReconcile.Io.Storage;
using DuckDB.NET.Data;

namespace ConnectReconcile.Io.Tests.Cur;

/// <summary>
/// A day's minutes are one figure in every table: the reconciliation's expected quantity is the
/// daily_usage quantity as stored (cut to 6 places), also when the 7th place would round it up.
/// </summary>
public sealed class StoredQuantityTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 10, 1);
    private const string UsageType = "USE1-end-customer-mins";
    private const long Seconds = 16369; // 272.8166666… minutes

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reconciliation_expected_quantity_is_daily_usage_quantity_as_stored()
    {
        var minutes = Seconds / 60m;
        using (var writer = new ParquetTableWriter(_dir.Sub("rated")))
        {
            await writer.AppendAsync("daily_usage", Day, [new DailyUsageRow
            {
                Day = Day, InstanceId = "inst-1", Region = "us-east-1", UsageType = UsageType, ChargeKind = ChargeKinds.Service, Unit = Units.Minute,
                PricingModel = PricingModels.PerFeature, Charges = 1, BilledSeconds = Seconds, Quantity = minutes, Cost = minutes * 0.018m,
            }], CancellationToken.None);
        }

        var invoice = new InvoiceAggregate(Day);
        invoice.Add(new CurLine
        {
            UsageStart = Day.ToDateTime(new TimeOnly(10, 0), DateTimeKind.Utc), UsageEnd = Day.ToDateTime(new TimeOnly(11, 0), DateTimeKind.Utc),
            ProductCode = "AmazonConnect", UsageType = UsageType, LineItemType = "Usage", UsageAmount = minutes, UnblendedRate = 0.018m,
            UnblendedCost = minutes * 0.018m, Currency = "USD",
        });
        var expected = new ExpectedUsage(Day, "inst-1", "us-east-1", UsageType, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 1, Seconds, minutes, minutes * 0.018m, 0);
        var catalog = new UsageTypeCatalog(BuiltInRateCards.Default);
        var report = ReconciliationReport.Build([expected], invoice, catalog, Tolerance.Default, new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = catalog })
            with { RateCardVersion = "builtin-2026.11", Policy = BillingPolicy.Default.ToString() };
        await ReconciliationTables.WriteAsync(new LocalObjectStore(_dir.Sub("recon")), report, CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var row = DuckDbRows.Query(db,
            $"SELECT u.quantity, r.expected_quantity, r.invoiced_quantity FROM read_parquet('{Path.Combine(_dir.Sub("rated"), "daily_usage", "*", "*.parquet")}') u, " +
            $"read_parquet('{Path.Combine(_dir.Sub("recon"), "reconciliation", "*", "*.parquet")}') r WHERE r.row_kind = 'usage'").Single();
        var stored = row.Select(v => Convert.ToDecimal(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([272.816666m, 272.816666m, 272.816666m], stored); // the reconciliation held 272.816667
    }
}
