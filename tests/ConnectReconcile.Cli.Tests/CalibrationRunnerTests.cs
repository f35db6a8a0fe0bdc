using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Cur;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli.Tests;

/// <summary>Four generated days across the end of October (30 Oct – 2 Nov): calibrating October reads into November's first hours.</summary>
public sealed class MonthEndMonth : IDisposable
{
    private readonly TempDir _dir = new();

    public MonthEndMonth()
    {
        Generator.SampleMonth.Generate(new Generator.GeneratorOptions(2_000, 4, 17, Data) { Start = new DateTime(2026, 10, 30, 0, 0, 0, DateTimeKind.Utc), Overwrite = true });
    }

    public string Data => _dir.Sub("data");

    public string Ctr => Path.Combine(Data, "ctr");

    public string Agents => Path.Combine(Data, "agents.csv");

    public string Numbers => Path.Combine(Data, "numbers.csv");

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// Calibration reads the month through the billing job's window and adds each policy's usage up day by
/// day, instead of holding the month's records: every policy's figures must be those the run holding
/// every record gave (captured from it), a late correction that forces a re-read included.
/// </summary>
public sealed class CalibrationRunnerTests(MonthEndMonth month) : IClassFixture<MonthEndMonth>
{
    private static readonly DateOnly October = new(2026, 10, 1);

    // A policy-independent row (taken from the rated month as it is) and a voice row (replaced by the re-rating).
    private static readonly ExpectedUsage Chat = new(new DateOnly(2026, 10, 30), "i-1", "us-east-1", "USE1-chat-message", "chat", "message", "on-demand", 3, 0, 3m, 0.012m, 0);
    private static readonly ExpectedUsage RatedService = new(new DateOnly(2026, 10, 30), "i-1", "us-east-1", "USE1-end-customer-mins", ChargeKinds.Service, Units.Minute, "on-demand", 1, 60, 1m, 0.018m, 0);

    // Each policy's rows (count, sums, and a digest of every row in key order), as the run holding the whole month gave them;
    // costs are the charges' recorded costs added up, as daily_usage has them (the exact sums were 227.58066, …).
    private static readonly string[] Held =
    [
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=agent: rows 11, charges 2161, seconds 1158435, quantity 19310.250000000000000000000000, cost 227.580659999851, unrated 0, digest dbfbbdac052f9de4",
        "service=per-record;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=agent: rows 11, charges 2161, seconds 1169758, quantity 19498.966666666666666666666666, cost 230.977559999851, unrated 0, digest 0c0d629431ce8545",
        "service=per-leg;desk-service=yes;outbound-start=dialling;minimums=per-leg;contact-lens=agent: rows 11, charges 2242, seconds 1187845, quantity 19800.416666666666666666666667, cost 236.403659999851, unrated 0, digest fe84b2b11a124dc3",
        "service=per-leg;desk-service=no;outbound-start=answer;minimums=per-leg;contact-lens=agent: rows 11, charges 2125, seconds 1155857, quantity 19267.283333333333333333333333, cost 226.807259999851, unrated 0, digest e098174993c6933d",
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-record;contact-lens=agent: rows 11, charges 2161, seconds 1158684, quantity 19314.400000000000000000000000, cost 227.612166666519, unrated 0, digest b66560ffd3f69688",
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=none;contact-lens=agent: rows 11, charges 2161, seconds 1155866, quantity 19267.433333333333333333333334, cost 227.361713333174, unrated 0, digest c1a6f8d7e3b75866",
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=customer-leg: rows 11, charges 2161, seconds 1171527, quantity 19528.450000000000000000000000, cost 230.853659999851, unrated 0, digest 6f9de4edd10904bd",
    ];

    private static readonly string[] HeldWithLateCorrection =
    [
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=agent: rows 11, charges 2161, seconds 1165635, quantity 19430.250000000000000000000000, cost 228.792659999851, unrated 0, digest 75f86a8e6b92352f",
        "service=per-record;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=agent: rows 11, charges 2161, seconds 1176958, quantity 19618.966666666666666666666666, cost 232.189559999851, unrated 0, digest 363de2e56f4a8772",
        "service=per-leg;desk-service=yes;outbound-start=dialling;minimums=per-leg;contact-lens=agent: rows 11, charges 2242, seconds 1195045, quantity 19920.416666666666666666666667, cost 237.615659999851, unrated 0, digest f06e72e2690f21f8",
        "service=per-leg;desk-service=no;outbound-start=answer;minimums=per-leg;contact-lens=agent: rows 11, charges 2125, seconds 1163057, quantity 19387.283333333333333333333333, cost 228.019259999851, unrated 0, digest b0e08d8b2cf3091d",
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-record;contact-lens=agent: rows 11, charges 2161, seconds 1165884, quantity 19434.400000000000000000000000, cost 228.824166666519, unrated 0, digest 28c2d5796e35d573",
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=none;contact-lens=agent: rows 11, charges 2161, seconds 1163066, quantity 19387.433333333333333333333334, cost 228.573713333174, unrated 0, digest 9f86a5e5161f9432",
        "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=customer-leg: rows 11, charges 2161, seconds 1182327, quantity 19708.450000000000000000000000, cost 232.965659999851, unrated 0, digest a63aed349f2bf685",
    ];

