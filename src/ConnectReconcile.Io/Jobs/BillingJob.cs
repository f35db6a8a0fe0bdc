using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;
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

    /// <summary>Whether a report day is inside [From, To] (open ends cover everything).</summary>
    public bool Covers(DateOnly day) => (From is null || day >= From) && (To is null || day <= To);

    /// <summary>
    /// Days <see cref="Output"/> already holds partitions of, for a run without From/To: such a day before the
    /// source's first arrival day is left as it is (<see cref="DayPartitions"/>). Null: none are known.
    /// </summary>
    public IReadOnlySet<DateOnly>? PublishedDays { get; init; }
    /// <summary>
    /// Hours past the end of the range whose arrival prefixes are still read (chains straddling midnight,
    /// late records); also how long after a chain's last activity it is held open for more records.
    /// </summary>
    public int LookAheadHours { get; init; } = 6;
    public required Rater Rater { get; init; }
    public required NumberInventory Numbers { get; init; }
    public int Parallelism { get; init; } = Environment.ProcessorCount;
    public string? HourPattern { get; init; }
    public bool Strict { get; init; }
    /// <summary>
    /// Called as a day is rated: with each slice of its chain results in output order, then with its
    /// per-unit charges, and at the end of the run with its number-day charges (audit export, what-if).
    /// Consumers add up what they are given; a day can arrive in several calls.
    /// </summary>
    public Action<DateOnly, IReadOnlyList<ChainResult>, IReadOnlyList<Charge>>? OnDayRated { get; init; }

    /// <summary>
    /// Called when a windowed pass is abandoned for a re-read (a late correction to a day already
    /// rated): forget everything <see cref="OnDayRated"/> was given. Without it, a job with an
    /// OnDayRated consumer holds the whole range instead of reading through the window.
    /// </summary>
    public Action? OnRestart { get; init; }
    /// <summary>
    /// Chains rated and written per row group: bounds what writing a day holds, whatever the day's volume
    /// (1 M-CTR month: peak 314 MB at 4,096, 603 MB at 16,384; docs/benchmarks.md).
    /// </summary>
    public int ChainsPerRowGroup { get; init; } = 4_096;

    /// <summary>Local scratch folder (default: the temp folder): the window's closed contacts, and staging when the output is not a local folder.</summary>
    public string? ScratchDirectory { get; init; }

    /// <summary>Receives warnings for the operator (the CLI logs them).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>
    /// Input without an arrival hour in its keys is held until the end of the run (the window cannot tell
    /// when its chains are complete); above this many stored bytes of it, <see cref="Warn"/> says so.
    /// </summary>
    public long HeldInputWarningBytes { get; init; } = 64L << 20;
}

/// <summary>What a run did: counts that add up, totals by charge kind, and the files it published.</summary>
public sealed record JobResult(
    RunCounts Counts,
    RunTotals Totals,
    IReadOnlyList<InputFile> Inputs,
    IReadOnlyList<WrittenFile> Outputs,
    IReadOnlyList<QuarantineEntry> Quarantined)
{
    /// <summary>Earlier days whose records this dated run read after those days' look-ahead (<see cref="LateArrivals"/>).</summary>
    public IReadOnlyList<LateDay> LateArrivals { get; init; } = [];

    /// <summary>
    /// How long the pass that rated the range held a chain open after its last activity: the look-ahead, or more when
    /// a late record made the job read the range again; null when it held every record of the range instead.
    /// </summary>
    public int? WindowHoldHours { get; init; }
}

/// <summary>
/// The batch job behind replay and nightly: source → decode → dedupe → chain → legs → rate → Parquet.
/// Objects are read in arrival order through a <see cref="ChainWindow"/>: a chain is rated once the
/// arrival hours have moved <see cref="BillingJobOptions.LookAheadHours"/> past its last record, and a
/// day's partitions are written once all its chains are, so memory holds a compact dedupe index and a
/// few hours of records, not the month. Should a late record change a day already written, the job
/// reads the range again with chains held open long enough to meet it (a callback dialled the next
/// morning), once, or, for a record days late or a second late record, holding every record (the answer never
/// depends on the window); a job with an
/// <see cref="BillingJobOptions.OnDayRated"/> consumer that cannot forget what a first pass gave it
/// (no <see cref="BillingJobOptions.OnRestart"/>) holds the range from the start. The output is
/// published atomically at the end with run.json written last.
/// </summary>
public sealed class BillingJob(BillingJobOptions options)
{
    // One selector (and so one compiled hour pattern) per job, not one per object or quarantined record.
    private readonly InputSelector _selector = new(options.HourPattern, options.Warn);

    // What the last windowed pass given up saw of records stamped past their arrival (warned about by the held read).
    private (long Count, string? FirstRoot) _stampedInAbandonedPass;

    public static readonly IReadOnlyList<string> Tables = ["charges", "contacts", "daily_usage", "legs", "segments", "quarantine"];

    /// <summary>
    /// The longest a windowed pass holds chains open to meet late records (a weekend's callbacks); a record later still
    /// makes the job read the range holding every record.
    /// </summary>
    public const int MaxHoldHours = 96;

