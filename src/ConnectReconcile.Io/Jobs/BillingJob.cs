using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Jobs;

public sealed record BillingJobOptions
{
    public required IObjectStore Source { get; init; }
    /// <summary>Where the Parquet tables and run.json are published; null rates without writing (summary only).</summary>
    public IObjectStore? Output { get; init; }
    /// <summary>Chains are reported under the UTC day their first record started; only days in [From, To] are rated.</summary>
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
    /// <summary>Hours past the end of the range whose arrival prefixes are still read (chains straddling midnight, late records).</summary>
    public int LookAheadHours { get; init; } = 6;
    public required Rater Rater { get; init; }
    public required NumberInventory Numbers { get; init; }
    public int Parallelism { get; init; } = Environment.ProcessorCount;
    public string? HourPattern { get; init; }
    public bool Strict { get; init; }
    /// <summary>Called with each day's chain results in output order (audit export, what-if); null for none.</summary>
    public Action<DateOnly, IReadOnlyList<ChainResult>, IReadOnlyList<Charge>>? OnDayRated { get; init; }
    /// <summary>Local scratch folder for staging when the output is not a local folder.</summary>
    public string? ScratchDirectory { get; init; }
}

/// <summary>What a run did: counts that add up, totals by charge kind, and the files it published.</summary>
public sealed record JobResult(
    RunCounts Counts,
    RunTotals Totals,
    IReadOnlyList<InputFile> Inputs,
    IReadOnlyList<WrittenFile> Outputs,
    IReadOnlyList<QuarantineEntry> Quarantined);

/// <summary>
/// The batch job behind replay and nightly: source → decode → dedupe → chain → legs → rate → Parquet.
/// Chains are rated a day at a time (in parallel within the day, merged in a fixed order) and each
/// day's partition files are written as soon as the day is done; the whole output is published
/// atomically at the end with run.json written last.
/// </summary>
public sealed class BillingJob(BillingJobOptions options)
{
    // One selector (and so one compiled hour pattern) per job, not one per quarantined record.
    private readonly InputSelector _selector = new(options.HourPattern);

    public static readonly IReadOnlyList<string> Tables = ["charges", "contacts", "daily_usage", "legs", "segments", "quarantine"];

