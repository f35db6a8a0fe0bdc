using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;
using global::Parquet;
using global::Parquet.Serialization;
using global::Parquet.Serialization.Attributes;

namespace ConnectReconcile.Io.Reports;

/// <summary>
/// The <c>reconciliation</c> table (docs/reconcile.md): one row per comparison cell (<c>row_kind =
/// usage</c>) and one per adjustment (tax, credit, refund, free-tier, other), never mixed.
/// </summary>
public sealed class ReconciliationRow
{
    [JsonPropertyName("month")] public string Month { get; set; } = "";
    [JsonPropertyName("row_kind")] public string RowKind { get; set; } = "";
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    /// <summary>Null for a day's row; for a month row (an invoice exported monthly), the last day it covers.</summary>
    [JsonPropertyName("period_end")] public DateOnly? PeriodEnd { get; set; }
    [JsonPropertyName("usage_type")] public string UsageType { get; set; } = "";
    [JsonPropertyName("instance_id")] public string? InstanceId { get; set; }
    [JsonPropertyName("region")] public string? Region { get; set; }
    [JsonPropertyName("charge_kind")] public string? ChargeKind { get; set; }
    [JsonPropertyName("unit")] public string? Unit { get; set; }
    [JsonPropertyName("product_code")] public string? ProductCode { get; set; }
    [JsonPropertyName("known_usage_type")] public bool KnownUsageType { get; set; }
    [JsonPropertyName("expected_quantity"), ParquetDecimal(18, 6)] public decimal ExpectedQuantity { get; set; }
    [JsonPropertyName("invoiced_quantity"), ParquetDecimal(18, 6)] public decimal InvoicedQuantity { get; set; }
    [JsonPropertyName("quantity_variance"), ParquetDecimal(18, 6)] public decimal QuantityVariance { get; set; }
    [JsonPropertyName("quantity_variance_pct"), ParquetDecimal(18, 6)] public decimal? QuantityVariancePct { get; set; }
    [JsonPropertyName("free_tier_quantity"), ParquetDecimal(18, 6)] public decimal FreeTierQuantity { get; set; }
    [JsonPropertyName("expected_cost"), ParquetDecimal(24, 12)] public decimal ExpectedCost { get; set; }
    /// <summary>Null when the row's invoice lines mix currencies: amounts of two currencies do not add up.</summary>
    [JsonPropertyName("invoiced_cost"), ParquetDecimal(24, 12)] public decimal? InvoicedCost { get; set; }
    /// <summary>The currency of the row's invoice lines (comma-joined when they mix); null when it has none or they name none.</summary>
    [JsonPropertyName("invoice_currency")] public string? InvoiceCurrency { get; set; }
    /// <summary>Null when costs were not compared (the invoice is in another currency than the card, or mixes them); 0 on adjustments.</summary>
    [JsonPropertyName("cost_variance"), ParquetDecimal(24, 12)] public decimal? CostVariance { get; set; }
    [JsonPropertyName("cost_variance_pct"), ParquetDecimal(18, 6)] public decimal? CostVariancePct { get; set; }
    [JsonPropertyName("expected_rate"), ParquetDecimal(18, 8)] public decimal? ExpectedRate { get; set; }
    [JsonPropertyName("invoiced_rate"), ParquetDecimal(18, 8)] public decimal? InvoicedRate { get; set; }
    [JsonPropertyName("charges")] public long Charges { get; set; }
    [JsonPropertyName("unrated_charges")] public long UnratedCharges { get; set; }
    [JsonPropertyName("invoice_lines")] public long InvoiceLines { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("beyond_tolerance")] public bool BeyondTolerance { get; set; }
    [JsonPropertyName("basis")] public string? Basis { get; set; }
    [JsonPropertyName("causes")] public string? Causes { get; set; }
    [JsonPropertyName("explanation")] public string? Explanation { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("tolerance_pct"), ParquetDecimal(18, 6)] public decimal TolerancePct { get; set; }
    [JsonPropertyName("tolerance_abs"), ParquetDecimal(18, 6)] public decimal ToleranceAbs { get; set; }
    [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
}

/// <summary><c>reconciliation_contacts</c>: chains × usage types that differ on a granular invoice.</summary>
public sealed class ReconciliationContactRow
{
    [JsonPropertyName("month")] public string Month { get; set; } = "";
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    [JsonPropertyName("usage_type")] public string UsageType { get; set; } = "";
    [JsonPropertyName("chain_id")] public string ChainId { get; set; } = "";
    [JsonPropertyName("invoice_contact_ids")] public string InvoiceContactIds { get; set; } = "";
    [JsonPropertyName("in_ctrs")] public bool InCtrs { get; set; }
    [JsonPropertyName("expected_quantity"), ParquetDecimal(18, 6)] public decimal ExpectedQuantity { get; set; }
    [JsonPropertyName("invoiced_quantity"), ParquetDecimal(18, 6)] public decimal InvoicedQuantity { get; set; }
    [JsonPropertyName("quantity_variance"), ParquetDecimal(18, 6)] public decimal QuantityVariance { get; set; }
    [JsonPropertyName("expected_cost"), ParquetDecimal(24, 12)] public decimal ExpectedCost { get; set; }
    /// <summary>Null when the cell's invoice lines mix currencies: amounts of two currencies do not add up.</summary>
    [JsonPropertyName("invoiced_cost"), ParquetDecimal(24, 12)] public decimal? InvoicedCost { get; set; }
    /// <summary>The currency of the cell's invoice lines (comma-joined when they mix); null when it has none or they name none.</summary>
    [JsonPropertyName("invoice_currency")] public string? InvoiceCurrency { get; set; }
    /// <summary>Null when costs were not compared (the invoice is in another currency than the card, or the cell's lines mix them).</summary>
    [JsonPropertyName("cost_variance"), ParquetDecimal(24, 12)] public decimal? CostVariance { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = "";
}

/// <summary><c>reconciliation_calibration</c>: the policy alternatives ranked against the invoice.</summary>
public sealed class CalibrationRow
{
    [JsonPropertyName("month")] public string Month { get; set; } = "";
    [JsonPropertyName("rank")] public int Rank { get; set; }
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
    [JsonPropertyName("abs_quantity_variance"), ParquetDecimal(18, 6)] public decimal AbsQuantityVariance { get; set; }
    /// <summary>Null when costs were not compared.</summary>
    [JsonPropertyName("abs_cost_variance"), ParquetDecimal(24, 12)] public decimal? AbsCostVariance { get; set; }
    [JsonPropertyName("rows_beyond_tolerance")] public int RowsBeyondTolerance { get; set; }
    [JsonPropertyName("is_current")] public bool IsCurrent { get; set; }
    [JsonPropertyName("tied_with_best")] public bool TiedWithBest { get; set; }
}

/// <summary>Maps a report to its tables and writes them as <c>TABLE/month=YYYY-MM/part-00000.parquet</c>.</summary>
public static class ReconciliationTables
{
    public const string Table = "reconciliation";
    public const string ContactsTable = "reconciliation_contacts";
    public const string CalibrationTable = "reconciliation_calibration";

    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Snappy, RowGroupSize = 1 << 20 };

