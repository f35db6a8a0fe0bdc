using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Parquet;

namespace ConnectReconcile.Io.Jobs;

/// <summary>
/// Billing results → output rows. Customer-side numbers (the customer, third parties, desk phones)
/// are masked here, at the edge; only the centre's own dialled numbers stay readable.
/// </summary>
public sealed class RowMapper(string rateCardVersion, string policy)
{
    /// <summary>The number on this kind of leg or charge is the centre's own (a DID or toll-free it holds), not personal data.</summary>
    public static bool IsCentresOwnNumber(string legKind) => legKind is LegKinds.CustomerInbound or "number";

    public static string? MaskUnlessOwn(string legKind, string? number) =>
        IsCentresOwnNumber(legKind) || number is null ? number : PhoneNumbers.Mask(number);

    public ChargeRow Charge(Charge c) => new()
    {
        ChainId = c.ChainId, ContactId = c.ContactId, Day = c.Day,
        StartTime = c.Start.UnixSeconds == 0 ? null : c.Start.ToDateTime(),
        InstanceId = c.InstanceId, Region = c.Region, ChargeKind = c.ChargeKind, LegKind = c.LegKind, LegIndex = c.LegIndex,
        UsageType = c.UsageType, Unit = c.Unit, PricingModel = c.PricingModel, ActualSeconds = c.ActualSeconds,
        BilledSeconds = c.BilledSeconds, Quantity = c.Quantity, Rate = c.Rate, Cost = c.Cost, Currency = c.Currency,
        Country = c.Country, Number = MaskUnlessOwn(c.LegKind, c.Number), RateRowId = c.RateRowId, UnratedReason = c.UnratedReason,
        RateCardVersion = rateCardVersion, Policy = policy,
    };

    public IEnumerable<LegRow> Legs(ChainResult r) => r.Legs.Select(l => new LegRow
    {
        ChainId = r.Chain.RootId, LegIndex = l.Index, LegKind = l.Kind, Direction = l.Direction, ContactId = l.ContactId,
        Day = r.Chain.Day, StartTime = l.Span.Start.ToDateTime(), EndTime = l.Span.End.ToDateTime(), Seconds = l.Seconds,
        BilledSeconds = r.Charges.TelephonyOf(l.Index)?.BilledSeconds ?? l.Seconds,
        Number = MaskUnlessOwn(l.Kind, l.Number), Country = l.Country, NumberType = l.NumberType, Estimated = l.Estimated,
        InstanceId = r.Chain.InstanceId, RateCardVersion = rateCardVersion, Policy = policy,
    });

    public IEnumerable<SegmentRow> Segments(ChainResult r) => r.Segments.Select((s, i) => new SegmentRow
    {
        ChainId = r.Chain.RootId, LegIndex = s.LegIndex, LegKind = r.Legs[s.LegIndex].Kind, SegmentIndex = i, SegmentKind = s.Kind,
        ContactId = s.ContactId, Day = r.Chain.Day, StartTime = s.Interval?.Start.ToDateTime(), EndTime = s.Interval?.End.ToDateTime(),
        Seconds = s.Seconds, Queue = s.Queue, Agent = s.Agent, RoutingProfile = s.RoutingProfile, Cost = s.Cost,
        InstanceId = r.Chain.InstanceId, RateCardVersion = rateCardVersion, Policy = policy,
    });

