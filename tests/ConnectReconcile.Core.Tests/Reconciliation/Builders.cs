using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;

namespace ConnectReconcile.Core.Tests.Reconciliation;

/// <summary>Small builders for invoice lines and expected rows.</summary>
internal static class Builders
{
    public const string Instance = "11111111-2222-3333-4444-555555555555";
    public const string Service = "USE1-end-customer-mins";
    public const string Did = "USE1-US-did-inbound-mins";
    public const string Outbound = "USE1-US-outbound-mins";
    public const string DidNumbers = "USE1-US-did-numbers";
    public static readonly DateOnly Day1 = new(2026, 10, 1);
    public static readonly DateOnly Day2 = new(2026, 10, 2);

    public static UsageTypeCatalog Catalog { get; } = new(BuiltInRateCards.Default);

    public static CurLine Usage(DateOnly day, string usageType, decimal amount, decimal rate, int hour = 0, string product = "AmazonConnect",
        string? resource = null, string? instanceTag = null, string lineType = "Usage", string? description = null, decimal? cost = null)
    {
        var start = day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);
        return new CurLine
        {
            UsageStart = start,
            UsageEnd = start.AddHours(1),
            ProductCode = product,
            UsageType = usageType,
            LineItemType = lineType,
            UsageAmount = amount,
            UnblendedRate = rate,
            UnblendedCost = cost ?? amount * rate,
            Currency = "USD",
            ResourceId = resource,
            InstanceTag = instanceTag,
            Description = description,
        };
    }

    public static ExpectedUsage Expected(DateOnly day, string usageType, decimal quantity, decimal rate, string kind = ChargeKinds.Service,
        string unit = Units.Minute, string instance = Instance, long charges = 10, long unrated = 0) =>
        new(day, instance, "us-east-1", usageType, kind, unit, PricingModels.PerFeature, charges, unit == Units.Minute ? (long)(quantity * 60) : 0,
            quantity, unrated == charges ? 0m : quantity * rate, unrated);

    public static InvoiceAggregate Invoice(params CurLine[] lines)
    {
        var a = new InvoiceAggregate(Day1);
        foreach (var l in lines)
        {
            a.Add(l);
        }

        return a;
    }

    public static IReadOnlyList<ReconciliationLine> Compare(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, Tolerance? tolerance = null) =>
        Reconciler.Compare(expected, invoice, Catalog, tolerance ?? Tolerance.Default);
}
