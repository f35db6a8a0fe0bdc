using ConnectReconcile.Core.Reconciliation;

namespace ConnectReconcile.Io.Tests.Cur;

/// <summary>CUR lines for the report and table tests: one hour's line of a usage type (a US telephony type is ContactCenterTelecomm's).</summary>
internal static class InvoiceLines
{
    public static CurLine Line(DateOnly day, string usageType, decimal amount, decimal rate, string type = "Usage", decimal? cost = null, string? description = null,
        string currency = "USD", int hour = 10) => new()
    {
        UsageStart = day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc),
        UsageEnd = day.ToDateTime(new TimeOnly(hour + 1, 0), DateTimeKind.Utc),
        ProductCode = usageType.Contains("-US-", StringComparison.Ordinal) ? "ContactCenterTelecomm" : "AmazonConnect",
        UsageType = usageType,
        LineItemType = type,
        UsageAmount = amount,
        UnblendedRate = rate,
        UnblendedCost = cost ?? amount * rate,
        Currency = currency,
        Description = description,
    };
}
