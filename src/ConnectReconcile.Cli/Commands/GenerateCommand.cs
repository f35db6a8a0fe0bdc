using System.CommandLine;
using System.Diagnostics;
using ConnectReconcile.Generator;
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
        var output = new Option<string>("--out") { Description = "Folder to write", Required = true };
        var start = new Option<DateOnly?>("--start") { Description = "First UTC day (default 2026-10-01)" };
        var region = new Option<string?>("--region") { Description = "us-east-1 (default) or ap-northeast-1" };
        foreach (var o in new Option[] { contacts, days, seed, output, start, region })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, env =>
        {
            var options = new GeneratorOptions(parse.GetValue(contacts), parse.GetValue(days), parse.GetValue(seed), parse.GetValue(output)!) { Overwrite = true };
            if (parse.GetValue(start) is { } first)
            {
                options = options with { Start = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) };
            }

            if (parse.GetValue(region) is { } r)
            {
                if (!GeneratorOptions.SupportedRegions.Contains(r))
                {
                    throw new UsageException($"--region must be one of {string.Join(", ", GeneratorOptions.SupportedRegions)}.");
                }

                options = options with { Region = r };
            }

            if (options.Contacts < 1 || options.Days < 1)
            {
                throw new UsageException("--contacts and --days must be at least 1.");
            }

            var stopwatch = Stopwatch.StartNew();
            var result = SampleMonth.Generate(options, ct);
            env.Logger.LogInformation("Wrote {Records} CTRs in {Files} files ({Megabytes:F1} MB) to {Out} in {Seconds:F1} s",
                result.CtrRecords, result.Files, result.Bytes / 1e6, options.OutputDirectory, stopwatch.Elapsed.TotalSeconds);
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }
}
