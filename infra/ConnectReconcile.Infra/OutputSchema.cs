namespace ConnectReconcile.Infra;

/// <summary>A Glue column: name and Hive/Athena type.</summary>
public sealed record GlueColumn(string Name, string Type, string? Comment = null);

/// <summary>A Glue table over Hive-partitioned Parquet, partitioned by <paramref name="Partition"/>.</summary>
public sealed record GlueTableSpec(string Name, string Description, IReadOnlyList<GlueColumn> Columns, OutputPartition Partition);

/// <summary>How a table's folders are partitioned: <c>TABLE/NAME=VALUE/</c>, VALUE a day or a month.</summary>
public sealed record OutputPartition(string Name, string Format, string IntervalUnit)
{
    /// <summary>The rated tables: <c>TABLE/dt=YYYY-MM-DD/part-00000.parquet</c> (the CLI's ParquetTableWriter).</summary>
    public static OutputPartition Day { get; } = new("dt", "yyyy-MM-dd", "DAYS");

    /// <summary>The reconciliation tables: <c>TABLE/month=YYYY-MM/part-00000.parquet</c> (the CLI's ReconciliationTables).</summary>
    public static OutputPartition Month { get; } = new("month", "yyyy-MM", "MONTHS");
}

/// <summary>
/// THE ONE PLACE for column assumptions. The Glue tables (and so every Athena query) are generated
/// from these lists; nothing else in the infra repeats a column name except the named queries in
/// <see cref="NamedQueries"/>.
///
/// These lists are the CLI's Parquet row classes, column for column and in file order:
/// <c>src/ConnectReconcile.Io/Parquet/Rows.cs</c> (charges, legs, segments, contacts, daily_usage,
/// quarantine) and <c>src/ConnectReconcile.Io/Reports/ReconciliationTables.cs</c> (reconciliation,
/// reconciliation_contacts, reconciliation_calibration); docs/outputs.md and docs/reconcile.md
/// describe them. The infra does not reference the CLI's assemblies (the CDK app stays small), so
/// the lists are written out here, and tests/ConnectReconcile.Infra.Tests (OutputSchemaTests) writes
/// a row of every table through the CLI's own writers and compares the files' Parquet schemas with
/// the synthesized Glue tables: a column added, renamed, retyped or moved in the CLI fails that test.
/// Athena types: TIMESTAMP_MICROS → timestamp, DATE → date, DECIMAL(p,s) → decimal(p,s) exactly as
/// written (quantities 18,6; rates 18,8; money 24,12), INT32 → int, INT64 → bigint, BOOLEAN → boolean,
/// UTF-8 strings → string.
/// Layout: s3://OUTPUT_BUCKET/OUTPUT_PREFIX/TABLE/dt=YYYY-MM-DD/*.parquet for the rated tables and
/// TABLE/month=YYYY-MM/*.parquet for the reconciliation tables, the partition column (string,
/// projected as a date or a month, never crawled) taken from the folder name. The reconciliation
/// files also carry `month` as a data column with the folder's value; Glue/Athena refuse a table
/// whose partition key repeats a column name, so there it is declared once, as the partition key.
/// CUR: CUR 2.0 (Data Exports) Parquet at CUR_SOURCE/data/BILLING_PERIOD=YYYY-MM/, partition
/// column `billing_period` (projected as a month). Legacy CUR (lineItem/UsageType names,
/// year=/month= folders) needs <see cref="CurPartitionFolder"/> and the column names below changed.
/// </summary>
public static class OutputSchema
{
    /// <summary>Partition column of the rated (per-day) tables.</summary>
    public const string DayPartition = "dt";

    /// <summary>Partition column of the reconciliation (per-month) tables.</summary>
    public const string MonthPartition = "month";

    /// <summary>Partition column of the CUR table, and the folder the export writes under its prefix.</summary>
    public const string CurPartition = "billing_period";

    public const string CurPartitionFolder = "data/BILLING_PERIOD=";

    public const string CurTable = "cur";

    private const string Qty = "decimal(18,6)";
    private const string Rate = "decimal(18,8)";
    private const string Money = "decimal(24,12)";
    private const string S = "string";
    private const string Ts = "timestamp";

    private static GlueColumn C(string name, string type) => new(name, type);

