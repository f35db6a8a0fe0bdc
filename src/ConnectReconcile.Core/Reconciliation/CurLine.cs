using System.Text.RegularExpressions;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// One line of the Cost and Usage Report, reduced to the columns reconciliation needs. CUR 2.0
/// (Data Exports) and legacy CUR name the same columns differently (<c>line_item_usage_type</c> vs
/// <c>lineItem/UsageType</c>); the readers map both onto this record. Amounts are <c>decimal</c>
/// (the CUR stores doubles; converting keeps their 15 significant digits).
/// </summary>
public sealed record CurLine
{
    /// <summary>Start of the usage period (UTC): the hour (hourly exports) or day (daily exports).</summary>
    public required DateTime UsageStart { get; init; }
    public DateTime? UsageEnd { get; init; }
    public required string ProductCode { get; init; }
    public required string UsageType { get; init; }
    public string Operation { get; init; } = "";
    /// <summary><c>Usage</c>, <c>Tax</c>, <c>Credit</c>, <c>Refund</c>, <c>Fee</c>, <c>DiscountedUsage</c>, …</summary>
    public required string LineItemType { get; init; }
    /// <summary>Present when the export includes resource ids; opaque (granular billing puts contact ids in it).</summary>
    public string? ResourceId { get; init; }
    public decimal UsageAmount { get; init; }
    public string? PricingUnit { get; init; }
    /// <summary><c>line_item_unblended_rate</c>: the unit price AWS charged.</summary>
    public decimal? UnblendedRate { get; init; }
    public decimal UnblendedCost { get; init; }
    public string? Currency { get; init; }
    public string? Description { get; init; }
    /// <summary>The <c>aws:connect:instanceId</c> resource tag, when the export carries tags.</summary>
    public string? InstanceTag { get; init; }
    /// <summary><c>line_item_usage_account_id</c>: the account that used it (an organization's CUR holds every member's).</summary>
    public string? UsageAccountId { get; init; }
}

/// <summary>How a CUR line is treated: compared as usage, or shown as its own adjustment line.</summary>
public static class LineKinds
{
    public const string Usage = "usage";
    public const string Tax = "tax";
    public const string Credit = "credit";
    public const string Refund = "refund";
    public const string FreeTier = "free-tier";
    public const string Other = "other";
}

/// <summary>Which CUR lines are Amazon Connect's, what kind each is, and the ids hidden in resource ids.</summary>
public static partial class CurClassifier
{
    /// <summary>
    /// Connect's product codes: <c>AmazonConnect</c> (service, chat, numbers), <c>ContactCenterTelecomm</c>
    /// and its country variants (<c>ContactCenterTelecommKR</c>, …), <c>ContactLensAmazonConnect</c> and
    /// <c>CustomerProfiles</c> (we model none of its usage types: they are reported as unknown, not dropped).
    /// </summary>
    public static bool IsConnect(string productCode) =>
        productCode == "AmazonConnect"
        || productCode == "ContactLensAmazonConnect"
        || productCode == "CustomerProfiles"
        || productCode.StartsWith("ContactCenterTelecomm", StringComparison.Ordinal);

    /// <summary>
    /// Usage (also <c>DiscountedUsage</c> and <c>SavingsPlanCoveredUsage</c>), tax, credit, refund, or
    /// other (fees, discounts, negations …). Free-tier lines — zero-priced usage or credits whose
    /// description names the free tier — are <see cref="LineKinds.FreeTier"/>.
    /// </summary>
    public static string KindOf(CurLine line)
    {
        var type = line.LineItemType;
        if (Is(type, "Usage") || Is(type, "DiscountedUsage") || Is(type, "SavingsPlanCoveredUsage"))
        {
            return IsFreeTierUsage(line) ? LineKinds.FreeTier : LineKinds.Usage;
        }

        if (Is(type, "Tax"))
        {
            return LineKinds.Tax;
        }

        if (Is(type, "Credit"))
        {
            return MentionsFreeTier(line) ? LineKinds.FreeTier : LineKinds.Credit;
        }

        return Is(type, "Refund") ? LineKinds.Refund : LineKinds.Other;
    }

    /// <summary>A usage line AWS priced at zero under the free tier: its quantity is usage, its value an allowance.</summary>
    public static bool IsFreeTierUsage(CurLine line) =>
        line.UnblendedCost == 0m && (line.UnblendedRate ?? 0m) == 0m && line.UsageAmount != 0m && MentionsFreeTier(line);

    public static bool MentionsFreeTier(CurLine line) =>
        line.Description is { } d && (d.Contains("free tier", StringComparison.OrdinalIgnoreCase) || d.Contains("free-tier", StringComparison.OrdinalIgnoreCase));

    /// <summary>The Connect instance a line belongs to: the <c>aws:connect:instanceId</c> tag, else <c>…:instance/ID</c> in the resource id.</summary>
    public static string? InstanceOf(CurLine line) => InstanceOf(line.InstanceTag, line.ResourceId);

    /// <summary>The same from the two fields alone, for a line that could not be read whole.</summary>
    public static string? InstanceOf(string? instanceTag, string? resourceId)
    {
        if (!string.IsNullOrEmpty(instanceTag))
        {
            return instanceTag;
        }

        if (resourceId is null)
        {
            return null;
        }

        var m = InstanceRegex().Match(resourceId);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>
    /// A contact id in the resource id, when granular billing put one there. The form is not
    /// documented, so this accepts <c>…/contact/ID</c> or a resource id that is a bare UUID.
    /// </summary>
    public static string? ContactOf(CurLine line)
    {
        if (string.IsNullOrEmpty(line.ResourceId))
        {
            return null;
        }

        var m = ContactRegex().Match(line.ResourceId);
        if (m.Success)
        {
            return m.Groups[1].Value.ToLowerInvariant();
        }

        return BareUuidRegex().IsMatch(line.ResourceId) ? line.ResourceId.ToLowerInvariant() : null;
    }

    private static bool Is(string value, string expected) => string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"instance/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})", RegexOptions.CultureInvariant)]
    private static partial Regex InstanceRegex();

    [GeneratedRegex(@"contact/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})", RegexOptions.CultureInvariant)]
    private static partial Regex ContactRegex();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex BareUuidRegex();
}

/// <summary>
/// The hour a charge is invoiced in, as the generated CUR and the hourly diagnostics both assume:
/// the hour its metered interval starts, kept inside the chain's report day (a charge of a chain
/// that straddles midnight counts in the day's last hour; charges without a start, such as
/// number-days, in its first). AWS does not document its own rule; hourly comparisons are
/// diagnostics only, the variances themselves are per day.
/// </summary>
public static class InvoiceHours
{
    public static DateTime HourOf(DateOnly day, DateTime? start)
    {
        var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        if (start is not { } s || s == DateTime.UnixEpoch)
        {
            return dayStart;
        }

        var utc = DateTime.SpecifyKind(s, DateTimeKind.Utc);
        if (utc < dayStart)
        {
            return dayStart;
        }

        if (utc >= dayStart.AddDays(1))
        {
            return dayStart.AddHours(23);
        }

        return new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc);
    }
}
