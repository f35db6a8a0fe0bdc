namespace ConnectReconcile.Core.Reconciliation;

/// <summary>What was read from the invoice, for the report header and the run log.</summary>
public sealed record InvoiceStats(
    long LinesRead,
    long ConnectLines,
    long OutsideMonth,
    IReadOnlyList<OtherServiceTotal> OtherServices,
    bool Hourly,
    bool Granular,
    bool ByInstance,
    IReadOnlyCollection<string> Currencies,
    long UnreadableLines,
    IReadOnlyList<UnreadableInvoiceLine> FirstUnreadable,
    string? Account,
    IReadOnlyCollection<string> Accounts,
    long OtherAccountLines,
    long OtherMonthLines,
    long UsageLines = 0,
    long MonthlyLines = 0,
    long HourlyLines = 0)
{
    public static InvoiceStats Of(InvoiceAggregate a) =>
        new(a.LinesRead, a.ConnectLines, a.OutsideMonth, a.OtherServices, a.HasHourlyLines, a.HasContacts, a.HasInstances, a.Currencies,
            a.UnreadableLines, a.FirstUnreadable, a.Account, a.Accounts, a.OtherAccountLines, a.OtherMonthLines, a.UsageLines, a.MonthlyLines, a.HourlyLines);

    /// <summary>True when usage lines cover more than a day (a monthly export): rows are per month, not per day.</summary>
    public bool Monthly => MonthlyLines > 0;

    /// <summary>
    /// The invoice's time granularity as the report names it: <c>hourly</c> (every usage line within one hour),
    /// <c>daily</c> (days compared, some lines of a day or without an end), <c>monthly</c> or <c>mixed</c>.
    /// </summary>
    public string Granularity => Monthly ? (MonthlyLines == UsageLines ? "monthly" : "mixed")
        : Hourly && HourlyLines == UsageLines ? "hourly" : "daily";

    /// <summary>What a reader must know when the rows are per month (else null).</summary>
    public string? MonthlyNote(DateOnly month) => !Monthly ? null
        : (MonthlyLines == UsageLines
            ? $"The invoice was exported at monthly time granularity: each line covers the whole of {month:yyyy-MM}"
            : $"{MonthlyLines:N0} of the invoice's {UsageLines:N0} usage lines cover more than a day (a monthly line among daily or hourly ones)") +
          ", so days cannot be compared. Every row is the month × usage type, dated its first day, with our CTRs summed over the month, " +
          "and the causes that need a day (missing hours, unlisted numbers) are not looked for. Export the CUR at daily or hourly granularity to compare days.";

    /// <summary>What a reader must know when Connect lines of other months were left out (else null): a wrong --month or folder leaves nothing to compare.</summary>
    public string? OtherMonthsNote(DateOnly month) => OtherMonthLines == 0 ? null
        : $"{OtherMonthLines:N0} Connect line(s) of the invoice are for other months than {month:yyyy-MM} and were not compared" +
          (ConnectLines == 0 ? $"; none is for {month:yyyy-MM}: check --month and the invoice files." : ".");

    /// <summary>What a reader must know when the invoice holds several accounts' Connect usage and all of it was compared (else null).</summary>
    public string? AccountsNote => Account is null && Accounts.Count > 1
        ? $"The invoice holds Connect usage of {Accounts.Count} accounts ({string.Join(", ", Accounts)}), all of it compared with these CTRs: --account picks the one they are from."
        : null;
}

/// <summary>
/// A Connect line of the invoice that could not be read: where it is (file; row counted from a CSV's
/// header as 1, or a Parquet file's row from 1) and why; its day and usage type when those could be
/// read (a bad amount or cost), so the variance it leaves can name it.
/// </summary>
public sealed record UnreadableInvoiceLine(string Source, long Row, string Reason, DateOnly? Day = null, string? UsageType = null, string? InstanceId = null)
{
    /// <summary>Where and why, as logs and the console show it.</summary>
    public override string ToString() => $"{Source} row {Row}: {Reason}";
}

