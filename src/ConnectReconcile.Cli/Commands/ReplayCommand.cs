using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ConnectReconcile.Cli.Commands;

/// <summary><c>replay</c> (any range, default: everything in the source) and <c>nightly</c> (one day, idempotent).</summary>
internal static class ReplayCommand
{
    public static Command Replay(Func<CliEnvironment> env)
    {
        var command = new Command("replay", "Rate a month (or any range) of CTRs and write Parquet. With no --source it generates a sample month and runs on it.");
        var from = SharedOptions.Day("--from", "First UTC day of chains to rate (default: all)");
        var to = SharedOptions.Day("--to", "Last UTC day of chains to rate (default: all)");
        return Build(command, env, from, to, nightlyDate: null);
    }

    public static Command Nightly(Func<CliEnvironment> env)
    {
        var command = new Command("nightly", "Rate one UTC day (chains that started that day), reading into the next day for chains that straddle midnight. Re-running replaces that day only.");
        var date = SharedOptions.Day("--date", "The UTC day to rate (YYYY-MM-DD; required)");
        return Build(command, env, null, null, date);
    }

    private static Command Build(Command command, Func<CliEnvironment> envFactory, Option<DateOnly?>? fromOption, Option<DateOnly?>? toOption, Option<DateOnly?>? nightlyDate)
    {
        var source = SharedOptions.Source(required: nightlyDate is not null);
        var output = SharedOptions.Out(required: nightlyDate is not null ? "required" : "required with --source, and only with it: the sample month of a run without --source goes to its own temp folder");
        var rating = new RatingInputs();
        var summary = new Option<string?>("--summary") { Description = "'table' (default) or 'json': print the totals as one JSON object on stdout and nothing else there" };
        var endpoint = SharedOptions.EndpointUrl();
        var parallelism = SharedOptions.Parallelism();
        var lookAhead = SharedOptions.LookAheadHours();
        var hourPattern = SharedOptions.HourPattern();
        var strict = SharedOptions.Strict();
        foreach (var option in new Option?[] { source, output, fromOption, toOption, nightlyDate, summary, endpoint, parallelism, lookAhead, hourPattern, strict })
        {
            if (option is not null)
            {
                command.Options.Add(option);
            }
        }

        rating.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var summaryMode = env.Get(parse, summary) ?? "table";
            if (summaryMode is not ("table" or "json"))
            {
                throw new UsageException($"{env.NameOfValue(parse, summary)} must be 'table' or 'json'.");
            }

            // Before the days: the last day's end is checked with the look-ahead read past it.
            var lookAheadHours = SharedOptions.LookAheadHoursOf(env, parse, lookAhead);
            DateOnly? from = null, to = null;
            if (nightlyDate is not null)
            {
                from = to = SharedOptions.InRange(env.Get(parse, nightlyDate) ?? throw new UsageException($"{nightlyDate.Name} is required (the UTC day to rate, YYYY-MM-DD)."), env.NameOfValue(parse, nightlyDate), lookAheadHours);
            }
            else
            {
                (from, to) = SharedOptions.DaysOf(env, parse, fromOption!, toOption!, lookAheadHours);
            }

            var sourcePath = env.Get(parse, source);
            var outPath = env.Get(parse, output);
            string? sampleAgents = null, sampleNumbers = null;
            if (sourcePath is null)
            {
                if (nightlyDate is not null)
                {
                    throw new UsageException("nightly needs --source.");
                }

                if (outPath is not null)
                {
                    // The sample month goes to its own temp folder only: rated into an --out meant for real data
                    // (a blank or missing source setting beside one), it was published over real days, exit 0.
                    var origin = env.Origin(parse, output);
                    throw new UsageException($"--out is given{(origin == output.Name ? "" : $" ({origin})")} but --source is not: give --source too. " +
                        "Without either, replay rates a generated sample month into its own temp folder.");
                }

                (sourcePath, sampleAgents, sampleNumbers, outPath) = GeneratedSample(env);
            }

            if (outPath is null)
            {
                throw new UsageException("--out is required (a folder or s3://bucket/prefix/).");
            }

            Inputs.OutsideSource(outPath, sourcePath);
            var s3 = env.S3(parse, endpoint);
            var (rater, numbers) = rating.Resolve(env, parse, s3, sampleAgents, sampleNumbers);
            WarnIfNumbersEstimated(env, numbers);

            var outStore = Inputs.Output(outPath, "--out", s3);
            var options = new BillingJobOptions
            {
                Source = Inputs.Existing(sourcePath, "--source", s3),
                Output = outStore,
                // A whole replay leaves the published days before its source's first arrival day alone.
                PublishedDays = from is null && to is null ? await PublishedDaysAsync(outStore, ct) : null,
                From = from,
                To = to,
                LookAheadHours = lookAheadHours,
                Rater = rater,
                Numbers = numbers,
                Parallelism = SharedOptions.ParallelismOf(env, parse, parallelism),
                HourPattern = SharedOptions.HourPatternOf(env, parse, hourPattern),
                Strict = env.Get(parse, strict),
                Warn = env.Warn,
            };

            env.Logger.LogInformation("Rating {Source} → {Out} (days {From}..{To}, rate card {RateCard}, policy {Policy})",
                sourcePath, outPath, Day(from), Day(to), rater.Card.Version, rater.Policy);
            if (to is { } last && last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddHours(options.LookAheadHours) is var complete
                && complete > env.Clock.GetUtcNow().UtcDateTime)
            {
                // Run before its look-ahead has passed, a day misses chains that straddle midnight and late records.
                env.Logger.LogWarning("{Day} is not complete until {Complete} UTC (the day plus {LookAhead} h of look-ahead): this run rates what has arrived so far; run it again after then (it replaces the day)",
                    Day(last), complete.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), options.LookAheadHours);
            }
            var stopwatch = Stopwatch.StartNew();
            var result = await ProgressDisplay.RunAsync(env, progress => new BillingJob(options).RunAsync(progress, ct), JobBars.Replay);
            env.Logger.LogInformation("Done in {Seconds:F1} s: {Records} records read, {Chains} chains, {Files} files published",
                stopwatch.Elapsed.TotalSeconds, result.Counts.Read, result.Counts.Chains, result.Outputs.Count);
            WarnIfNothingRead(env, result, sourcePath, from, to);
            WarnOfLateArrivals(env, result, options.LookAheadHours);
            if (result.WindowHoldHours is not { } hold || hold > options.LookAheadHours)
            {
                // Said because it costs a second read (and, held, memory): a late record changed a day already written.
                env.Logger.LogInformation("A late or changed record made the run read the range again, {How}",
                    result.WindowHoldHours is { } longer ? $"holding chains open {longer} h (the look-ahead is {options.LookAheadHours} h)" : "holding every record");
            }

