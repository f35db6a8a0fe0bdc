using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Parquet;

namespace ConnectReconcile.Io.Jobs;

/// <summary>
/// Billing results → output rows. Customer-side numbers (the customer, third parties, desk phones)
/// are masked here, at the edge; only the centre's own dialled numbers stay readable.
/// </summary>
/// <param name="agents">Whose desk phones they are: such a number is masked wherever it is written, also as a SystemEndpoint.</param>
public sealed class RowMapper(string rateCardVersion, string policy, AgentDirectory? agents = null)
{
    private readonly AgentDirectory _agents = agents ?? AgentDirectory.Empty;

    /// <summary>A charge's record as the contact_id columns give it: null on a number-day, which belongs to no record (an empty id would count as a contact).</summary>
    public static string? ContactIdOf(Charge charge) => charge.ContactId.Length == 0 ? null : charge.ContactId;

    /// <summary>
    /// The number on this kind of leg or charge is the centre's own (a DID or toll-free it holds), not personal data;
    /// unless the agent directory gives it as an agent's desk phone (a callback's SystemEndpoint can be one).
    /// </summary>
    public static bool IsCentresOwnNumber(string legKind, string? number, AgentDirectory agents) =>
        legKind is LegKinds.CustomerInbound or "number" && !agents.IsDeskPhone(number);

    public string? MaskUnlessOwn(string legKind, string? number) =>
        IsCentresOwnNumber(legKind, number, _agents) || number is null ? number : PhoneNumbers.MaskDialled(number);

    /// <summary>The contact's SystemEndpoint: the centre's number in full, an agent's desk phone masked.</summary>
    public string? SystemNumber(string? address) =>
        address is not null && _agents.IsDeskPhone(address) ? PhoneNumbers.MaskDialled(address) : address;

    // Each Add method fills the buffer's next reused rows (RowBuffer), setting every column: a month
    // writes ~5 M rows, and allocating each was ~1 GB of the replay's garbage. A column left out would
    // keep the previous row's value, which RowMapperTests checks against freshly made rows.

    /// <summary>Adds the charge's row to <paramref name="rows"/>.</summary>
    public void AddCharge(Charge c, RowBuffer<ChargeRow> rows)
    {
        var row = rows.Next();
        row.ChainId = c.ChainId;
        row.ContactId = ContactIdOf(c);
        row.Day = c.Day;
        row.StartTime = c.Start.UnixSeconds == 0 ? null : c.Start.ToDateTime();
        row.InstanceId = c.InstanceId;
        row.Region = c.Region;
        row.ChargeKind = c.ChargeKind;
        row.LegKind = c.LegKind;
        row.LegIndex = c.LegIndex;
        row.UsageType = c.UsageType;
        row.Unit = c.Unit;
        row.PricingModel = c.PricingModel;
        row.ActualSeconds = c.ActualSeconds;
        row.BilledSeconds = c.BilledSeconds;
        row.Quantity = c.Quantity;
        row.Rate = c.Rate;
        row.Cost = c.Recorded; // what the DECIMAL(24,12) column keeps of the exact cost
        row.Currency = c.Currency;
        row.Country = c.Country;
        row.Number = MaskUnlessOwn(c.LegKind, c.Number);
        row.RateRowId = c.RateRowId;
        row.UnratedReason = c.UnratedReason;
        row.RateCardVersion = rateCardVersion;
        row.Policy = policy;
    }

    /// <summary>Adds the chain's charges to <paramref name="rows"/>.</summary>
    public void AddCharges(ChainResult r, RowBuffer<ChargeRow> rows)
    {
        for (var i = 0; i < r.Charges.Count; i++)
        {
            AddCharge(r.Charges[i], rows);
        }
    }