    public static string MonthText(DateOnly month) => month.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static string PartitionKey(string table, DateOnly month) => $"{table}/month={MonthText(month)}/part-00000.parquet";

    public static IReadOnlyList<ReconciliationRow> Rows(ReconciliationReport report)
    {
        var month = MonthText(report.Month);
        var rows = report.Lines.Select(l => new ReconciliationRow
        {
            Month = month,
            RowKind = LineKinds.Usage,
            Day = l.Day,
            PeriodEnd = l.PeriodEnd,
            UsageType = l.UsageType,
            InstanceId = l.InstanceId,
            Region = l.Region,
            ChargeKind = l.ChargeKind,
            Unit = l.Unit,
            ProductCode = l.ProductCode,
            KnownUsageType = l.KnownUsageType,
            ExpectedQuantity = Q(l.ExpectedQuantity),
            InvoicedQuantity = Q(l.InvoicedQuantity),
            QuantityVariance = Q(l.QuantityVariance),
            QuantityVariancePct = l.QuantityVariancePercent is { } qp ? Q(qp) : null,
            FreeTierQuantity = Q(l.FreeTierQuantity),
            ExpectedCost = M(l.ExpectedCost),
            InvoicedCost = Reconciler.Mixes(l.InvoiceCurrency) ? null : l.RecordedInvoicedCost,
            InvoiceCurrency = l.InvoiceCurrency,
            CostVariance = report.RecordedCostVarianceOf(l),
            CostVariancePct = report.CostsCompared && l.CostVariancePercent is { } cp ? Q(cp) : null,
            ExpectedRate = l.ExpectedRate is { } er ? R(er) : null,
            InvoicedRate = l.InvoicedRate is { } ir ? R(ir) : null,
            Charges = l.Charges,
            UnratedCharges = l.UnratedCharges,
            InvoiceLines = l.InvoiceLines,
            Status = l.Status,
            BeyondTolerance = l.BeyondTolerance,
            Basis = l.Basis,
            Causes = l.Causes.Count == 0 ? null : string.Join(';', l.Causes.Select(c => c.Code)),
            Explanation = l.Causes.Count == 0 ? null : string.Join('\n', l.Causes.Select(c => c.Text)),
            TolerancePct = report.Tolerance.Percent,
            ToleranceAbs = report.Tolerance.Absolute,
            RateCardVersion = report.RateCardVersion,
            Policy = report.Policy,
        }).ToList();
        rows.AddRange(report.Adjustments.Select(a => new ReconciliationRow
        {
            Month = month,
            RowKind = a.Kind,
            Day = a.Day,
            UsageType = a.UsageType,
            ProductCode = a.ProductCode,
            KnownUsageType = true,
            InvoicedQuantity = Q(a.Quantity),
            InvoicedCost = RecordedCost.OfInvoice(a.Amount),
            InvoiceCurrency = a.Currency,
            ExpectedCost = a.ValueAtOurRate is { } v ? M(v) : 0m,
            CostVariance = 0m,
            InvoiceLines = a.Lines,
            Description = a.Description,
            TolerancePct = report.Tolerance.Percent,
            ToleranceAbs = report.Tolerance.Absolute,
            RateCardVersion = report.RateCardVersion,
            Policy = report.Policy,
        }));
        return rows;
    }