            if (from is null && to is null)
            {
                await WarnOfDaysLeftAsync(env, options.Output, result, outPath);
            }

            if (summaryMode == "json")
            {
                await env.Out.WriteLineAsync(RunManifest.SummaryJson(result.Counts, result.Totals));
            }
            else
            {
                SummaryTable.Write(env.OutConsole, result.Counts, result.Totals, outPath);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    // ISO days in logs: DateOnly's own ToString is the culture's short date (MM/dd/yyyy in the invariant one).
    /// <summary>Not a failure (a day can be quiet), but most often a wrong prefix or range: say so.</summary>
    internal static void WarnIfNothingRead(CliEnvironment env, JobResult result, string source, DateOnly? from, DateOnly? to)
    {
        if (result.Counts.Read == 0)
        {
            env.Logger.LogWarning("No CTRs were read from {Source} (days {From}..{To}): check --source and the dates", source, Day(from), Day(to));
        }

        WarnOfUnreadableObjects(env, result.Quarantined);
    }

    /// <summary>
    /// An object that cannot be opened (no permission, a network error after the retries) is quarantined as
    /// one row, and the run goes on without its records: the totals are short by however many it held, and
    /// nothing else says so. One warning for every command that reads CTRs, with the count and the first keys.
    /// </summary>
    internal static void WarnOfUnreadableObjects(CliEnvironment env, IEnumerable<QuarantineEntry> quarantined)
    {
        var unreadable = QuarantineEntry.UnreadableObjects(quarantined);
        if (unreadable.Count == 0)
        {
            return;
        }

        const int Shown = 3;
        env.Logger.LogWarning("{Count} input object(s) could not be read (or not to the end), so their records are missing from this run (quarantined as {Reason}): {Objects}{More}; " +
            "the first failed with: {Detail}. Check their permissions (or the connection) and run again",
            unreadable.Count, QuarantineReasons.UnreadableObject, string.Join(", ", unreadable.Take(Shown).Select(q => q.Position.Source)),
            unreadable.Count > Shown ? $" and {unreadable.Count - Shown} more" : "", unreadable[0].Detail.TrimEnd('.'));
    }

    /// <summary>
    /// Records set aside, by reason, with the first of them: for a command that writes no quarantine table
    /// (audit-export), whose output otherwise lacks them without a word. <paramref name="instead"/> says where to see them all.
    /// </summary>
    internal static void WarnOfQuarantined(CliEnvironment env, JobResult result, string missingFrom, string instead)
    {
        if (result.Counts.Quarantined == 0)
        {
            return;
        }

        const int Shown = 3;
        env.Logger.LogWarning("{Count} record(s) could not be used and were quarantined, so {MissingFrom} lacks them ({Reasons}); the first: {Records}{More}. {Instead}",
            result.Counts.Quarantined, missingFrom, SummaryTable.Reasons(result.Counts),
            string.Join(", ", result.Quarantined.Take(Shown).Select(q => $"{q.Reason} in {q.Position.Source} at byte {q.Position.Offset.ToString(CultureInfo.InvariantCulture)}")),
            result.Quarantined.Count > Shown ? $" and {result.Quarantined.Count - Shown} more" : "", instead);
    }

    /// <summary>The charges look like any others; run.json's numberInventoryProvided is the only other trace.</summary>
    internal static void WarnIfNumbersEstimated(CliEnvironment env, Core.Reference.NumberInventory numbers)
    {
        if (!numbers.IsProvided)
        {
            env.Logger.LogWarning("No --numbers: number-days are estimated, every number seen in SystemEndpoint charged for every day of the run (run.json: numberInventoryProvided false)");
        }
    }

    /// <summary>Records of earlier days this dated run read after those days' look-ahead: counted as other days', so say which.</summary>
    /// <param name="manifest">Whether the run writes a run.json, whose lateArrivals lists every day (audit-export writes none).</param>
    internal static void WarnOfLateArrivals(CliEnvironment env, JobResult result, int lookAheadHours, bool manifest = true)
    {
        // One line a day, but not thousands: a record stamped years early names every day since.
        const int Listed = 5;
        foreach (var late in result.LateArrivals.Take(Listed))
        {
            env.Logger.LogWarning("{Records} record(s) of calls on {Day} arrived more than {LookAhead} h (this run's look-ahead) after that day, so a run of it with that look-ahead " +
                "did not read them: unless they repeat records it had (a re-delivery), its published tables lack them. To take them in, run it again: nightly --date {Date} --look-ahead-hours {Needed}",
                late.Records, Day(late.Day), lookAheadHours, Day(late.Day), late.LookAheadHours);
        }

        if (result.LateArrivals.Count > Listed)
        {
            // The folded days still get a command that reads them all: the largest look-ahead any of them needs.
            var rest = result.LateArrivals.Skip(Listed).ToList();
            env.Logger.LogWarning("{Days} more earlier day(s), {First} to {Last}, have {Records} record(s) that arrived after their look-ahead too: " +
                "replay --from {From} --to {To} --look-ahead-hours {Needed} reads them all{Manifest}",
                rest.Count, Day(rest[0].Day), Day(rest[^1].Day), rest.Sum(l => l.Records), Day(rest[0].Day), Day(rest[^1].Day), rest.Max(l => l.LookAheadHours),
                manifest ? " (run.json's lateArrivals lists each day with the --look-ahead-hours a run of it needs)" : "");
        }
    }

    /// <summary>
    /// A whole replay replaces the days it rates. Days an earlier run wrote into the same --out stay as they
    /// were, and a query over the tables would add them to this run's: say which.
    /// </summary>
    /// <remarks>
    /// Runs after the publish, so a stop signal no longer cancels it: the run has published, and its listing, thrown
    /// out as cancelled, told the operator "nothing was published" (exit 1, no summary).
    /// </remarks>
    private static async Task WarnOfDaysLeftAsync(CliEnvironment env, Io.Storage.IObjectStore output, JobResult result, string outPath)
    {
        var written = result.Outputs.Select(o => ParquetTableWriter.PartitionDay(o.Path)).ToHashSet();
        var left = new SortedSet<DateOnly>(await PublishedDaysAsync(output, CancellationToken.None));
        left.ExceptWith(written.OfType<DateOnly>());

        if (left.Count > 0)
        {
            env.Logger.LogWarning("{Count} day(s) in {Out} were not written by this run and are left as an earlier run wrote them ({Days}): queries over the tables read them beside this run's days; remove them, or replay into an empty --out",
                left.Count, outPath, left.Count <= 10 ? string.Join(", ", left.Select(d => Day(d))) : $"{Day(left.Min)}..{Day(left.Max)}");
        }
    }

    /// <summary>The days the output holds a partition of, in any table.</summary>
    private static async Task<SortedSet<DateOnly>> PublishedDaysAsync(Io.Storage.IObjectStore output, CancellationToken ct)
    {
        var days = new SortedSet<DateOnly>();
        foreach (var table in BillingJob.Tables)
        {
            await foreach (var obj in output.ListAsync(table + "/", ct))
            {
                if (ParquetTableWriter.PartitionDay(obj.Key) is { } day)
                {
                    days.Add(day);
                }
            }
        }

        return days;
    }

    private static string Day(DateOnly? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "all";

    /// <summary>The embedded default: a generated sample month in a temp folder, so a newcomer sees the product work.</summary>
    private static (string Source, string Agents, string Numbers, string Out) GeneratedSample(CliEnvironment env)
    {
        var root = Path.Combine(Path.GetTempPath(), "connect-reconcile-sample");
        const string Sample = "5,000 contacts, 30 days, seed 42";
        var data = SampleFolder.Ensure(root, Sample, folder =>
        {
            env.Logger.LogInformation("No --source given: generating a sample month ({Sample}) for {Folder}", Sample, Path.Combine(root, "data"));
            SampleMonth.Generate(new GeneratorOptions(5_000, 30, 42, folder));
        }, env.Warn);
        return (Path.Combine(data, "ctr"), Path.Combine(data, "agents.csv"), Path.Combine(data, "numbers.csv"), Path.Combine(root, "out"));
    }
}

/// <summary>A billing job's two bars on a terminal: reading the CTRs (rating and writing days as they close), then the last days.</summary>
internal sealed record JobBars(string Reading, string Closing)
{
    public static readonly JobBars Replay = new("read CTRs, rate and write days", "rate and write the last days, publish");

    /// <summary>audit-export writes its rows to one file, which it moves into place at the end.</summary>
    public static readonly JobBars Export = new("read CTRs, rate and export days", "rate and export the last days");

    /// <summary>whatif and estimate --from-ctrs only total what they rate.</summary>
    public static readonly JobBars Totals = new("read CTRs and rate days", "rate the last days");
}

/// <summary>Renders job progress: a bar with rate and ETA on a terminal, periodic log lines otherwise.</summary>
internal static class ProgressDisplay
{
    /// <summary>The one phase of a command that only reads CTRs (explain).</summary>
    public static readonly IReadOnlyDictionary<string, string> Reading = new Dictionary<string, string>(StringComparer.Ordinal) { ["decode"] = "read CTRs" };

    /// <summary>Runs a job that reads CTRs and rates them (<see cref="BillingJob"/>): on a terminal, its two bars.</summary>
    public static Task<T> RunAsync<T>(CliEnvironment env, Func<IProgress<JobProgress>, Task<T>> work, JobBars bars) =>
        env.IsTerminal ? JobBarsAsync(env, work, bars) : LogLinesAsync(work, env, byPhase: false);

    /// <summary>Runs a job of phases (phase → label): on a terminal, a bar per phase as it starts.</summary>
    public static Task<T> RunAsync<T>(CliEnvironment env, Func<IProgress<JobProgress>, Task<T>> work, IReadOnlyDictionary<string, string> phases) =>
        env.IsTerminal ? PhaseBarsAsync(env, work, phases) : LogLinesAsync(work, env, byPhase: true);

    /// <summary>
    /// A log line every 2 s, with the rate and an ETA, so a scheduled job's log shows it is moving. A job of
    /// phases (each counting its own records) gives each phase's rate and ETA from its own start.
    /// </summary>
    private static Task<T> LogLinesAsync<T>(Func<IProgress<JobProgress>, Task<T>> work, CliEnvironment env, bool byPhase)
    {
        // Reported and logged on the reporting thread, under a lock: Progress<T> would post each report to the
        // thread pool, so lines could come out of order and a phase's last one after the command had ended.
        var started = Stopwatch.StartNew();
        var last = Stopwatch.StartNew();
        string? phase = null;
        var gate = new Lock();
        return work(new SyncProgress(p =>
        {
            lock (gate)
            {
                if (byPhase && p.Phase != phase)
                {
                    phase = p.Phase;
                    started.Restart();
                }

                if (last.Elapsed.TotalSeconds >= 2 || p.Done == p.Total)
                {
                    last.Restart();
                    Log(env.Logger, p, started.Elapsed.TotalSeconds);
                }
            }
        }));
    }

    /// <summary>Reading CTRs by bytes (with the transfer rate), then the last days by steps.</summary>
    private static async Task<T> JobBarsAsync<T>(CliEnvironment env, Func<IProgress<JobProgress>, Task<T>> work, JobBars bars)
    {
        T result = default!;
        await env.ErrorConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var decode = ctx.AddTask(bars.Reading, maxValue: 1);
                var rate = ctx.AddTask(bars.Closing, autoStart: false, maxValue: 1);
                var reporter = new SyncProgress(p =>
                {
                    if (p.Phase == "decode")
                    {
                        decode.MaxValue = Math.Max(1, p.BytesTotal);
                        decode.Value = p.BytesDone;
                    }
                    else
                    {
                        decode.Value = decode.MaxValue;
                        rate.StartTask();
                        rate.MaxValue = Math.Max(1, p.Total);
                        rate.Value = p.Done;
                    }
                });
                result = await work(reporter);
                decode.Value = decode.MaxValue;
                rate.Value = rate.MaxValue;
            });
        return result;
    }

