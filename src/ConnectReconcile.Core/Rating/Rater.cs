using System.Globalization;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Segments;

namespace ConnectReconcile.Core.Rating;

/// <summary>Everything the billing core says about one chain.</summary>
public sealed record ChainResult(
    Chain Chain,
    IReadOnlyList<Leg> Legs,
    IReadOnlyList<Segment> Segments,
    IReadOnlyList<Charge> Charges,
    IReadOnlyList<string> Flags)
{
    public decimal? Cost => Charges.Any(c => c.Cost is null) ? null : Charges.Sum(c => c.Cost ?? 0m);
}

public static class ChainFlags
{
    public const string Orphan = "orphan";
    public const string Estimated = "estimated";
    public const string Unrated = "unrated";
}

/// <summary>
/// The rate stage: legs → metered usage → charges → segments, for one chain at a time. Pure and
/// deterministic; holds only the rate card, policy and reference data it was given.
/// </summary>
public sealed class Rater
{
    private readonly RateCard _card;
    private readonly BillingPolicy _policy;
    private readonly LegBuilder _legs;

    public Rater(RateCard card, BillingPolicy policy, AgentDirectory agents, NumberInventory numbers)
    {
        _card = card;
        _policy = policy;
        _legs = new LegBuilder(agents, numbers, policy);
        Agents = agents;
    }

    public RateCard Card => _card;

    /// <summary>The agent directory (<see cref="AgentDirectory.Empty"/> when none was given: every agent on a softphone).</summary>
    public AgentDirectory Agents { get; }

    public BillingPolicy Policy => _policy;

    // What the segmenter allocates, reused per thread: a list per chain was ~0.1 GB more garbage a 1 M month.
    [ThreadStatic]
    private static List<LegCharge>? t_allocations;

    public ChainResult Rate(Chain chain)
    {
        var usage = _legs.Build(chain);
        var day = chain.Day;
        var chainModel = _card.PricingModelFor(chain.InstanceId, day);
        var charges = new List<Charge>(usage.Usages.Count);
        // What the segmenter allocates: each priced leg charge with the intervals it was metered over.
        var allocations = t_allocations ??= [];
        allocations.Clear();
        // Indexed loops over the IReadOnlyLists here and in the totals: foreach would box an enumerator per chain.
        for (var i = 0; i < usage.Usages.Count; i++)
        {
            var u = usage.Usages[i];
            // Row and pricing model both from the day the usage started: a leg that begins after midnight on a
            // price change or a switch to unlimited AI is priced as that day's (the chain's first day's model with
            // the next day's rows left such a leg unrated).
            var usageDay = u.Start.UnixSeconds == 0 ? day : u.Start.UtcDate;
            var model = usageDay == day ? chainModel : _card.PricingModelFor(chain.InstanceId, usageDay);
            if (u.ChargeKind == ChargeKinds.ContactLens && model == PricingModels.UnlimitedAi)
            {
                continue; // Contact Lens is included in unlimited-AI pricing (billing-model §4)
            }

            var charge = Price(chain, u, model, usageDay);
            charges.Add(charge);
            if (charge is { LegIndex: { } legIndex, Recorded: { } cost })
            {
                allocations.Add(new LegCharge(legIndex, cost, TopUpCost(charge), u.Intervals));
            }
        }

        var segments = new List<Segment>();
        var estimated = false;
        for (var i = 0; i < usage.Legs.Count; i++)
        {
            var leg = usage.Legs[i];
            Segmenter.Split(chain, leg, charges.TelephonyOf(leg.Index)?.BilledSeconds ?? leg.Seconds, allocations, segments);
            estimated |= leg.Estimated;
        }

        allocations.Clear(); // holds the usages' intervals: not past this chain
        var unrated = charges.Exists(c => c.Cost is null);
        return new ChainResult(chain, usage.Legs, segments, charges, chain.IsOrphan || estimated || unrated ? Flags(chain.IsOrphan, estimated, unrated) : []);
    }

    /// <summary>A flagged chain's flags (most chains have none, and share one empty list).</summary>
    private static List<string> Flags(bool orphan, bool estimated, bool unrated)
    {
        var flags = new List<string>(1);
        if (orphan) flags.Add(ChainFlags.Orphan);
        if (estimated) flags.Add(ChainFlags.Estimated);
        if (unrated) flags.Add(ChainFlags.Unrated);
        return flags;
    }