    public async Task<JobResult> RunAsync(IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var objects = await _selector.SelectAsync(options.Source, options.From, options.To, options.LookAheadHours, cancellationToken).ConfigureAwait(false);
        // A dated run's orphans may be children of chains the day before already published (PublishedChains).
        var published = await PublishedChains.LoadAsync(options.Output, options.From, options.Warn, cancellationToken).ConfigureAwait(false);
        var hourless = objects.Where(o => _selector.ArrivalHour(o.Key) is null).ToList();

        // Objects come in arrival order: with every one dated, the first's day is the earliest the source holds whole.
        var sourceStart = hourless.Count == 0 && objects.Count > 0 ? DateOnly.FromDateTime(_selector.ArrivalHour(objects[0].Key)!.Value) : (DateOnly?)null;
        if (hourless.Sum(o => o.Size) is var held && held > options.HeldInputWarningBytes)
        {
            options.Warn?.Invoke($"{hourless.Count} input object(s), {held / 1e6:N0} MB, have no arrival hour in their keys (Firehose's YYYY/MM/dd/HH/): " +
                "their records are held until the run ends, so memory grows with them. Split such input by day or hour, and give --hour-pattern for a layout of your own.");
        }

        // A consumer of OnDayRated that cannot forget what a windowed pass gave it before a re-read gets the held path.
        if (options.OnDayRated is null || options.OnRestart is not null)
        {
            // A record late for a day already written (a callback dialled the next morning) is read again once with chains
            // held long enough to meet it, while that is hours; days late, or late again, the range is held whole (a pass
            // stops at its first late record, so more passes could only creep up on the next one: at most three reads).
            var holdHours = options.LookAheadHours;
            for (var pass = 0; ; pass++)
            {
                var (result, needed) = await RunWindowedAsync(objects, sourceStart, published, holdHours, progress, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    return result;
                }

                options.OnRestart?.Invoke();
                progress?.Report(new JobProgress("re-read", 0, objects.Count, 0, 0, 0));
                if (pass > 0 || needed > MaxHoldHours || holdHours >= MaxHoldHours)
                {
                    break;
                }

                holdHours = Math.Min(MaxHoldHours, Math.Max(needed, 2 * holdHours));
            }
        }

        // The held read has no arrival to bound stamps by: what the last windowed pass saw is still worth a warning.
        WarnStampedPastArrival(_stampedInAbandonedPass);
        var late = new LateArrivals(options.From, options.To, options.LookAheadHours, _selector, published);
        var loaded = await new RecordLoader(options.Source, options.Parallelism, options.HourPattern, options.Strict)
            .LoadAsync(objects, progress, cancellationToken, late.Observe).ConfigureAwait(false);
        return await RateAsync(loaded, releaseRecords: true, sourceStart, published, late.Days, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Rates already deduplicated records (all held) and publishes them. The stream worker calls this
    /// with its own state for the days a micro-batch touched.
    /// </summary>
    public Task<JobResult> RateAndPublishAsync(LoadedRecords loaded, IProgress<JobProgress>? progress, CancellationToken cancellationToken) =>
        RateAsync(loaded, releaseRecords: false, sourceStart: null, PublishedChains.None, [], progress, cancellationToken);

    /// <param name="sourceStart">The source's first arrival day when every object has one (<see cref="DayPartitions"/>).</param>
    /// <param name="holdHours">How long a chain stays open after its last activity (the look-ahead, or more after a late record).</param>
    /// <returns>
    /// The result; or, when a late record changed a day already written, none and the hold (hours) that would have met
    /// the late records seen (<see cref="int.MaxValue"/> when no hold would do).
    /// </returns>
    private async Task<(JobResult? Result, int HoldNeeded)> RunWindowedAsync(IReadOnlyList<StoredObject> objects, DateOnly? sourceStart, PublishedChains published, int holdHours,
        IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        using var days = new DayPartitions(options, _selector, sourceStart, published);
        using var closedContacts = new FileClosedContactLog(options.ScratchDirectory ?? Path.GetTempPath());
        ChainWindow? window = new(holdHours * 3600L, days.Covers, closedContacts);
        var quarantined = new List<QuarantineEntry>();
        var inputs = new List<InputFile>(objects.Count);
        var totalBytes = objects.Sum(o => o.Size);
        long read = 0, bytes = 0;
        Instant? watermark = null;
        var late = new LateArrivals(options.From, options.To, options.LookAheadHours, _selector, published);
        ObjectDecoder? decoder = new(options.Source, options.Parallelism, options.Strict, windowKeys: true);
        await foreach (var decoded in decoder.DecodeInOrderAsync(objects, cancellationToken).ConfigureAwait(false))
        {
            late.Observe(decoded);
            // Objects come in arrival-hour order: everything in this one arrived at or after its hour.
            if (_selector.ArrivalHour(decoded.Input.Key) is { } hour && (watermark is null || Instant.FromDateTime(hour) > watermark))
            {
                watermark = Instant.FromDateTime(hour);
                if (!Hand(window.Advance(watermark.Value), days))
                {
                    return (null, Abandon(window));
                }

                await days.FlushThroughAsync(window.ClosedThrough, cancellationToken).ConfigureAwait(false);
            }

            for (var i = 0; i < decoded.Records.Count; i++)
            {
                window.Offer(decoded.Records[i].Record, decoded.Keys[i]);
            }

            if (window.LateCorrections > 0)
            {
                return (null, Abandon(window));
            }

            quarantined.AddRange(decoded.Quarantined);
            read += decoded.Records.Count + decoded.Quarantined.Count;
            bytes += decoded.Input.Size;
            inputs.Add(new InputFile(decoded.Input.Key, decoded.Bytes, decoded.Sha256, decoded.Records.Count, decoded.Quarantined.Count));
            progress?.Report(new JobProgress("decode", inputs.Count, objects.Count, bytes, totalBytes, read));
        }

        if (!Hand(window.CloseAll(), days))
        {
            return (null, Abandon(window));
        }

        WarnStampedPastArrival((window.StampedPastArrival, window.FirstStampedPastArrival));

        days.CountOutOfRange(window.Absorbed);
        var superseded = window.Superseded;

        // The dedupe index is done with once every record is read; this async method's locals live as
        // long as it does, so let go of it before the last days are rated.
        window = null;
        decoder = null;
        var result = await days.FinishAsync(read, superseded, quarantined, inputs, late.Days, progress, cancellationToken).ConfigureAwait(false);
        return (result with { WindowHoldHours = holdHours }, 0);
    }

    /// <summary>
    /// A windowed pass given up for a re-read; returns the hold in whole hours that would have met its late records.
    /// Its stamps past arrival are warned about by the pass that finishes (once, not once a pass).
    /// </summary>
    private int Abandon(ChainWindow window)
    {
        _stampedInAbandonedPass = (window.StampedPastArrival, window.FirstStampedPastArrival);
        if (window.LateCorrections == 0)
        {
            return int.MaxValue; // a chain refused by a day already written, its record not counted late: no hold to estimate
        }

        var seconds = window.HoldForCorrections;
        return seconds > (long)MaxHoldHours * 3600 ? int.MaxValue : (int)((seconds + 3599) / 3600);
    }

    /// <summary>
    /// Records stamped after they arrived are rated as they are (the spec's dedupe trusts
    /// LastUpdateTimestamp), but such a copy beats every later copy of its contact: worth a look at the source.
    /// </summary>
    private void WarnStampedPastArrival((long Count, string? FirstRoot) stamped)
    {
        if (stamped.Count > 0)
        {
            options.Warn?.Invoke($"{stamped.Count} chain(s) (the first: root {stamped.FirstRoot}) hold a record whose LastUpdateTimestamp is " +
                "more than an hour past the end of the arrival hour it was read in: such a copy wins dedupe against every later copy of its contact; " +
                "check the clock of whatever wrote them.");
        }
    }

    /// <summary>Hands closed groups to their days; false when one belongs to a day already written.</summary>
    private static bool Hand(List<ClosedGroup> closed, DayPartitions days)
    {
        foreach (var group in closed)
        {
            if (group.Chain is { } chain && !days.Add(chain))
            {
                return false;
            }

            foreach (var record in group.NonVoice)
            {
                if (!days.AddNonVoice(record))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <param name="releaseRecords">True when this job owns the records: the dedupe index is freed once chains hold them.</param>
    private async Task<JobResult> RateAsync(LoadedRecords loaded, bool releaseRecords, DateOnly? sourceStart, PublishedChains published, IReadOnlyList<LateDay> late,
        IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        using var days = new DayPartitions(options, _selector, sourceStart, published);
        var voice = new Dictionary<string, List<ContactRecord>>(StringComparer.Ordinal);

        // A superseded copy counts with the record it lost to: another day's are that day's records (out of range),
        // so consecutive dated runs count each duplicate once.
        var superseded = loaded.Dedupe.Superseded;
        void OtherDays(long copies)
        {
            superseded -= copies;
            days.CountOutOfRange(copies);
        }

        foreach (var record in loaded.Dedupe.Records)
        {
            if (!record.IsVoice)
            {
                if (!days.Covers(record.InitiationTimestamp.UtcDate))
                {
                    OtherDays(loaded.Dedupe.CopiesOf(record.ContactId));
                }

                days.AddNonVoice(record);
            }
            else if (voice.TryGetValue(record.RootId, out var list))
            {
                list.Add(record);
            }
            else
            {
                voice[record.RootId] = [record];
            }
        }

        foreach (var (root, records) in voice)
        {
            var chain = new Chain(root, records);
            if (!days.Covers(chain.Day))
            {
                long copies = 0;
                foreach (var record in chain.RecordSpan)
                {
                    copies += loaded.Dedupe.CopiesOf(record.ContactId);
                }

                OtherDays(copies);
            }

            days.Add(chain);
        }

        if (releaseRecords)
        {
            loaded.Dedupe.Release(); // the chains own the records from here on
        }

        return await days.FinishAsync(loaded.Read, superseded, loaded.Quarantined, loaded.Inputs, late, progress, cancellationToken).ConfigureAwait(false);
    }
}
