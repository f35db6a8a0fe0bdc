using System.Globalization;
using System.Net;
using System.Text;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;

namespace ConnectReconcile.Io.Reports;

/// <summary>Where a report's inputs came from, for its header.</summary>
public sealed record ReportSources(string Cur, string Rated, string? Html = null);

/// <summary>
/// A self-contained HTML page for finance: verdict and key figures, inline SVG charts of expected vs
/// invoiced per day (all usage types in money, then each usage type in its unit), the top variances
/// with their likely causes, month totals per usage type, adjustments, unknown usage types,
/// calibration and per-contact variances, and every row in a collapsible table. Inline CSS only, no
/// scripts, no fonts, images or links to fetch; a Content-Security-Policy of <c>default-src 'none'</c>
/// makes sure a browser loads nothing else.
/// </summary>
public static class HtmlReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private const string ExpectedColour = "#9db4d0";
    private const string InvoicedColour = "#1f4e79";
    private const string AlertColour = "#c0392b";

    public static string Render(ReconciliationReport report, ReportSources sources, int topVariances = 25)
    {
        var month = report.Month.ToString("yyyy-MM", C);
        var currency = report.Currency;
        // Our costs are in the card's currency; when the invoice's is another, no difference between them is shown.
        var ours = report.ExpectedCurrency;
        string Delta(decimal? v) => v is { } d ? Signed(d, currency) : "—";
        var beyond = report.BeyondTolerance.ToList();
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<title>Amazon Connect invoice reconciliation ").Append(month).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");

        sb.Append("<header><h1>Amazon Connect invoice reconciliation — ").Append(month).Append("</h1>\n");
        sb.Append("<p class=\"verdict ").Append(beyond.Count == 0 && !report.Incomplete ? "ok" : "alert").Append("\" id=\"verdict\">")
          .Append(beyond.Count == 0
              ? "Every day and usage type is within tolerance."
              : $"{beyond.Count} day × usage type row(s) are beyond tolerance.")
          .Append(report.Incomplete ? $" {report.Invoice.UnreadableLines:N0} Connect line(s) of the invoice could not be read and were not compared (below)." : "")
          .Append("</p>\n");
        foreach (var note in report.Notes)
        {
            sb.Append("<p class=\"verdict alert\">").Append(E(note)).Append("</p>\n");
        }

        sb.Append("<p class=\"meta\">Invoice: ").Append(E(sources.Cur)).Append(" · rated CTRs: ").Append(E(sources.Rated))
          .Append(" · rate card ").Append(E(report.RateCardVersion)).Append(" · policy ").Append(E(report.Policy))
          .Append(" · tolerance ").Append(report.Tolerance.Percent.ToString("0.###", C)).Append(" % and ")
          .Append(report.Tolerance.Absolute.ToString("0.00##", C)).Append(' ').Append(E(currency)).Append(" (a variance counts when it exceeds both)</p>\n</header>\n");

        // Key figures.
        sb.Append("<section id=\"summary\" class=\"cards\">\n");
        Card(sb, "Expected from CTRs", Money(report.ExpectedCost, ours), "our rating of the month");
        Card(sb, "Invoiced usage", MoneyOrMixed(report.InvoicedUsageCostTotal, currency), $"{report.Invoice.ConnectLines:N0} Connect lines");
        if (report.UsageCostVariance is { } variance)
        {
            Card(sb, "Usage variance", Signed(variance, currency), "invoiced − expected, net of free tier", Math.Abs(variance) > report.Tolerance.Absolute && beyond.Count > 0);
        }
        else
        {
            Card(sb, "Usage variance", "not compared", $"invoiced in {currency}, expected in {ours}");
        }

        Card(sb, "Taxes", MoneyOrMixed(report.AdjustmentTotalOrNull(LineKinds.Tax), currency), "shown apart, not a variance");
        Card(sb, "Credits & refunds", MoneyOrMixed(report.AdjustmentTotalOrNull(LineKinds.Credit) + report.AdjustmentTotalOrNull(LineKinds.Refund), currency), "shown apart");
        Card(sb, "Free tier", MoneyOrMixed(report.FreeTierTotalOrNull, currency), report.CostsCompared ? "credits and zero-priced usage" : "credits");
        Card(sb, "Rows beyond tolerance", $"{beyond.Count:N0} of {report.Lines.Count:N0}", string.Join(" · ", Statuses.All.Where(s => report.Count(s) > 0).Select(s => $"{report.Count(s):N0} {s}")), beyond.Count > 0);
        sb.Append("</section>\n");

        // Charts.
        sb.Append("<section id=\"charts\"><h2>Expected vs invoiced, per day</h2>\n<p class=\"legend\"><span class=\"swatch\" style=\"background:").Append(ExpectedColour)
          .Append("\"></span>expected (CTRs) <span class=\"swatch\" style=\"background:").Append(InvoicedColour).Append("\"></span>invoiced <span class=\"swatch\" style=\"background:")
          .Append(AlertColour).Append("\"></span>beyond tolerance</p>\n");
        var days = Enumerable.Range(0, report.Month.AddMonths(1).DayNumber - report.Month.DayNumber).Select(i => report.Month.AddDays(i)).ToList();
        var byDay = report.Lines.GroupBy(l => l.Day).ToDictionary(g => g.Key, g => (E: g.Sum(x => x.ExpectedCost), I: g.Sum(x => x.InvoicedCost), Alert: g.Any(x => x.BeyondTolerance)));
        if (report.CostsCompared)
        {
            Chart(sb, $"All usage types, cost ({currency})", days, d => byDay.TryGetValue(d, out var v) ? v : (0m, 0m, false), v => Math.Round(v, 2, MidpointRounding.AwayFromZero).ToString("#,0.00", C));
        }
        else
        {
            // Bars in two currencies side by side would read as a variance: each usage type in its unit only.
            sb.Append("<p class=\"meta\">No cost chart: the invoice is in ").Append(E(currency)).Append(", our costs in ").Append(E(ours)).Append(".</p>\n");
        }

        // Largest usage types first: by cost, or, when the invoice's costs are in another currency, by the
        // quantities valued at our rate (the larger of two currencies' figures would rank by exchange rate).
        var value = report.QuantityValuer();
        var size = report.CostsCompared
            ? (Func<ReconciliationLine, decimal>)(x => Math.Max(x.ExpectedCost, x.InvoicedCost))
            : x => Math.Max(value(x, x.ExpectedQuantity), value(x, x.InvoicedQuantity));
        foreach (var g in report.Lines.GroupBy(l => l.UsageType, StringComparer.Ordinal).OrderByDescending(g => g.Sum(size)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var cells = g.GroupBy(l => l.Day).ToDictionary(x => x.Key, x => (E: x.Sum(y => y.ExpectedQuantity), I: x.Sum(y => y.InvoicedQuantity), Alert: x.Any(y => y.BeyondTolerance)));
            var unit = UnitText(g.First().Unit);
            Chart(sb, $"{g.Key} ({unit})", days, d => cells.TryGetValue(d, out var v) ? v : (0m, 0m, false), Q);
        }

        sb.Append("</section>\n");

        // Top variances.
        sb.Append("<section id=\"top-variances\"><h2>Top variances beyond tolerance</h2>\n");
        if (beyond.Count == 0)
        {
            sb.Append("<p class=\"none\">None.</p>\n");
        }
        else
        {
            sb.Append("<table><thead><tr><th>day</th><th>usage type</th><th>instance</th><th class=\"n\">expected</th><th class=\"n\">invoiced</th><th class=\"n\">Δ quantity</th><th class=\"n\">Δ cost</th><th>status</th><th>likely cause</th></tr></thead><tbody>\n");
            foreach (var l in beyond.Take(topVariances))
            {
                sb.Append("<tr class=\"alert\" data-status=\"").Append(l.Status).Append("\"><td>").Append(l.PeriodText).Append("</td><td>")
                  .Append(E(l.UsageType)).Append("</td><td class=\"id\">").Append(E(Short(l.InstanceId))).Append("</td><td class=\"n\">")
                  .Append(Q(l.ExpectedQuantity)).Append("</td><td class=\"n\">").Append(Q(l.InvoicedQuantity)).Append("</td><td class=\"n\">")
                  .Append(SignedQ(l.QuantityVariance)).Append("</td><td class=\"n\">").Append(Delta(report.CostVarianceOf(l))).Append("</td><td>")
                  .Append(l.Status).Append(l.Basis is null ? "" : $" ({l.Basis})").Append("</td><td>");
                foreach (var c in l.Causes)
                {
                    sb.Append("<p class=\"cause\"><b>").Append(E(c.Code)).Append("</b> ").Append(E(c.Text)).Append("</p>");
                }

                sb.Append("</td></tr>\n");
            }

            sb.Append("</tbody></table>\n");
            if (beyond.Count > topVariances)
            {
                sb.Append("<p class=\"meta\">").Append(beyond.Count - topVariances).Append(" more in the table of all rows below.</p>\n");
            }
        }

        sb.Append("</section>\n");

        // Month totals per usage type.
        sb.Append("<section id=\"by-usage-type\"><h2>Month totals per usage type</h2>\n<table><thead><tr><th>usage type</th><th>charge kind</th><th class=\"n\">expected qty</th><th class=\"n\">invoiced qty</th><th class=\"n\">Δ qty</th><th class=\"n\">expected cost</th><th class=\"n\">invoiced cost</th><th class=\"n\">Δ cost</th><th class=\"n\">rows beyond</th></tr></thead><tbody>\n");
        foreach (var g in report.Lines.GroupBy(l => l.UsageType, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var n = g.Count(x => x.BeyondTolerance);
            sb.Append(n > 0 ? "<tr class=\"alert\">" : "<tr>").Append("<td>").Append(E(g.Key)).Append(g.All(x => x.KnownUsageType) ? "" : " <em>(unknown)</em>").Append("</td><td>")
              .Append(E(g.First().ChargeKind ?? "")).Append("</td><td class=\"n\">").Append(Q(g.Sum(x => x.ExpectedQuantity))).Append("</td><td class=\"n\">")
              .Append(Q(g.Sum(x => x.InvoicedQuantity))).Append("</td><td class=\"n\">").Append(SignedQ(g.Sum(x => x.QuantityVariance))).Append("</td><td class=\"n\">")
              .Append(Money(g.Sum(x => x.ExpectedCost), ours)).Append("</td><td class=\"n\">").Append(InvoicedMoney(g.ToList(), currency)).Append("</td><td class=\"n\">")
              .Append(Delta(report.CostsCompared ? g.Sum(x => x.CostVariance) : null)).Append("</td><td class=\"n\">").Append(n).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table></section>\n");

        // Adjustments.
        sb.Append("<section id=\"adjustments\"><h2>Taxes, credits, refunds, free tier and other lines</h2>\n");
        if (report.Adjustments.Count == 0)
        {
            sb.Append("<p class=\"none\">None on the invoice.</p>\n");
        }
        else
        {
            sb.Append("<table><thead><tr><th>kind</th><th>day</th><th>product</th><th>usage type</th><th>description</th><th class=\"n\">quantity</th><th class=\"n\">amount</th></tr></thead><tbody>\n");
            foreach (var a in report.Adjustments)
            {
                sb.Append("<tr><td>").Append(E(a.Kind)).Append("</td><td>").Append(a.Day.ToString("yyyy-MM-dd", C)).Append("</td><td>").Append(E(a.ProductCode)).Append("</td><td>")
                  .Append(E(a.UsageType)).Append("</td><td>").Append(E(a.Description)).Append("</td><td class=\"n\">").Append(Q(a.Quantity)).Append("</td><td class=\"n\">")
                  .Append(Money(a.Amount, a.Currency ?? Single(currency))).Append(a.ValueAtOurRate is { } v ? $" (worth {Money(v, ours)} at our rate)" : "").Append("</td></tr>\n");
            }

            sb.Append("</tbody></table>\n");
        }

        if (report.Invoice.OtherServices is [_, ..] others)
        {
            sb.Append("<p class=\"meta\">Lines of other services (not Connect, not modelled): ")
              .Append(E(string.Join("; ", others))).Append(".</p>\n");
        }

        sb.Append("</section>\n");

        if (report.Incomplete)
        {
            sb.Append("<section id=\"unreadable\"><h2>Invoice lines that could not be read</h2>\n<p>")
              .Append(report.Invoice.UnreadableLines.ToString("N0", C)).Append(" Connect line(s), not compared")
              .Append(report.Invoice.UnreadableLines > report.Invoice.FirstUnreadable.Count ? $"; the first {report.Invoice.FirstUnreadable.Count}:" : ":")
              .Append("</p>\n<table><thead><tr><th>file</th><th class=\"n\">row</th><th>why</th></tr></thead><tbody>\n");
            foreach (var u in report.Invoice.FirstUnreadable)
            {
                sb.Append("<tr class=\"alert\"><td>").Append(E(u.Source)).Append("</td><td class=\"n\">").Append(u.Row.ToString(C)).Append("</td><td>")
                  .Append(E(u.Reason)).Append("</td></tr>\n");
            }

            sb.Append("</tbody></table></section>\n");
        }

        if (report.UnknownUsageTypes.Count > 0)
        {
            sb.Append("<section id=\"unknown\"><h2>Usage types the rate card does not know</h2>\n<table><thead><tr><th>usage type</th><th>product</th><th class=\"n\">quantity</th><th class=\"n\">cost</th></tr></thead><tbody>\n");
            foreach (var u in report.UnknownUsageTypes)
            {
                sb.Append("<tr class=\"alert\"><td>").Append(E(u.UsageType)).Append("</td><td>").Append(E(u.ProductCode)).Append("</td><td class=\"n\">").Append(Q(u.Quantity))
                  .Append("</td><td class=\"n\">").Append(Money(u.Cost, u.Currency ?? Single(currency))).Append("</td></tr>\n");
            }

            sb.Append("</tbody></table></section>\n");
        }

        if (report.Calibration.Count > 0)
        {
            sb.Append("<section id=\"calibration\"><h2>Which metering policy matches the invoice</h2>\n<table><thead><tr><th class=\"n\">rank</th><th>policy</th><th class=\"n\">|Δ quantity|</th><th class=\"n\">|Δ cost|</th><th class=\"n\">rows beyond</th><th></th></tr></thead><tbody>\n");
            foreach (var c in report.Calibration)
            {
                sb.Append(c.Rank == 1 ? "<tr class=\"best\">" : "<tr>").Append("<td class=\"n\">").Append(c.Rank).Append("</td><td><code>").Append(E(c.Policy)).Append("</code></td><td class=\"n\">")
                  .Append(Q(c.AbsQuantityVariance)).Append("</td><td class=\"n\">").Append(c.AbsCostVariance is { } abs ? Money(abs, currency) : "—").Append("</td><td class=\"n\">").Append(c.RowsBeyondTolerance)
                  .Append("</td><td>").Append(c.IsCurrent ? "current" : "").Append(c.TiedWithBest && c.Rank > 1 ? " tied with best" : "").Append("</td></tr>\n");
            }

            sb.Append("</tbody></table></section>\n");
        }

        if (report.ContactVariances.Count > 0)
        {
            sb.Append("<section id=\"contacts\"><h2>Contacts that differ (granular billing)</h2>\n<table><thead><tr><th>day</th><th>usage type</th><th>chain</th><th>invoice contact ids</th><th class=\"n\">expected</th><th class=\"n\">invoiced</th><th class=\"n\">Δ</th><th>status</th></tr></thead><tbody>\n");
            // Largest cost variance first; when costs were not compared, largest quantity variance (a cost in two currencies ranks nothing).
            var contacts = report.CostsCompared
                ? report.ContactVariances.OrderByDescending(c => Math.Abs(c.CostVariance)).ThenByDescending(c => Math.Abs(c.QuantityVariance))
                : report.ContactVariances.OrderByDescending(c => Math.Abs(c.QuantityVariance));
            foreach (var c in contacts.ThenBy(c => c.Day).ThenBy(c => c.UsageType, StringComparer.Ordinal).ThenBy(c => c.ChainId, StringComparer.Ordinal).Take(50))
            {
                sb.Append("<tr><td>").Append(c.Day.ToString("yyyy-MM-dd", C)).Append("</td><td>").Append(E(c.UsageType)).Append("</td><td class=\"id\">").Append(E(c.ChainId))
                  .Append("</td><td class=\"id\">").Append(E(c.InvoiceContactIds)).Append("</td><td class=\"n\">").Append(Q(c.ExpectedQuantity)).Append("</td><td class=\"n\">")
                  .Append(Q(c.InvoicedQuantity)).Append("</td><td class=\"n\">").Append(SignedQ(c.QuantityVariance)).Append("</td><td>").Append(c.Status).Append("</td></tr>\n");
            }

            sb.Append("</tbody></table><p class=\"meta\">").Append(report.ContactVariances.Count.ToString("N0", C)).Append(" in all (table reconciliation_contacts).</p></section>\n");
        }

        // Every row.
        sb.Append("<section id=\"all-rows\"><details><summary>All ").Append(report.Lines.Count.ToString("N0", C)).Append(" rows</summary>\n<table><thead><tr><th>day</th><th>usage type</th><th>instance</th><th class=\"n\">expected qty</th><th class=\"n\">invoiced qty</th><th class=\"n\">Δ %</th><th class=\"n\">expected cost</th><th class=\"n\">invoiced cost</th><th class=\"n\">Δ cost</th><th>status</th><th>causes</th></tr></thead><tbody>\n");
        foreach (var l in report.Lines)
        {
            sb.Append(l.BeyondTolerance ? "<tr class=\"alert\"" : "<tr").Append(" data-status=\"").Append(l.Status).Append("\"><td>").Append(l.PeriodText).Append("</td><td>")
              .Append(E(l.UsageType)).Append("</td><td class=\"id\">").Append(E(Short(l.InstanceId))).Append("</td><td class=\"n\">").Append(Q(l.ExpectedQuantity)).Append("</td><td class=\"n\">")
              .Append(Q(l.InvoicedQuantity)).Append("</td><td class=\"n\">").Append(l.QuantityVariancePercent is { } p ? p.ToString("+0.##;-0.##;0", C) : "").Append("</td><td class=\"n\">")
              .Append(Money(l.ExpectedCost, ours)).Append("</td><td class=\"n\">").Append(InvoicedMoney([l], currency)).Append("</td><td class=\"n\">").Append(Delta(report.CostVarianceOf(l)))
              .Append("</td><td>").Append(l.Status).Append("</td><td>").Append(E(string.Join(", ", l.Causes.Select(c => c.Code)))).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table></details></section>\n");
        sb.Append("<footer>connect-reconcile · ").Append(report.Invoice.LinesRead.ToString("N0", C)).Append(" invoice lines read (")
          .Append(report.Invoice.Granularity).Append(report.Invoice.Granular ? ", per contact" : report.Invoice.ByInstance ? ", per instance" : "")
          .Append(") · quantities compared first, then cost · this page loads nothing from the network</footer>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Card(StringBuilder sb, string title, string value, string note, bool alert = false) =>
        sb.Append("<div class=\"card").Append(alert ? " alert" : "").Append("\"><div class=\"t\">").Append(E(title)).Append("</div><div class=\"v\">").Append(E(value))
          .Append("</div><div class=\"s\">").Append(E(note)).Append("</div></div>\n");

    /// <summary>Paired bars per day (expected, invoiced) with a tooltip per day; beyond-tolerance days in red.</summary>
    private static void Chart(StringBuilder sb, string title, IReadOnlyList<DateOnly> days, Func<DateOnly, (decimal E, decimal I, bool Alert)> value, Func<decimal, string> format)
    {
        const int width = 820, height = 170, left = 84, right = 8, top = 10, bottom = 24;
        var values = days.Select(d => (Day: d, V: value(d))).ToList();
        var max = values.Count == 0 ? 0m : values.Max(v => Math.Max(v.V.E, v.V.I));
        var scale = max <= 0 ? 0d : (height - top - bottom) / (double)max;
        var slot = (width - left - right) / (double)Math.Max(1, days.Count);
        var bar = Math.Max(1d, (slot - 2) / 2);
        sb.Append("<figure class=\"chart\"><figcaption>").Append(E(title)).Append("</figcaption>\n<svg role=\"img\" width=\"").Append(width)
          .Append("\" height=\"").Append(height).Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\"><title>").Append(E(title)).Append("</title>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" class=\"axis\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" class=\"axis\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 8}\" class=\"lbl\" text-anchor=\"end\">{E(format(max))}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{height - bottom}\" class=\"lbl\" text-anchor=\"end\">0</text>\n");
        for (var i = 0; i < values.Count; i++)
        {
            var (day, (e, inv, alert)) = values[i];
            var x = left + (i * slot) + 1;
            var he = e * (decimal)scale;
            var hi = inv * (decimal)scale;
            sb.Append("<g><title>").Append(day.ToString("yyyy-MM-dd", C)).Append(": expected ").Append(E(format(e))).Append(", invoiced ").Append(E(format(inv)))
              .Append(alert ? " — beyond tolerance" : "").Append("</title>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.#}\" y=\"{height - bottom - (double)he:0.#}\" width=\"{bar:0.#}\" height=\"{(double)he:0.#}\" fill=\"{ExpectedColour}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x + bar:0.#}\" y=\"{height - bottom - (double)hi:0.#}\" width=\"{bar:0.#}\" height=\"{(double)hi:0.#}\" fill=\"{(alert ? AlertColour : InvoicedColour)}\"/>");
            sb.Append("</g>");
            if (day.Day == 1 || day.Day % 5 == 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + bar:0.#}\" y=\"{height - 8}\" class=\"lbl\" text-anchor=\"middle\">{day.Day}</text>");
            }

            sb.Append('\n');
        }

        sb.Append("</svg></figure>\n");
    }

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string Short(string? id) => id is null ? "all" : id.Length > 13 ? id[..8] + "…" : id;

    private static string Q(decimal v) => Math.Round(v, 3, MidpointRounding.AwayFromZero).ToString("#,0.###", C);

    private static string SignedQ(decimal v)
    {
        var r = Math.Round(v, 3, MidpointRounding.AwayFromZero);
        return (r > 0 ? "+" : "") + r.ToString("#,0.###", C);
    }

    /// <summary>
    /// What the invoice bills some rows, in their lines' currency; "not summed" when they are in several. Rows
    /// without lines (or whose lines name no currency) take the invoice's currency, unless it lists several.
    /// </summary>
    private static string InvoicedMoney(IReadOnlyList<ReconciliationLine> lines, string currency)
    {
        var currencies = Reconciler.CurrencyOf(lines.Select(l => l.InvoiceCurrency ?? ""));
        return Reconciler.Mixes(currencies)
            ? MoneyOrMixed(null, currencies)
            : Money(lines.Sum(l => l.InvoicedCost), currencies ?? Single(currency));
    }

    /// <summary>The invoice's currency as the label of one amount: none when the invoice mixes them (a list labels no single amount).</summary>
    private static string? Single(string currency) => Reconciler.Mixes(currency) ? null : currency;

    /// <summary>An invoice total, or "not summed" when the invoice mixes currencies.</summary>
    private static string MoneyOrMixed(decimal? v, string currency) => v is { } value ? Money(value, currency) : $"not summed ({currency})";

    private static string Money(decimal v, string? currency) =>
        Math.Round(v, 2, MidpointRounding.AwayFromZero).ToString("#,0.00", C) + (currency is null ? "" : " " + currency);

    private static string Signed(decimal v, string currency)
    {
        var r = Math.Round(v, 2, MidpointRounding.AwayFromZero);
        return (r > 0 ? "+" : "") + r.ToString("#,0.00", C) + " " + currency;
    }

    private static string UnitText(string unit) => unit switch
    {
        Units.Minute => "minutes",
        Units.NumberDay => "number-days",
        _ => "units",
    };

    private const string Css = """
        :root { --ink:#1b2733; --muted:#5b6b7b; --line:#d9e1e8; --alert:#c0392b; --ok:#1e7d4f; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px; background: #fff; }
        h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        .verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; display: inline-block; margin: 4px 0; }
        .verdict.ok { background: #e6f4ec; color: var(--ok); } .verdict.alert { background: #fbe9e7; color: var(--alert); }
        .meta { color: var(--muted); font-size: 12.5px; } .none { color: var(--muted); }
        .cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; flex: 1 1 150px; }
        .card.alert { border-color: var(--alert); } .card .t { color: var(--muted); font-size: 12px; } .card .v { font-size: 18px; font-weight: 600; margin: 2px 0; } .card .s { color: var(--muted); font-size: 11.5px; }
        table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 6px 0; }
        th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
        th { background: #f4f7f9; font-weight: 600; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.id { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11.5px; }
        tr.alert td { background: #fdf3f2; } tr.best td { background: #eef7f1; font-weight: 600; }
        p.cause { margin: 0 0 4px; } p.cause b { color: var(--alert); font-weight: 600; margin-right: 4px; }
        .legend { color: var(--muted); font-size: 12.5px; } .swatch { display: inline-block; width: 11px; height: 11px; margin: 0 4px 0 10px; vertical-align: -1px; border-radius: 2px; }
        figure.chart { margin: 8px 0 14px; } figcaption { font-weight: 600; font-size: 13px; margin-bottom: 2px; }
        svg .axis { stroke: #8a99a8; stroke-width: 1; } svg .lbl { font-size: 10px; fill: #5b6b7b; }
        details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
        footer { margin-top: 32px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
        code { font-size: 12px; }

        """;
}