    [Fact]
    public async Task Every_policy_rates_the_month_as_the_run_holding_every_record_did_and_days_are_rated_while_reading()
    {
        var phases = new List<JobProgress>();
        var results = await RunAsync(month.Ctr, phases);
        Assert.Equal(Held, results.Select(Figures));
        Assert.All(results, r => Assert.Contains(Chat, r.Expected));
        Assert.All(results, r => Assert.DoesNotContain(RatedService, r.Expected));

        // Read through the window: October's days are rated while November's hours are still being decoded,
        // so at the end of the input at most the last day is left (plus the closing step); nothing re-read.
        var firstRate = phases.FindIndex(p => p.Phase == "rate");
        Assert.True(firstRate >= 0, string.Join(", ", phases.Select(p => p.Phase).Distinct()));
        Assert.True(phases[firstRate].Total <= 2, $"{phases[firstRate].Total} steps left to rate at the end");
        Assert.DoesNotContain(phases, p => p.Phase == "re-read");
    }

    [Fact]
    public async Task A_late_correction_to_a_rated_day_starts_the_totals_over_on_the_re_read()
    {
        using var tmp = new TempDir();
        var ctr = tmp.Sub("ctr");
        foreach (var file in Directory.EnumerateFiles(month.Ctr, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(ctr, Path.GetRelativePath(month.Ctr, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        // A copy of a first-hour inbound call, an hour longer and updated, arriving in November's last hour that calibrating October reads.
        var hours = WindowedReplayTests.HourFolders(ctr);
        var lastRead = hours.Last(h => string.CompareOrdinal(Path.GetRelativePath(ctr, h).Replace('\\', '/'), "2026/11/01/05") <= 0);
        var original = WindowedReplayTests.FirstInboundCallIn(hours[0]);
        var corrected = original.DeepClone().AsObject();
        var disconnect = WindowedReplayTests.Utc(original["DisconnectTimestamp"]!);
        corrected["DisconnectTimestamp"] = WindowedReplayTests.At(disconnect.AddHours(1));
        corrected["LastUpdateTimestamp"] = WindowedReplayTests.At(disconnect.AddDays(3));
        await File.WriteAllTextAsync(Path.Combine(lastRead, "zz-late-correction"), corrected.ToJsonString(), Encoding.UTF8);

        var phases = new List<JobProgress>();
        var results = await RunAsync(ctr, phases);
        Assert.Equal(HeldWithLateCorrection, results.Select(Figures));
        Assert.NotEqual(Held, HeldWithLateCorrection);
        Assert.Contains(phases, p => p.Phase == "re-read");
    }

    private async Task<IReadOnlyList<(BillingPolicy Policy, IReadOnlyCollection<ExpectedUsage> Expected)>> RunAsync(string ctr, List<JobProgress> phases)
    {
        var numbers = ReferenceReaders.ReadNumbers(await File.ReadAllTextAsync(month.Numbers));
        var inputs = new CalibrationInputs
        {
            Source = new LocalObjectStore(ctr),
            Card = BuiltInRateCards.Default,
            Agents = ReferenceReaders.ReadAgents(await File.ReadAllTextAsync(month.Agents)),
            Numbers = numbers,
            Parallelism = 2,
        };
        return await CalibrationRunner.RunAsync(inputs, October, [Chat, RatedService], new ReplayEndToEndTests.SyncProgress(phases.Add), CancellationToken.None);
    }

    private static string Figures((BillingPolicy Policy, IReadOnlyCollection<ExpectedUsage> Expected) result)
    {
        // In key order: the sums of 28-digit quantities depend on the order they are added in.
        var rows = result.Expected
            .OrderBy(e => e.Day).ThenBy(e => e.InstanceId, StringComparer.Ordinal).ThenBy(e => e.Region, StringComparer.Ordinal).ThenBy(e => e.UsageType, StringComparer.Ordinal)
            .ThenBy(e => e.ChargeKind, StringComparer.Ordinal).ThenBy(e => e.Unit, StringComparer.Ordinal).ThenBy(e => e.PricingModel, StringComparer.Ordinal)
            .ToList();
        var text = string.Join('\n', rows.Select(e => string.Join('|', e.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), e.InstanceId, e.Region, e.UsageType, e.ChargeKind, e.Unit, e.PricingModel,
            e.Charges.ToString(CultureInfo.InvariantCulture), e.BilledSeconds.ToString(CultureInfo.InvariantCulture), e.Quantity.ToString(CultureInfo.InvariantCulture),
            e.Cost.ToString(CultureInfo.InvariantCulture), e.UnratedCharges.ToString(CultureInfo.InvariantCulture))));
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        return FormattableString.Invariant($"{result.Policy}: rows {rows.Count}, charges {rows.Sum(e => e.Charges)}, seconds {rows.Sum(e => e.BilledSeconds)}, ") +
            FormattableString.Invariant($"quantity {rows.Sum(e => e.Quantity)}, cost {rows.Sum(e => e.Cost)}, unrated {rows.Sum(e => e.UnratedCharges)}, digest {digest}");
    }
}