/// <summary>The month's reconciliation: comparison rows with their causes, adjustments apart, and context.</summary>
public sealed record ReconciliationReport
{
    public required DateOnly Month { get; init; }
    public required Tolerance Tolerance { get; init; }
    public required IReadOnlyList<ReconciliationLine> Lines { get; init; }
    public required IReadOnlyList<AdjustmentLine> Adjustments { get; init; }
    public required IReadOnlyList<UnknownUsageType> UnknownUsageTypes { get; init; }
    public required InvoiceStats Invoice { get; init; }
    public IReadOnlyList<ContactVariance> ContactVariances { get; init; } = [];
    public IReadOnlyList<CalibrationResult> Calibration { get; init; } = [];
    public string RateCardVersion { get; init; } = "";
    public string Policy { get; init; } = "";
    public string Currency { get; init; } = "USD";

    /// <summary>False when the invoice is in another currency than the rate card: quantities were compared, costs were not.</summary>
    public bool CostsCompared { get; init; } = true;

    /// <summary>The rate card's currency, in which our expected costs are.</summary>
    public string ExpectedCurrency { get; init; } = "USD";

    /// <summary>What a reader must know when costs were not compared (null when they were): for the log, console and report.</summary>
    public string? CurrencyNote => CostsCompared ? null
        : Invoice.Currencies.Count > 1
            ? $"The invoice mixes currencies ({string.Join(", ", Invoice.Currencies)}): quantities are compared, costs are not (cost columns mix them)."
            : $"The invoice is in {Currency} and the rate card prices in {ExpectedCurrency}: quantities are compared, costs are not (cost columns mix the two). " +
              $"To compare costs, derive a card in {Currency} from the invoice (connect-reconcile ratecard derive), replay with it, and reconcile with --rate-card set to it.";

    /// <summary>The rate cards the rated days' manifests name (two can share a version: an edited card).</summary>
    public IReadOnlyList<RateCardDigest> RateCards { get; init; } = [];

    /// <summary>
    /// When the rated days were rated with more than one policy or rate card (a nightly re-run with other
    /// settings into the same output): variances can come from that, not from the invoice.
    /// </summary>
    public string? MixedRatingNote
    {
        get
        {
            var (policies, cards) = (Policy.Split(',', StringSplitOptions.RemoveEmptyEntries), RateCardVersion.Split(',', StringSplitOptions.RemoveEmptyEntries));
            var parts = new List<string>();
            if (policies.Length > 1)
            {
                parts.Add($"{policies.Length} policies ({string.Join("; ", policies)})");
            }

            if (cards.Length > 1)
            {
                parts.Add($"{cards.Length} rate cards ({string.Join(", ", cards)})");
            }

            foreach (var shared in RateCards.GroupBy(c => c.Version).Where(g => g.Count() > 1))
            {
                parts.Add($"{shared.Count()} different rate cards that share the version {shared.Key} (run.json rateCardSha256 {string.Join(", ", shared.Select(c => c.Sha256[..Math.Min(12, c.Sha256.Length)] + "…"))})");
            }

            return parts.Count == 0 ? null
                : $"The month's rated days were rated with {string.Join(" and ", parts)}: variances can come from that; replay the month with one policy and card before reading them.";
        }
    }

    /// <summary>With <c>--account</c>: the instances whose CTRs were compared and those left out (null: every account compared).</summary>
    public AccountScope? AccountScope { get; init; }

    /// <summary>
    /// Instances the invoice bills usage for but none of whose CTRs were rated in the month, with what the invoice
    /// charges them: once per currency when an invoice mixing currencies bills one in several.
    /// </summary>
    public IReadOnlyList<(string InstanceId, decimal InvoicedCost, string? Currency)> InstancesWithoutCtrs { get; init; } = [];