    /// <summary>
    /// The part of a per-minute charge's cost its minimums and increments add: (billed − actual) seconds
    /// at its rate, priced as <see cref="Price"/> prices the whole (billed × rate ÷ 60).
    /// </summary>
    private static decimal TopUpCost(Charge charge) =>
        charge is { Unit: Units.Minute, Rate: { } rate } && charge.BilledSeconds > charge.ActualSeconds
            ? (charge.BilledSeconds - charge.ActualSeconds) * rate / 60m
            : 0m;

    private Charge Price(Chain chain, MeteredUsage u, string model, DateOnly day)
    {
        var region = chain.Region;
        var farEnd = ChargeKinds.HasFarEnd(u.ChargeKind);
        var country = farEnd ? u.Country : null;
        var row = _card.Find(region, model, u.ChargeKind, country, farEnd ? u.Number : null, day);
        var actual = u.Seconds;
        // The increments as applied. minimums=none drops the first increment (the minimum) only: the row's
        // increment is how time is counted, not a minimum, so a 6-second row still bills in 6-second steps.
        var (first, increment) = row is null ? (1, 1)
            : _policy.Minimums == MinimumScope.None ? (row.Increment, row.Increment)
            : (row.FirstIncrement, row.Increment);
        var billed = _policy.Minimums == MinimumScope.PerRecord
            ? u.Shares.Sum(s => Increments.Bill(s.Seconds, first, increment))
            : Increments.Bill(actual, first, increment);
        var quantity = billed / 60m;
        var usageType = _card.UsageTypeFor(row, model, u.ChargeKind, region, country ?? u.Country);
        decimal? cost = row is null ? null : billed * row.Price / 60m;
        return new Charge
        {
            ChainId = chain.RootId,
            ContactId = u.ContactId,
            ChargeKind = u.ChargeKind,
            LegKind = u.LegKind,
            LegIndex = u.LegIndex,
            Day = chain.Day,
            Start = u.Start,
            InstanceId = chain.InstanceId,
            Region = region,
            PricingModel = model,
            UsageType = usageType,
            Unit = Units.Minute,
            ActualSeconds = actual,
            BilledSeconds = billed,
            Quantity = quantity,
            Country = u.Country,
            Number = u.Number,
            Rate = row?.Price,
            Cost = cost,
            RateRowId = row?.Id,
            Currency = _card.Currency,
            UnratedReason = row is null ? string.Create(CultureInfo.InvariantCulture, $"no rate-card row for {u.ChargeKind} in {region} ({model}{(country is null ? "" : ", " + country)}) on {day:yyyy-MM-dd}") : null,
            FirstIncrement = first,
            Increment = increment,
            IncrementsPerRecord = _policy.Minimums == MinimumScope.PerRecord && u.Shares.Count > 1,
            Why = u.Why,
        };
    }

    /// <summary>
    /// A non-voice contact (chat, task, email) as one unit of its channel's kind. CTRs carry no
    /// message counts, so per-message pricing cannot be derived: without a per-contact row it is
    /// reported unrated rather than dropped. It is a contact of its own, even when its record is in a
    /// call's chain (a chat after a transfer, a task made from a call): its chain is its own ContactId,
    /// so charges summed by chain match the call's <c>contacts</c> row and what explain shows for it.
    /// </summary>
    public Charge RateUnit(ContactRecord record)
    {
        var day = record.InitiationTimestamp.UtcDate;
        var kind = ChargeKinds.ForChannel(record.Channel);
        var model = _card.PricingModelFor(record.InstanceId, day);
        var row = _card.Find(record.Region, model, kind, null, null, day);
        return new Charge
        {
            ChainId = record.ContactId,
            ContactId = record.ContactId,
            ChargeKind = kind,
            LegKind = "none",
            Day = day,
            Start = record.InitiationTimestamp,
            InstanceId = record.InstanceId,
            Region = record.Region,
            PricingModel = model,
            UsageType = _card.UsageTypeFor(row, model, kind, record.Region, null),
            Unit = Units.Unit,
            ActualSeconds = record.End.UnixSeconds - record.InitiationTimestamp.UnixSeconds,
            BilledSeconds = 0,
            Quantity = 1,
            Rate = row?.Price,
            Cost = row?.Price,
            RateRowId = row?.Id,
            Currency = _card.Currency,
            UnratedReason = row is null ? $"no rate-card row for {kind} contacts in {record.Region}" : null,
            Why = $"a {record.Channel} contact (non-voice)",
        };
    }
}
