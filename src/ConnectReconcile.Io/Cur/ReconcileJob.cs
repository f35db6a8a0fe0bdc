using System.Globalization;
using System.Diagnostics;
using System.Text;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Reports;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Cur;

public sealed record ReconcileJobOptions
{
    /// <summary>The CUR export: a folder or file, or an S3 prefix.</summary>
    public required IObjectStore Cur { get; init; }
    /// <summary>The output of replay/nightly (daily_usage, charges, segments).</summary>
    public required IObjectStore Rated { get; init; }
    public required DateOnly Month { get; init; }
    /// <summary>Compare only through this day (the CUR of a running month lags a day or more); null: the whole month.</summary>
    public DateOnly? Through { get; init; }
    /// <summary>Compare only this usage account's lines (an organization's CUR holds every member's); null: all.</summary>
    public string? Account { get; init; }
    public Tolerance Tolerance { get; init; } = Tolerance.Default;
    /// <summary>The card whose usage-type map tells known from unknown usage types, and names rate rows.</summary>
    public RateCard Card { get; init; } = BuiltInRateCards.Default;
    /// <summary>The agent directory the month was rated with; null when not given (the desk-phone rule then names no agents).</summary>
    public AgentDirectory? Agents { get; init; }
    /// <summary>Where the reconciliation tables and the HTML report go; null writes nothing.</summary>
    public IObjectStore? Output { get; init; }
    /// <summary>Key of the HTML report in <see cref="Output"/> (default <c>reports/reconciliation-YYYY-MM.html</c>), or null with <see cref="HtmlFile"/>.</summary>
    public string? HtmlKey { get; init; }
    /// <summary>A local file for the HTML report instead of a key in the output store.</summary>
    public string? HtmlFile { get; init; }
    /// <summary>Re-rate under each policy alternative and rank them (needs the CTRs).</summary>
    public CalibrationInputs? Calibrate { get; init; }
    public ReportSources? Sources { get; init; }
}

public sealed record ReconcileJobResult(ReconciliationReport Report, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, double> PhaseSeconds, CurReadStats CurStats);

