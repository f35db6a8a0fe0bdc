using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// A day × name cell (a number, an agent, a usage type); of one instance when the charge or segment
/// names one ("" when it does not, or when the cell sums every instance).
/// </summary>
public readonly record struct DayKey(DateOnly Day, string Name, string InstanceId = "");

/// <summary>
/// What the explanation rules can look at besides the comparison rows. Every part is optional: a rule
/// whose evidence is missing says less (or nothing), it never guesses. Gathered by the I/O layer
/// from our own outputs (charges, segments), the agent directory and the invoice.
/// </summary>
public sealed record ReconciliationEvidence
{
    /// <summary>Days on which the CTRs produced any voice usage.</summary>
    public IReadOnlySet<DateOnly>? DaysWithCtrs { get; init; }

    /// <summary>
    /// The same per instance: a row of one instance looks at that instance's days only (another
    /// instance's CTRs do not cover its gaps). Null: not known per instance (every row looks at <see cref="DaysWithCtrs"/>).
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlySet<DateOnly>>? DaysWithCtrsByInstance { get; init; }

    /// <summary>Instances whose CTRs produced any contact usage (number-days aside) in the month; null when not known.</summary>
    public IReadOnlySet<string>? InstancesWithCtrs { get; init; }

    /// <summary>Our usage per invoice hour (see <see cref="InvoiceHours"/>) × usage type × instance.</summary>
    public IReadOnlyDictionary<HourKey, decimal>? ExpectedHourly { get; init; }

    /// <summary>The invoice's usage per hour × usage type × instance (hourly exports only).</summary>
    public IReadOnlyDictionary<HourKey, decimal>? InvoicedHourly { get; init; }

    /// <summary>Numbers we charged number-days for, per day × number-days charge kind (the inventory in use).</summary>
    public IReadOnlyDictionary<DayKey, IReadOnlySet<string>>? InventoryNumbers { get; init; }

    /// <summary>Numbers customers dialled (inbound legs), per day × number-days charge kind of their type → calls.</summary>
    public IReadOnlyDictionary<DayKey, IReadOnlyDictionary<string, long>>? CalledNumbers { get; init; }

    /// <summary>Usernames in the agent directory; null when no directory was given.</summary>
    public IReadOnlySet<string>? DirectoryAgents { get; init; }

    /// <summary>Seconds each agent was connected to customers (agent and hold segments), per day × username.</summary>
    public IReadOnlyDictionary<DayKey, long>? AgentSeconds { get; init; }

    /// <summary>Minutes our minimums (first increments) added, per day × usage type.</summary>
    public IReadOnlyDictionary<DayKey, decimal>? MinimumTopUpMinutes { get; init; }

    /// <summary>Per-contact variances (granular billing only).</summary>
    public IReadOnlyList<ContactVariance>? Contacts { get; init; }

    /// <summary>Invoice lines that could not be read (the first of them), for the variances they leave.</summary>
    public IReadOnlyList<UnreadableInvoiceLine> UnreadableLines { get; init; } = [];

    /// <summary>Policy calibration, when it ran.</summary>
    public IReadOnlyList<CalibrationResult>? Calibration { get; init; }

    /// <summary>The rate card we rated with: names the row a rate difference is against.</summary>
    public RateCard? Card { get; init; }

    /// <summary>The invoice's currency (its costs and rates are in it); null when the invoice does not say.</summary>
    public string? InvoiceCurrency { get; init; }

    /// <summary>False when the invoice is in another currency than the card: its costs and rates say nothing against ours.</summary>
    public bool CostsCompared { get; init; } = true;

    public UsageTypeCatalog? Catalog { get; init; }