    public static IReadOnlyList<ReconciliationContactRow> ContactRows(ReconciliationReport report) =>
        report.ContactVariances.Select(c => new ReconciliationContactRow
        {
            Month = MonthText(report.Month), Day = c.Day, UsageType = c.UsageType, ChainId = c.ChainId, InvoiceContactIds = c.InvoiceContactIds,
            InCtrs = c.InCtrs, ExpectedQuantity = Q(c.ExpectedQuantity), InvoicedQuantity = Q(c.InvoicedQuantity), QuantityVariance = Q(c.QuantityVariance),
            ExpectedCost = M(c.ExpectedCost), InvoicedCost = c.CostSummable ? RecordedCost.OfInvoice(c.InvoicedCost) : null, InvoiceCurrency = c.InvoiceCurrency,
            CostVariance = report.CostsCompared && c.CostSummable ? c.RecordedCostVariance : null, Status = c.Status,
        }).ToList();

    public static IReadOnlyList<CalibrationRow> CalibrationRows(ReconciliationReport report) =>
        report.Calibration.Select(c => new CalibrationRow
        {
            Month = MonthText(report.Month), Rank = c.Rank, Policy = c.Policy, AbsQuantityVariance = Q(c.AbsQuantityVariance),
            AbsCostVariance = c.AbsCostVariance is { } abs ? M(abs) : null, RowsBeyondTolerance = c.RowsBeyondTolerance, IsCurrent = c.IsCurrent, TiedWithBest = c.TiedWithBest,
        }).ToList();

    /// <summary>Writes the tables of a report into a store (local folder or S3); returns what was written.</summary>
    public static async Task<IReadOnlyList<WrittenFile>> WriteAsync(IObjectStore output, ReconciliationReport report, CancellationToken ct)
    {
        var written = new List<WrittenFile>();
        await Write(Table, Rows(report)).ConfigureAwait(false);
        if (report.ContactVariances.Count > 0)
        {
            await Write(ContactsTable, ContactRows(report)).ConfigureAwait(false);
        }

        if (report.Calibration.Count > 0)
        {
            await Write(CalibrationTable, CalibrationRows(report)).ConfigureAwait(false);
        }

        return written;

        async Task Write<T>(string table, IReadOnlyCollection<T> rows)
            where T : new()
        {
            var key = PartitionKey(table, report.Month);
            using var buffer = new MemoryStream();
            await ParquetSerializer.SerializeAsync(rows, buffer, Options, cancellationToken: ct).ConfigureAwait(false);
            var hash = Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
            buffer.Position = 0;
            await output.PutAsync(key, buffer, ct).ConfigureAwait(false);
            written.Add(new WrittenFile(key, rows.Count, buffer.Length, hash));
        }
    }

    // DECIMAL(18,6): truncated, as the rated tables' quantities are (the Core's quantities and percentages already have 6 places).
    private static decimal Q(decimal v) => StoredQuantity.Of(v);

    // DECIMAL(24,12): our cost as recorded (truncated), as the rated tables' costs are. Invoice amounts are
    // rounded instead (RecordedCost.OfInvoice) and variances are the difference of the two recorded figures.
    private static decimal M(decimal v) => RecordedCost.Of(v);

    private static decimal R(decimal v) => Math.Round(v, 8, MidpointRounding.AwayFromZero);
}
