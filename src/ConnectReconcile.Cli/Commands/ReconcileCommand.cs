using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Cur;
using ConnectReconcile.Io.Reports;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// <c>reconcile</c>: a month of our daily usage against the AWS invoice (CUR), per day × usage type
/// (× instance), with every variance beyond tolerance explained. Exit code 3 when any is, or when an invoice line could not be read.
/// </summary>
internal static class ReconcileCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("reconcile",
            "Compare a month of rated CTRs (replay's --out) with the AWS invoice (CUR 2.0 / Data Exports or legacy CUR, Parquet or CSV) " +
            "per day and usage type, explain every variance beyond tolerance, and write the reconciliation table and an HTML report. " +
            "Exit code 3 when any variance is beyond tolerance or any Connect line of the invoice could not be read.");
        var cur = new Option<string?>("--cur") { Description = "The CUR export: a folder, a file or s3://bucket/prefix/ (.parquet, .csv, .csv.gz, .csv.zip; required)" };
        var rated = new Option<string?>("--rated") { Description = "The rated month: replay's --out (folder or s3://bucket/prefix/ holding daily_usage/, charges/, segments/; required)" };
        var month = new Option<string?>("--month") { Description = "The billing month, YYYY-MM (required)" };
        var through = SharedOptions.Day("--through", "Compare only the days up to and including this one (the CUR of a running month lags a day or more; default: the whole month)");
        var account = new Option<string?>("--account") { Description = "Compare only this AWS account's usage (line_item_usage_account_id, 12 digits): an organization's CUR holds every member account's (default: all)" };
        var tolerancePct = SharedOptions.Number("--tolerance-pct", "Relative tolerance in percent of what we expected (default 1)");
        var toleranceAbs = SharedOptions.Number("--tolerance-abs", "Absolute tolerance in the invoice's currency (default 0.01). A variance counts when it exceeds both");
        var output = SharedOptions.Out("Where to write the reconciliation tables and reports/reconciliation-YYYY-MM.html (default: the --rated location)");
        var html = new Option<string?>("--html") { Description = "Write the HTML report to this local file instead" };
        var calibrate = new Option<bool>("--calibrate") { Description = "Re-rate the month under each metering policy alternative (docs/billing.md, Policy) and rank them against the invoice; needs --source, and --agents / --numbers when the replay had them (its run.json says so)" };
        var source = SharedOptions.Source("CTRs of the month, for --calibrate (folder, file, s3://bucket/prefix/ or s3://bucket/key)");
        var rateCard = SharedOptions.RateCard();
        var agents = SharedOptions.Agents();
        var numbers = SharedOptions.Numbers();
        var summary = new Option<string?>("--summary") { Description = "'table' (default) or 'json': one JSON object on stdout" };
        var top = new Option<int?>("--top") { Description = "Variances to list on the console (default 20)" };
        var endpoint = SharedOptions.EndpointUrl();
        var parallelism = SharedOptions.Parallelism();
        var lookAhead = SharedOptions.LookAheadHours();
        var hourPattern = SharedOptions.HourPattern();
        foreach (var o in new Option[] { cur, rated, month, through, account, tolerancePct, toleranceAbs, output, html, calibrate, source, rateCard, agents, numbers, summary, top, endpoint, parallelism, lookAhead, hourPattern })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var curPath = env.Get(parse, cur) ?? throw new UsageException("--cur is required (the CUR export: folder, file or s3://…).");
            var ratedPath = env.Get(parse, rated) ?? throw new UsageException("--rated is required (replay's --out for the month).");
            var monthText = env.Get(parse, month) ?? throw new UsageException("--month is required (YYYY-MM).");
            var monthStart = SharedOptions.MonthOf(monthText, env.NameOfValue(parse, month));

            if (env.Get(parse, through) is { } last && (last.Year != monthStart.Year || last.Month != monthStart.Month))
            {
                throw new UsageException($"--through {last:yyyy-MM-dd} is not in --month {monthText}.");
            }

            var accountId = env.Get(parse, account);
            if (accountId is not null && (accountId.Length != 12 || !accountId.All(char.IsAsciiDigit)))
            {
                throw new UsageException($"{env.NameOfValue(parse, account)} must be a 12-digit AWS account id, got '{accountId}'.");
            }

            var summaryMode = env.Get(parse, summary) ?? "table";
            if (summaryMode is not ("table" or "json"))
            {
                throw new UsageException($"{env.NameOfValue(parse, summary)} must be 'table' or 'json'.");
            }

            if (env.Get(parse, top) is < 0)
            {
                throw new UsageException($"{env.NameOfValue(parse, top)} must be 0 or more (the variances to list on the console).");
            }

            var tolerance = new Tolerance(env.Get(parse, tolerancePct) ?? Tolerance.Default.Percent, env.Get(parse, toleranceAbs) ?? Tolerance.Default.Absolute);
            if (tolerance.Percent is < 0 or > 100 || tolerance.Absolute is < 0 or >= 1_000_000_000_000m)
            {
                throw new UsageException("--tolerance-pct must be from 0 to 100, and --tolerance-abs from 0 to below 10^12.");
            }

            var s3 = env.S3(parse, endpoint);
            var card = Inputs.RateCard(env.Get(parse, rateCard), s3);
            var agentsPath = env.Get(parse, agents);
            var directory = agentsPath is null ? null : Inputs.Agents(agentsPath, env.Warn, s3);
            CalibrationInputs? calibration = null;
            if (env.Get(parse, calibrate))
            {
                var sourcePath = env.Get(parse, source) ?? throw new UsageException("--calibrate re-rates the month's CTRs: give them with --source.");
                var lookAheadHours = SharedOptions.LookAheadHoursOf(env, parse, lookAhead);
                SharedOptions.InRange(monthStart.AddMonths(1).AddDays(-1), $"{env.NameOfValue(parse, month)}'s last day", lookAheadHours);
                calibration = new CalibrationInputs
                {
                    Source = Inputs.Existing(sourcePath, "--source", s3),
                    Card = card,
                    Agents = directory ?? Core.Reference.AgentDirectory.Empty,
                    Numbers = Inputs.Numbers(env.Get(parse, numbers), env.Warn, s3),
                    LookAheadHours = lookAheadHours,
                    Parallelism = SharedOptions.ParallelismOf(env, parse, parallelism),
                    HourPattern = SharedOptions.HourPatternOf(env, parse, hourPattern),
                    Warn = env.Warn,
                };
            }

            var outPath = env.Get(parse, output) ?? ratedPath;
            var options = new ReconcileJobOptions
            {
                Cur = Inputs.Existing(curPath, "--cur", s3),
                Rated = Inputs.Existing(ratedPath, "--rated", s3),
                Month = monthStart,
                Through = env.Get(parse, through),
                Account = accountId,
                Tolerance = tolerance,
                Card = card,
                Agents = directory,
                Output = Inputs.Output(outPath, "--out", s3),
                HtmlFile = env.Get(parse, html) is { } htmlPath ? Inputs.LocalOnly(htmlPath, "--html") : null,
                Calibrate = calibration,
                Sources = new ReportSources(curPath, ratedPath),
            };

            env.Logger.LogInformation("Reconciling {Month}: invoice {Cur} vs rated {Rated} (tolerance {Pct} % / {Abs}{Calibrate})",
                monthText, curPath, ratedPath, tolerance.Percent, tolerance.Absolute, calibration is null ? "" : ", calibrating");
            var stopwatch = Stopwatch.StartNew();
            // A granular invoice is millions of lines, and its evidence every charge of the month: progress as a replay's.
            var result = await ProgressDisplay.RunAsync(env, progress => new ReconcileJob(options).RunAsync(progress, ct), Phases);

            var report = result.Report;
            env.Logger.LogInformation("Done in {Seconds:F1} s ({Phases}): {Lines} invoice lines ({Connect} Connect), {Rows} rows, {Beyond} beyond tolerance",
                stopwatch.Elapsed.TotalSeconds, string.Join(", ", result.PhaseSeconds.Select(kv => $"{kv.Key} {kv.Value:F1} s")),
                report.Invoice.LinesRead, report.Invoice.ConnectLines, report.Lines.Count, report.Lines.Count(l => l.BeyondTolerance));

            if (summaryMode == "json")
            {
                await env.Out.WriteLineAsync(SummaryJson(report, result.Outputs));
            }
            else
            {
                if (!env.IsTerminal)
                {
                    env.OutConsole.Profile.Width = 160; // redirected output: wide enough for the variance table
                }

                ReconcileTable.Write(env.OutConsole, report, result.Outputs, env.Get(parse, top) ?? 20);
            }

            foreach (var note in report.Notes)
            {
                env.Warn(note);
            }

            if (report.Invoice.OtherAccountLines > 0)
            {
                env.Logger.LogInformation("Left out {Lines} Connect line(s) of other accounts than {Account}", report.Invoice.OtherAccountLines, report.Invoice.Account);
            }

            if (report.Incomplete)
            {
                env.Logger.LogWarning("{Lines} Connect line(s) of the invoice could not be read and were not compared; first: {First}",
                    report.Invoice.UnreadableLines, report.Invoice.FirstUnreadable[0]);
            }

            // An invoice that could not be read whole needs a person as much as a variance does.
            return report.AnyBeyondTolerance || report.Incomplete ? ExitCodes.VarianceBeyondTolerance : ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>What each phase's bar says on a terminal.</summary>
    private static readonly Dictionary<string, string> Phases = new(StringComparer.Ordinal)
    {
        ["read-cur"] = "read the invoice",
        ["read-charges"] = "read our charges (evidence)",
        ["read-segments"] = "read our segments (evidence)",
        ["decode"] = "read CTRs to calibrate",
        ["calibrate"] = "re-rate under each policy",
        ["write"] = "write the tables and report",
    };

    /// <summary>The machine-readable verdict for the nightly job: counts, totals, and the variances with their causes.</summary>
    internal static string SummaryJson(ReconciliationReport report, IReadOnlyList<string> outputs)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("month", report.Month.ToString("yyyy-MM", CultureInfo.InvariantCulture));
            w.WriteBoolean("beyondTolerance", report.AnyBeyondTolerance);
            w.WriteString("currency", report.Currency);
            w.WriteString("expectedCurrency", report.ExpectedCurrency);
            w.WriteBoolean("costsCompared", report.CostsCompared);
            w.WriteNumber("otherMonthLines", report.Invoice.OtherMonthLines);
            // monthly (or mixed): every row is the month × usage type, dated the month's first day.
            w.WriteString("invoiceGranularity", report.Invoice.Granularity);
            Strings(w, "notes", report.Notes);
            w.WriteStartArray("accounts");
            foreach (var a in report.Invoice.Accounts)
            {
                w.WriteStringValue(a);
            }

            w.WriteEndArray();
            w.WriteString("account", report.Invoice.Account);
            w.WriteNumber("otherAccountLines", report.Invoice.OtherAccountLines);
            if (report.AccountScope is { } scope)
            {
                // Our tables carry no account: the instances whose CTRs were compared with the account's lines.
                w.WriteBoolean("instancesFiltered", scope.Filtered);
                Strings(w, "instancesCompared", scope.Compared);
                Strings(w, "instancesLeftOut", scope.LeftOut);
            }

            Strings(w, "instancesWithoutCtrs", report.InstancesWithoutCtrs.Select(i => i.InstanceId).Distinct(StringComparer.Ordinal));
            w.WriteStartObject("rows");
            foreach (var s in Statuses.All)
            {
                w.WriteNumber(s, report.Count(s));
            }

            w.WriteEndObject();
            w.WriteString("expectedCost", Cents(report.ExpectedCost));
            // An invoice mixing currencies: its amounts are not added up (null), yen and dollars make no total.
            CentsOrNull(w, "invoicedUsageCost", report.InvoicedUsageCostTotal);
            CentsOrNull(w, "taxes", report.AdjustmentTotalOrNull(LineKinds.Tax));
            CentsOrNull(w, "credits", report.AdjustmentTotalOrNull(LineKinds.Credit));
            CentsOrNull(w, "refunds", report.AdjustmentTotalOrNull(LineKinds.Refund));
            CentsOrNull(w, "freeTier", report.FreeTierTotalOrNull);
            CentsOrNull(w, "otherAdjustments", report.AdjustmentTotalOrNull(LineKinds.Other));
            // Other services' lines (Lex, Lambda, S3, ...): not modelled, listed with what they cost.
            w.WriteStartArray("otherServices");
            foreach (var o in report.Invoice.OtherServices)
            {
                w.WriteStartObject();
                w.WriteString("productCode", o.ProductCode);
                w.WriteString("currency", o.Currency);
                w.WriteNumber("lines", o.Lines);
                w.WriteString("cost", Cents(o.Cost));
                w.WriteNumber("linesWithoutCost", o.UnpricedLines);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("unknownUsageTypes");
            foreach (var u in report.UnknownUsageTypes)
            {
                w.WriteStringValue(u.UsageType);
            }

            w.WriteEndArray();
            w.WriteStartObject("unreadableInvoiceLines");
            w.WriteNumber("count", report.Invoice.UnreadableLines);
            w.WriteStartArray("first");
            foreach (var u in report.Invoice.FirstUnreadable)
            {
                w.WriteStartObject();
                w.WriteString("source", u.Source);
                w.WriteNumber("row", u.Row);
                w.WriteString("reason", u.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartArray("variances");
            foreach (var l in report.BeyondTolerance)
            {
                w.WriteStartObject();
                w.WriteString("day", l.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                if (l.WholeMonth)
                {
                    w.WriteString("period", "month");
                }

                w.WriteString("usageType", l.UsageType);
                if (l.InstanceId is not null)
                {
                    w.WriteString("instanceId", l.InstanceId);
                }

                w.WriteString("status", l.Status);
                w.WriteString("basis", l.Basis);
                w.WriteNumber("expectedQuantity", l.ExpectedQuantity);
                w.WriteNumber("invoicedQuantity", l.InvoicedQuantity);
                // Null when costs were not compared: our cost and the invoice's are in two currencies.
                CentsOrNull(w, "costVariance", report.CostVarianceOf(l));
                w.WriteStartArray("causes");
                foreach (var c in l.Causes)
                {
                    w.WriteStartObject();
                    w.WriteString("code", c.Code);
                    w.WriteString("text", c.Text);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (report.Calibration.Count > 0)
            {
                w.WriteStartArray("calibration");
                foreach (var c in report.Calibration)
                {
                    w.WriteStartObject();
                    w.WriteNumber("rank", c.Rank);
                    w.WriteString("policy", c.Policy);
                    w.WriteNumber("absQuantityVariance", c.AbsQuantityVariance);
                    w.WriteBoolean("current", c.IsCurrent);
                    w.WriteBoolean("tiedWithBest", c.TiedWithBest);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteStartArray("outputs");
            foreach (var o in outputs)
            {
                w.WriteStringValue(o);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void CentsOrNull(Utf8JsonWriter w, string name, decimal? v)
    {
        if (v is { } value)
        {
            w.WriteString(name, Cents(value));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Cents(decimal v) => Math.Round(v, 2, MidpointRounding.AwayFromZero).ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>The console view: verdict, totals, the top variances with their likely causes, adjustments, calibration.</summary>
internal static class ReconcileTable
{
    public static void Write(IAnsiConsole console, ReconciliationReport report, IReadOnlyList<string> outputs, int top)
    {
        var c = CultureInfo.InvariantCulture;
        var cur = ConsoleText.Escape(report.Currency);
        console.MarkupLineInterpolated($"[bold]Reconciliation {report.Month:yyyy-MM}[/] — tolerance {report.Tolerance.Percent.ToString("0.###", c)} % and {report.Tolerance.Absolute.ToString("0.00##", c)} {cur}");
        var totals = new Table().AddColumn("").AddColumn(FigureTables.Column(cur));
        if (report.CostsCompared)
        {
            totals.AddRow("expected from CTRs", Money(report.ExpectedCost));
            totals.AddRow("invoiced usage", Money(report.InvoicedUsageCost));
            totals.AddRow("usage variance (net of free tier)", Money(report.Lines.Sum(l => l.CostVariance)));
        }
        else
        {
            // Two currencies: each total in its own, and no difference between them.
            totals.AddRow(Markup.Escape($"expected from CTRs ({report.ExpectedCurrency})"), Money(report.ExpectedCost));
            totals.AddRow("invoiced usage", MoneyOrMixed(report.InvoicedUsageCostTotal));
            totals.AddRow("usage variance", "not compared");
        }

        foreach (var kind in new[] { LineKinds.Tax, LineKinds.Credit, LineKinds.Refund, LineKinds.FreeTier, LineKinds.Other })
        {
            // The free tier's row also holds the value of usage it priced at zero, which has no adjustment line.
            var isFreeTier = kind == LineKinds.FreeTier;
            if (report.Adjustments.Any(a => a.Kind == kind) || (isFreeTier && report.FreeTierValue != 0))
            {
                totals.AddRow(isFreeTier ? "free tier (credits and zero-priced usage, apart)" : Markup.Escape($"{kind} lines (apart)"),
                    MoneyOrMixed(isFreeTier ? report.FreeTierTotalOrNull : report.AdjustmentTotalOrNull(kind)));
            }
        }

        FigureTables.Write(console, totals);
        if (report.Invoice.OtherServices is [_, ..] others)
        {
            console.WriteLine(ConsoleText.Escape("Other services' lines (not Connect, not modelled): " + string.Join("; ", others)));
        }

        console.MarkupLineInterpolated($"Rows: {string.Join(", ", Statuses.All.Select(s => $"{report.Count(s):N0} {s}"))}");

        var beyond = report.BeyondTolerance.ToList();
        if (beyond.Count == 0)
        {
            console.MarkupLine(report.Invoice.Monthly ? "[green]Every usage type of the month is within tolerance.[/]" : "[green]Every day and usage type is within tolerance.[/]");
        }
        else
        {
            console.MarkupLineInterpolated($"[red]{beyond.Count} row(s) beyond tolerance[/] (largest first):");
            var table = new Table().AddColumn(FigureTables.Column("#")).AddColumn("day").AddColumn("usage type").AddColumn(FigureTables.Column("expected")).AddColumn(FigureTables.Column("invoiced"))
                .AddColumn(FigureTables.Column("Δ qty")).AddColumn(FigureTables.Column(report.CostsCompared ? "Δ " + cur : "Δ cost")).AddColumn("status").AddColumn("causes");
            var shown = beyond.Take(top).ToList();
            for (var i = 0; i < shown.Count; i++)
            {
                var l = shown[i];
                table.AddRow(
                    (i + 1).ToString(c),
                    l.PeriodText,
                    Markup.Escape(ConsoleText.Escape(l.UsageType + (l.InstanceId is null ? "" : " @" + l.InstanceId[..Math.Min(8, l.InstanceId.Length)]))),
                    Q(l.ExpectedQuantity), Q(l.InvoicedQuantity), Q(l.QuantityVariance), report.CostVarianceOf(l) is { } dc ? Money(dc) : "—",
                    Markup.Escape(l.Status + (l.Basis is null ? "" : $" ({l.Basis})")),
                    Markup.Escape(string.Join("\n", l.Causes.Select(x => x.Code))));
            }

            FigureTables.Write(console, table);
            for (var i = 0; i < shown.Count; i++)
            {
                foreach (var cause in shown[i].Causes)
                {
                    console.WriteLine(ConsoleText.Escape($"#{i + 1} {shown[i].PeriodText} {shown[i].UsageType} — {cause.Code}: {cause.Text}"));
                }
            }
            if (beyond.Count > top)
            {
                console.MarkupLineInterpolated($"… and {beyond.Count - top} more (see the HTML report or the reconciliation table).");
            }
        }

        foreach (var note in report.Notes)
        {
            console.MarkupLineInterpolated($"[yellow]{ConsoleText.Escape(note)}[/]");
        }

        if (report.Incomplete)
        {
            console.MarkupLineInterpolated($"[red]{report.Invoice.UnreadableLines:N0} Connect line(s) of the invoice could not be read[/] and were not compared:");
            foreach (var u in report.Invoice.FirstUnreadable.Take(top))
            {
                console.WriteLine("  " + ConsoleText.Escape(u.ToString()));
            }
        }

        if (report.UnknownUsageTypes.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]Usage types the rate card does not know:[/] {ConsoleText.Escape(string.Join(", ", report.UnknownUsageTypes.Select(u => $"{u.UsageType} ({Q(u.Quantity)}, {Money(u.Cost)}{OwnCurrency(u.Currency)})")))}");
        }

        if (report.Calibration.Count > 0)
        {
            var cal = new Table().Title("Metering policies ranked against the invoice").AddColumn(FigureTables.Column("rank")).AddColumn("policy")
                .AddColumn(FigureTables.Column("|Δ quantity|")).AddColumn(FigureTables.Column("|Δ cost|")).AddColumn("");
            foreach (var r in report.Calibration)
            {
                cal.AddRow(r.Rank.ToString(c), Markup.Escape(r.Policy), Q(r.AbsQuantityVariance), r.AbsCostVariance is { } abs ? Money(abs) : "—",
                    (r.IsCurrent ? "current" : "") + (r.TiedWithBest && r.Rank > 1 ? " tied with best" : ""));
            }

            FigureTables.Write(console, cal);
        }

        foreach (var o in outputs)
        {
            console.MarkupLineInterpolated($"Wrote {ConsoleText.Escape(o)}");
        }

        // An invoice mixing currencies: each amount is labelled with its own lines' currency (else the totals' column names it).
        string OwnCurrency(string? currency) => report.InvoiceAmountsSummable ? "" : " " + (currency ?? report.Currency);

        // An invoice mixing currencies: its amounts are not added up.
        static string MoneyOrMixed(decimal? v) => v is { } value ? Money(value) : "not summed (mixed currencies)";
        static string Money(decimal v) => Math.Round(v, 2, MidpointRounding.AwayFromZero).ToString("#,0.00", CultureInfo.InvariantCulture);
        static string Q(decimal v) => Math.Round(v, 3, MidpointRounding.AwayFromZero).ToString("#,0.###", CultureInfo.InvariantCulture);
    }
}