    /// <summary>A bar per phase, added when the phase first reports; a phase that starts completes the ones before it.</summary>
    private static async Task<T> PhaseBarsAsync<T>(CliEnvironment env, Func<IProgress<JobProgress>, Task<T>> work, IReadOnlyDictionary<string, string> phases)
    {
        T result = default!;
        await env.ErrorConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var reporter = new SyncProgress(p =>
                {
                    if (!bars.TryGetValue(p.Phase, out var bar))
                    {
                        foreach (var done in bars.Values)
                        {
                            done.Value = done.MaxValue;
                        }

                        bars[p.Phase] = bar = ctx.AddTask(Markup.Escape(phases.GetValueOrDefault(p.Phase, p.Phase)), maxValue: 1);
                    }

                    bar.MaxValue = Math.Max(1, p.BytesTotal > 0 ? p.BytesTotal : p.Total);
                    bar.Value = p.BytesTotal > 0 ? p.BytesDone : p.Done;
                });
                result = await work(reporter);
                foreach (var bar in bars.Values)
                {
                    bar.Value = bar.MaxValue;
                }
            });
        return result;
    }

    /// <summary>
    /// A progress log line. Every figure is finite: the JSON log cannot write NaN, and the throw, on the thread
    /// pool where progress is reported, ended a scheduled run before it published (with nothing done yet
    /// there is no ETA to give).
    /// </summary>
    public static void Log(ILogger logger, JobProgress p, double elapsedSeconds)
    {
        var fraction = p.BytesTotal > 0 ? (double)p.BytesDone / p.BytesTotal : p.Total > 0 ? (double)p.Done / p.Total : 0;
        var unit = p.Phase switch
        {
            "decode" => "objects",
            "read-cur" or "read-charges" or "read-segments" => "files",
            _ => "steps",
        };
        var perSecond = p.Records / Math.Max(elapsedSeconds, 0.001);
        if (fraction > 0)
        {
            logger.LogInformation("{Phase}: {Done}/{Total} {Unit}, {Records} records ({RecordsPerSecond:F0}/s), {Percent:F0} % done, about {Remaining:F0} s left",
                p.Phase, p.Done, p.Total, unit, p.Records, perSecond, 100 * fraction, elapsedSeconds * (1 - fraction) / fraction);
        }
        else
        {
            logger.LogInformation("{Phase}: {Done}/{Total} {Unit}, {Records} records ({RecordsPerSecond:F0}/s), starting",
                p.Phase, p.Done, p.Total, unit, p.Records, perSecond);
        }
    }

    private sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}

