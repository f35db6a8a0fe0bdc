namespace ConnectReconcile.Core.Reconciliation;

/// <summary>Day × usage type × instance ("" when the invoice does not say) — the invoice side of a comparison row.</summary>
public readonly record struct UsageKey(DateOnly Day, string UsageType, string InstanceId);

/// <summary>
/// An hour × usage type cell, for the hourly diagnostics; of one instance when the line or charge
/// names one ("" when it does not, or when the cell sums every instance).
/// </summary>
public readonly record struct HourKey(DateTime Hour, string UsageType, string InstanceId = "");

/// <summary>A contact (from a granular resource id) × usage type cell.</summary>
public readonly record struct ContactKey(string ContactId, string UsageType);

/// <summary>What the invoice bills for one <see cref="UsageKey"/>.</summary>
public sealed class InvoiceUsage
{
    public string ProductCode { get; internal set; } = "";
    public string? PricingUnit { get; internal set; }
    public long Lines { get; internal set; }
    /// <summary>All usage, free-tier usage included (quantities are compared whatever the price).</summary>
    public decimal Quantity { get; internal set; }
    public decimal Cost { get; internal set; }
    /// <summary>Usage AWS priced at zero under the free tier.</summary>
    public decimal FreeTierQuantity { get; internal set; }
    /// <summary>Quantity of lines with a non-zero unit rate, and their cost: the invoice's effective rate.</summary>
    public decimal RatedQuantity { get; internal set; }
    public decimal RatedCost { get; internal set; }
    /// <summary>Quantity billed at each distinct <c>line_item_unblended_rate</c>.</summary>
    public SortedDictionary<decimal, decimal> QuantityByRate { get; } = [];
    /// <summary>The cost of the lines in <see cref="QuantityByRate"/>: what their rates times quantities should come to.</summary>
    public decimal CostOfRateLines { get; internal set; }
    /// <summary>
    /// <see cref="Cost"/> per <c>line_item_currency_code</c> ("" when a line names none): an invoice mixing
    /// currencies labels each amount with its own lines' currency, never with all of them.
    /// </summary>
    public SortedDictionary<string, decimal> CostByCurrency { get; } = new(StringComparer.Ordinal);
}

/// <summary>Amount of a non-usage line group (tax, credit, refund, free tier, other).</summary>
public sealed class AdjustmentTotal
{
    public long Lines { get; internal set; }
    public decimal Quantity { get; internal set; }
    public decimal Amount { get; internal set; }
}

/// <summary>An adjustment group; lines in different currencies are kept apart (their amounts do not add up).</summary>
public readonly record struct AdjustmentKey(string Kind, DateOnly Day, string ProductCode, string UsageType, string Description, string Currency);

/// <summary>
/// The invoice for one month, summed as the CUR streams past: usage per day × usage type × instance
/// (and per hour, and per contact when granular), adjustments (tax, credits, refunds, free tier,
/// other) apart, and counts of what was skipped. Lines are never held, so memory is bounded by the
/// number of cells, not lines (except per-contact cells of a granular export).
/// </summary>
public sealed class InvoiceAggregate
{
    private readonly Dictionary<UsageKey, InvoiceUsage> _usage = [];
    private readonly Dictionary<HourKey, decimal> _hourly = [];
    private readonly Dictionary<ContactKey, ContactUsage> _contacts = [];
    private readonly Dictionary<AdjustmentKey, AdjustmentTotal> _adjustments = [];
    private readonly OtherServiceTally _otherServices = new();
    private readonly SortedDictionary<string, string> _usageTypes = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _currencies = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _accounts = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _instances = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _otherAccountInstances = new(StringComparer.Ordinal);

    /// <summary>
    /// The invoice of one calendar month (lines whose usage starts in it; others are counted and
    /// skipped), optionally only through <paramref name="through"/> (the CUR of a running month lags)
    /// and only of one usage <paramref name="account"/> (lines that name another are counted and skipped).
    /// </summary>
    public InvoiceAggregate(DateOnly month, DateOnly? through = null, string? account = null)
    {
        Account = account is null ? null : AccountId(account);
        MonthStart = new DateOnly(month.Year, month.Month, 1);
        MonthEnd = MonthStart.AddMonths(1).AddDays(-1);
        if (through is { } t && t < MonthEnd)
        {
            MonthEnd = t;
        }
    }

