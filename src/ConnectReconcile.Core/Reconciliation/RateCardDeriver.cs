using System.Globalization;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>A rate card built from an invoice, with what could not be turned into rows.</summary>
public sealed record DerivedRateCard(RateCard Card, IReadOnlyList<string> UnknownUsageTypes, IReadOnlyList<string> Notes);

/// <summary>
/// Builds a rate card from the invoice's own unit rates (<c>line_item_unblended_rate</c>), so a month
/// re-rated with it is priced exactly as AWS priced it. The invoice gives prices only: charge kinds,
/// countries and units come from matching usage types against a base card's templates, and first
/// increments / increments from the base card's rows (the CUR does not show them). A rate that changes
/// within the month becomes effective-dated rows. Rows of the base card the invoice does not cover are
/// kept (marked as such) unless <c>invoiceOnly</c>, or the invoice is in another currency than the base card.
/// </summary>
public static class RateCardDeriver
{
    public static DerivedRateCard Derive(InvoiceAggregate invoice, RateCard baseCard, string version, bool invoiceOnly = false)
    {
        var catalog = new UsageTypeCatalog(baseCard);
        var first = invoice.MonthStart == DateOnly.MinValue ? invoice.FirstUsageDay : invoice.MonthStart;
        var monthStart = new DateOnly(first.Year, first.Month, 1);
        var month = monthStart.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var rows = new List<RateRow>();
        var unknown = new List<string>();
        var notes = new List<string>();
        foreach (var byType in invoice.Usage.GroupBy(kv => kv.Key.UsageType, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var usageType = byType.Key;
            var matches = catalog.MatchAll(usageType);
            if (matches.Count == 0)
            {
                unknown.Add(usageType);
                continue;
            }

            // Per day, the rate that covers most of the quantity.
            var daily = byType.GroupBy(kv => kv.Key.Day).OrderBy(g => g.Key)
                .Select(g => (Day: g.Key, Rate: g.SelectMany(x => x.Value.QuantityByRate).GroupBy(r => r.Key)
                    .Select(r => (Rate: r.Key, Q: r.Sum(x => x.Value))).OrderByDescending(r => r.Q).ThenBy(r => r.Rate)
                    .Select(r => (decimal?)r.Rate).FirstOrDefault(), Lines: g.Sum(x => x.Value.Lines)))
                .Where(d => d.Rate is not null)
                .ToList();
            if (daily.Count == 0)
            {
                notes.Add($"{usageType}: no priced line (free tier only?); no row derived");
                continue;
            }

            var segments = new List<(DateOnly From, decimal Rate, long Lines)>();
            foreach (var d in daily)
            {
                if (segments.Count == 0 || segments[^1].Rate != d.Rate!.Value)
                {
                    segments.Add((d.Day, d.Rate!.Value, d.Lines));
                }
                else
                {
                    segments[^1] = segments[^1] with { Lines = segments[^1].Lines + d.Lines };
                }
            }

            if (segments.Count > 1)
            {
                notes.Add($"{usageType}: the rate changes within {month} ({string.Join(" → ", segments.Select(s => s.Rate.ToString(CultureInfo.InvariantCulture)))}); effective-dated rows");
            }

            foreach (var m in matches)
            {
                if (m.Region is null)
                {
                    notes.Add($"{usageType}: no region code the base card knows; no row derived");
                    continue;
                }

                for (var i = 0; i < segments.Count; i++)
                {
                    var s = segments[i];
                    var from = i == 0 ? monthStart : s.From;
                    // A card keeps 8 places (the outputs' rate column); an invoice rate may carry more.
                    var price = Math.Round(s.Rate, 8, MidpointRounding.AwayFromZero);
                    if (price != s.Rate && m == matches[0])
                    {
                        notes.Add($"{usageType}: the invoice's rate {s.Rate.ToString(CultureInfo.InvariantCulture)} is rounded to {price.ToString(CultureInfo.InvariantCulture)} (a card keeps 8 decimal places)");
                    }

                    var baseRow = baseCard.Find(m.Region, m.PricingModel, m.ChargeKind, m.Country, null, from);
                    rows.Add(new RateRow
                    {
                        Id = ("cur-" + usageType + "-" + m.PricingModel + (segments.Count > 1 ? "-" + s.From.ToString("yyyyMMdd", CultureInfo.InvariantCulture) : "")).ToLowerInvariant(),
                        Region = m.Region,
                        PricingModel = m.PricingModel,
                        ChargeKind = m.ChargeKind,
                        Country = m.Country,
                        UsageType = m.Template,
                        Unit = baseRow?.Unit ?? m.Unit,
                        Price = price,
                        FirstIncrement = baseRow?.FirstIncrement ?? DefaultFirstIncrement(m.ChargeKind),
                        Increment = baseRow?.Increment ?? 1,
                        EffectiveFrom = from,
                        EffectiveTo = i + 1 < segments.Count ? segments[i + 1].From : null,
                        Source = $"invoice {month}: line_item_unblended_rate of {usageType} ({s.Lines:N0} lines)" +
                                 (baseRow is null ? "; increments are defaults" : $"; increments from {baseRow.Id}"),
                    });
                }
            }
        }

        var currency = invoice.Currencies.FirstOrDefault() ?? baseCard.Currency;
        if (!invoiceOnly)
        {
            var covered = rows.Select(r => (r.Region, r.PricingModel, r.ChargeKind, r.Country)).ToHashSet();
            var kept = baseCard.Rows.Where(r => !covered.Contains((r.Region, r.PricingModel, r.ChargeKind, r.Country))).ToList();
            if (string.Equals(currency, baseCard.Currency, StringComparison.OrdinalIgnoreCase))
            {
                rows.AddRange(kept.Select(r => r with { Source = r.Source + " (base card " + baseCard.Version + "; not on the invoice)" }));
            }
            else if (kept.Count > 0)
            {
                // Their prices are in the base card's currency: kept, they would be read as the invoice's.
                notes.Add($"the base card's {kept.Count} row(s) for usage the invoice does not show are left out: they price in {baseCard.Currency}, the invoice in {currency}");
            }
        }

        var card = new RateCard
        {
            Version = version,
            Currency = currency,
            RegionCodes = baseCard.RegionCodes,
            UsageTypes = baseCard.UsageTypes,
            Instances = baseCard.Instances,
            Rows = rows,
        };
        return new DerivedRateCard(card, unknown, notes);
    }

    private static int DefaultFirstIncrement(string chargeKind) =>
        chargeKind.StartsWith("telephony:", StringComparison.Ordinal) ? 60 : chargeKind == Legs.ChargeKinds.Service ? 10 : 1;
}