/// <summary>The end-of-run table: counts, then billed minutes, quantity and cost by charge kind.</summary>
internal static class SummaryTable
{
    // The records' parts, in the table and in the log line of a command without the table: one wording for both.
    private const string Read = "read", Rated = "rated (voice, unique)", Superseded = "superseded duplicates", Quarantined = "quarantined",
        NonVoice = "non-voice contacts", OtherDays = "other days (look-ahead)";

    public static void Write(IAnsiConsole console, RunCounts counts, RunTotals totals, string outPath)
    {
        var c = CultureInfo.InvariantCulture;
        var records = new Table().Title("Records").AddColumn("").AddColumn(FigureTables.Column("count"));
        records.AddRow(Read, counts.Read.ToString("N0", c));
        records.AddRow(Rated, counts.Rated.ToString("N0", c));
        records.AddRow(Superseded, counts.Superseded.ToString("N0", c));
        records.AddRow(Quarantined, counts.Quarantined.ToString("N0", c));
        foreach (var (reason, n) in counts.QuarantinedByReason)
        {
            records.AddRow("  " + reason, n.ToString("N0", c));
        }

        records.AddRow(NonVoice, counts.NonVoice.ToString("N0", c));
        if (counts.OutOfRange > 0)
        {
            records.AddRow(OtherDays, counts.OutOfRange.ToString("N0", c));
        }

        records.AddRow("contacts (chains)", counts.Chains.ToString("N0", c));
        records.AddRow("orphans", counts.Orphans.ToString("N0", c));
        foreach (var (kind, n) in totals.LegsByKind)
        {
            records.AddRow("legs: " + kind, n.ToString("N0", c));
        }

        var money = new Table().Title("Charges").AddColumn("charge kind")
            .AddColumn(FigureTables.Column("billed minutes")).AddColumn(FigureTables.Column("quantity"))
            .AddColumn(FigureTables.Column("cost")).AddColumn(FigureTables.Column("unrated"));
        foreach (var (kind, t) in totals.ByKind)
        {
            money.AddRow(kind, !ChargeKinds.Voice.Contains(kind) ? "" : (t.BilledSeconds / 60m).ToString("N1", c), t.Quantity.ToString("N2", c),
                RunTotals.Cents(t.Cost).ToString("N2", c), t.Unrated == 0 ? "" : t.Unrated.ToString("N0", c));
        }

        money.AddRow("[bold]total[/]", "", "", "[bold]" + RunTotals.Cents(totals.ByKind.Values.Sum(t => t.Cost)).ToString("N2", c) + "[/]", "");
        FigureTables.Write(console, records);
        FigureTables.Write(console, money);
        console.MarkupLineInterpolated($"Outputs: {outPath}");
    }

