using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>One row of our <c>daily_usage</c> table: what the CTRs say the invoice should bill.</summary>
public sealed record ExpectedUsage(
    DateOnly Day,
    string InstanceId,
    string Region,
    string UsageType,
    string ChargeKind,
    string Unit,
    string PricingModel,
    long Charges,
    long BilledSeconds,
    decimal Quantity,
    decimal Cost,
    long UnratedCharges);

public static class Statuses
{
    public const string Match = "match";
    public const string WithinTolerance = "within-tolerance";
    public const string Over = "over";
    public const string Under = "under";
    public const string OnlyInInvoice = "only-in-invoice";
    public const string OnlyInCtrs = "only-in-ctrs";

    public static readonly IReadOnlyList<string> All = [Match, WithinTolerance, Over, Under, OnlyInInvoice, OnlyInCtrs];
}

/// <summary>
/// When a variance counts: beyond tolerance only when it exceeds <b>both</b> the relative threshold
/// (percent of what we expected) and the absolute one (in the invoice currency; a quantity variance
/// is valued at the unit rate). Quantities agree when equal to 6 decimals; costs when within half a cent.
/// </summary>
public sealed record Tolerance(decimal Percent, decimal Absolute)
{
    public const decimal QuantityEpsilon = 0.000001m;
    public const decimal CostEpsilon = 0.005m;

    public static Tolerance Default { get; } = new(1m, 0.01m);

    public bool Exceeds(decimal value, decimal? percent) =>
        Math.Abs(value) > Absolute && (percent is not { } p || Math.Abs(p) > Percent);
}

/// <summary>A likely cause of a variance, with how much of it the cause accounts for when that can be said.</summary>
public sealed record Cause(string Code, string Text, decimal? ExplainedQuantity = null, decimal? ExplainedCost = null);

public static class CauseCodes
{
    public const string MissingCtrsDay = "missing-ctrs-day";
    public const string MissingCtrsHour = "missing-ctrs-hour";
    public const string MissingCtrsInstance = "missing-ctrs-instance";
    public const string UnlistedNumber = "unlisted-number";
    public const string DeskAgentMissing = "desk-agent-missing";
    public const string RateDifference = "rate-difference";
    public const string CostNotRateTimesQuantity = "cost-not-rate-times-quantity";
    public const string MinimumCharge = "minimum-charge";
    public const string UnknownUsageType = "unknown-usage-type";
    public const string Unrated = "unrated-charges";
    public const string Contacts = "contacts";
    public const string Policy = "policy";
    public const string UnreadableInvoiceLine = "unreadable-invoice-line";
    public const string Unexplained = "unexplained";
}

/// <summary>
/// One comparison row: day × usage type (× instance where the invoice names instances), or month ×
/// usage type when the invoice was exported monthly. Variances are invoiced − expected; percentages
/// are of what we expected (null when we expected nothing).
/// </summary>
public sealed record ReconciliationLine
{
    /// <summary>The day compared; for a month row, the month's first day.</summary>
    public required DateOnly Day { get; init; }
    /// <summary>Null for a day row; for a month row (an invoice whose lines cover more than a day), the last day it covers.</summary>
    public DateOnly? PeriodEnd { get; init; }
    /// <summary>True for a row of the whole month (<see cref="PeriodEnd"/> set): its days cannot be told apart.</summary>
    public bool WholeMonth => PeriodEnd is not null;

    /// <summary>Whether <paramref name="day"/> is in the row: its day, or any day of its month.</summary>
    public bool Covers(DateOnly day) => PeriodEnd is { } end ? day >= Day && day <= end : day == Day;

