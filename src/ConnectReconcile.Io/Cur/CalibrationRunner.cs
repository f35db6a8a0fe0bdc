using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Cur;

/// <summary>The CTRs and reference data to re-rate a month with for calibration.</summary>
public sealed record CalibrationInputs
{
    public required IObjectStore Source { get; init; }
    public required RateCard Card { get; init; }
    public required AgentDirectory Agents { get; init; }
    public required NumberInventory Numbers { get; init; }
    public int LookAheadHours { get; init; } = 6;
    public int Parallelism { get; init; } = Environment.ProcessorCount;
    public string? HourPattern { get; init; }
    /// <summary>The policies to try; default: billing-model §6's alternatives.</summary>
    public IReadOnlyList<BillingPolicy>? Policies { get; init; }

    /// <summary>Told of input objects that could not be read (the ranking then rates the month without their records).</summary>
    public Action<string>? Warn { get; init; }
}

/// <summary>
/// Re-rates one month's voice chains under each metering policy. The month is read once through the
/// billing job's window, as a replay reads it: each closed day's chains are rated under every policy
/// and added up there, so memory holds what a replay holds, not the month's records (a late record
/// that forces the job to re-read starts the totals over). Number-days and per-unit channels do not
/// depend on the policy; they are taken from the rated month as they are.
/// </summary>
public static class CalibrationRunner
{
    public static async Task<IReadOnlyList<(BillingPolicy Policy, IReadOnlyCollection<ExpectedUsage> Expected)>> RunAsync(
        CalibrationInputs inputs, DateOnly month, IReadOnlyCollection<ExpectedUsage> rated, IProgress<JobProgress>? progress, CancellationToken ct)
    {
        var policies = inputs.Policies ?? BillingPolicy.Alternatives;
        if (policies.Count == 0)
        {
            return [];
        }

        var first = new DateOnly(month.Year, month.Month, 1);
        var raters = policies.Select(p => new Rater(inputs.Card, p, inputs.Agents, inputs.Numbers)).ToList();
        var tallies = new PolicyTallies(raters, inputs.Parallelism);
        var result = await new BillingJob(new BillingJobOptions
        {
            Source = inputs.Source,
            From = first,
            To = first.AddMonths(1).AddDays(-1),
            LookAheadHours = inputs.LookAheadHours,
            // The job rates with the first policy; the others re-rate the chains it hands over.
            Rater = raters[0],
            Numbers = inputs.Numbers,
            Parallelism = inputs.Parallelism,
            HourPattern = inputs.HourPattern,
            OnDayRated = (_, results, _) => tallies.Add(results, ct),
            OnRestart = () => tallies = new PolicyTallies(raters, inputs.Parallelism),
            // The replay that rated the month said what there is to say about its records; calibration adds only the one warning below.
        }).RunAsync(progress, ct).ConfigureAwait(false);

        var unreadable = QuarantineEntry.UnreadableObjects(result.Quarantined).Select(q => q.Position.Source).ToList();
        if (unreadable.Count > 0)
        {
            inputs.Warn?.Invoke($"{unreadable.Count} input object(s) could not be read while calibrating ({string.Join(", ", unreadable.Take(3))}{(unreadable.Count > 3 ? ", …" : "")}): " +
                "every policy was tried without their records, so the ranking may differ from one over the whole month. Check their permissions (or the connection) and run again");
        }

        var policyIndependent = rated.Where(e => !ChargeKinds.Voice.Contains(e.ChargeKind)).ToList();
        progress?.Report(new JobProgress("calibrate", policies.Count, policies.Count, 0, 0, tallies.Chains));
        return policies.Select((policy, i) => (policy, tallies.Expected(i, policyIndependent))).ToList();
    }
}
