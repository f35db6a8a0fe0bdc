using ConnectReconcile.Core.Chains;
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
/// Re-rates one month's voice chains under each metering policy: the CTRs are decoded and
/// deduplicated once, then every alternative rates the same chains. Number-days and per-unit
/// channels do not depend on the policy; they are taken from the rated month as they are.
/// </summary>
public static class CalibrationRunner
{
    public static async Task<IReadOnlyList<(BillingPolicy Policy, IReadOnlyCollection<ExpectedUsage> Expected)>> RunAsync(
        CalibrationInputs inputs, DateOnly month, IReadOnlyCollection<ExpectedUsage> rated, IProgress<JobProgress>? progress, CancellationToken ct)
    {
        var first = new DateOnly(month.Year, month.Month, 1);
        var last = first.AddMonths(1).AddDays(-1);
        var loaded = await new RecordLoader(inputs.Source, inputs.Parallelism, inputs.HourPattern)
            .LoadAsync(first, last, inputs.LookAheadHours, progress, ct).ConfigureAwait(false);
        var unreadable = QuarantineEntry.UnreadableObjects(loaded.Quarantined).Select(q => q.Position.Source).ToList();
        if (unreadable.Count > 0)
        {
            inputs.Warn?.Invoke($"{unreadable.Count} input object(s) could not be read while calibrating ({string.Join(", ", unreadable.Take(3))}{(unreadable.Count > 3 ? ", …" : "")}): " +
                "every policy was tried without their records, so the ranking may differ from one over the whole month. Check their permissions (or the connection) and run again");
        }

        var chains = loaded.Dedupe.Records.Where(r => r.IsVoice)
            .GroupBy(r => r.RootId, StringComparer.Ordinal)
            .Select(g => new Chain(g.Key, g.ToList()))
            .Where(c => c.Day >= first && c.Day <= last)
            .ToList();
        var policyIndependent = rated.Where(e => !ChargeKinds.Voice.Contains(e.ChargeKind)).ToList();
        var results = new List<(BillingPolicy, IReadOnlyCollection<ExpectedUsage>)>();
        foreach (var policy in inputs.Policies ?? BillingPolicy.Alternatives)
        {
            ct.ThrowIfCancellationRequested();
            var rater = new Rater(inputs.Card, policy, inputs.Agents, inputs.Numbers);
            var cells = new Dictionary<(DateOnly, string, string, string, string, string, string), Cell>();
            var charges = chains.AsParallel().WithDegreeOfParallelism(Math.Max(1, inputs.Parallelism)).WithCancellation(ct)
                .Select(c => rater.Rate(c).Charges);
            foreach (var list in charges)
            {
                foreach (var c in list)
                {
                    var key = (c.Day, c.InstanceId, c.Region, c.UsageType, c.ChargeKind, c.Unit, c.PricingModel);
                    if (!cells.TryGetValue(key, out var cell))
                    {
                        cells[key] = cell = new Cell();
                    }

                    cell.Charges++;
                    cell.BilledSeconds += c.BilledSeconds;
                    cell.Quantity += c.Quantity;
                    cell.Cost += c.Cost ?? 0m;
                    cell.Unrated += c.Cost is null ? 1 : 0;
                }
            }

            var expected = cells.Select(kv => new ExpectedUsage(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Key.Item4, kv.Key.Item5, kv.Key.Item6, kv.Key.Item7,
                    kv.Value.Charges, kv.Value.BilledSeconds,
                    // Exact, as the reconcile reads daily_usage; the comparison cuts the row's sum to 6 places.
                    kv.Key.Item6 == Units.Minute ? kv.Value.BilledSeconds / 60m : kv.Value.Quantity,
                    kv.Value.Cost, kv.Value.Unrated))
                .Concat(policyIndependent)
                .ToList();
            results.Add((policy, expected));
            progress?.Report(new JobProgress("calibrate", results.Count, (inputs.Policies ?? BillingPolicy.Alternatives).Count, 0, 0, chains.Count));
        }

        return results;
    }

    private sealed class Cell
    {
        public long Charges { get; set; }
        public long BilledSeconds { get; set; }
        public decimal Quantity { get; set; }
        public decimal Cost { get; set; }
        public long Unrated { get; set; }
    }
}