    /// <summary>The row's day as reports show it, or its month for a month row: <c>2026-10 (month)</c>.</summary>
    public string PeriodText => WholeMonth
        ? Day.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture) + " (month)"
        : Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public required string UsageType { get; init; }
    /// <summary>The instance, or null when the invoice does not split by instance (both sides summed).</summary>
    public string? InstanceId { get; init; }
    public string? Region { get; init; }
    public string? ChargeKind { get; init; }
    public required string Unit { get; init; }
    public string? ProductCode { get; init; }
    public bool KnownUsageType { get; init; } = true;
    public decimal ExpectedQuantity { get; init; }
    public decimal InvoicedQuantity { get; init; }
    public decimal QuantityVariance => InvoicedQuantity - ExpectedQuantity;
    public decimal? QuantityVariancePercent => Percent(QuantityVariance, ExpectedQuantity);
    public decimal ExpectedCost { get; init; }
    public decimal InvoicedCost { get; init; }
    /// <summary>The currency of the row's invoice lines (comma-joined when they mix); null when it has none or they name none.</summary>
    public string? InvoiceCurrency { get; init; }
    /// <summary>Free-tier usage inside <see cref="InvoicedQuantity"/> (priced at zero by AWS).</summary>
    public decimal FreeTierQuantity { get; init; }
    /// <summary>What we expected to pay, net of the free-tier allowance valued at our rate.</summary>
    public decimal ExpectedCostNet => ExpectedCost - (ExpectedRate is { } r ? FreeTierQuantity * r : 0m);
    public decimal CostVariance => InvoicedCost - ExpectedCostNet;
    /// <summary>The invoiced cost as the <c>reconciliation</c> table records it (<see cref="RecordedCost.OfInvoice"/>).</summary>
    public decimal RecordedInvoicedCost => RecordedCost.OfInvoice(InvoicedCost);
    /// <summary>
    /// The cost variance as the <c>reconciliation</c> table records it: the recorded invoiced cost less our net
    /// expected cost as recorded (12 places, truncated; the free tier valued at our rate can repeat forever), so
    /// without a free tier it is exactly <c>invoiced_cost − expected_cost</c> as written; what totals of the rows add up.
    /// </summary>
    public decimal RecordedCostVariance => RecordedInvoicedCost - RecordedCost.Of(ExpectedCostNet);
    public decimal? CostVariancePercent => Percent(CostVariance, ExpectedCostNet);
    public decimal? ExpectedRate { get; init; }
    /// <summary>The invoice's <c>line_item_unblended_rate</c>, weighted by quantity; cost ÷ quantity only when its lines carry no rate.</summary>
    public decimal? InvoicedRate { get; init; }
    /// <summary>Σ rate × quantity of the invoice lines that carry a rate (null: none does): what their cost should come to.</summary>
    public decimal? InvoicedCostAtRate { get; init; }
    /// <summary>The <c>line_item_unblended_cost</c> of those same lines.</summary>
    public decimal? InvoicedCostOfRateLines { get; init; }
    /// <summary>How far the invoice's cost is off its own rate × quantity (null when no line carries a rate).</summary>
    public decimal? InvoicedCostOffRate => InvoicedCostOfRateLines - InvoicedCostAtRate;
    public long Charges { get; init; }
    public long UnratedCharges { get; init; }
    public long InvoiceLines { get; init; }
    public required string Status { get; init; }
    public bool BeyondTolerance { get; init; }
    /// <summary>Which comparison decided an over/under: <c>quantity</c> (first) or <c>cost</c>.</summary>
    public string? Basis { get; init; }
    public IReadOnlyList<Cause> Causes { get; init; } = [];

    /// <summary>False for usage only our side has and cannot price (wholly unrated, absent from the invoice): nothing to compare.</summary>
    public bool Comparable => !(Status == Statuses.OnlyInCtrs && UnratedCharges == Charges);

    private static decimal? Percent(decimal variance, decimal basis) =>
        basis == 0m ? null : Math.Round(variance / basis * 100m, 6, MidpointRounding.AwayFromZero);
}

/// <summary>A line that is not usage: tax, credit, refund, free tier, other; shown apart, never in a variance.</summary>
public sealed record AdjustmentLine(string Kind, DateOnly Day, string ProductCode, string UsageType, string Description, decimal Quantity, decimal Amount, long Lines)
{
    /// <summary>For free-tier usage (priced at zero), its value at our rate (in the rate card's currency).</summary>
    public decimal? ValueAtOurRate { get; init; }
    /// <summary>The currency of <see cref="Amount"/> (its lines'); null when they name none.</summary>
    public string? Currency { get; init; }
}