    public ContactRow Contact(ChainResult r)
    {
        var head = r.Chain.Head;
        var row = new ContactRow
        {
            ChainId = r.Chain.RootId, Day = r.Chain.Day, StartTime = r.Chain.Start.ToDateTime(), EndTime = r.Chain.End.ToDateTime(),
            InstanceId = r.Chain.InstanceId, Region = r.Chain.Region, InitiationMethod = head.InitiationMethod, Records = r.Chain.Records.Count,
            Legs = r.Legs.Count, CustomerNumber = head.CustomerEndpoint?.Address is { } customer ? PhoneNumbers.Mask(customer) : null,
            SystemNumber = head.SystemEndpoint?.Address,
            Orphan = r.Chain.IsOrphan, Estimated = r.Flags.Contains(ChainFlags.Estimated), Unrated = r.Flags.Contains(ChainFlags.Unrated),
            RateCardVersion = rateCardVersion, Policy = policy,
        };
        foreach (var record in r.Chain.RecordSpan)
        {
            row.Queue ??= record.Queue?.Name;
            row.Agent ??= record.Agent?.Username;
        }

        // One pass over the charges (this runs for every chain of a month).
        foreach (var c in r.Charges)
        {
            var cost = c.Cost ?? 0m;
            row.TotalCost += cost;
            switch (c.ChargeKind)
            {
                case ChargeKinds.Service: row.ServiceSeconds += c.BilledSeconds; row.ServiceCost += cost; break;
                case ChargeKinds.TelephonyInboundDid: row.TelephonyInboundDidSeconds += c.BilledSeconds; row.TelephonyCost += cost; break;
                case ChargeKinds.TelephonyInboundTollFree: row.TelephonyInboundTollFreeSeconds += c.BilledSeconds; row.TelephonyCost += cost; break;
                case ChargeKinds.TelephonyOutbound: row.TelephonyOutboundSeconds += c.BilledSeconds; row.TelephonyCost += cost; break;
                case ChargeKinds.ContactLens: row.ContactLensSeconds += c.BilledSeconds; row.ContactLensCost += cost; break;
            }
        }

        return row;
    }

    /// <summary>Day × instance × usage type, in the invoice's unit, sorted for byte-identical output.</summary>
    public DailyUsageTotals NewDailyUsage() => new(rateCardVersion, policy);
}

/// <summary>
/// The daily_usage table built up charge by charge (a day's voice charges are added when the day
/// closes, its number-days at the end of the run), so no day keeps its charges around for it.
/// </summary>
public sealed class DailyUsageTotals(string rateCardVersion, string policy)
{
    private readonly Dictionary<(DateOnly Day, string InstanceId, string Region, string UsageType, string ChargeKind, string Unit, string PricingModel), DailyUsageRow> _rows = [];

    public void Add(Charge c)
    {
        var key = (c.Day, c.InstanceId, c.Region, c.UsageType, c.ChargeKind, c.Unit, c.PricingModel);
        if (!_rows.TryGetValue(key, out var row))
        {
            _rows[key] = row = new DailyUsageRow
            {
                Day = c.Day, InstanceId = c.InstanceId, Region = c.Region, UsageType = c.UsageType, ChargeKind = c.ChargeKind,
                Unit = c.Unit, PricingModel = c.PricingModel, RateCardVersion = rateCardVersion, Policy = policy,
            };
        }

        row.Charges++;
        row.BilledSeconds += c.BilledSeconds;
        if (c.Unit != Units.Minute)
        {
            row.Quantity += c.Quantity; // per-minute rows take their quantity from the billed seconds in Rows
        }

        row.Cost += c.Cost ?? 0m;
        row.UnratedCharges += c.Cost is null ? 1 : 0;
    }

    /// <summary>The day's rows in a fixed order; per-minute quantities are the billed seconds in minutes.</summary>
    public List<DailyUsageRow> Rows(DateOnly day)
    {
        var rows = _rows.Values.Where(r => r.Day == day)
            .OrderBy(r => r.InstanceId, StringComparer.Ordinal).ThenBy(r => r.UsageType, StringComparer.Ordinal)
            .ThenBy(r => r.ChargeKind, StringComparer.Ordinal).ThenBy(r => r.PricingModel, StringComparer.Ordinal)
            .ToList();
        foreach (var row in rows.Where(r => r.Unit == Units.Minute))
        {
            row.Quantity = row.BilledSeconds / 60m; // the invoice's minutes: billed seconds summed, then converted once
        }

        return rows;
    }
}