    /// <summary>What a reader must know when the invoice bills instances we have no CTRs of (else null).</summary>
    public string? InstancesWithoutCtrsNote
    {
        get
        {
            if (InstancesWithoutCtrs.Count == 0)
            {
                return null;
            }

            // Each amount in its own lines' currency: an invoice's amounts are its own whatever our card's currency.
            var instances = InstancesWithoutCtrs.GroupBy(i => i.InstanceId, StringComparer.Ordinal)
                .Select(g => $"{g.Key} ({string.Join(", ", g.Select(i => $"{i.InvoicedCost.ToString("#,0.00", System.Globalization.CultureInfo.InvariantCulture)} {i.Currency ?? Currency}"))})")
                .ToList();
            return $"The invoice bills {instances.Count} instance(s) none of whose CTRs were rated in {Month:yyyy-MM}: " + string.Join(", ", instances) +
                ". Their CTRs are not in the source (another bucket, prefix or stream?): add them and re-run replay; their rows are missing-ctrs-instance.";
        }
    }

    /// <summary>The version of the card the comparison was given (its usage-type map, currency and rates explain the rows).</summary>
    public string ComparedWithCard { get; init; } = "";

    /// <summary>When the month was rated with another card than the one the comparison was given (else null).</summary>
    public string? OtherCardNote
    {
        get
        {
            var rated = RateCardVersion.Split(',', StringSplitOptions.RemoveEmptyEntries);
            return ComparedWithCard.Length == 0 || rated.Length == 0 || rated.Contains(ComparedWithCard, StringComparer.Ordinal) ? null
                : $"The month was rated with the rate card {string.Join(", ", rated)} and compared with {ComparedWithCard} (--rate-card, else the built-in cards): " +
                  $"its usage types, currency ({ExpectedCurrency}) and rates explain the rows. Give --rate-card the card the month was rated with.";
        }
    }

    /// <summary>What a reader must know about how the comparison was made (the currency, months, accounts, instances and rating notes that apply).</summary>
    public IEnumerable<string> Notes => new[] { Invoice.MonthlyNote(Month), CurrencyNote, Invoice.OtherMonthsNote(Month), Invoice.AccountsNote, AccountScope?.Note, InstancesWithoutCtrsNote, MixedRatingNote, OtherCardNote }.OfType<string>();

    public bool AnyBeyondTolerance => Lines.Any(l => l.BeyondTolerance);

    /// <summary>Some Connect lines of the invoice could not be read, so the comparison is incomplete: a person must look.</summary>
    public bool Incomplete => Invoice.UnreadableLines > 0;