    /// <summary>
    /// The Records table's sum on one log line (<c>Records: 5 read = 1 rated (voice, unique) + 1 superseded duplicates + …</c>),
    /// for a command whose stdout carries no summary (audit-export): every run accounts for what it read.
    /// </summary>
    public static void Log(ILogger logger, RunCounts counts)
    {
        var c = CultureInfo.InvariantCulture;
        logger.LogInformation("Records: {Read} {ReadLabel} = {Rated} {RatedLabel} + {Superseded} {SupersededLabel} + {Quarantined} {QuarantinedLabel}{Reasons} + {NonVoice} {NonVoiceLabel}{OtherDays}",
            counts.Read, Read, counts.Rated, Rated, counts.Superseded, Superseded, counts.Quarantined, Quarantined,
            counts.Quarantined == 0 ? "" : $" ({Reasons(counts)})", counts.NonVoice, NonVoice,
            counts.OutOfRange > 0 ? $" + {counts.OutOfRange.ToString(c)} {OtherDays}" : "");
    }

    /// <summary>The quarantined records by reason, in name order: <c>not-json 2, truncated-record 1</c>.</summary>
    public static string Reasons(RunCounts counts) =>
        string.Join(", ", counts.QuarantinedByReason.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value.ToString(CultureInfo.InvariantCulture)}"));
}