/// <summary>
/// <c>reconcile</c>: read the invoice (streaming) and our daily usage, compare, gather evidence for
/// the explanations only when something is beyond tolerance (or the invoice is per contact), explain,
/// optionally calibrate, and write the reconciliation tables and the HTML report. Progress: reading
/// the invoice ("read-cur"), our charges and segments, calibrating, writing.
/// </summary>
public sealed class ReconcileJob(ReconcileJobOptions options)
{
    public async Task<ReconcileJobResult> RunAsync(IProgress<JobProgress>? progress, CancellationToken ct)
    {
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        void Phase(string name)
        {
            phases[name] = clock.Elapsed.TotalSeconds;
            clock.Restart();
        }

        var month = new DateOnly(options.Month.Year, options.Month.Month, 1);
        var reader = new CurReader(options.Cur, progress);
        var invoice = await reader.AggregateAsync(new InvoiceAggregate(month, options.Through, options.Account), month, ct).ConfigureAwait(false);
        if (reader.Stats.ParquetFiles + reader.Stats.CsvFiles == 0)
        {
            throw new NothingToReadException($"No CUR files (.parquet, .csv, .csv.gz, .csv.zip) for {month:yyyy-MM} under {options.Cur.Describe("")}.");
        }

        Phase("read-cur");
        var rated = new RatedOutputReader(options.Rated, progress);
        var ratedMonth = await rated.ReadDailyUsageAsync(month, ct).ConfigureAwait(false);
        if (options.Through is { } through)
        {
            ratedMonth = ratedMonth with { Rows = ratedMonth.Rows.Where(r => r.Day <= through).ToList() };
        }
        if (ratedMonth.Partitions == 0)
        {
            throw new NothingToReadException($"No daily_usage partitions for {month:yyyy-MM} under {options.Rated.Describe("")} (run replay first).");
        }

        if (options.Calibrate is { } wanted)
        {
            CheckCalibrationInputs(wanted, ratedMonth);
        }

        // --account: our tables carry no account, so the expected side keeps the instances the account's lines name.
        var scope = AccountScope.Of(invoice, ratedMonth.Rows);
        if (scope is { Filtered: true })
        {
            ratedMonth = ratedMonth with { Rows = ratedMonth.Rows.Where(r => scope.Keeps(r.InstanceId)).ToList() };
        }

        Phase("read-daily-usage");
        var catalog = new UsageTypeCatalog(options.Card);
        var firstPass = Reconciler.Compare(ratedMonth.Rows, invoice, catalog, options.Tolerance);
        Phase("compare");

        var voiceRows = ratedMonth.Rows.Where(r => ChargeKinds.Voice.Contains(r.ChargeKind) && r.Charges > 0).ToList();
        var evidence = new ReconciliationEvidence
        {
            Card = options.Card,
            Catalog = catalog,
            DaysWithCtrs = voiceRows.Select(r => r.Day).ToHashSet(),
            DaysWithCtrsByInstance = voiceRows.GroupBy(r => r.InstanceId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlySet<DateOnly>)g.Select(r => r.Day).ToHashSet(), StringComparer.Ordinal),
            // Number-days come from the inventory, not the CTRs: an instance with only those has no CTRs.
            InstancesWithCtrs = ratedMonth.Rows.Where(r => r.Charges > 0 && !r.ChargeKind.StartsWith("number-days:", StringComparison.Ordinal))
                .Select(r => r.InstanceId).ToHashSet(StringComparer.Ordinal),
            UnreadableLines = invoice.FirstUnreadable,
        };
        var needEvidence = firstPass.Any(l => l.BeyondTolerance);
        if (needEvidence || invoice.HasContacts)
        {
            var needAgents = options.Agents is not null && firstPass.Any(l => l.BeyondTolerance && l.ChargeKind == ChargeKinds.TelephonyOutbound && l.QuantityVariance > 0);
            var facts = await rated.ReadChargeFactsAsync(month, invoice.HasContacts, needAgents, ct).ConfigureAwait(false);

            evidence = evidence with
            {
                ExpectedHourly = facts.Hourly,
                InvoicedHourly = invoice.HasHourlyLines ? invoice.Hourly : null,
                InventoryNumbers = facts.InventoryNumbers.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value),
                CalledNumbers = facts.CalledNumbers.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, long>)kv.Value),
                MinimumTopUpMinutes = facts.MinimumTopUpMinutes,
                DirectoryAgents = options.Agents is null ? null : options.Agents.Entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal),
                AgentSeconds = needAgents ? facts.AgentSeconds : null,
                Contacts = invoice.HasContacts ? ContactReconciler.Compare(invoice.Contacts, facts.ChainUsage!, facts.ContactToChain!, Reconciler.CostsComparable(invoice, catalog)) : null,
            };
            Phase("evidence");
        }

        if (options.Calibrate is { } calibrate)
        {
            var current = ratedMonth.Policies.Count == 1 ? BillingPolicy.Parse(ratedMonth.Policies[0]) : BillingPolicy.Default;
            // The policies the month was rated with are candidates too, however far from the default: a
            // ranking without them could only recommend a worse fit than the one in use.
            var tried = (calibrate.Policies ?? BillingPolicy.Alternatives).Concat(ratedMonth.Policies.Select(BillingPolicy.Parse)).Distinct().ToList();
            var alternatives = await CalibrationRunner.RunAsync(calibrate with { Policies = tried }, month, ratedMonth.Rows, progress, ct).ConfigureAwait(false);
            if (scope is { Filtered: true })
            {
                // The CTRs are re-rated whole: an --account comparison ranks its own instances only.
                alternatives = alternatives.Select(a => (a.Policy, (IReadOnlyCollection<ExpectedUsage>)a.Expected.Where(r => scope.Keeps(r.InstanceId)).ToList())).ToList();
            }

            evidence = evidence with
            {
                Calibration = Calibration.Rank(alternatives, invoice, catalog, options.Tolerance, current),
            };
            Phase("calibrate");
        }

        var report = ReconciliationReport.Build(ratedMonth.Rows, invoice, catalog, options.Tolerance, evidence) with
        {
            RateCardVersion = string.Join(",", ratedMonth.RateCardVersions),
            ComparedWithCard = options.Card.Version,
            RateCards = ratedMonth.RateCards,
            Policy = string.Join(",", ratedMonth.Policies),
            AccountScope = scope,
        };
        Phase("explain");

        var outputs = new List<string>();
        if (options.Output is { } output)
        {
            progress?.Report(new JobProgress("write", 0, 1, 0, 0, report.Lines.Count));
            foreach (var file in await ReconciliationTables.WriteAsync(output, report, ct).ConfigureAwait(false))
            {
                outputs.Add(output.Describe(file.Path));
            }

            var sources = options.Sources ?? new ReportSources(options.Cur.Describe(""), options.Rated.Describe(""));
            var html = HtmlReport.Render(report, sources);
            if (options.HtmlFile is { } file2)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(file2));
                if (dir is not null)
                {
                    Directory.CreateDirectory(dir);
                }

                await File.WriteAllTextAsync(file2, html, new UTF8Encoding(false), ct).ConfigureAwait(false);
                outputs.Add(Path.GetFullPath(file2));
            }
            else
            {
                var key = options.HtmlKey ?? string.Create(CultureInfo.InvariantCulture, $"reports/reconciliation-{month:yyyy-MM}.html");
                using var stream = new MemoryStream(new UTF8Encoding(false).GetBytes(html));
                await output.PutAsync(key, stream, ct).ConfigureAwait(false);
                outputs.Add(output.Describe(key));
            }

            Phase("write");
            progress?.Report(new JobProgress("write", 1, 1, 0, 0, report.Lines.Count));
        }

        return new ReconcileJobResult(report, outputs, phases, reader.Stats);
    }

    /// <summary>
    /// Calibration re-rates the CTRs and scores the policy in use against the reconciliation's rows: without the
    /// agent directory or number inventory the month was rated with, it would rate other charges (softphones
    /// for desk phones, inbound numbers of no type) and blame the policy for the difference.
    /// </summary>
    private static void CheckCalibrationInputs(CalibrationInputs calibrate, RatedMonth rated)
    {
        var missing = new List<string>();
        if (rated.AgentDirectoryProvided && ReferenceEquals(calibrate.Agents, AgentDirectory.Empty))
        {
            missing.Add("--agents (the agent directory: without it desk-phone agents are re-rated as softphones)");
        }

        if (rated.NumberInventoryProvided && !calibrate.Numbers.IsProvided)
        {
            missing.Add("--numbers (the number inventory: without it inbound numbers have no type, toll-free or DID)");
        }

        if (missing.Count > 0)
        {
            throw new CalibrationInputException(
                "--calibrate re-rates the CTRs as the month was rated, but its run.json says the replay had inputs this run lacks; give " +
                string.Join(" and ", missing) + ", the same files the replay was given, or the ranking scores the policy in use against other charges than the reconciliation's.");
        }
    }
}

/// <summary>Calibration lacks a reference file the month was rated with: the user's to fix (a usage error), not a failed run.</summary>
public sealed class CalibrationInputException(string message) : Exception(message);