    /// <summary>
    /// The evidence a row of <paramref name="instance"/> may look at: the cells of that instance only,
    /// or — for a row summed over instances (null) — every instance's cells summed. Keys come back
    /// without an instance (""), as the rules look them up.
    /// </summary>
    public ReconciliationEvidence ForInstance(string? instance)
    {
        bool Of(string cell) => instance is null || string.Equals(cell, instance, StringComparison.Ordinal);
        Dictionary<HourKey, decimal>? Hours(IReadOnlyDictionary<HourKey, decimal>? cells) => cells is null ? null
            : cells.Where(kv => Of(kv.Key.InstanceId)).GroupBy(kv => kv.Key with { InstanceId = "" }).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        Dictionary<DayKey, T>? Days<T>(IReadOnlyDictionary<DayKey, T>? cells, Func<IEnumerable<T>, T> merge) => cells is null ? null
            : cells.Where(kv => Of(kv.Key.InstanceId)).GroupBy(kv => kv.Key with { InstanceId = "" }).ToDictionary(g => g.Key, g => merge(g.Select(kv => kv.Value)));

        return this with
        {
            DaysWithCtrs = instance is not null && DaysWithCtrsByInstance is { } byInstance
                ? byInstance.GetValueOrDefault(instance) ?? new HashSet<DateOnly>()
                : DaysWithCtrs,
            ExpectedHourly = Hours(ExpectedHourly),
            InvoicedHourly = Hours(InvoicedHourly),
            InventoryNumbers = Days(InventoryNumbers, sets => (IReadOnlySet<string>)sets.SelectMany(x => x).ToHashSet(StringComparer.Ordinal)),
            CalledNumbers = Days(CalledNumbers, calls => (IReadOnlyDictionary<string, long>)calls.SelectMany(x => x)
                .GroupBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal)),
            AgentSeconds = Days(AgentSeconds, seconds => seconds.Sum()),
            MinimumTopUpMinutes = Days(MinimumTopUpMinutes, minutes => minutes.Sum()),
        };
    }

    /// <summary>True when the row's instance is known to have no CTRs at all in the month (its invoice usage cannot be ours).</summary>
    public bool InstanceWithoutCtrs(string? instance) =>
        instance is not null && InstancesWithCtrs is { } withCtrs && !withCtrs.Contains(instance);
}

/// <summary>Our usage of one chain × usage type (from the charges table), for per-contact reconciliation.</summary>
public sealed record ExpectedChainUsage(DateOnly Day, string ChainId, string UsageType, decimal Quantity, decimal Cost);

/// <summary>
/// One chain × usage type where granular billing and our CTRs disagree. Granular rows name a contact
/// (a contact segment); they are mapped to our chains through the contact ids our outputs carry, so a
/// transfer split differently on either side still lands on the same call.
/// </summary>
public sealed record ContactVariance(
    DateOnly Day,
    string UsageType,
    string ChainId,
    string InvoiceContactIds,
    decimal ExpectedQuantity,
    decimal InvoicedQuantity,
    decimal ExpectedCost,
    decimal InvoicedCost,
    bool InCtrs)
{
    /// <summary>The currency of its invoice lines (comma-joined when they mix); null when it has none or they name none.</summary>
    public string? InvoiceCurrency { get; init; }
    /// <summary>False when its invoice lines mix currencies: <see cref="InvoicedCost"/> then adds up amounts that do not add up.</summary>
    public bool CostSummable => !Reconciler.Mixes(InvoiceCurrency);
    public decimal QuantityVariance => InvoicedQuantity - ExpectedQuantity;
    public decimal CostVariance => InvoicedCost - ExpectedCost;
    /// <summary>The cost variance as <c>reconciliation_contacts</c> records it: invoiced less expected, each as recorded.</summary>
    public decimal RecordedCostVariance => RecordedCost.OfInvoice(InvoicedCost) - RecordedCost.Of(ExpectedCost);
    public string Status =>
        InvoiceContactIds.Length == 0 ? Statuses.OnlyInCtrs
        : !InCtrs ? Statuses.OnlyInInvoice
        : QuantityVariance > 0 || (QuantityVariance == 0 && CostSummable && CostVariance > 0) ? Statuses.Over : Statuses.Under;
}

