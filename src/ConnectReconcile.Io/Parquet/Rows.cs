using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace ConnectReconcile.Io.Parquet;

// Column contracts of the Parquet outputs (documented in docs/outputs.md). Names are snake_case for
// Athena/Glue; money is DECIMAL with fixed precision and scale; times are UTC TIMESTAMP(µs).
// Precision: cost DECIMAL(24,12) holds the cost as recorded (RecordedCost: 12 places, truncated, as the writer
// cuts a decimal to its scale); quantity DECIMAL(18,6).

/// <summary>
/// A column of random identifiers (Connect's UUIDs), written without compression: Snappy saves only ~10 %
/// of them and spends most of a replay's compression time there (short matches in hex text).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RandomIdsAttribute : Attribute;

public sealed class ChargeRow
{
    [JsonPropertyName("chain_id"), RandomIds] public string ChainId { get; set; } = "";
    /// <summary>Null on number-days: they belong to no record (an empty id would count as a contact).</summary>
    [JsonPropertyName("contact_id"), RandomIds] public string? ContactId { get; set; }
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    [JsonPropertyName("start_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime? StartTime { get; set; }
    [JsonPropertyName("instance_id")] public string InstanceId { get; set; } = "";
    [JsonPropertyName("region")] public string Region { get; set; } = "";
    [JsonPropertyName("charge_kind")] public string ChargeKind { get; set; } = "";
    [JsonPropertyName("leg_kind")] public string LegKind { get; set; } = "";
    [JsonPropertyName("leg_index")] public int? LegIndex { get; set; }
    [JsonPropertyName("usage_type")] public string UsageType { get; set; } = "";
    [JsonPropertyName("unit")] public string Unit { get; set; } = "";
    [JsonPropertyName("pricing_model")] public string PricingModel { get; set; } = "";
    [JsonPropertyName("actual_seconds")] public long ActualSeconds { get; set; }
    [JsonPropertyName("billed_seconds")] public long BilledSeconds { get; set; }
    [JsonPropertyName("quantity"), ParquetDecimal(18, 6)] public decimal Quantity { get; set; }
    [JsonPropertyName("rate"), ParquetDecimal(18, 8)] public decimal? Rate { get; set; }
    [JsonPropertyName("cost"), ParquetDecimal(24, 12)] public decimal? Cost { get; set; }
    [JsonPropertyName("currency")] public string Currency { get; set; } = "";
    [JsonPropertyName("country")] public string? Country { get; set; }
    [JsonPropertyName("number")] public string? Number { get; set; }
    [JsonPropertyName("rate_row_id")] public string? RateRowId { get; set; }
    [JsonPropertyName("unrated_reason")] public string? UnratedReason { get; set; }
    [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
}

public sealed class LegRow
{
    [JsonPropertyName("chain_id"), RandomIds] public string ChainId { get; set; } = "";
    [JsonPropertyName("leg_index")] public int LegIndex { get; set; }
    [JsonPropertyName("leg_kind")] public string LegKind { get; set; } = "";
    [JsonPropertyName("direction")] public string Direction { get; set; } = "";
    [JsonPropertyName("contact_id"), RandomIds] public string ContactId { get; set; } = "";
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    [JsonPropertyName("start_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime StartTime { get; set; }
    [JsonPropertyName("end_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime EndTime { get; set; }
    [JsonPropertyName("seconds")] public long Seconds { get; set; }
    [JsonPropertyName("billed_seconds")] public long BilledSeconds { get; set; }
    [JsonPropertyName("number")] public string? Number { get; set; }
    [JsonPropertyName("country")] public string Country { get; set; } = "";
    [JsonPropertyName("number_type")] public string? NumberType { get; set; }
    [JsonPropertyName("estimated")] public bool Estimated { get; set; }
    [JsonPropertyName("instance_id")] public string InstanceId { get; set; } = "";
    [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
}

public sealed class SegmentRow
{
    [JsonPropertyName("chain_id"), RandomIds] public string ChainId { get; set; } = "";
    [JsonPropertyName("leg_index")] public int LegIndex { get; set; }
    [JsonPropertyName("leg_kind")] public string LegKind { get; set; } = "";
    [JsonPropertyName("segment_index")] public int SegmentIndex { get; set; }
    [JsonPropertyName("segment_kind")] public string SegmentKind { get; set; } = "";
    [JsonPropertyName("contact_id"), RandomIds] public string ContactId { get; set; } = "";
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    [JsonPropertyName("start_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime? StartTime { get; set; }
    [JsonPropertyName("end_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime? EndTime { get; set; }
    [JsonPropertyName("seconds")] public long Seconds { get; set; }
    [JsonPropertyName("queue")] public string? Queue { get; set; }
    [JsonPropertyName("agent")] public string? Agent { get; set; }
    [JsonPropertyName("routing_profile")] public string? RoutingProfile { get; set; }
    [JsonPropertyName("cost"), ParquetDecimal(24, 12)] public decimal Cost { get; set; }
    [JsonPropertyName("instance_id")] public string InstanceId { get; set; } = "";
    [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
}

public sealed class ContactRow
{
    [JsonPropertyName("chain_id"), RandomIds] public string ChainId { get; set; } = "";
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    [JsonPropertyName("start_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime StartTime { get; set; }
    [JsonPropertyName("end_time"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime EndTime { get; set; }
    [JsonPropertyName("instance_id")] public string InstanceId { get; set; } = "";
    [JsonPropertyName("region")] public string Region { get; set; } = "";
    [JsonPropertyName("initiation_method")] public string InitiationMethod { get; set; } = "";
    [JsonPropertyName("records")] public int Records { get; set; }
    [JsonPropertyName("legs")] public int Legs { get; set; }
    [JsonPropertyName("customer_number")] public string? CustomerNumber { get; set; }
    [JsonPropertyName("system_number")] public string? SystemNumber { get; set; }
    [JsonPropertyName("queue")] public string? Queue { get; set; }
    [JsonPropertyName("agent")] public string? Agent { get; set; }
    [JsonPropertyName("orphan")] public bool Orphan { get; set; }
    [JsonPropertyName("estimated")] public bool Estimated { get; set; }
    [JsonPropertyName("unrated")] public bool Unrated { get; set; }
    [JsonPropertyName("service_seconds")] public long ServiceSeconds { get; set; }
    [JsonPropertyName("telephony_inbound_did_seconds")] public long TelephonyInboundDidSeconds { get; set; }
    [JsonPropertyName("telephony_inbound_tollfree_seconds")] public long TelephonyInboundTollFreeSeconds { get; set; }
    [JsonPropertyName("telephony_outbound_seconds")] public long TelephonyOutboundSeconds { get; set; }
    [JsonPropertyName("contact_lens_seconds")] public long ContactLensSeconds { get; set; }
    [JsonPropertyName("service_cost"), ParquetDecimal(24, 12)] public decimal ServiceCost { get; set; }
    [JsonPropertyName("telephony_cost"), ParquetDecimal(24, 12)] public decimal TelephonyCost { get; set; }
    [JsonPropertyName("contact_lens_cost"), ParquetDecimal(24, 12)] public decimal ContactLensCost { get; set; }
    [JsonPropertyName("total_cost"), ParquetDecimal(24, 12)] public decimal TotalCost { get; set; }
    [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
}

public sealed class DailyUsageRow
{
    [JsonPropertyName("day")] public DateOnly Day { get; set; }
    [JsonPropertyName("instance_id")] public string InstanceId { get; set; } = "";
    [JsonPropertyName("region")] public string Region { get; set; } = "";
    [JsonPropertyName("usage_type")] public string UsageType { get; set; } = "";
    [JsonPropertyName("charge_kind")] public string ChargeKind { get; set; } = "";
    [JsonPropertyName("unit")] public string Unit { get; set; } = "";
    [JsonPropertyName("pricing_model")] public string PricingModel { get; set; } = "";
    [JsonPropertyName("charges")] public long Charges { get; set; }
    [JsonPropertyName("billed_seconds")] public long BilledSeconds { get; set; }
    [JsonPropertyName("quantity"), ParquetDecimal(18, 6)] public decimal Quantity { get; set; }
    [JsonPropertyName("cost"), ParquetDecimal(24, 12)] public decimal Cost { get; set; }
    [JsonPropertyName("unrated_charges")] public long UnratedCharges { get; set; }
    [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
    [JsonPropertyName("policy")] public string Policy { get; set; } = "";
}

public sealed class QuarantineRow
{
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("position")] public long Position { get; set; }
    [JsonPropertyName("record_index")] public long RecordIndex { get; set; }
    [JsonPropertyName("reason")] public string Reason { get; set; } = "";
    [JsonPropertyName("detail")] public string Detail { get; set; } = "";
    [JsonPropertyName("contact_id"), RandomIds] public string? ContactId { get; set; }

    public static QuarantineRow From(Decoding.QuarantineEntry q) => new()
    {
        Source = q.Position.Source, Position = q.Position.Offset, RecordIndex = q.Position.Index, Reason = q.Reason, Detail = q.Detail, ContactId = q.ContactId,
    };
}