    public static IReadOnlyList<GlueTableSpec> OutputTables { get; } =
    [
        new("legs", "Billed telephony legs (customer-inbound, customer-outbound, callback, third-party, desk-phone).",
        [
            C("chain_id", S), C("leg_index", "int"), C("leg_kind", S), C("direction", S), C("contact_id", S),
            C("day", "date"), C("start_time", Ts), C("end_time", Ts), C("seconds", "bigint"),
            C("billed_seconds", "bigint"), C("number", S), C("country", S), C("number_type", S),
            C("estimated", "boolean"), C("instance_id", S), C("rate_card_version", S), C("policy", S),
        ], OutputPartition.Day),
        new("segments", "Consecutive segments of a leg (ivr, queue, agent, hold, transfer, minimum, ...) with allocated cost.",
        [
            C("chain_id", S), C("leg_index", "int"), C("leg_kind", S), C("segment_index", "int"), C("segment_kind", S),
            C("contact_id", S), C("day", "date"), C("start_time", Ts), C("end_time", Ts), C("seconds", "bigint"),
            C("queue", S), C("agent", S), C("routing_profile", S), C("cost", Money), C("instance_id", S),
            C("rate_card_version", S), C("policy", S),
        ], OutputPartition.Day),
        new("charges", "One row per rated charge, with the rate and rate-card version used.",
        [
            C("chain_id", S), C("contact_id", S), C("day", "date"), C("start_time", Ts), C("instance_id", S),
            C("region", S), C("charge_kind", S), C("leg_kind", S), C("leg_index", "int"), C("usage_type", S),
            C("unit", S), C("pricing_model", S), C("actual_seconds", "bigint"), C("billed_seconds", "bigint"),
            C("quantity", Qty), C("rate", Rate), C("cost", Money), C("currency", S), C("country", S),
            C("number", S), C("rate_row_id", S), C("unrated_reason", S), C("rate_card_version", S), C("policy", S),
        ], OutputPartition.Day),
        new("contacts", "Per voice chain totals (chat, task and email contacts have their charges rows only).",
        [
            C("chain_id", S), C("day", "date"), C("start_time", Ts), C("end_time", Ts), C("instance_id", S),
            C("region", S), C("initiation_method", S), C("records", "int"), C("legs", "int"),
            C("customer_number", S), C("system_number", S), C("queue", S), C("agent", S),
            C("orphan", "boolean"), C("estimated", "boolean"), C("unrated", "boolean"),
            C("service_seconds", "bigint"), C("telephony_inbound_did_seconds", "bigint"),
            C("telephony_inbound_tollfree_seconds", "bigint"), C("telephony_outbound_seconds", "bigint"),
            C("contact_lens_seconds", "bigint"), C("service_cost", Money), C("telephony_cost", Money),
            C("contact_lens_cost", Money), C("total_cost", Money), C("rate_card_version", S), C("policy", S),
        ], OutputPartition.Day),
        new("daily_usage", "Expected usage per day and AWS usage type (what the invoice should show).",
        [
            C("day", "date"), C("instance_id", S), C("region", S), C("usage_type", S), C("charge_kind", S),
            C("unit", S), C("pricing_model", S), C("charges", "bigint"), C("billed_seconds", "bigint"),
            C("quantity", Qty), C("cost", Money), C("unrated_charges", "bigint"), C("rate_card_version", S),
            C("policy", S),
        ], OutputPartition.Day),
        new("quarantine", "Input records that could not be rated, with the reason (partitioned by the source object's arrival day).",
        [
            C("source", S), C("position", "bigint"), C("record_index", "bigint"), C("reason", S), C("detail", S),
            C("contact_id", S),
        ], OutputPartition.Day),
        new("reconciliation", "Expected against invoiced per day and usage type (row_kind usage), and the invoice's adjustments, per month.",
        [
            // `month` is also a column of the files: declared once, as the partition key (see above).
            C("row_kind", S), C("day", "date"), C("period_end", "date"), C("usage_type", S), C("instance_id", S), C("region", S),
            C("charge_kind", S), C("unit", S), C("product_code", S), C("known_usage_type", "boolean"),
            C("expected_quantity", Qty), C("invoiced_quantity", Qty), C("quantity_variance", Qty),
            C("quantity_variance_pct", Qty), C("free_tier_quantity", Qty), C("expected_cost", Money),
            C("invoiced_cost", Money), C("invoice_currency", S), C("cost_variance", Money), C("cost_variance_pct", Qty),
            C("expected_rate", Rate), C("invoiced_rate", Rate), C("charges", "bigint"),
            C("unrated_charges", "bigint"), C("invoice_lines", "bigint"), C("status", S),
            C("beyond_tolerance", "boolean"), C("basis", S), C("causes", S), C("explanation", S),
            C("description", S), C("tolerance_pct", Qty), C("tolerance_abs", Qty), C("rate_card_version", S),
            C("policy", S),
        ], OutputPartition.Month),
        new("reconciliation_contacts", "Chains × usage types that differ on a granular invoice, per month.",
        [
            C("day", "date"), C("usage_type", S), C("chain_id", S), C("invoice_contact_ids", S),
            C("in_ctrs", "boolean"), C("expected_quantity", Qty), C("invoiced_quantity", Qty),
            C("quantity_variance", Qty), C("expected_cost", Money), C("invoiced_cost", Money),
            C("invoice_currency", S), C("cost_variance", Money), C("status", S),
        ], OutputPartition.Month),
        new("reconciliation_calibration", "The metering-policy alternatives ranked against the invoice (reconcile --calibrate), per month.",
        [
            C("rank", "int"), C("policy", S), C("abs_quantity_variance", Qty), C("abs_cost_variance", Money),
            C("rows_beyond_tolerance", "int"), C("is_current", "boolean"), C("tied_with_best", "boolean"),
        ], OutputPartition.Month),
    ];

    /// <summary>CUR 2.0 columns ConnectReconcile and the named queries use (types as the export writes them).</summary>
    public static GlueTableSpec Cur { get; } = new(CurTable, "AWS Cost and Usage Report 2.0 export (Parquet), read-only.",
    [
        C("bill_billing_period_start_date", "timestamp"),
        C("line_item_usage_start_date", "timestamp"), C("line_item_usage_end_date", "timestamp"),
        C("line_item_product_code", "string"), C("line_item_usage_type", "string"),
        C("line_item_operation", "string"), C("line_item_line_item_type", "string"),
        C("line_item_resource_id", "string"), C("line_item_usage_amount", "double"),
        C("pricing_unit", "string"), C("line_item_unblended_rate", "string"),
        C("line_item_unblended_cost", "double"), C("line_item_currency_code", "string"),
        C("resource_tags", "map<string,string>"),
    ], new OutputPartition(CurPartition, "yyyy-MM", "MONTHS"));
}
