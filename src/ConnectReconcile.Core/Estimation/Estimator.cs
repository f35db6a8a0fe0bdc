using System.Globalization;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Segments;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Estimation;

public sealed record EstimateOptions
{
    /// <summary>First day of the month estimated when the profile names none.</summary>
    public DateOnly? Month { get; init; }

    /// <summary>Representative calls per kind of call (each duration distribution is cut into this many equally likely values).</summary>
    public int Resolution { get; init; } = 200;
}

/// <summary>
/// "What will this cost?": synthesises representative calls from a <see cref="VolumeProfile"/>
/// (<see cref="ChainSynthesizer"/>), rates each with the same <see cref="Rater"/> a replay uses —
/// so minimums, increments, policy and rate rows are exactly the billing core's — and scales each
/// by the number of real calls it stands for. Numbers are priced by <see cref="NumberDayRater"/>,
/// other channels by <see cref="Rater.RateUnit"/>.
/// </summary>
public sealed class Estimator(RateCard card, BillingPolicy policy)
{
    public const string NoLegSegment = "no-leg";
    public const string NumbersSegment = "numbers";

    public EstimateResult Estimate(VolumeProfile profile, EstimateOptions? options = null)
    {
        options ??= new EstimateOptions();
        profile.Validate();
        var month = profile.Month ?? options.Month
            ?? throw new FormatException("The profile names no month and none was given.");
        var days = profile.Days ?? DateTime.DaysInMonth(month.Year, month.Month);
        var monthDays = Enumerable.Range(0, days).Select(month.AddDays).ToList();
        // A model given applies to every day: compared with the first day's only, a card switching later in the month kept its switch.
        var rateCard = profile.PricingModel is { } model && monthDays.Any(d => card.PricingModelFor(ChainSynthesizer.InstanceId, d) != model)
            ? card.WithPricingModel(model)
            : card;
        var synth = new ChainSynthesizer(profile, month, days, options.Resolution, PriceChanges(rateCard, profile.Region));
        var rater = new Rater(rateCard, policy, synth.Agents, synth.Numbers);

        var lines = new Dictionary<(string Kind, string UsageType, string Unit), EstimateLine>();
        var segments = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var legKinds = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var groups = new Dictionary<string, (decimal Calls, decimal Cost)>(StringComparer.Ordinal);
        var reasons = new SortedSet<string>(StringComparer.Ordinal);
        var chains = 0;

        // Adds the charge to its line; returns its cost as recorded × weight (0 when unrated), what the breakdowns add.
        decimal AddCharge(Charge charge, decimal weight)
        {
            var key = (charge.ChargeKind, charge.UsageType, charge.Unit);
            if (!lines.TryGetValue(key, out var line))
            {
                lines[key] = line = new EstimateLine { ChargeKind = charge.ChargeKind, UsageType = charge.UsageType, Unit = charge.Unit };
            }

            // Costs as recorded (12 places), as segments carry them, so every breakdown adds up to the same total.
            if (RecordedCost.Of(charge) is { } cost)
            {
                // By row: prefix rows or a price change inside the month may price one usage type at several rates.
                line.AddRated(charge.RateRowId, charge.Rate ?? 0, charge.Quantity * weight, cost * weight);
                return cost * weight;
            }

            line.Quantity += charge.Quantity * weight;
            line.UnratedQuantity += charge.Quantity * weight;
            if (charge.UnratedReason is { } reason)
            {
                // Reasons name the day; one line per kind is enough for a monthly estimate.
                var cut = reason.IndexOf(" on ", StringComparison.Ordinal);
                reasons.Add(cut > 0 ? reason[..cut] : reason);
            }

            return 0m;
        }

        foreach (var call in synth.Calls())
        {
            chains++;
            var result = rater.Rate(call.Chain);
            var cost = 0m;
            foreach (var charge in result.Charges)
            {
                var weighted = AddCharge(charge, call.Weight);
                cost += weighted;
                if (charge.LegIndex is null)
                {
                    Add(segments, NoLegSegment, weighted);
                    Add(legKinds, charge.LegKind, weighted);
                }
            }

            foreach (var segment in result.Segments)
            {
                Add(segments, segment.Kind, segment.Cost * call.Weight);
                Add(legKinds, result.Legs[segment.LegIndex].Kind, segment.Cost * call.Weight);
            }

            var g = groups.GetValueOrDefault(call.Group);
            groups[call.Group] = (g.Calls + call.Weight, g.Cost + cost);
        }

        var country = profile.HomeCountry;
        var numberRater = new NumberDayRater(rateCard);
        var home = new NumberHome(ChainSynthesizer.InstanceId, profile.Region);
        foreach (var (type, count, number) in new[] { (NumberTypes.Did, profile.Numbers.Did, synth.DidNumber), (NumberTypes.TollFree, profile.Numbers.TollFree, synth.TollFreeNumber) })
        {
            if (count <= 0)
            {
                continue;
            }

            var total = 0m;
            foreach (var charge in numberRater.Rate([new ClaimedNumber(number, type, country, null, null, ChainSynthesizer.InstanceId)], monthDays, _ => home, estimated: false))
            {
                total += AddCharge(charge, count);
            }

            Add(segments, NumbersSegment, total);
            Add(legKinds, NumbersSegment, total);
            groups[type == NumberTypes.Did ? "numbers-did" : "numbers-tollfree"] = (count, total);
        }

        foreach (var (kind, perDay) in profile.OtherContactsPerDay.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (perDay <= 0)
            {
                continue;
            }

            var total = 0m;
            foreach (var day in monthDays)
            {
                var record = new ContactRecord
                {
                    ContactId = string.Create(CultureInfo.InvariantCulture, $"estimate-{kind}-{day:yyyyMMdd}"),
                    Channel = kind.ToUpperInvariant(),
                    InitiationMethod = InitiationMethods.Api,
                    InitiationTimestamp = Instant.FromDate(day).PlusSeconds(12 * 3600),
                    InstanceArn = $"arn:aws:connect:{profile.Region}:000000000000:instance/{ChainSynthesizer.InstanceId}",
                };
                var charge = rater.RateUnit(record);
                total += AddCharge(charge, perDay);
            }

            Add(segments, kind, total);
            Add(legKinds, kind, total);
            groups[kind] = (perDay * days, total);
        }

        var pricingModel = rateCard.PricingModelFor(ChainSynthesizer.InstanceId, month);
        var result0 = new EstimateResult
        {
            Profile = profile,
            Region = profile.Region,
            Country = country,
            PricingModel = pricingModel,
            RateCardVersion = rateCard.Version,
            Currency = rateCard.Currency,
            Policy = policy.ToString(),
            From = month,
            To = monthDays[^1],
            Days = days,
            Resolution = options.Resolution,
            SyntheticChains = chains,
            Lines = lines.Values.OrderBy(l => l.ChargeKind, StringComparer.Ordinal).ThenBy(l => l.UsageType, StringComparer.Ordinal).ToList(),
            BySegment = Ordered(segments),
            ByLegKind = Ordered(legKinds),
            Calls = groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new CallGroup(g.Key, g.Value.Calls, g.Value.Cost)).ToList(),
            Assumptions = [],
            UnratedReasons = reasons.ToList(),
        };
        return result0 with { Assumptions = Assumptions(profile, result0) };
    }

    /// <summary>The days a price of the region may change: a rate row's or an instance's pricing model's first day, or the day after its last.</summary>
    private static IEnumerable<DateOnly> PriceChanges(RateCard card, string region) =>
        card.Rows.Where(r => r.Region == region).SelectMany(r => r.EffectiveTo is { } to ? new[] { r.EffectiveFrom, to } : [r.EffectiveFrom])
            .Concat(card.Instances.SelectMany(i => i.To is { } to ? new[] { i.From, to } : [i.From]));

    private static void Add(Dictionary<string, decimal> map, string key, decimal amount) =>
        map[key] = map.GetValueOrDefault(key) + amount;

    private static List<CostShare> Ordered(Dictionary<string, decimal> map) =>
        map.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new CostShare(kv.Key, kv.Value)).ToList();

    /// <summary>Everything the estimate took as given, in words, so a reader can disagree with it.</summary>
    private static List<string> Assumptions(VolumeProfile p, EstimateResult r)
    {
        var c = CultureInfo.InvariantCulture;
        string Pct(decimal share) => (share * 100).ToString("0.##", c) + " %";
        string N(decimal value) => value.ToString("#,0.##", c);
        string D(string name, DurationDistribution d) => $"{name}: {d.Describe()}{(p.Defaulted.Contains(name) ? " (default)" : "")}";
        var list = new List<string>
        {
            $"{r.Region}, home country {r.Country}, pricing model {r.PricingModel}, rate card {r.RateCardVersion}, policy {r.Policy}.",
            $"{r.From:yyyy-MM-dd} to {r.To:yyyy-MM-dd}: {r.Days} days, every day alike.",
        };
        var inbound = p.CallsPerDay.InboundDid + p.CallsPerDay.InboundTollFree;
        if (inbound > 0)
        {
            list.Add($"Inbound: {N(p.CallsPerDay.InboundDid)} DID + {N(p.CallsPerDay.InboundTollFree)} toll-free calls a day ({N(inbound * r.Days)} {(r.WholeMonth ? "a month" : $"in {r.Days} days")}); " +
                $"{Pct(p.Inbound.IvrOnlyShare)} end in the IVR, {Pct(p.Inbound.AbandonedShare)} hang up in queue, {Pct(p.CallbackShare)} leave the queue for a callback " +
                $"({N(p.CallsPerDay.Callbacks)} a day), {Pct(p.AnsweredShare)} reach an agent.");
            list.Add(D("inbound.ivrOnlySeconds", p.Inbound.IvrOnlySeconds));
            list.Add(D("inbound.ivrSeconds", p.Inbound.IvrSeconds));
            list.Add(D("inbound.queueSeconds", p.Inbound.QueueSeconds));
            list.Add(D("inbound.abandonSeconds", p.Inbound.AbandonSeconds));
            list.Add(D("inbound.talkSeconds", p.Inbound.TalkSeconds));
            list.Add($"Answered calls: {Pct(p.Inbound.InternalTransferShare)} are transferred to a second agent (talk split in half), " +
                $"{Pct(p.Inbound.ExternalTransferShare)} to an external number in {p.Inbound.ExternalCountry ?? r.Country}.");
            if (p.Inbound.ExternalTransferShare > 0)
            {
                list.Add(D("inbound.externalSeconds", p.Inbound.ExternalSeconds));
            }

            if (p.CallsPerDay.Callbacks > 0)
            {
                list.Add(D("callbacks.queueSeconds", p.Callbacks.QueueSeconds));
                list.Add(D("callbacks.ringSeconds", p.Callbacks.RingSeconds));
                list.Add(D("callbacks.talkSeconds", p.Callbacks.TalkSeconds));
            }
        }

        if (p.CallsPerDay.Outbound.Count > 0)
        {
            list.Add("Outbound: " + string.Join(", ", p.CallsPerDay.Outbound.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{N(kv.Value)} a day to {kv.Key}")) +
                $"; {Pct(p.Outbound.AnsweredShare)} answered.");
            list.Add(D("outbound.ringSeconds", p.Outbound.RingSeconds));
            list.Add(D("outbound.talkSeconds", p.Outbound.TalkSeconds));
            if (p.Outbound.AnsweredShare < 1)
            {
                list.Add(D("outbound.noAnswerSeconds", p.Outbound.NoAnswerSeconds));
            }
        }

        list.Add($"Agents: {Pct(p.DeskPhoneShare)} of agent time on desk phones (each adds an outbound leg to the desk phone); " +
            $"Contact Lens on {Pct(p.ContactLensShare)} of agent-handled calls.");
        list.Add($"Numbers held all {(r.WholeMonth ? "month" : $"{r.Days} days")}: {N(p.Numbers.Did)} DID, {N(p.Numbers.TollFree)} toll-free ({r.Country}).");
        foreach (var (kind, perDay) in p.OtherContactsPerDay.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            list.Add($"{kind}: {N(perDay)} contacts a day, rated per contact where the rate card has a row.");
        }

        list.Add($"Durations are distributions, not averages: each is cut into {r.Resolution} equally likely values (the mean of each slice), " +
            $"the parts of a call are paired by a fixed shuffle, and each of the {r.SyntheticChains:#,0} synthetic calls is rated by the billing core " +
            "with its own 60 s telephony and 10 s service minimums, then weighted by the real calls it stands for.");
        list.Add("Not included: telecom taxes and surcharges, the free tier, Lex, Lambda, storage and other services' lines.");
        foreach (var note in p.Notes)
        {
            list.Add("Note: " + note);
        }

        return list;
    }
}