public static class ContactReconciler
{
    /// <summary>
    /// Chains × usage types whose invoiced and expected quantities differ (by more than 10⁻⁶) or cost
    /// (by more than half a cent, when <paramref name="compareCosts"/>: an invoice in another currency
    /// than ours differs in cost on every contact; nor when a cell's lines mix currencies, whose sum means nothing).
    /// Only usage types the invoice bills per contact are compared.
    /// </summary>
    public static IReadOnlyList<ContactVariance> Compare(
        IReadOnlyDictionary<ContactKey, ContactUsage> invoice,
        IEnumerable<ExpectedChainUsage> expected,
        IReadOnlyDictionary<string, string> contactToChain,
        bool compareCosts = true)
    {
        var perContactTypes = invoice.Keys.Select(k => k.UsageType).ToHashSet(StringComparer.Ordinal);
        var cells = new Dictionary<(string Chain, string UsageType), Cell>();
        foreach (var e in expected)
        {
            if (!perContactTypes.Contains(e.UsageType))
            {
                continue;
            }

            var cell = Get(cells, e.ChainId, e.UsageType, e.Day);
            cell.InCtrs = true;
            cell.ExpectedQuantity += e.Quantity;
            cell.ExpectedCost += e.Cost;
        }

        foreach (var (key, usage) in invoice)
        {
            var known = contactToChain.TryGetValue(key.ContactId, out var chain);
            var cell = Get(cells, chain ?? key.ContactId, key.UsageType, usage.Day);
            cell.InCtrs |= known;
            cell.Contacts.Add(key.ContactId);
            cell.InvoicedQuantity += usage.Quantity;
            cell.InvoicedCost += usage.Cost;
            cell.InvoiceCurrency = Reconciler.CurrencyOf(cell.InvoiceCurrency, usage.InvoiceCurrency);
        }

        return cells
            .Where(kv => Math.Abs(kv.Value.InvoicedQuantity - kv.Value.ExpectedQuantity) > Tolerance.QuantityEpsilon
                || (compareCosts && !Reconciler.Mixes(kv.Value.InvoiceCurrency) && Math.Abs(kv.Value.InvoicedCost - kv.Value.ExpectedCost) > Tolerance.CostEpsilon))
            .Select(kv => new ContactVariance(kv.Value.Day, kv.Key.UsageType, kv.Key.Chain, string.Join(' ', kv.Value.Contacts.Order(StringComparer.Ordinal)),
                StoredQuantity.Of(kv.Value.ExpectedQuantity), StoredQuantity.Of(kv.Value.InvoicedQuantity),
                kv.Value.ExpectedCost, kv.Value.InvoicedCost, kv.Value.InCtrs) { InvoiceCurrency = kv.Value.InvoiceCurrency })
            .OrderBy(v => v.Day).ThenBy(v => v.UsageType, StringComparer.Ordinal)
            .ThenByDescending(v => Math.Abs(v.QuantityVariance)).ThenBy(v => v.ChainId, StringComparer.Ordinal)
            .ToList();
    }

    private static Cell Get(Dictionary<(string, string), Cell> cells, string chain, string usageType, DateOnly day)
    {
        if (!cells.TryGetValue((chain, usageType), out var cell))
        {
            cells[(chain, usageType)] = cell = new Cell { Day = day };
        }

        return cell;
    }

    private sealed class Cell
    {
        public DateOnly Day { get; init; }
        public bool InCtrs { get; set; }
        public decimal ExpectedQuantity { get; set; }
        public decimal ExpectedCost { get; set; }
        public decimal InvoicedQuantity { get; set; }
        public decimal InvoicedCost { get; set; }
        public string? InvoiceCurrency { get; set; }
        public SortedSet<string> Contacts { get; } = new(StringComparer.Ordinal);
    }
}
