using System.Globalization;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// The explanation rules: for every variance beyond tolerance, the causes the evidence supports.
/// Each rule is independent and conservative (it names a cause only when its own evidence points
/// at it); a variance no rule explains is marked <see cref="CauseCodes.Unexplained"/>. Rules:
/// <list type="bullet">
/// <item>an instance without CTRs (the invoice bills an instance none of whose CTRs were rated in the month);</item>
/// <item>missing CTRs for a day (invoice usage, no CTR usage at all that day);</item>
/// <item>missing CTRs for hours (hourly exports: hours where the invoice bills usage and our CTRs cover less than half of it);</item>
/// <item>numbers billed but not in the inventory (number-days over; numbers that took calls but have no number-day charge);</item>
/// <item>desk-phone agents not in the directory (outbound minutes over; agents seen in the CTRs the directory lacks);</item>
/// <item>rate differences (the invoice's line_item_unblended_rate vs our rate);</item>
/// <item>an invoice cost that is not its own rate × quantity (line_item_unblended_cost vs line_item_unblended_rate × usage amount);</item>
/// <item>minimum-charge effects (invoice lower by no more than the minutes our first increments add);</item>
/// <item>unrated charges (no rate-card row: our cost and quantity for them are incomplete);</item>
/// <item>unknown usage types, per-contact variances and policy calibration as context.</item>
/// </list>
/// Evidence is scoped to the row's instance when the row names one (another instance's CTRs, numbers
/// and agents say nothing about it); a row summed over instances looks at all of them. A month row
/// (a monthly invoice) looks at every day of its month, and the rules that need one day's figures
/// from the invoice (missing hours, unlisted numbers) do not run on it.
/// </summary>
public static class Explainer
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static IReadOnlyList<ReconciliationLine> Explain(IReadOnlyList<ReconciliationLine> lines, ReconciliationEvidence evidence)
    {
        var contactsByCell = (evidence.Contacts ?? []).GroupBy(c => new DayKey(c.Day, c.UsageType)).ToDictionary(g => g.Key, g => g.ToList());
        var minuteUsageTypes = lines.Where(l => l.Unit == Units.Minute).Select(l => l.UsageType).Distinct(StringComparer.Ordinal).ToList();
        // A row of one instance looks at that instance's evidence only: another instance's CTRs, numbers
        // and agents say nothing about it. Scoped once per instance (null: every instance summed).
        var scoped = new Dictionary<string, ReconciliationEvidence>(StringComparer.Ordinal);
        ReconciliationEvidence For(string? instance)
        {
            var key = instance ?? "\0all";
            if (!scoped.TryGetValue(key, out var ev))
            {
                scoped[key] = ev = evidence.ForInstance(instance);
            }

            return ev;
        }

        return lines.Select(l => l with { Causes = CausesFor(l, l.BeyondTolerance ? For(l.InstanceId) : evidence, contactsByCell, minuteUsageTypes) }).ToList();
    }

    private static List<Cause> CausesFor(ReconciliationLine l, ReconciliationEvidence ev, Dictionary<DayKey, List<ContactVariance>> contacts, IReadOnlyCollection<string> minuteUsageTypes)
    {
        var causes = new List<Cause>();
        if (!l.KnownUsageType)
        {
            causes.Add(new Cause(CauseCodes.UnknownUsageType,
                $"{l.UsageType} is not in the rate card's usage-type map (a new AWS usage type?); it is listed, not dropped — add it to the card's usageTypes or a row so it is expected and rated",
                l.QuantityVariance, ev.CostsCompared ? l.CostVariance : null));
        }

        if (l.UnratedCharges > 0)
        {
            causes.Add(Unrated(l, ev));
        }

        if (!l.BeyondTolerance)
        {
            return causes;
        }

        if (ev.InstanceWithoutCtrs(l.InstanceId))
        {
            // Nothing of this instance was rated: the day, hour, number and agent rules would only
            // look at an empty instance (or, before, at other instances' CTRs).
            Add(causes, InstanceWithoutCtrs(l, ev));
        }
        else
        {
            Add(causes, MissingDay(l, ev));
            if (!causes.Any(c => c.Code == CauseCodes.MissingCtrsDay))
            {
                Add(causes, MissingHours(l, ev, minuteUsageTypes));
            }

            Add(causes, UnlistedNumber(l, ev));
            Add(causes, DeskAgent(l, ev));
            Add(causes, RateDifference(l, ev));
            Add(causes, CostOffRate(l, ev));
            Add(causes, Minimums(l, ev));
        }

        Add(causes, Policy(l, ev));
        Add(causes, Contacts(l, contacts, ev));
        Add(causes, Unreadable(l, ev));
        if (causes.All(c => c.Code is CauseCodes.Contacts))
        {
            causes.Add(new Cause(CauseCodes.Unexplained,
                $"no detectable cause for {Signed(l.QuantityVariance)} {UnitText(l.Unit)}" + (ev.CostsCompared ? $" / {Signed(l.CostVariance, 2)} {Money(ev)}" : "") +
                (l.InvoiceLines == 0 && l.Status == Statuses.OnlyInCtrs
                    // Our CTRs have the usage and the invoice has no line of it: the gap is on the invoice's side.
                    ? $": the invoice bills nothing for this {(l.WholeMonth ? "month" : "day")} and usage type (a day missing from the export, or not yet billed?): check the invoice files and the rate card for this usage type"
                    : ": check the CTR source for gaps and the rate card for this usage type")));
        }

        return causes;
    }

    /// <summary>
    /// Charges of the row the rate card has no row for: our cost leaves them out, and (minutes) their
    /// quantity is their actual seconds, with none of the card's increments or minimums. A variance
    /// of such a row is the missing rate's before anything else, so this explains it.
    /// </summary>
    private static Cause Unrated(ReconciliationLine l, ReconciliationEvidence ev)
    {
        var whole = l.UnratedCharges == l.Charges;
        var what = $"{l.ChargeKind ?? l.UsageType} in {l.Region ?? "its region"}";
        var text = (whole ? $"none of our {l.Charges:N0} charges" : $"{l.UnratedCharges:N0} of our {l.Charges:N0} charges") +
            $" of {l.UsageType} could be priced: no rate-card row for {what}" + (ev.Card is { } card ? $" in the card {card.Version}" : "") +
            ", so our cost leaves them out" +
            (l.Unit == Units.Minute ? " and their minutes are actual seconds, without the card's increments and minimums" : "") +
            (l.Unit == Units.Unit ? " (CTRs carry no message counts: our quantity counts contacts)" : "");
        if (l.InvoiceLines > 0 && ev.CostsCompared && l.InvoicedCost != 0m)
        {
            text += $"; the invoice charges {l.InvoicedCost.ToString("#,0.00", C)} {Money(ev)} for it, against our {l.ExpectedCost.ToString("#,0.00", C)}";
        }

        return new Cause(CauseCodes.Unrated, text + $" — add a row for {what} to the rate card (or --rate-card one that has it), re-run replay and reconcile again");
    }

    /// <summary>The invoice's currency, in which its costs, rates and the variances are.</summary>
    private static string Money(ReconciliationEvidence ev) => ev.InvoiceCurrency ?? ev.Card?.Currency ?? "USD";

    /// <summary>
    /// Invoice lines of this day and usage type that could not be read are not in the invoiced figure:
    /// of this instance too, when both the line and the row name one.
    /// </summary>
    private static Cause? Unreadable(ReconciliationLine l, ReconciliationEvidence ev)
    {
        var lines = ev.UnreadableLines.Where(u => u.Day is { } day && l.Covers(day) && string.Equals(u.UsageType, l.UsageType, StringComparison.Ordinal)
            && (string.IsNullOrEmpty(u.InstanceId) || string.IsNullOrEmpty(l.InstanceId) || string.Equals(u.InstanceId, l.InstanceId, StringComparison.Ordinal))).ToList();
        return lines.Count == 0 ? null : new Cause(CauseCodes.UnreadableInvoiceLine,
            $"{lines.Count} invoice line(s) of this {(l.WholeMonth ? "month" : "day")} and usage type could not be read, so the invoiced figure leaves them out: " +
            $"{lines[0].Source} row {lines[0].Row}, {lines[0].Reason}");
    }

    private static void Add(List<Cause> causes, Cause? cause)
    {
        if (cause is not null)
        {
            causes.Add(cause);
        }
    }

    private static bool IsVoice(ReconciliationLine l) => l.Unit == Units.Minute;

    /// <summary>"on the day" or, for a month row, "in the month", for cause texts.</summary>
    private static string When(ReconciliationLine l) => l.WholeMonth ? $"in {l.Day.ToString("yyyy-MM", C)}" : $"on {l.Day.ToString("yyyy-MM-dd", C)}";

    /// <summary>The row's instance has no CTRs rated in the whole month, while the invoice bills it usage.</summary>
    private static Cause? InstanceWithoutCtrs(ReconciliationLine l, ReconciliationEvidence ev)
    {
        // Costs in two currencies say nothing: then only the quantity tells whether the invoice bills more.
        if (l.QuantityVariance <= 0 && (!ev.CostsCompared || l.CostVariance <= 0))
        {
            return null;
        }

        return new Cause(CauseCodes.MissingCtrsInstance,
            $"no CTRs of instance {l.InstanceId} were rated this month (no contact usage on any day), but the invoice bills it {Q(l.InvoicedQuantity)} {UnitText(l.Unit)} of {l.UsageType} {When(l)}: " +
            "the instance's CTRs are not in the source (its own bucket, prefix or stream left out of --source?) — add them and re-run replay",
            l.QuantityVariance, ev.CostsCompared ? l.CostVariance : null);
    }

    private static Cause? MissingDay(ReconciliationLine l, ReconciliationEvidence ev)
    {
        if (l.WholeMonth)
        {
            return MissingDaysOfMonth(l, ev);
        }

        if (!IsVoice(l) || l.QuantityVariance <= 0 || ev.DaysWithCtrs is not { } days || days.Contains(l.Day))
        {
            return null;
        }

        return new Cause(CauseCodes.MissingCtrsDay,
            $"no CTRs were rated for {l.Day:yyyy-MM-dd}, but the invoice bills {Q(l.InvoicedQuantity)} {UnitText(l.Unit)} of {l.UsageType} that day: the day's CTRs are missing from the source (a failed delivery or a wrong --source/--from/--to?)",
            l.QuantityVariance);
    }

    /// <summary>
    /// A month row: days without CTRs between the month's first and last days with CTRs (days before
    /// or after them may be a partial month, not a gap). The invoice does not say how much of its
    /// month they hold, so the cause names them without claiming a share of the variance.
    /// </summary>
    private static Cause? MissingDaysOfMonth(ReconciliationLine l, ReconciliationEvidence ev)
    {
        var rated = ev.DaysWithCtrs?.Where(l.Covers).ToList() ?? [];
        if (!IsVoice(l) || l.QuantityVariance <= 0 || rated.Count == 0)
        {
            return null;
        }

        var (first, last) = (rated.Min(), rated.Max());
        var missing = Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(first.AddDays).Where(d => !rated.Contains(d)).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        return new Cause(CauseCodes.MissingCtrsDay,
            $"no CTRs were rated for {missing.Count} day(s) of {l.Day:yyyy-MM} ({string.Join(", ", missing.Take(10).Select(d => d.ToString("yyyy-MM-dd", C)))}{(missing.Count > 10 ? ", …" : "")}), " +
            $"and the invoice bills {Q(l.QuantityVariance)} {UnitText(l.Unit)} of {l.UsageType} more than we expect over the month (it is monthly, so how much of it those days hold cannot be told): " +
            "the days' CTRs may be missing from the source (a failed delivery or a wrong --source/--from/--to?)");
    }

    /// <summary>
    /// Hours of the day where the invoice bills voice minutes (all minute usage types together) and
    /// our CTRs cover at most half of them: a gap in the CTRs, not a metering difference of one usage
    /// type (those leave the other usage types of the hour intact).
    /// </summary>
    private static List<DateTime> GapHours(DateOnly day, ReconciliationEvidence ev, IReadOnlyCollection<string> minuteUsageTypes)
    {
        var gaps = new List<DateTime>();
        if (ev.ExpectedHourly is not { } expected || ev.InvoicedHourly is not { } invoiced)
        {
            return gaps;
        }

        var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        for (var h = 0; h < 24; h++)
        {
            var hour = dayStart.AddHours(h);
            decimal inv = 0m, exp = 0m;
            foreach (var ut in minuteUsageTypes)
            {
                inv += invoiced.GetValueOrDefault(new HourKey(hour, ut));
                exp += expected.GetValueOrDefault(new HourKey(hour, ut));
            }

            if (inv > 0 && inv - exp >= 1m && exp <= inv / 2)
            {
                gaps.Add(hour);
            }
        }

        return gaps;
    }

    private static Cause? MissingHours(ReconciliationLine l, ReconciliationEvidence ev, IReadOnlyCollection<string> minuteUsageTypes)
    {
        if (!IsVoice(l) || l.WholeMonth || l.QuantityVariance <= 0 || ev.ExpectedHourly is not { } expected || ev.InvoicedHourly is not { } invoiced)
        {
            return null;
        }

        var flagged = GapHours(l.Day, ev, minuteUsageTypes);
        decimal Gap(DateTime h) => invoiced.GetValueOrDefault(new HourKey(h, l.UsageType)) - expected.GetValueOrDefault(new HourKey(h, l.UsageType));
        var inGaps = flagged.Where(h => Gap(h) > 0).ToList();
        if (inGaps.Count == 0)
        {
            return null;
        }

        var flaggedSet = flagged.ToHashSet();
        var neighbours = flagged.SelectMany(h => new[] { h.AddHours(-1), h.AddHours(1) })
            .Where(h => !flaggedSet.Contains(h) && DateOnly.FromDateTime(h) == l.Day).Distinct().Sum(h => Math.Max(0m, Gap(h)));
        var explained = Math.Min(l.QuantityVariance, inGaps.Sum(Gap) + neighbours);
        var list = string.Join("; ", inGaps.Select(h =>
            $"{h:yyyy-MM-dd HH}:00–{h.AddHours(1):HH}:00 UTC (invoice {Q(invoiced.GetValueOrDefault(new HourKey(h, l.UsageType)))} min, CTRs {Q(expected.GetValueOrDefault(new HourKey(h, l.UsageType)))} min)"));
        return new Cause(CauseCodes.MissingCtrsHour,
            $"CTRs appear to be missing for {inGaps.Count} hour(s) in which the invoice bills voice usage that our CTRs cover less than half of: {list}" +
            (neighbours > 0 ? $", plus {Q(neighbours)} min in the neighbouring hours (calls around the gap)" : "") +
            $"; together {Q(explained)} of the {Q(l.QuantityVariance)} min variance. A lost delivery? Find the records and re-run replay for {l.Day:yyyy-MM-dd}.",
            explained);
    }

    private static Cause? UnlistedNumber(ReconciliationLine l, ReconciliationEvidence ev)
    {
        // A month row's number-days cannot be set against one day's inventory.
        if (l.Unit != Units.NumberDay || l.WholeMonth || l.QuantityVariance <= 0)
        {
            return null;
        }

        var kind = l.ChargeKind ?? "";
        var key = new DayKey(l.Day, kind);
        var inventory = ev.InventoryNumbers?.GetValueOrDefault(key);
        var called = ev.CalledNumbers?.GetValueOrDefault(key);
        var candidates = called is null ? [] : called
            .Where(kv => inventory is null || !inventory.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .ToList();
        var numbers = Math.Ceiling(l.QuantityVariance - 0.01m);
        var text = $"the invoice bills {Q(l.QuantityVariance)} more number-day(s) than our number inventory holds" +
                   (inventory is null ? "" : $" ({inventory.Count} number(s) on {l.Day:yyyy-MM-dd})") +
                   $": about {numbers:0} number(s) billed but not in the inventory";
        text += candidates.Count > 0
            ? "; numbers that took calls that day but are not in the inventory: " + string.Join(", ", candidates.Take(10).Select(kv => $"{kv.Key} ({kv.Value:N0} call(s))"))
            : " (a number claimed in Connect but missing from numbers.csv / list-phone-numbers-v2?)";
        return new Cause(CauseCodes.UnlistedNumber, text + ". Add it to the inventory and re-run replay.",
            candidates.Count > 0 ? Math.Min(l.QuantityVariance, candidates.Count) : null);
    }

    private static Cause? DeskAgent(ReconciliationLine l, ReconciliationEvidence ev)
    {
        if (l.ChargeKind != ChargeKinds.TelephonyOutbound || l.QuantityVariance <= 0)
        {
            return null;
        }

        if (ev.DirectoryAgents is not { } directory)
        {
            return new Cause(CauseCodes.DeskAgentMissing,
                $"{Q(l.QuantityVariance)} outbound minutes the CTRs do not explain: a desk-phone agent missing from the agent directory is rated as a softphone, " +
                "which leaves out Connect's outbound leg to the desk phone — give --agents to check which agents are missing");
        }

        var candidates = (ev.AgentSeconds ?? new Dictionary<DayKey, long>())
            .Where(kv => l.Covers(kv.Key.Day) && !directory.Contains(kv.Key.Name))
            .GroupBy(kv => kv.Key.Name, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Value: g.Sum(kv => kv.Value)))
            .OrderByDescending(c => c.Value).ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var minutes = candidates.Sum(c => c.Value) / 60m;
        return new Cause(CauseCodes.DeskAgentMissing,
            $"{Q(l.QuantityVariance)} outbound minutes the CTRs do not explain; agents who handled calls {When(l)} but are not in the agent directory: " +
            string.Join(", ", candidates.Take(10).Select(c => $"{c.Name} ({Q(c.Value / 60m)} min connected)")) +
            ". An agent on a desk phone is reached by an outbound call from Connect for every contact; missing from the directory, they are rated as a softphone. Add them (phone type DESK_PHONE) and re-run replay.",
            Math.Min(l.QuantityVariance, minutes));
    }

    private static Cause? RateDifference(ReconciliationLine l, ReconciliationEvidence ev)
    {
        if (!ev.CostsCompared || l.ExpectedRate is not { } ours || l.InvoicedRate is not { } theirs || ours == 0m || Math.Abs(theirs - ours) / ours <= 0.0001m)
        {
            return null;
        }

        var chargeable = l.InvoicedQuantity - l.FreeTierQuantity;
        var explained = (theirs - ours) * chargeable;
        if (Math.Abs(explained) <= Tolerance.CostEpsilon)
        {
            return null;
        }

        var match = ev.Catalog?.Match(l.UsageType);
        var row = ev.Card is { } card && l.Region is { } region && l.ChargeKind is { } kind
            ? card.Find(region, match?.PricingModel ?? PricingModels.PerFeature, kind, match?.Country, null, l.Day)
            : null;
        return new Cause(CauseCodes.RateDifference,
            $"the invoice charges {R(theirs)} {Money(ev)} per {UnitText(l.Unit, singular: true)} (line_item_unblended_rate), our rate card {R(ours)}" +
            // Our rate is the row's own only when they are equal: else the day's charges took several rows
            // (prefixes, a dated change), and naming the country row would quote a price nobody paid.
            (row is null ? "" : row.Price == ours ? $" (row {row.Id}, source: {row.Source})" : " (a blend of several of its rows: prefixes or a dated change)") +
            $": that accounts for {Signed(explained, 2)} of the {Signed(l.CostVariance, 2)} {Money(ev)} variance. `connect-reconcile ratecard derive --cur …` writes a card with the invoice's own rates.",
            null, explained);
    }

    /// <summary>
    /// The invoice's cost is not its own rate × quantity: no rate card can price that, so it is said apart from
    /// <see cref="RateDifference"/> (a card derived from the invoice has the same rate and leaves the variance).
    /// </summary>
    private static Cause? CostOffRate(ReconciliationLine l, ReconciliationEvidence ev)
    {
        if (!ev.CostsCompared || l.InvoicedCostOffRate is not { } off || Math.Abs(off) <= Tolerance.CostEpsilon
            || l.InvoicedCostOfRateLines is not { } cost || l.InvoicedCostAtRate is not { } atRate)
        {
            return null;
        }

        var sameRate = l.ExpectedRate is { } ours && l.InvoicedRate is { } theirs && ours != 0m && Math.Abs(theirs - ours) / ours <= 0.0001m;
        return new Cause(CauseCodes.CostNotRateTimesQuantity,
            $"the invoice's cost is not its own rate × quantity: its lines' line_item_unblended_cost comes to {R(cost)} {Money(ev)}, " +
            $"their line_item_unblended_rate ({(l.InvoicedRate is { } r ? R(r) : "?")}) × usage amount to {R(atRate)}: {Signed(off, 2)} {Money(ev)} of the {Signed(l.CostVariance, 2)} {Money(ev)} variance" +
            (sameRate ? ". The rate is our rate card's, so no card (not even `ratecard derive`'s) removes it: ask AWS about the lines' cost" : "") + ".",
            null, off);
    }

    private static Cause? Minimums(ReconciliationLine l, ReconciliationEvidence ev)
    {
        if (!IsVoice(l) || l.QuantityVariance >= 0 || ev.MinimumTopUpMinutes is not { } topUps)
        {
            return null;
        }

        var added = topUps.Where(kv => l.Covers(kv.Key.Day) && string.Equals(kv.Key.Name, l.UsageType, StringComparison.Ordinal)).Sum(kv => kv.Value);
        if (added <= 0 || -l.QuantityVariance > added * 1.001m)
        {
            return null;
        }

        return new Cause(CauseCodes.MinimumCharge,
            $"the invoice bills {Q(-l.QuantityVariance)} min less than we expect, within the {Q(added)} min our minimums (first increments) add {(l.WholeMonth ? "that month" : "that day")}: " +
            "the invoice may apply minimums differently (per record, or not at all) — `reconcile --calibrate` compares the policies",
            l.QuantityVariance);
    }

    private static Cause? Policy(ReconciliationLine l, ReconciliationEvidence ev)
    {
        if (ev.Calibration is not { Count: > 1 } ranking || l.Basis != "quantity")
        {
            return null;
        }

        var best = ranking[0];
        var current = ranking.FirstOrDefault(r => r.IsCurrent);
        if (best.IsCurrent || current is null || best.AbsQuantityVariance >= current.AbsQuantityVariance)
        {
            return null;
        }

        return new Cause(CauseCodes.Policy,
            $"calibration: the invoice fits the metering policy '{best.Policy}' better than ours ('{current.Policy}'): total |quantity variance| {Q(best.AbsQuantityVariance)} vs {Q(current.AbsQuantityVariance)} — re-run replay with --policy \"{best.Policy}\"");
    }

    /// <summary>
    /// The contacts behind a row, largest first. A row beyond tolerance on cost (a rate difference: the
    /// minutes agree) names them by their cost variance: by quantity, each read "0 min".
    /// </summary>
    private static Cause? Contacts(ReconciliationLine l, Dictionary<DayKey, List<ContactVariance>> contacts, ReconciliationEvidence ev)
    {
        var list = l.WholeMonth
            ? contacts.Where(kv => l.Covers(kv.Key.Day) && string.Equals(kv.Key.Name, l.UsageType, StringComparison.Ordinal)).SelectMany(kv => kv.Value).ToList()
            : contacts.GetValueOrDefault(new DayKey(l.Day, l.UsageType)) ?? [];
        if (list.Count == 0)
        {
            return null;
        }

        var onCost = ev.CostsCompared && l.Basis == "cost";
        // A cost difference between two currencies ranks nothing, not even ties of quantity.
        var top = (onCost
                ? list.OrderByDescending(c => Math.Abs(c.CostVariance)).ThenByDescending(c => Math.Abs(c.QuantityVariance))
                : list.OrderByDescending(c => Math.Abs(c.QuantityVariance)).ThenByDescending(c => ev.CostsCompared ? Math.Abs(c.CostVariance) : 0m))
            .ThenBy(c => c.ChainId, StringComparer.Ordinal).Take(5).ToList();
        string Variance(ContactVariance c)
        {
            var quantity = $"{Signed(c.QuantityVariance)} {UnitText(l.Unit)}";
            if (!ev.CostsCompared || !(onCost || c.QuantityVariance == 0m))
            {
                return quantity;
            }

            var cost = $"{SignedCost(c.CostVariance)} {Money(ev)}";
            return c.QuantityVariance == 0m ? cost : $"{quantity}, {cost}";
        }

        return new Cause(CauseCodes.Contacts,
            $"{list.Count:N0} contact(s) differ on the invoice (granular billing); largest: " +
            string.Join(", ", top.Select(c => $"{c.ChainId} ({Variance(c)}{(c.InCtrs ? "" : ", contact id not in our charges or segments")})")),
            list.Sum(c => c.QuantityVariance), ev.CostsCompared ? list.Sum(c => c.CostVariance) : null);
    }

    /// <summary>A contact's cost variance: cents would hide most of them (a contact's is often a fraction of one).</summary>
    private static string SignedCost(decimal v)
    {
        var rounded = Math.Round(v, 4, MidpointRounding.AwayFromZero);
        var text = rounded.ToString("#,0.00##", C);
        return rounded > 0 ? "+" + text : text;
    }

    private static string UnitText(string unit, bool singular = false) => unit switch
    {
        Units.Minute => singular ? "minute" : "min",
        Units.NumberDay => singular ? "number-day" : "number-days",
        _ => singular ? "unit" : "units",
    };

    internal static string Q(decimal v) => Math.Round(v, 3, MidpointRounding.AwayFromZero).ToString("#,0.###", C);

    private static string R(decimal v) => Math.Round(v, 8, MidpointRounding.AwayFromZero).ToString("0.########", C);

    private static string Signed(decimal v, int decimals = 3)
    {
        var rounded = Math.Round(v, decimals, MidpointRounding.AwayFromZero);
        var text = rounded.ToString(decimals == 2 ? "#,0.00" : "#,0.###", C);
        return rounded > 0 ? "+" + text : text;
    }
}
