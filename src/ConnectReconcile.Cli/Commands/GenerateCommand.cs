using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ConnectReconcile.Generator;
using ConnectReconcile.Io.Cur;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli.Commands;

/// <summary><c>generate</c>: a deterministic, realistic month of CTRs with its ground truth.</summary>
internal static class GenerateCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("generate", "Write a deterministic sample month: OUT/ctr/YYYY/MM/dd/HH/*.gz, agents.csv, numbers.csv and truth.json");
        var contacts = new Option<int>("--contacts") { Description = "Customer interactions (chains) to simulate", DefaultValueFactory = _ => 10_000 };
        var days = new Option<int>("--days") { Description = "Days to spread them over", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives byte-identical output", DefaultValueFactory = _ => 42 };
        var output = new Option<string?>("--out") { Description = "Folder to write (required)" };
        var start = SharedOptions.Day("--start", "First UTC day (default 2026-10-01)");
        var region = new Option<string?>("--region") { Description = "us-east-1 (default) or ap-northeast-1" };
        var endpoint = SharedOptions.EndpointUrl();
        foreach (var o in new Option[] { contacts, days, seed, output, start, region, endpoint })
        {
            command.Options.Add(o);
        }

        var cur = new CurOptions(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var options = new GeneratorOptions(env.Get(parse, contacts), env.Get(parse, days), env.Get(parse, seed), Inputs.OutputFolder(env.Required(parse, output), "--out")) { Overwrite = true };
            if (env.Get(parse, start) is { } first)
            {
                options = options with { Start = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) };
            }

            if (env.Get(parse, region) is { } r)
            {
                if (!GeneratorOptions.SupportedRegions.Contains(r))
                {
                    throw new UsageException($"{env.NameOfValue(parse, region)} must be one of {string.Join(", ", GeneratorOptions.SupportedRegions)}.");
                }

                options = options with { Region = r };
            }

            if (options.Contacts < 1 || options.Days is < 1 or > 366)
            {
                throw new UsageException("--contacts must be at least 1 and --days 1 to 366.");
            }

            // Every generated day must be one the other commands take (--from/--to, 1970 to 9998): a month that ran
            // off the calendar's end stopped the generator with an exception (exit 1).
            var firstDay = DateOnly.FromDateTime(options.Start);
            var lastDay = firstDay.AddDays(options.Days - 1);
            if (firstDay.Year < 1970 || lastDay.Year > 9998)
            {
                throw new UsageException($"--start and --days give {firstDay:yyyy-MM-dd} to {lastDay:yyyy-MM-dd}: the days must lie from 1970 to 9998, as the other commands' --from and --to do.");
            }

            RefuseWhenTheFolderHoldsOtherData(options.OutputDirectory);
            RefuseWhenTheDiskIsTooSmall(options);

            var curOptions = cur.Resolve(env, parse, options.OutputDirectory, env.S3(parse, endpoint));
            RemovePreviousInvoice(options.OutputDirectory);
            var stopwatch = Stopwatch.StartNew();
            var result = SampleMonth.Generate(options, ct);
            env.Logger.LogInformation("Wrote {Records} CTRs in {Files} files ({Megabytes:F1} MB) to {Out} in {Seconds:F1} s",
                result.CtrRecords, result.Files, result.Bytes / 1e6, options.OutputDirectory, stopwatch.Elapsed.TotalSeconds);
            if (curOptions is not null)
            {
                stopwatch.Restart();
                var written = await CurWriter.WriteAsync(curOptions with { From = firstDay, To = lastDay }, ct);
                env.Logger.LogInformation("Wrote the invoice (CUR, {Format}, {Granularity}, resource ids {ResourceIds}, policy {Policy}): {Lines} lines in {Files} file(s) under {Out} in {Seconds:F1} s",
                    curOptions.Format, curOptions.Granularity, curOptions.ResourceIds, written.Policy, written.Lines, written.Files.Count,
                    Path.Combine(options.OutputDirectory, "cur"), stopwatch.Elapsed.TotalSeconds);
                foreach (var p in written.Planted)
                {
                    env.Logger.LogInformation("Planted {Kind}: {Description}", p.Kind, p.Description);
                }
            }

            return ExitCodes.Ok;
        }, ct, cancelled: "Cancelled; the output folder holds part of the sample month: run generate again to write it whole."));
        return command;
    }

    /// <summary>
    /// A month generated here before is replaced whole (the generator replaces its CTRs, agents,
    /// numbers and truth): its invoice would not match the new CTRs, and one in another format would
    /// be read beside the new one. Its --inject originals (withheld/) go too: restored into the new
    /// month they would add the old month's calls, and a new --inject would add its own beside them.
    /// </summary>
    private static void RemovePreviousInvoice(string outDir)
    {
        if (!SampleMonth.HoldsGeneratedMonth(outDir))
        {
            return; // not a generated month: leave the folder's other contents alone
        }

        foreach (var folder in new[] { "cur", "withheld" })
        {
            if (Directory.Exists(Path.Combine(outDir, folder)))
            {
                Directory.Delete(Path.Combine(outDir, folder), recursive: true);
            }
        }

        File.Delete(Path.Combine(outDir, CurWriter.PlantedFile));
    }

    /// <summary>
    /// Only a month generated here is replaced: CTRs, directories or an invoice in a folder without truth.json
    /// are someone's data (a mistyped --out), and were deleted or overwritten.
    /// </summary>
    private static void RefuseWhenTheFolderHoldsOtherData(string outDir)
    {
        var inTheWay = SampleMonth.NotGeneratedHere(outDir, "cur");
        if (inTheWay.Count > 0)
        {
            throw new UsageException($"--out '{outDir}' holds {string.Join(", ", inTheWay)} but no {SampleMonth.TruthFile}: it is not a month generate wrote, "
                + "and generate would replace them. Choose an empty folder, or move them away.");
        }
    }

    /// <summary>Gzip CTR bytes a generated contact takes on average (a 730,000-contact month wrote 239 MB).</summary>
    private const long BytesPerContact = 330;

    /// <summary>
    /// Stops before writing when the month clearly cannot fit where it is asked for: a mistyped
    /// --contacts would otherwise run for hours and then fail with the disk full.
    /// </summary>
    private static void RefuseWhenTheDiskIsTooSmall(GeneratorOptions options)
    {
        var existing = Path.GetFullPath(options.OutputDirectory);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        var needed = options.Contacts * BytesPerContact;
        var free = new DriveInfo(existing).AvailableFreeSpace;
        if (needed > free)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"--contacts {options.Contacts:N0} needs about {needed / 1e9:N1} GB of CTR files, but {existing} has {free / 1e9:N1} GB free."));
        }
    }

    /// <summary>
    /// The <c>--cur</c> options: an invoice (CUR 2.0 Parquet or legacy CSV) consistent with the month,
    /// built by rating its CTRs under <c>--cur-policy</c>, with <c>--inject</c> discrepancies planted.
    /// </summary>
    private sealed class CurOptions
    {
        private readonly Option<bool> _cur = new("--cur") { Description = "Also write the month's AWS invoice as a Cost and Usage Report under OUT/cur/ (see docs/reconcile.md); any --cur-… option or --inject implies it" };
        private readonly Option<string?> _policy = new("--cur-policy") { Description = "Metering policy the invoice is built with (default: default); reconcile --calibrate should find it" };
        private readonly Option<string?> _granularity = new("--cur-granularity") { Description = "hourly (default) or daily invoice lines" };
        private readonly Option<string?> _resourceIds = new("--cur-resource-ids") { Description = "none (default), instance (instance ARN and tag) or contact (granular billing: one line per contact)" };
        private readonly Option<string?> _format = new("--cur-format") { Description = "parquet (CUR 2.0 / Data Exports, default) or legacy-csv (legacy CUR gzip CSV)" };
        private readonly Option<string?> _rateCard = new("--cur-rate-card") { Description = "Rate card the invoice is priced with (default: the built-in cards)" };
        private readonly Option<string[]> _inject = new("--inject")
        {
            Description = "Plant a discrepancy (repeatable): missing-hour, unlisted-number, rate-diff, desk-agent-missing. Implies --cur",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
        };

        public CurOptions(Command command)
        {
            foreach (var o in new Option[] { _cur, _policy, _granularity, _resourceIds, _format, _rateCard, _inject })
            {
                command.Options.Add(o);
            }
        }

        public CurGenerationOptions? Resolve(CliEnvironment env, ParseResult parse, string outputDirectory, S3Access s3)
        {
            var inject = env.GetAll(parse, _inject).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
            // Asking for an invoice's policy, granularity, ids, format or card means asking for the invoice.
            var shaped = new[] { _policy, _granularity, _resourceIds, _format, _rateCard }.Any(o => env.Get(parse, o) is not null);
            if (!env.Get(parse, _cur) && !shaped && inject.Count == 0)
            {
                return null;
            }

            foreach (var kind in inject.Where(k => !Injections.All.Contains(k)))
            {
                throw new UsageException($"--inject '{kind}' is not known; use {string.Join(", ", Injections.All)}.");
            }

            return new CurGenerationOptions
            {
                DataDirectory = outputDirectory,
                Policy = Inputs.Policy(env.Get(parse, _policy)),
                Card = Inputs.RateCard(env.Get(parse, _rateCard), s3),
                Granularity = (env.Get(parse, _granularity) ?? "hourly") switch
                {
                    "hourly" => CurGranularity.Hourly,
                    "daily" => CurGranularity.Daily,
                    var g => throw new UsageException($"{env.NameOfValue(parse, _granularity)} must be hourly or daily, got '{g}'."),
                },
                ResourceIds = (env.Get(parse, _resourceIds) ?? "none") switch
                {
                    "none" => CurResourceIds.None,
                    "instance" => CurResourceIds.Instance,
                    "contact" => CurResourceIds.Contact,
                    var r => throw new UsageException($"{env.NameOfValue(parse, _resourceIds)} must be none, instance or contact, got '{r}'."),
                },
                Format = (env.Get(parse, _format) ?? "parquet") switch
                {
                    "parquet" => CurFormat.Parquet,
                    "legacy-csv" => CurFormat.LegacyCsv,
                    var f => throw new UsageException($"{env.NameOfValue(parse, _format)} must be parquet or legacy-csv, got '{f}'."),
                },
                Inject = inject,
            };
        }
    }
}