    /// <summary>
    /// The rows beyond tolerance, largest first: by cost variance, or, when costs were not compared, by the
    /// quantity variance valued at our rate (a difference between two currencies would rank nothing).
    /// </summary>
    public IEnumerable<ReconciliationLine> BeyondTolerance
    {
        get
        {
            var beyond = Lines.Where(l => l.BeyondTolerance);
            IOrderedEnumerable<ReconciliationLine> ordered;
            if (CostsCompared)
            {
                ordered = beyond.OrderByDescending(l => Math.Abs(l.CostVariance));
            }
            else
            {
                var value = QuantityValuer();
                ordered = beyond.OrderByDescending(l => Math.Abs(value(l, l.QuantityVariance)));
            }

            return ordered.ThenByDescending(l => Math.Abs(l.QuantityVariance)).ThenBy(l => l.Day).ThenBy(l => l.UsageType, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// Values a row's quantity at our rate, in the card's currency: what ranks rows when costs were not
    /// compared. A row only the invoice has carries no rate of ours: its usage type's rate on other rows (else 0).
    /// </summary>
    public Func<ReconciliationLine, decimal, decimal> QuantityValuer()
    {
        var rates = Lines.Where(l => l.ExpectedRate is not null).GroupBy(l => l.UsageType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().ExpectedRate!.Value, StringComparer.Ordinal);
        return (l, quantity) => quantity * (l.ExpectedRate ?? rates.GetValueOrDefault(l.UsageType));
    }

    /// <summary>A row's cost variance, or null when costs were not compared (invoiced in another currency than ours).</summary>
    public decimal? CostVarianceOf(ReconciliationLine line) => CostsCompared ? line.CostVariance : null;

    /// <summary>A row's cost variance as the <c>reconciliation</c> table records it, or null when costs were not compared.</summary>
    public decimal? RecordedCostVarianceOf(ReconciliationLine line) => CostsCompared ? line.RecordedCostVariance : null;

    /// <summary>The month's usage cost variance (net of the free tier), or null when costs were not compared.</summary>
    public decimal? UsageCostVariance => CostsCompared ? Lines.Sum(l => l.CostVariance) : null;

    /// <summary>False when the invoice's amounts are in more than one currency: they are not added up.</summary>
    public bool InvoiceAmountsSummable => Invoice.Currencies.Count <= 1;

    public decimal ExpectedCost => Lines.Sum(l => l.ExpectedCost);

    public decimal InvoicedUsageCost => Lines.Sum(l => l.InvoicedCost);

    /// <summary>The invoice's usage cost, or null when it mixes currencies.</summary>
    public decimal? InvoicedUsageCostTotal => InvoiceAmountsSummable ? InvoicedUsageCost : null;

    public decimal FreeTierValue => Lines.Sum(l => l.ExpectedCost - l.ExpectedCostNet);

    /// <summary>
    /// What the free tier took off: its credit lines plus the value at our rates of usage it priced at zero
    /// (negative). When costs were not compared, the credits alone: our rates are in another currency.
    /// </summary>
    public decimal FreeTierTotal => AdjustmentTotal(LineKinds.FreeTier) - (CostsCompared ? FreeTierValue : 0m);

    public decimal AdjustmentTotal(string kind) => Adjustments.Where(a => a.Kind == kind).Sum(a => a.Amount);

    /// <summary>An adjustment total as reports show it, or null when the invoice mixes currencies (amounts not added up).</summary>
    public decimal? AdjustmentTotalOrNull(string kind) => InvoiceAmountsSummable ? AdjustmentTotal(kind) : null;

    /// <summary>The free tier's total as reports show it, or null when the invoice mixes currencies.</summary>
    public decimal? FreeTierTotalOrNull => InvoiceAmountsSummable ? FreeTierTotal : null;

    public int Count(string status) => Lines.Count(l => l.Status == status);

    /// <summary>Compare, then explain: the whole pure part of <c>reconcile</c>.</summary>
    public static ReconciliationReport Build(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, UsageTypeCatalog catalog,
        Tolerance tolerance, ReconciliationEvidence evidence)
    {
        var lines = Reconciler.Compare(expected, invoice, catalog, tolerance);
        var costsCompared = Reconciler.CostsComparable(invoice, catalog);
        evidence = evidence with { InvoiceCurrency = invoice.Currencies.FirstOrDefault(), CostsCompared = costsCompared };
        var withoutCtrs = lines.Where(l => l.InvoiceLines > 0 && evidence.InstanceWithoutCtrs(l.InstanceId))
            .GroupBy(l => (Instance: l.InstanceId!, Currency: l.InvoiceCurrency ?? "")).OrderBy(g => g.Key.Instance, StringComparer.Ordinal).ThenBy(g => g.Key.Currency, StringComparer.Ordinal)
            .Select(g => (g.Key.Instance, g.Sum(l => l.InvoicedCost), g.Key.Currency.Length == 0 ? null : g.Key.Currency)).ToList();
        return new ReconciliationReport
        {
            InstancesWithoutCtrs = withoutCtrs,
            Month = invoice.MonthStart,
            Tolerance = tolerance,
            Lines = Explainer.Explain(lines, evidence),
            Adjustments = Reconciler.Adjustments(invoice, lines),
            UnknownUsageTypes = Reconciler.Unknown(invoice, catalog),
            Invoice = InvoiceStats.Of(invoice),
            ContactVariances = evidence.Contacts ?? [],
            Calibration = evidence.Calibration ?? [],
            Currency = invoice.Currencies.Count == 0 ? catalog.Card.Currency : string.Join(",", invoice.Currencies),
            CostsCompared = costsCompared,
            ExpectedCurrency = catalog.Card.Currency,
        };
    }
}

/// <summary>A rate card as a run's manifest names it: its version and the SHA-256 of its canonical JSON.</summary>
public sealed record RateCardDigest(string Version, string Sha256);