    /// <summary>Adds the chain's legs to <paramref name="rows"/>.</summary>
    public void AddLegs(ChainResult r, RowBuffer<LegRow> rows)
    {
        for (var i = 0; i < r.Legs.Count; i++)
        {
            var l = r.Legs[i];
            var row = rows.Next();
            row.ChainId = r.Chain.RootId;
            row.LegIndex = l.Index;
            row.LegKind = l.Kind;
            row.Direction = l.Direction;
            row.ContactId = l.ContactId;
            row.Day = r.Chain.Day;
            row.StartTime = l.Span.Start.ToDateTime();
            row.EndTime = l.Span.End.ToDateTime();
            row.Seconds = l.Seconds;
            row.BilledSeconds = r.Charges.TelephonyOf(l.Index)?.BilledSeconds ?? l.Seconds;
            row.Number = MaskUnlessOwn(l.Kind, l.Number);
            row.Country = l.Country;
            row.NumberType = l.NumberType;
            row.Estimated = l.Estimated;
            row.InstanceId = r.Chain.InstanceId;
            row.RateCardVersion = rateCardVersion;
            row.Policy = policy;
        }
    }

    /// <summary>Adds the chain's segments to <paramref name="rows"/>, numbered within the chain.</summary>
    public void AddSegments(ChainResult r, RowBuffer<SegmentRow> rows)
    {
        for (var i = 0; i < r.Segments.Count; i++)
        {
            var s = r.Segments[i];
            var row = rows.Next();
            row.ChainId = r.Chain.RootId;
            row.LegIndex = s.LegIndex;
            row.LegKind = r.Legs[s.LegIndex].Kind;
            row.SegmentIndex = i;
            row.SegmentKind = s.Kind;
            row.ContactId = s.ContactId;
            row.Day = r.Chain.Day;
            row.StartTime = s.Interval?.Start.ToDateTime();
            row.EndTime = s.Interval?.End.ToDateTime();
            row.Seconds = s.Seconds;
            row.Queue = s.Queue;
            row.Agent = s.Agent;
            row.RoutingProfile = s.RoutingProfile;
            row.Cost = s.Cost;
            row.InstanceId = r.Chain.InstanceId;
            row.RateCardVersion = rateCardVersion;
            row.Policy = policy;
        }
    }

    /// <summary>Adds the chain's contact row to <paramref name="rows"/>.</summary>
    public void AddContact(ChainResult r, RowBuffer<ContactRow> rows)
    {
        var row = rows.Next();
        var head = r.Chain.Head;
        row.ChainId = r.Chain.RootId;
        row.Day = r.Chain.Day;
        row.StartTime = r.Chain.Start.ToDateTime();
        row.EndTime = r.Chain.End.ToDateTime();
        row.InstanceId = r.Chain.InstanceId;
        row.Region = r.Chain.Region;
        row.InitiationMethod = head.InitiationMethod;
        row.Records = r.Chain.Records.Count;
        row.Legs = r.Legs.Count;
        row.CustomerNumber = head.CustomerEndpoint?.Address is { } customer ? PhoneNumbers.MaskDialled(customer) : null;
        row.SystemNumber = SystemNumber(head.SystemEndpoint?.Address);
        row.Orphan = r.Chain.IsOrphan;
        row.Estimated = r.Flags.Contains(ChainFlags.Estimated);
        row.Unrated = r.Flags.Contains(ChainFlags.Unrated);
        row.RateCardVersion = rateCardVersion;
        row.Policy = policy;
        row.Queue = null;
        row.Agent = null;
        foreach (var record in r.Chain.RecordSpan)
        {
            row.Queue ??= record.Queue?.Name;
            row.Agent ??= record.Agent?.Username;
        }

        // One pass over the charges (this runs for every chain of a month).
        long service = 0, did = 0, tollFree = 0, outbound = 0, lens = 0;
        decimal serviceCost = 0, telephonyCost = 0, lensCost = 0, total = 0;
        for (var i = 0; i < r.Charges.Count; i++)
        {
            var c = r.Charges[i];
            var cost = RecordedCost.Of(c) ?? 0m; // as stored, so total_cost = SUM(charges.cost) exactly
            total += cost;
            switch (c.ChargeKind)
            {
                case ChargeKinds.Service: service += c.BilledSeconds; serviceCost += cost; break;
                case ChargeKinds.TelephonyInboundDid: did += c.BilledSeconds; telephonyCost += cost; break;
                case ChargeKinds.TelephonyInboundTollFree: tollFree += c.BilledSeconds; telephonyCost += cost; break;
                case ChargeKinds.TelephonyOutbound: outbound += c.BilledSeconds; telephonyCost += cost; break;
                case ChargeKinds.ContactLens: lens += c.BilledSeconds; lensCost += cost; break;
            }
        }

        row.ServiceSeconds = service;
        row.TelephonyInboundDidSeconds = did;
        row.TelephonyInboundTollFreeSeconds = tollFree;
        row.TelephonyOutboundSeconds = outbound;
        row.ContactLensSeconds = lens;
        row.ServiceCost = serviceCost;
        row.TelephonyCost = telephonyCost;
        row.ContactLensCost = lensCost;
        row.TotalCost = total;
    }