    private InvoiceAggregate(DateOnly from, DateOnly to)
    {
        MonthStart = from;
        MonthEnd = to;
    }

    /// <summary>Every line whatever its month (for deriving a rate card from a whole export).</summary>
    public static InvoiceAggregate AllMonths(bool trackContacts = true) => new(DateOnly.MinValue, DateOnly.MaxValue) { TrackContacts = trackContacts };

    /// <summary>
    /// Whether usage is also kept per contact (<see cref="Contacts"/>) when lines name one. A granular
    /// export has a line per contact, so those cells hold most of the aggregate's memory (1.65 M lines:
    /// ~0.7 GB); what reads only the day cells (deriving a rate card) turns this off.
    /// <see cref="HasContacts"/> still says whether lines named contacts.
    /// </summary>
    public bool TrackContacts { get; init; } = true;

    /// <summary>First day of the month (<see cref="DateOnly.MinValue"/> for <see cref="AllMonths"/>).</summary>
    public DateOnly MonthStart { get; }

    /// <summary>Last day compared: the month's last day, or the <c>through</c> day.</summary>
    public DateOnly MonthEnd { get; }

    /// <summary>The first day with usage, else <see cref="MonthStart"/>.</summary>
    public DateOnly FirstUsageDay => _usage.Count == 0 ? MonthStart : _usage.Keys.Min(k => k.Day);

    public IReadOnlyDictionary<UsageKey, InvoiceUsage> Usage => _usage;

    /// <summary>Usage per hour × usage type of the lines within one hour (<see cref="HourlyLines"/>); empty without them.</summary>
    public IReadOnlyDictionary<HourKey, decimal> Hourly => _hourly;

    public IReadOnlyDictionary<ContactKey, ContactUsage> Contacts => _contacts;

    public IReadOnlyDictionary<AdjustmentKey, AdjustmentTotal> Adjustments => _adjustments;

    /// <summary>Lines of other AWS services, never compared: how many and what they cost, by product code × currency (listed as not modelled).</summary>
    public IReadOnlyList<OtherServiceTotal> OtherServices => _otherServices.Totals;

    /// <summary>Every Connect usage type seen, with its product code.</summary>
    public IReadOnlyDictionary<string, string> UsageTypes => _usageTypes;

    public IReadOnlyCollection<string> Currencies => _currencies;

    /// <summary>The usage account compared (null: every account).</summary>
    public string? Account { get; }

    /// <summary>An account id as AWS writes it, 12 digits: an export that typed the column as a number lost its leading zeros.</summary>
    public static string AccountId(string id)
    {
        var trimmed = id.Trim();
        return trimmed.Length < 12 && trimmed.All(char.IsAsciiDigit) ? trimmed.PadLeft(12, '0') : trimmed;
    }

    /// <summary>Every usage account of the month's Connect lines, the skipped ones included.</summary>
    public IReadOnlyCollection<string> Accounts => _accounts;

    /// <summary>Connect lines of the month skipped because they are another account's.</summary>
    public long OtherAccountLines { get; private set; }

    /// <summary>The instances the compared usage lines name (tag or resource id).</summary>
    public IReadOnlyCollection<string> Instances => _instances;

    /// <summary>Usage lines compared that name no instance.</summary>
    public long LinesWithoutInstance { get; private set; }

    /// <summary>The instances named by usage lines skipped as another account's (with <c>account</c>).</summary>
    public IReadOnlyCollection<string> OtherAccountInstances => _otherAccountInstances;

    public long LinesRead { get; private set; }

    public long ConnectLines { get; private set; }

    /// <summary>Connect lines outside the days compared (other months, and days after <c>through</c>), skipped.</summary>
    public long OutsideMonth { get; private set; }

    /// <summary>Of <see cref="OutsideMonth"/>, the lines of other months: a wrong month or folder, not a running month's later days.</summary>
    public long OtherMonthLines { get; private set; }