    public async Task<JobResult> RunAsync(IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var loaded = await new RecordLoader(options.Source, options.Parallelism, options.HourPattern, options.Strict)
            .LoadAsync(options.From, options.To, options.LookAheadHours, progress, cancellationToken).ConfigureAwait(false);
        return await RateAsync(loaded, releaseRecords: true, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The second half: deduplicated records → chains → rated days → Parquet, published atomically.
    /// The stream worker calls this with its own state for the days a micro-batch touched.
    /// </summary>
    public Task<JobResult> RateAndPublishAsync(LoadedRecords loaded, IProgress<JobProgress>? progress, CancellationToken cancellationToken) =>
        RateAsync(loaded, releaseRecords: false, progress, cancellationToken);

    /// <param name="releaseRecords">True when this job owns the records: the dedupe index is freed once chains hold them.</param>
    private async Task<JobResult> RateAsync(LoadedRecords loaded, bool releaseRecords, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var rater = options.Rater;
        var mapper = new RowMapper(rater.Card.Version, rater.Policy.ToString());
        var superseded = loaded.Dedupe.Superseded;
        var (chainsByDay, nonVoice, outOfRange) = Partition(loaded.Dedupe, releaseRecords);
        var days = ReportDays(chainsByDay.Keys.Concat(nonVoice.Select(r => r.InitiationTimestamp.UtcDate)));
        var numberCharges = RateNumbers(chainsByDay.Values.SelectMany(c => c), days)
            .GroupBy(c => c.Day).ToDictionary(g => g.Key, g => g.ToList());
        var unitCharges = nonVoice.Select(rater.RateUnit).GroupBy(c => c.Day).ToDictionary(g => g.Key, g => g.ToList());

        var staging = options.Output is null ? string.Empty : PrepareStaging();
        try
        {
            var writer = new ParquetTableWriter(staging);
            var written = new List<WrittenFile>();
            var totals = new RunTotals();
            long rated = 0, done = 0;
            var totalChains = chainsByDay.Values.Sum(c => c.Count);
            foreach (var day in days)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chains = chainsByDay.GetValueOrDefault(day) ?? [];
                var results = chains.AsParallel().AsOrdered().WithDegreeOfParallelism(Math.Max(1, options.Parallelism))
                    .WithCancellation(cancellationToken).Select(rater.Rate).ToList();
                var extra = numberCharges.GetValueOrDefault(day, []).Concat(unitCharges.GetValueOrDefault(day, [])).ToList();
                foreach (var chainResult in results)
                {
                    totals.Add(chainResult);
                    rated += chainResult.Chain.Records.Count;
                }

                foreach (var charge in extra)
                {
                    totals.Add(charge);
                }

                var allCharges = results.SelectMany(r => r.Charges).Concat(extra).ToList();
                options.OnDayRated?.Invoke(day, results, extra);
                if (options.Output is not null)
                {
                    // The five tables of a day are independent files: map and write them in parallel.
                    var files = await Task.WhenAll(
                        Task.Run(() => writer.WriteAsync("charges", day, allCharges.Select(mapper.Charge).ToList(), cancellationToken), cancellationToken),
                        Task.Run(() => writer.WriteAsync("contacts", day, results.Select(mapper.Contact).ToList(), cancellationToken), cancellationToken),
                        Task.Run(() => writer.WriteAsync("daily_usage", day, mapper.DailyUsage(allCharges), cancellationToken), cancellationToken),
                        Task.Run(() => writer.WriteAsync("legs", day, results.SelectMany(mapper.Legs).ToList(), cancellationToken), cancellationToken),
                        Task.Run(() => writer.WriteAsync("segments", day, results.SelectMany(mapper.Segments).ToList(), cancellationToken), cancellationToken)).ConfigureAwait(false);
                    written.AddRange(files.OfType<WrittenFile>());
                }

                chainsByDay.Remove(day);
                done += chains.Count;
                progress?.Report(new JobProgress("rate", done, totalChains, 0, 0, rated));
            }

            var quarantineDays = new HashSet<DateOnly>();
            if (options.Output is not null)
            {
                foreach (var group in loaded.Quarantined.GroupBy(QuarantineDay).OrderBy(g => g.Key))
                {
                    quarantineDays.Add(group.Key);
                    var rows = group.Select(q => new QuarantineRow
                    {
                        Source = q.Position.Source, Position = q.Position.Offset, RecordIndex = q.Position.Index, Reason = q.Reason, Detail = q.Detail,
                    }).ToList();
                    await Collect(written, writer.WriteAsync("quarantine", group.Key, rows, cancellationToken)).ConfigureAwait(false);
                }
            }

            var counts = new RunCounts
            {
                Read = loaded.Read,
                Rated = rated,
                Superseded = superseded,
                Quarantined = loaded.Quarantined.Count,
                NonVoice = nonVoice.Count,
                OutOfRange = outOfRange,
                QuarantinedByReason = loaded.Quarantined.GroupBy(q => q.Reason).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => (long)g.Count()),
                Chains = totals.Chains,
                Orphans = totals.Orphans,
            };
            counts.Check();

            var result = new JobResult(counts, totals, loaded.Inputs, written.OrderBy(w => w.Path, StringComparer.Ordinal).ToList(), loaded.Quarantined);
            if (options.Output is { } output)
            {
                var partitions = Tables.Where(t => t != "quarantine").SelectMany(t => days.Select(d => ParquetTableWriter.PartitionPrefix(t, d)))
                    .Concat(days.Concat(quarantineDays).Distinct().Order().Select(d => ParquetTableWriter.PartitionPrefix("quarantine", d)))
                    .ToList();
                var manifest = RunManifest.PathFor(options.From, options.To);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(staging, manifest))!);
                await File.WriteAllTextAsync(Path.Combine(staging, manifest), RunManifest.ToJson(result, options, rater), cancellationToken).ConfigureAwait(false);
                await output.PublishAsync(new PublishPlan(staging, partitions, result.Outputs.Select(o => o.Path).ToList(), manifest), cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            // A cancelled or failed run leaves nothing behind; a killed one leaves only _staging/, which readers ignore.
            if (staging.Length > 0 && Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static async Task Collect(List<WrittenFile> written, Task<WrittenFile?> write)
    {
        if (await write.ConfigureAwait(false) is { } file)
        {
            written.Add(file);
        }
    }

    /// <summary>Voice chains by report day, non-voice records, and how many records fall outside the range.</summary>
    private (SortedDictionary<DateOnly, List<Chain>> Chains, List<ContactRecord> NonVoice, long OutOfRange) Partition(Deduplicator dedupe, bool release)
    {
        var voice = new Dictionary<string, List<ContactRecord>>(StringComparer.Ordinal);
        var nonVoice = new List<ContactRecord>();
        long outOfRange = 0;
        foreach (var record in dedupe.Records)
        {
            if (!record.IsVoice)
            {
                if (InRange(record.InitiationTimestamp.UtcDate))
                {
                    nonVoice.Add(record);
                }
                else
                {
                    outOfRange++;
                }

                continue;
            }

            if (!voice.TryGetValue(record.RootId, out var list))
            {
                voice[record.RootId] = list = [];
            }

            list.Add(record);
        }

        if (release)
        {
            dedupe.Release(); // the chains own the records from here on
        }

        var byDay = new SortedDictionary<DateOnly, List<Chain>>();
        foreach (var (root, records) in voice)
        {
            var chain = new Chain(root, records);
            if (!InRange(chain.Day))
            {
                outOfRange += records.Count;
                continue;
            }

            if (!byDay.TryGetValue(chain.Day, out var list))
            {
                byDay[chain.Day] = list = [];
            }

            list.Add(chain);
        }

        foreach (var list in byDay.Values)
        {
            list.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : string.CompareOrdinal(a.RootId, b.RootId));
        }

        nonVoice.Sort((a, b) => a.InitiationTimestamp != b.InitiationTimestamp ? a.InitiationTimestamp.CompareTo(b.InitiationTimestamp) : string.CompareOrdinal(a.ContactId, b.ContactId));
        return (byDay, nonVoice, outOfRange);
    }

    private bool InRange(DateOnly day) => (options.From is null || day >= options.From) && (options.To is null || day <= options.To);

    /// <summary>Every day of the requested range (so emptied days replace stale partitions), else the days seen.</summary>
    private List<DateOnly> ReportDays(IEnumerable<DateOnly> seen)
    {
        var set = new SortedSet<DateOnly>(seen);
        if (options.From is { } from && options.To is { } to)
        {
            for (var d = from; d <= to; d = d.AddDays(1))
            {
                set.Add(d);
            }
        }

        return set.ToList();
    }

    private IEnumerable<Charge> RateNumbers(IEnumerable<Chain> chains, IReadOnlyList<DateOnly> days)
    {
        if (days.Count == 0)
        {
            return [];
        }

        // Where each number lives: the instance and region of the chains that used it.
        var homes = new Dictionary<string, NumberHome>(StringComparer.Ordinal);
        var regionVotes = new Dictionary<NumberHome, int>();
        var seen = new SortedDictionary<string, ClaimedNumber>(StringComparer.Ordinal);
        foreach (var chain in chains)
        {
            var home = new NumberHome(chain.InstanceId, chain.Region);
            regionVotes[home] = regionVotes.GetValueOrDefault(home) + 1;
            if (chain.Head.SystemEndpoint is { IsTelephoneNumber: true } system)
            {
                homes.TryAdd(system.Address!, home);
                if (!seen.ContainsKey(system.Address!))
                {
                    seen[system.Address!] = new ClaimedNumber(system.Address!, options.Numbers.TypeOf(system.Address), options.Numbers.CountryOf(system.Address), null, null);
                }
            }
        }

        var fallback = regionVotes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.InstanceId, StringComparer.Ordinal).Select(kv => kv.Key).FirstOrDefault()
            ?? new NumberHome("unknown", options.Rater.Card.Instances.Count > 0 ? BuiltInRateCards.Regions[0] : "unknown");
        var numbers = options.Numbers.IsProvided ? options.Numbers.Numbers.ToList() : seen.Values.ToList();
        return new NumberDayRater(options.Rater.Card)
            .Rate(numbers, days[0], days[^1], n => n.InstanceId is { } id ? new NumberHome(id, homes.GetValueOrDefault(n.Number)?.Region ?? fallback.Region) : homes.GetValueOrDefault(n.Number) ?? fallback,
                estimated: !options.Numbers.IsProvided)
            .ToList();
    }

    private DateOnly QuarantineDay(QuarantineEntry entry)
    {
        var hour = _selector.ArrivalHour(entry.Position.Source.Replace('\\', '/'));
        return hour is { } h ? DateOnly.FromDateTime(h) : options.From ?? DateOnly.FromDateTime(DateTime.UnixEpoch);
    }

    private string PrepareStaging()
    {
        if (options.Output is LocalObjectStore local)
        {
            return local.CreateStagingDirectory();
        }

        var dir = Path.Combine(options.ScratchDirectory ?? Path.GetTempPath(), "connect-reconcile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