    /// <summary>Day × instance × usage type, in the invoice's unit, sorted for byte-identical output.</summary>
    public DailyUsageTotals NewDailyUsage() => new(rateCardVersion, policy);
}

/// <summary>
/// The daily_usage table built up charge by charge (a day's voice charges are added when the day
/// closes, its number-days at the end of the run), so no day keeps its charges around for it.
/// Rows are found by usage type (an ordinal string hash), then among its few rows by the rest of the
/// key: this runs for every charge of a month on the job's one consuming thread, where hashing a
/// seven-part tuple of strings (seeded, per string) cost more than the rest of the addition.
/// </summary>
public sealed class DailyUsageTotals(string rateCardVersion, string policy)
{
    private readonly Dictionary<string, List<DailyUsageRow>> _byUsageType = new(StringComparer.Ordinal);

    public void Add(Charge c)
    {
        var row = Row(c.Day, c.InstanceId, c.Region, c.UsageType, c.ChargeKind, c.Unit, c.PricingModel);
        row.Charges++;
        row.BilledSeconds += c.BilledSeconds;
        if (c.Unit != Units.Minute)
        {
            row.Quantity += c.Quantity; // per-minute rows take their quantity from the billed seconds in Rows
        }

        row.Cost += RecordedCost.Of(c) ?? 0m;
        row.UnratedCharges += c.Cost is null ? 1 : 0;
    }

    /// <summary>Adds totals another instance added up (a part of the job, on its own thread).</summary>
    public void Add(DailyUsageTotals other)
    {
        foreach (var rows in other._byUsageType.Values)
        {
            foreach (var o in rows)
            {
                var row = Row(o.Day, o.InstanceId, o.Region, o.UsageType, o.ChargeKind, o.Unit, o.PricingModel);
                row.Charges += o.Charges;
                row.BilledSeconds += o.BilledSeconds;
                row.Quantity += o.Quantity;
                row.Cost += o.Cost;
                row.UnratedCharges += o.UnratedCharges;
            }
        }
    }

    private DailyUsageRow Row(DateOnly day, string instanceId, string region, string usageType, string chargeKind, string unit, string pricingModel)
    {
        ref var rows = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byUsageType, usageType, out _);
        rows ??= [];
        for (var i = rows.Count - 1; i >= 0; i--) // the day being added is at the end
        {
            var r = rows[i];
            if (r.Day == day && r.InstanceId == instanceId && r.Region == region && r.ChargeKind == chargeKind && r.Unit == unit && r.PricingModel == pricingModel)
            {
                return r;
            }
        }

        var row = new DailyUsageRow
        {
            Day = day, InstanceId = instanceId, Region = region, UsageType = usageType, ChargeKind = chargeKind,
            Unit = unit, PricingModel = pricingModel, RateCardVersion = rateCardVersion, Policy = policy,
        };
        rows.Add(row);
        return row;
    }

    /// <summary>The day's rows in a fixed order; per-minute quantities are the billed seconds in minutes.</summary>
    public List<DailyUsageRow> Rows(DateOnly day)
    {
        var rows = _byUsageType.Values.SelectMany(r => r).Where(r => r.Day == day)
            .OrderBy(r => r.InstanceId, StringComparer.Ordinal).ThenBy(r => r.UsageType, StringComparer.Ordinal)
            .ThenBy(r => r.ChargeKind, StringComparer.Ordinal).ThenBy(r => r.PricingModel, StringComparer.Ordinal)
            .ThenBy(r => r.Region, StringComparer.Ordinal).ThenBy(r => r.Unit, StringComparer.Ordinal) // a total order: the parts' rows are joined in an order that depends on how many parts there were
            .ToList();
        foreach (var row in rows.Where(r => r.Unit == Units.Minute))
        {
            row.Quantity = row.BilledSeconds / 60m; // the invoice's minutes: billed seconds summed, then converted once
        }

        return rows;
    }
}