    /// <summary>
    /// True when some usage line lies within one clock hour: the hourly diagnostics can run, on the
    /// hours of such lines (<see cref="Hourly"/> holds nothing else).
    /// </summary>
    public bool HasHourlyLines => HourlyLines > 0;

    /// <summary>
    /// Of <see cref="UsageLines"/>, those within one clock hour (start and end in it). A line without an
    /// end, or of a day, is not: it is compared on its start day, and is no figure of any one hour.
    /// </summary>
    public long HourlyLines { get; private set; }

    /// <summary>Usage lines compared (free-tier usage included).</summary>
    public long UsageLines { get; private set; }

    /// <summary>
    /// Of <see cref="UsageLines"/>, those covering more than a day: an export at monthly time
    /// granularity, whose one line per usage type holds the whole month on its first day.
    /// </summary>
    public long MonthlyLines { get; private set; }

    /// <summary>
    /// True when some usage line covers more than a day: its days cannot be told apart, so the
    /// comparison is per month × usage type (× instance), not per day.
    /// </summary>
    public bool ComparedPerMonth => MonthlyLines > 0;

    /// <summary>True when some usage line carried a contact id (granular billing).</summary>
    public bool HasContacts { get; private set; }

    public bool HasInstances { get; private set; }

    public void Add(CurLine line)
    {
        LinesRead++;
        if (!CurClassifier.IsConnect(line.ProductCode))
        {
            _otherServices.Add(line.ProductCode, string.IsNullOrEmpty(line.Currency) ? null : line.Currency, line.UnblendedCost);
            return;
        }

        var start = DateTime.SpecifyKind(line.UsageStart, DateTimeKind.Utc);
        var day = DateOnly.FromDateTime(start);
        if (day < MonthStart || day > MonthEnd)
        {
            OutsideMonth++;
            if (day < MonthStart || day >= MonthStart.AddMonths(1))
            {
                OtherMonthLines++;
            }

            return;
        }

        if (!string.IsNullOrEmpty(line.UsageAccountId))
        {
            var account = AccountId(line.UsageAccountId);
            _accounts.Add(account);
            if (Account is not null && !string.Equals(account, Account, StringComparison.Ordinal))
            {
                OtherAccountLines++;
                if (CurClassifier.KindOf(line) is LineKinds.Usage or LineKinds.FreeTier && CurClassifier.InstanceOf(line) is { } other)
                {
                    _otherAccountInstances.Add(other);
                }

                return;
            }
        }

        ConnectLines++;
        if (!string.IsNullOrEmpty(line.Currency))
        {
            _currencies.Add(line.Currency);
        }

        var kind = CurClassifier.KindOf(line);
        if (kind == LineKinds.Usage || (kind == LineKinds.FreeTier && CurClassifier.IsFreeTierUsage(line)))
        {
            AddUsage(line, start, day, kind == LineKinds.FreeTier);
            if (kind == LineKinds.FreeTier)
            {
                // Free-tier usage counts as usage (quantities are compared) and shows its value apart.
                AddAdjustment(LineKinds.FreeTier, day, line);
            }

            return;
        }

        AddAdjustment(kind, day, line);
    }

    /// <summary>Connect lines the reader could not read (no usable start time, amount or cost): never compared, always reported.</summary>
    public long UnreadableLines { get; private set; }

    /// <summary>The first of them, to show where they are.</summary>
    public IReadOnlyList<UnreadableInvoiceLine> FirstUnreadable { get; private set; } = [];

    /// <summary>Counts the Connect lines a reader could not read (they never reach <see cref="Add"/>).</summary>
    public void CountUnreadable(long lines, IReadOnlyList<UnreadableInvoiceLine> first)
    {
        LinesRead += lines;
        UnreadableLines += lines;
        FirstUnreadable = [.. FirstUnreadable, .. first];
    }

    /// <summary>Adds the lines of other services that a reader tallied instead of passing them to <see cref="Add"/>.</summary>
    public void CountOtherServices(OtherServiceTally lines)
    {
        LinesRead += lines.Totals.Sum(t => t.Lines);
        _otherServices.Add(lines);
    }