/// <summary>
/// A Connect usage type the rate card's templates do not know: listed, with what the invoice bills for it
/// (once per currency when the invoice bills it in several: amounts of two currencies do not add up).
/// </summary>
public sealed record UnknownUsageType(string UsageType, string ProductCode, decimal Quantity, decimal Cost)
{
    /// <summary>The currency of <see cref="Cost"/>; null when its lines name none.</summary>
    public string? Currency { get; init; }
}

/// <summary>The pure comparison of our daily usage with the invoice, before explanations are attached.</summary>
public static class Reconciler
{
    public static IReadOnlyList<ReconciliationLine> Compare(
        IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, UsageTypeCatalog catalog, Tolerance tolerance)
    {
        var monthStart = invoice.MonthStart;
        var monthEnd = invoice.MonthEnd;
        var compareCosts = CostsComparable(invoice, catalog);
        // An invoice line covering more than a day (a monthly export) puts the month on its first day:
        // then both sides are summed over the month, as days cannot be compared.
        var perMonth = invoice.ComparedPerMonth;
        DateOnly Period(DateOnly day) => perMonth ? monthStart : day;
        DateOnly? periodEnd = perMonth ? monthEnd : null;
        var exp = expected.Where(e => e.Day >= monthStart && e.Day <= monthEnd)
            .GroupBy(e => (Day: Period(e.Day), e.UsageType))
            .ToDictionary(g => g.Key, g => g.ToList());
        var inv = invoice.Usage
            .GroupBy(kv => (Day: Period(kv.Key.Day), kv.Key.UsageType))
            .ToDictionary(g => g.Key, g => g.ToList());

        var lines = new List<ReconciliationLine>();
        foreach (var key in exp.Keys.Union(inv.Keys).OrderBy(k => k.Day).ThenBy(k => k.UsageType, StringComparer.Ordinal))
        {
            var e = exp.GetValueOrDefault(key) ?? [];
            var i = inv.GetValueOrDefault(key) ?? [];
            // A key the invoice has no lines for follows the invoice as a whole: split only when every line names an instance.
            var perInstance = i.Count > 0 ? i.All(x => x.Key.InstanceId.Length > 0) : invoice.HasInstances && invoice.LinesWithoutInstance == 0;
            if (perInstance)
            {
                var instances = e.Select(x => x.InstanceId).Concat(i.Select(x => x.Key.InstanceId)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                foreach (var instance in instances)
                {
                    lines.Add(Line(key.Day, key.UsageType, instance,
                        e.Where(x => x.InstanceId == instance).ToList(),
                        i.Where(x => x.Key.InstanceId == instance).Select(x => x.Value).ToList(), catalog, tolerance, compareCosts) with { PeriodEnd = periodEnd });
                }
            }
            else
            {
                lines.Add(Line(key.Day, key.UsageType, null, e, i.Select(x => x.Value).ToList(), catalog, tolerance, compareCosts) with { PeriodEnd = periodEnd });
            }
        }

        return lines;
    }

    /// <summary>
    /// Whether the invoice's costs are in the rate card's currency. An invoice in another currency (an
    /// account billed in JPY or INR, a card priced in USD) has its quantities compared, not its costs.
    /// </summary>
    public static bool CostsComparable(InvoiceAggregate invoice, UsageTypeCatalog catalog) =>
        invoice.Currencies.All(c => string.Equals(c, catalog.Card.Currency, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adjustment lines (tax, credits, refunds, free tier, other) with the free-tier usage valued at our rate.</summary>
    public static IReadOnlyList<AdjustmentLine> Adjustments(InvoiceAggregate invoice, IReadOnlyList<ReconciliationLine> lines)
    {
        var rates = lines.Where(l => l.ExpectedRate is not null).GroupBy(l => l.UsageType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().ExpectedRate!.Value, StringComparer.Ordinal);
        return invoice.Adjustments
            .Select(kv => new AdjustmentLine(kv.Key.Kind, kv.Key.Day, kv.Key.ProductCode, kv.Key.UsageType, kv.Key.Description, kv.Value.Quantity, kv.Value.Amount, kv.Value.Lines)
            {
                ValueAtOurRate = kv.Key.Kind == LineKinds.FreeTier && kv.Value.Amount == 0m && rates.TryGetValue(kv.Key.UsageType, out var r) ? -kv.Value.Quantity * r : null,
                Currency = CurrencyOf([kv.Key.Currency]),
            })
            .OrderBy(a => a.Kind, StringComparer.Ordinal).ThenBy(a => a.Day).ThenBy(a => a.ProductCode, StringComparer.Ordinal)
            .ThenBy(a => a.UsageType, StringComparer.Ordinal).ThenBy(a => a.Description, StringComparer.Ordinal)
            .ThenBy(a => a.Currency, StringComparer.Ordinal)
            .ToList();
    }

    public static IReadOnlyList<UnknownUsageType> Unknown(InvoiceAggregate invoice, UsageTypeCatalog catalog)
    {
        var unknown = invoice.Usage.Where(kv => !catalog.IsKnown(kv.Key.UsageType)).GroupBy(kv => kv.Key.UsageType, StringComparer.Ordinal);
        var list = new List<UnknownUsageType>();
        foreach (var g in unknown.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var productCode = g.First().Value.ProductCode;
            var costs = g.SelectMany(x => x.Value.CostByCurrency).GroupBy(c => c.Key, StringComparer.Ordinal).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
            if (costs.Count <= 1)
            {
                list.Add(new UnknownUsageType(g.Key, productCode, g.Sum(x => x.Value.Quantity), g.Sum(x => x.Value.Cost)) { Currency = CurrencyOf(costs.Select(c => c.Key)) });
                continue;
            }

            // Billed in several currencies: one entry per currency, with the quantity of the cells billed in it
            // (a cell mixing currencies puts its quantity on its first currency's entry, so the quantities still add up).
            foreach (var c in costs)
            {
                var quantity = g.Where(x => x.Value.CostByCurrency.Keys.First() == c.Key).Sum(x => x.Value.Quantity);
                list.Add(new UnknownUsageType(g.Key, productCode, quantity, c.Sum(x => x.Value)) { Currency = CurrencyOf([c.Key]) });
            }
        }

        return list;
    }

    /// <summary>Currencies as reports label an amount: comma-joined in order (when the lines mix them), null when none is named.</summary>
    public static string? CurrencyOf(IEnumerable<string> currencies)
    {
        var named = currencies.Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return named.Count == 0 ? null : string.Join(",", named);
    }

    /// <summary>Two labels <see cref="CurrencyOf(IEnumerable{string})"/> gave, as one: what the amounts they label come to when put together.</summary>
    public static string? CurrencyOf(string? label, string? other) =>
        other is null || string.Equals(label, other, StringComparison.Ordinal) ? label
        : label is null ? other
        : CurrencyOf(label.Split(',').Concat(other.Split(',')));

    /// <summary>Whether a label <see cref="CurrencyOf(IEnumerable{string})"/> gave lists several currencies: the amounts it labels do not add up.</summary>
    public static bool Mixes([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? currency) => currency is not null && currency.Contains(',', StringComparison.Ordinal);

    private static ReconciliationLine Line(DateOnly day, string usageType, string? instance, IReadOnlyList<ExpectedUsage> e, IReadOnlyList<InvoiceUsage> i,
        UsageTypeCatalog catalog, Tolerance tolerance, bool compareCosts)
    {
        var match = catalog.Match(usageType);
        var expectedQuantity = StoredQuantity.Of(e.Sum(x => x.Quantity));
        var invoicedQuantity = StoredQuantity.Of(i.Sum(x => x.Quantity));
        var expectedCost = e.Sum(x => x.Cost);
        var invoicedCost = i.Sum(x => x.Cost);
        var rated = e.Where(x => x.UnratedCharges < x.Charges).ToList();
        var ratedQuantity = rated.Sum(x => x.Quantity);
        decimal? expectedRate = ratedQuantity != 0m && rated.All(x => x.UnratedCharges == 0) ? expectedCost / ratedQuantity : null;
        // The invoice's unit rate: its line_item_unblended_rate weighted by quantity (exactly that rate when there
        // is one), not cost ÷ quantity, which would quote a cost that is off its own rate as a rate; cost ÷ quantity
        // only when no line carries a rate.
        var rateQuantity = i.Sum(x => x.QuantityByRate.Values.Sum());
        decimal? atRate = rateQuantity != 0m ? i.Sum(x => x.QuantityByRate.Sum(r => r.Key * r.Value)) : null;
        var ratedInvoiceQuantity = i.Sum(x => x.RatedQuantity);
        decimal? invoicedRate = atRate is { } a ? a / rateQuantity
            : ratedInvoiceQuantity != 0m ? i.Sum(x => x.RatedCost) / ratedInvoiceQuantity : null;
        var line = new ReconciliationLine
        {
            Day = day,
            UsageType = usageType,
            InstanceId = instance,
            Region = e.Count > 0 ? e[0].Region : match?.Region,
            ChargeKind = e.Count > 0 ? e[0].ChargeKind : match?.ChargeKind,
            Unit = e.Count > 0 ? e[0].Unit : match?.Unit ?? Units.Unit,
            ProductCode = i.Count > 0 ? i[0].ProductCode : null,
            KnownUsageType = e.Count > 0 || match is not null,
            ExpectedQuantity = expectedQuantity,
            InvoicedQuantity = invoicedQuantity,
            ExpectedCost = expectedCost,
            InvoicedCost = invoicedCost,
            InvoiceCurrency = CurrencyOf(i.SelectMany(x => x.CostByCurrency.Keys)),
            FreeTierQuantity = i.Sum(x => x.FreeTierQuantity),
            ExpectedRate = expectedRate,
            InvoicedRate = invoicedRate,
            InvoicedCostAtRate = atRate,
            InvoicedCostOfRateLines = atRate is null ? null : i.Sum(x => x.CostOfRateLines),
            Charges = e.Sum(x => x.Charges),
            UnratedCharges = e.Sum(x => x.UnratedCharges),
            InvoiceLines = i.Sum(x => x.Lines),
            Status = Statuses.Match,
        };
        var (status, beyond, basis) = Classify(line, e.Count > 0, i.Count > 0, tolerance, compareCosts);
        return line with { Status = status, BeyondTolerance = beyond, Basis = basis };
    }

    /// <summary>
    /// Quantities first (rate-independent), then cost: over/under by whichever is beyond tolerance
    /// first; match when both agree; within tolerance otherwise. Costs in two currencies are not compared.
    /// </summary>
    public static (string Status, bool Beyond, string? Basis) Classify(ReconciliationLine l, bool hasExpected, bool hasInvoice, Tolerance tolerance, bool compareCosts = true)
    {
        var rate = l.ExpectedRate ?? l.InvoicedRate;
        decimal Value(decimal quantity) => rate is { } r ? quantity * r : quantity;
        if (!hasExpected)
        {
            var value = l.InvoicedCost != 0m ? l.InvoicedCost : Value(l.InvoicedQuantity) - (rate is { } r1 ? l.FreeTierQuantity * r1 : 0m);
            return (Statuses.OnlyInInvoice, tolerance.Exceeds(value, null), null);
        }

        if (!hasInvoice)
        {
            // Our side wholly unrated and absent from the invoice: nothing to value, reported but not alarmed.
            var value = l.ExpectedRate is null && l.ExpectedCost == 0m ? 0m : l.ExpectedCost != 0m ? l.ExpectedCost : Value(l.ExpectedQuantity);
            return (Statuses.OnlyInCtrs, tolerance.Exceeds(value, null), null);
        }

        var dq = l.QuantityVariance;
        var dc = compareCosts ? l.CostVariance : 0m;
        if (Math.Abs(dq) <= Tolerance.QuantityEpsilon && Math.Abs(dc) <= Tolerance.CostEpsilon)
        {
            return (Statuses.Match, false, null);
        }

        if (Math.Abs(dq) > Tolerance.QuantityEpsilon && tolerance.Exceeds(Value(dq), l.QuantityVariancePercent))
        {
            return (dq > 0 ? Statuses.Over : Statuses.Under, true, "quantity");
        }

        if (l.UnratedCharges == 0 && Math.Abs(dc) > Tolerance.CostEpsilon && tolerance.Exceeds(dc, l.CostVariancePercent))
        {
            return (dc > 0 ? Statuses.Over : Statuses.Under, true, "cost");
        }

        // Some of our usage could not be priced (no rate-card row): our cost leaves it out, so a cost the
        // invoice charges beyond ours is not a variance a tolerance can absorb — it is unverified.
        if (l.UnratedCharges > 0 && Math.Abs(dc) > Tolerance.CostEpsilon)
        {
            return (dc > 0 ? Statuses.Over : Statuses.Under, true, "cost");
        }

        return (Statuses.WithinTolerance, false, null);
    }
}

/// <summary>
/// What <c>--account</c> keeps of the expected side. Our rated tables carry no account, only instances;
/// the invoice's lines name the account and (with resource ids or instance tags) the instance, so the
/// CTRs compared are those of the instances the account's lines name. When some of its lines name no
/// instance (or it has no usage lines), instances no other account's lines name are kept too: they
/// may be its. When no line of any account names an instance, nothing can be told apart: every
/// instance is kept and the note says so.
/// </summary>
public sealed record AccountScope(string Account, IReadOnlyList<string> Compared, IReadOnlyList<string> LeftOut, bool Filtered, bool KeepsUnnamed)
{
    /// <summary>How an expected row without an instance is listed.</summary>
    public const string NoInstance = "(no instance)";

    private readonly HashSet<string> _compared = new(Compared, StringComparer.Ordinal);

    /// <summary>Whether the expected rows of <paramref name="instance"/> are compared.</summary>
    public bool Keeps(string instance) => !Filtered || _compared.Contains(instance.Length == 0 ? NoInstance : instance);

    /// <summary>The scope of <paramref name="invoice"/>'s account over <paramref name="expected"/>; null when every account is compared.</summary>
    public static AccountScope? Of(InvoiceAggregate invoice, IEnumerable<ExpectedUsage> expected)
    {
        if (invoice.Account is not { } account)
        {
            return null;
        }

        var instances = expected.Where(e => e.Day >= invoice.MonthStart && e.Day <= invoice.MonthEnd)
            .Select(e => e.InstanceId.Length == 0 ? NoInstance : e.InstanceId).ToHashSet(StringComparer.Ordinal);
        var named = invoice.Instances.ToHashSet(StringComparer.Ordinal);
        var others = invoice.OtherAccountInstances.Where(i => !named.Contains(i)).ToHashSet(StringComparer.Ordinal);
        if (named.Count == 0 && others.Count == 0)
        {
            return new AccountScope(account, instances.Order(StringComparer.Ordinal).ToList(), [], false, true);
        }

        var keepsUnnamed = invoice.LinesWithoutInstance > 0 || named.Count == 0;
        bool Keep(string i) => named.Contains(i) || (keepsUnnamed && !others.Contains(i));
        return new AccountScope(account,
            instances.Where(Keep).Order(StringComparer.Ordinal).ToList(),
            instances.Where(i => !Keep(i)).Order(StringComparer.Ordinal).ToList(),
            true, keepsUnnamed);
    }

    /// <summary>Which instances' CTRs were compared with the account's lines, which were left out, or why none could be.</summary>
    public string Note => !Filtered
        ? $"--account {Account}: the invoice's lines name no instance (no line_item_resource_id or aws:connect:instanceId tag), so the CTR side could not be filtered: " +
          $"the CTRs of every instance rated ({List(Compared)}) were compared with account {Account}'s lines alone. To compare one account, replay only its instances' CTRs into their own --out and reconcile that " +
          "(--rated), or export the CUR with resource ids (Data Exports: include resource IDs) so the lines name their instances."
        : $"--account {Account}: compared the CTRs of {(Compared.Count == 0 ? "no instance" : $"instance(s) {List(Compared)}")}" +
          (KeepsUnnamed ? $" (the instances its lines name, and those no other account's lines name, as some of its usage lines name no instance)" : " (the instances its invoice lines name)") +
          (LeftOut.Count == 0 ? "." : $"; left out the CTRs of instance(s) {List(LeftOut)}, {(KeepsUnnamed ? "named by other accounts' lines" : "which its lines do not name")}.");

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "none" : string.Join(", ", items);
}
