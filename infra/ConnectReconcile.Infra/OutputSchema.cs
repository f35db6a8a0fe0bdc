namespace ConnectReconcile.Infra;

/// <summary>A Glue column: name and Hive/Athena type.</summary>
public sealed record GlueColumn(string Name, string Type, string? Comment = null);

/// <summary>A Glue table over Hive-partitioned Parquet.</summary>
public sealed record GlueTableSpec(string Name, string Description, IReadOnlyList<GlueColumn> Columns);

/// <summary>
/// THE ONE PLACE for column assumptions. The Glue tables (and so every Athena query) are generated
/// from these lists; nothing else in the infra repeats a column name except the named queries in
/// <see cref="NamedQueries"/>. Athena reads Parquet by column NAME, so a column missing from a file
/// reads as NULL and an extra column in a file is ignored; only a TYPE mismatch fails a query.
///
/// Known from the CLI contract (treat as facts):
///   charges: chain_id, contact_id, charge_kind, usage_type, unit, quantity DECIMAL(18,6),
///            billed_seconds BIGINT, rate DECIMAL(18,8), cost DECIMAL(18,8), rate_card_version,
///            policy, instance_id, queue, agent
///   daily_usage: day, instance_id, usage_type, charge_kind, unit, quantity, cost
///   quarantine: file, position, reason
///   reconciliation: day, usage_type, expected_quantity, invoiced_quantity, expected_cost,
///            invoiced_cost, variance..., status
/// ASSUMED here (adjust when the writer settles; marked "assumed" in the column comment):
///   every column of legs, segments and contacts; currency/leg_id on charges; the variance_* and
///   explanation columns of reconciliation; `day` as DATE; timestamps as Parquet TIMESTAMP (micros,
///   UTC); quantities DECIMAL(18,6) and money DECIMAL(18,8) everywhere.
/// Layout: s3://OUTPUT_BUCKET/OUTPUT_PREFIX/TABLE/dt=YYYY-MM-DD/*.parquet, partition column `dt`
/// (string, projected as a date, never crawled).
/// CUR: CUR 2.0 (Data Exports) Parquet at CUR_SOURCE/data/BILLING_PERIOD=YYYY-MM/, partition
/// column `billing_period` (projected as a month). Legacy CUR (lineItem/UsageType names,
/// year=/month= folders) needs <see cref="CurPartitionFolder"/> and the column names below changed.
/// </summary>
public static class OutputSchema
{
    /// <summary>Partition column of every output table.</summary>
    public const string DayPartition = "dt";

    /// <summary>Partition column of the CUR table, and the folder the export writes under its prefix.</summary>
    public const string CurPartition = "billing_period";

    public const string CurPartitionFolder = "data/BILLING_PERIOD=";

    public const string CurTable = "cur";

    private const string Qty = "decimal(18,6)";
    private const string Money = "decimal(18,8)";

    private static GlueColumn C(string name, string type, string? comment = null) => new(name, type, comment);

    private static GlueColumn A(string name, string type) => new(name, type, "assumed");

    public static IReadOnlyList<GlueTableSpec> OutputTables { get; } =
    [
        new("legs", "Billed telephony legs (customer-inbound, customer-outbound, callback, third-party, desk-phone).",
        [
            A("chain_id", "string"), A("leg_id", "string"), A("leg_kind", "string"), A("direction", "string"),
            A("endpoint", "string"), A("country", "string"), A("number_type", "string"),
            A("start_time", "timestamp"), A("end_time", "timestamp"), A("seconds", "bigint"),
            A("billed_seconds", "bigint"), A("instance_id", "string"), A("flags", "string"),
        ]),
        new("segments", "Consecutive segments of a customer leg (ivr, queue, agent, hold, transfer, minimum) with allocated cost.",
        [
            A("chain_id", "string"), A("contact_id", "string"), A("leg_id", "string"), A("segment_kind", "string"),
            A("queue", "string"), A("agent", "string"), A("routing_profile", "string"),
            A("start_time", "timestamp"), A("end_time", "timestamp"), A("seconds", "bigint"),
            A("cost", Money), A("instance_id", "string"),
        ]),
        new("charges", "One row per rated charge, with the rate and rate-card version used.",
        [
            C("chain_id", "string"), C("contact_id", "string"), A("leg_id", "string"), C("charge_kind", "string"),
            C("usage_type", "string"), C("unit", "string"), C("quantity", Qty), C("billed_seconds", "bigint"),
            C("rate", "decimal(18,8)"), C("cost", Money), A("currency", "string"), C("rate_card_version", "string"),
            C("policy", "string"), C("instance_id", "string"), C("queue", "string"), C("agent", "string"),
        ]),
        new("contacts", "Per-contact totals.",
        [
            A("contact_id", "string"), A("chain_id", "string"), A("initial_contact_id", "string"),
            A("channel", "string"), A("initiation_method", "string"), A("initiation_timestamp", "timestamp"),
            A("disconnect_timestamp", "timestamp"), A("instance_id", "string"), A("queue", "string"),
            A("agent", "string"), A("billed_seconds", "bigint"), A("cost", Money), A("flags", "string"),
        ]),
        new("daily_usage", "Expected usage per day and AWS usage type (what the invoice should show).",
        [
            A("day", "date"), C("instance_id", "string"), C("usage_type", "string"), C("charge_kind", "string"),
            C("unit", "string"), A("quantity", Qty), A("cost", Money),
        ]),
        new("quarantine", "Input records that could not be rated, with the reason.",
        [
            C("file", "string"), A("position", "bigint"), C("reason", "string"),
        ]),
        new("reconciliation", "Expected against invoiced, per day and usage type, with a status.",
        [
            A("day", "date"), C("usage_type", "string"),
            A("expected_quantity", Qty), A("invoiced_quantity", Qty),
            A("expected_cost", Money), A("invoiced_cost", Money),
            A("variance_quantity", Qty), A("variance_cost", Money),
            C("status", "string"), A("explanation", "string"),
        ]),
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
    ]);
}