    private void AddUsage(CurLine line, DateTime start, DateOnly day, bool freeTier)
    {
        if (line.UsageType.Length > 0)
        {
            _usageTypes.TryAdd(line.UsageType, line.ProductCode);
        }

        var instance = CurClassifier.InstanceOf(line);
        HasInstances |= instance is not null;
        if (instance is null)
        {
            LinesWithoutInstance++;
        }
        else
        {
            _instances.Add(instance);
        }

        var key = new UsageKey(day, line.UsageType, instance ?? "");
        if (!_usage.TryGetValue(key, out var u))
        {
            _usage[key] = u = new InvoiceUsage { ProductCode = line.ProductCode, PricingUnit = line.PricingUnit };
        }

        u.Lines++;
        u.Quantity += line.UsageAmount;
        u.Cost += line.UnblendedCost;
        var currency = line.Currency ?? "";
        u.CostByCurrency[currency] = u.CostByCurrency.GetValueOrDefault(currency) + line.UnblendedCost;
        if (freeTier)
        {
            u.FreeTierQuantity += line.UsageAmount;
        }
        else if (line.UnblendedRate is { } rate && rate != 0m)
        {
            u.QuantityByRate[rate] = u.QuantityByRate.GetValueOrDefault(rate) + line.UsageAmount;
            u.CostOfRateLines += line.UnblendedCost;
            u.RatedQuantity += line.UsageAmount;
            u.RatedCost += line.UnblendedCost;
        }
        else if (line.UnblendedCost != 0m)
        {
            u.RatedQuantity += line.UsageAmount;
            u.RatedCost += line.UnblendedCost;
        }

        UsageLines++;
        var hour = new DateTime(start.Year, start.Month, start.Day, start.Hour, 0, 0, DateTimeKind.Utc);
        if (line.UsageEnd is { } end && end >= start && end <= hour.AddHours(1))
        {
            // Only a line inside one clock hour is that hour's figure: a daily line (or one without an
            // end) put in the hour it starts would look like a day's usage billed at midnight.
            HourlyLines++;
            var hk = new HourKey(hour, line.UsageType, instance ?? "");
            _hourly[hk] = _hourly.GetValueOrDefault(hk) + line.UsageAmount;
        }
        else if (line.UsageEnd - line.UsageStart > TimeSpan.FromDays(1))
        {
            MonthlyLines++;
        }

        if (!TrackContacts)
        {
            // Only whether lines name contacts: once one has, the rest need not be parsed.
            HasContacts = HasContacts || CurClassifier.ContactOf(line) is not null;
        }
        else if (CurClassifier.ContactOf(line) is { } contact)
        {
            HasContacts = true;
            var ck = new ContactKey(contact, line.UsageType);
            if (!_contacts.TryGetValue(ck, out var cu))
            {
                _contacts[ck] = cu = new ContactUsage(day);
            }

            cu.Quantity += line.UsageAmount;
            cu.Cost += line.UnblendedCost;
            // A currency code is its own label: no list is built for a line in the cell's currency.
            cu.InvoiceCurrency = Reconciler.CurrencyOf(cu.InvoiceCurrency, currency.Length == 0 ? null : currency);
        }
    }

    private void AddAdjustment(string kind, DateOnly day, CurLine line)
    {
        var description = line.Description ?? "";
        var key = new AdjustmentKey(kind, day, line.ProductCode, line.UsageType, description, line.Currency ?? "");
        if (!_adjustments.TryGetValue(key, out var a))
        {
            _adjustments[key] = a = new AdjustmentTotal();
        }

        a.Lines++;
        a.Quantity += line.UsageAmount;
        a.Amount += line.UnblendedCost;
    }
}

/// <summary>What the invoice bills one contact for one usage type.</summary>
public sealed class ContactUsage(DateOnly day)
{
    public DateOnly Day { get; } = day;
    public decimal Quantity { get; internal set; }
    public decimal Cost { get; internal set; }
    /// <summary>
    /// The currency of its lines, labelled as <see cref="Reconciler.CurrencyOf(IEnumerable{string})"/> does (comma-joined when
    /// they mix); null when they name none. A label, not a set: a granular month has millions of these cells.
    /// </summary>
    public string? InvoiceCurrency { get; internal set; }
}
