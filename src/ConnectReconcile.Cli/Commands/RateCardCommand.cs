using System.CommandLine;
using System.Globalization;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Cur;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ConnectReconcile.Cli.Commands;

/// <summary><c>ratecard derive</c>: a rate card priced with the invoice's own unit rates.</summary>
internal static class RateCardCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("ratecard", "Rate card tools");
        command.Subcommands.Add(Derive(envFactory));
        return command;
    }

    private static Command Derive(Func<CliEnvironment> envFactory)
    {
        var command = new Command("derive",
            "Write a rate card (docs/rate-card.md) whose prices are the invoice's own line_item_unblended_rate, so a re-rated month is priced exactly as AWS priced it. " +
            "Charge kinds, countries and increments come from the base card (the CUR does not show increments).");
        var cur = new Option<string?>("--cur") { Description = "The CUR export: a folder, a file or s3://bucket/prefix/ (required)" };
        var output = new Option<string?>("--out") { Description = "The rate card file to write (JSON; required)" };
        var month = new Option<string?>("--month") { Description = "Only this billing month, YYYY-MM (default: every month in the export)" };
        var baseCard = new Option<string?>("--base-card") { Description = "Card whose usage-type map and increments to use (default: the built-in cards)" };
        var version = new Option<string?>("--version") { Description = "Version of the new card (default: invoice-YYYY-MM)" };
        var invoiceOnly = new Option<bool>("--invoice-only") { Description = "Leave out the base card's rows for usage the invoice does not show" };
        var endpoint = SharedOptions.EndpointUrl();
        foreach (var o in new Option[] { cur, output, month, baseCard, version, invoiceOnly, endpoint })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var curPath = env.Get(parse, cur) ?? throw new UsageException("--cur is required.");
            var cardVersion = VersionOf(env.Get(parse, version));
            var outPath = Inputs.OutputFile(env.Get(parse, output) ?? throw new UsageException("--out is required (the rate card file to write)."), "--out");
            var s3 = env.S3(parse, endpoint);
            var curStore = Inputs.Existing(curPath, "--cur", s3);

            DateOnly? monthStart = env.Get(parse, month) is { } m ? SharedOptions.MonthOf(m, env.NameOfValue(parse, month)) : null;

            var card = Inputs.RateCard(env.Get(parse, baseCard), s3);
            var reader = new CurReader(curStore);
            // Deriving reads the day cells only: a granular invoice's per-contact cells would be most of the memory.
            var invoice = await reader.AggregateAsync(
                monthStart is { } ms ? new InvoiceAggregate(ms) { TrackContacts = false } : InvoiceAggregate.AllMonths(trackContacts: false), monthStart, ct);
            if (invoice.Usage.Count == 0)
            {
                throw new UsageException($"No Amazon Connect usage lines in '{curPath}'{(monthStart is null ? "" : $" for {monthStart:yyyy-MM}")}.");
            }

            if (invoice.Currencies.Count > 1)
            {
                throw new UsageException($"The invoice mixes currencies ({string.Join(", ", invoice.Currencies)}) and a rate card prices in one: give --month of a month billed in one currency.");
            }

            if (invoice.Usage.Values.Any(u => u.RatedCost != 0) && invoice.Usage.Values.All(u => u.QuantityByRate.Count == 0))
            {
                throw new UsageException("No Connect usage line of the invoice carries a unit rate (line_item_unblended_rate / lineItem/UnblendedRate is missing or empty): there are no prices to derive.");
            }

            var first = invoice.FirstUsageDay;
            var derived = RateCardDeriver.Derive(invoice, card, cardVersion ?? $"invoice-{first:yyyy-MM}", env.Get(parse, invoiceOnly));
            var json = derived.Card.ToJson() + "\n";
            try
            {
                // The card is written only if it loads as every command would load it.
                _ = RateCard.FromJson(json);
            }
            catch (FormatException e)
            {
                throw new UsageException($"The card derived from the invoice would not load, so it was not written: {e.Message} Check the invoice's unit rates for that usage type.");
            }

            var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }

            await File.WriteAllTextAsync(outPath, json, ct);
            env.Logger.LogInformation("Read {Lines} invoice lines ({Connect} Connect) from {Files} file(s); wrote {Rows} rows to {Out}",
                reader.Stats.Rows, reader.Stats.ConnectRows, reader.Stats.ParquetFiles + reader.Stats.CsvFiles, derived.Card.Rows.Count, outPath);
            if (invoice.FirstUnreadable.Count > 0)
            {
                env.Logger.LogWarning("{Lines} Connect line(s) could not be read and priced nothing; first: {First}",
                    invoice.UnreadableLines, invoice.FirstUnreadable[0]);
            }

            var c = CultureInfo.InvariantCulture;
            if (!env.IsTerminal)
            {
                env.OutConsole.Profile.Width = 160;
            }

            var fromInvoice = derived.Card.Rows.Where(r => r.Id.StartsWith("cur-", StringComparison.Ordinal)).ToList();
            var table = new Table().Title(Markup.Escape($"Rate card {derived.Card.Version}")).AddColumn("row").AddColumn("charge kind").AddColumn("usage type")
                .AddColumn(FigureTables.Column("price")).AddColumn("from").AddColumn("source");
            foreach (var r in fromInvoice)
            {
                table.AddRow(Markup.Escape(r.Id), Markup.Escape(r.ChargeKind), Markup.Escape(r.UsageType), r.Price.ToString(c), r.EffectiveFrom.ToString("yyyy-MM-dd", c), Markup.Escape(r.Source));
            }

            FigureTables.Write(env.OutConsole, table);
            if (derived.Card.Rows.Count > fromInvoice.Count)
            {
                env.OutConsole.MarkupLineInterpolated($"Kept {derived.Card.Rows.Count - fromInvoice.Count} row(s) of the base card for usage the invoice does not show (--invoice-only leaves them out).");
            }

            foreach (var u in derived.UnknownUsageTypes)
            {
                env.OutConsole.MarkupLineInterpolated($"[yellow]not derived[/] {u}: no template of the base card matches this usage type");
            }

            foreach (var note in derived.Notes)
            {
                env.OutConsole.MarkupLineInterpolated($"note: {note}");
            }

            env.OutConsole.MarkupLineInterpolated($"Wrote {outPath}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>A blank version would write a card that no command can read back.</summary>
    private static string? VersionOf(string? version) =>
        version is not null && string.IsNullOrWhiteSpace(version) ? throw new UsageException("--version must not be blank (outputs carry it as rate_card_version).") : version;
}
