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

/// <summary>
/// The back half of a billing job: closed chains and non-voice records are buffered by report day;
/// a closed day is rated (in parallel, in a fixed order) and its partitions are written to staging
/// slice by slice, so only open days' records are held. Number-days need the whole run (which
/// numbers, which days), so they are rated at the end, appended to each day's charges and folded
/// into daily_usage; then come the quarantine, the manifest and the atomic publish.
/// </summary>
internal sealed class DayPartitions : IDisposable
{
    private readonly BillingJobOptions _options;
    private readonly InputSelector _selector;

    // A whole run's first arrival day when every object of its source has an arrival hour: of an earlier day the
    // source holds only records that arrived later, so a partition of it already published is not replaced.
    private readonly DateOnly? _sourceStart;
    private readonly SortedDictionary<DateOnly, long> _beforeSource = [];
    private readonly PublishedChains _published;
    private readonly RowMapper _mapper;
    private readonly DailyUsageTotals _dailyUsage;
    private readonly StagingDirectory? _stagingDirectory;
    private readonly string _staging;
    private readonly ParquetTableWriter _writer;
    private readonly SortedDictionary<DateOnly, DayBuffer> _open = [];
    private readonly SortedSet<DateOnly> _flushed = [];
    private readonly SortedSet<string> _files = new(StringComparer.Ordinal);
    private readonly RunTotals _totals = new();

    // A slice is rated in consecutive parts, in parallel, each with its own rows, reused by every slice;
    // the parts' rows in order are the slice's row groups. Two parts per thread even out uneven chains.
    private readonly SlicePart[] _parts;

    // The per-unit and number-day charges' rows.
    private readonly TableRows<ChargeRow> _charges = new();

    // Where each number lives: the home of the earliest chain that used it, and how many chains each home has.
    private readonly Dictionary<string, (Instant Start, string Root, NumberHome Home)> _numberHomes = new(StringComparer.Ordinal);
    private readonly Dictionary<NumberHome, int> _homeVotes = [];
    private long _rated;
    private long _nonVoice;
    private long _outOfRange;
    private long _spanningInstances;
    private string? _firstSpanning;

    /// <param name="sourceStart">
    /// In a run without --from/--to, the first arrival day of a source whose objects all have arrival hours: the
    /// chains of earlier days reached it only through records that arrived later, so such a day that the output
    /// already holds (<see cref="BillingJobOptions.PublishedDays"/>) is another run's, as it is for <c>--from</c>
    /// that day (counted, not published over the complete day an earlier run wrote). A day the output lacks is
    /// published with what the source holds of it, as before.
    /// </param>
    /// <param name="published">In a dated run, the chains the output holds of the day before its range: an orphan chain of the range that is one of them is that day's.</param>
    public DayPartitions(BillingJobOptions options, InputSelector selector, DateOnly? sourceStart = null, PublishedChains? published = null)
    {
        _options = options;
        _published = published ?? PublishedChains.None;
        _selector = selector;
        _sourceStart = options.From is null && options.To is null ? sourceStart : null;
        _mapper = new RowMapper(options.Rater.Card.Version, options.Rater.Policy.ToString(), options.Rater.Agents);
        _dailyUsage = _mapper.NewDailyUsage();
        _stagingDirectory = options.Output is null ? null : StagingDirectory.For(options.Output, options.ScratchDirectory, options.Warn);
        _staging = _stagingDirectory?.Folder ?? string.Empty;
        _writer = new ParquetTableWriter(_staging);
        _parts = Enumerable.Range(0, 2 * Math.Max(1, options.Parallelism)).Select(_ => new SlicePart(_mapper)).ToArray();
    }

    /// <summary>Whether this run reports the day: inside the options' range, and not left alone (<see cref="LeftAlone"/>).</summary>
    public bool Covers(DateOnly day) => _options.Covers(day) && !LeftAlone(day);

    /// <summary>A day the output already holds, before the source's first arrival day: the source has only a fragment of it.</summary>
    private bool LeftAlone(DateOnly day) => day < _sourceStart && _options.PublishedDays?.Contains(day) == true;

    /// <summary>Buffers a closed chain under its day; false when that day was already written (the caller must re-read).</summary>
    public bool Add(Chain chain)
    {
        if (!Covers(chain.Day))
        {
            CountOutOfRange(chain.Day, chain.Records.Count);
            return true;
        }

        // Records of a chain an earlier run published, its root not read here (a transfer after midnight delivered
        // after that day's look-ahead): that day's, as in a replay, which LateArrivals names; billed here they would be twice.
        if (chain.Root is null && _published.DayOf(chain.RootId) is { } earlier)
        {
            CountOutOfRange(earlier, chain.Records.Count);
            return true;
        }

        if (_flushed.Contains(chain.Day))
        {
            return false;
        }

        if (SpansInstances(chain))
        {
            _spanningInstances++;
            _firstSpanning ??= chain.RootId;
        }

        Buffer(chain.Day).Chains.Add(chain);
        var home = new NumberHome(chain.InstanceId, chain.Region);
        _homeVotes[home] = _homeVotes.GetValueOrDefault(home) + 1;
        // One number however it is written; "anonymous" or "Softphone" (a callback answered on a softphone) is none,
        // and an agent's desk phone (a callback's SystemEndpoint follows the agent's) is the agent's, not the centre's.
        if (chain.Head.SystemEndpoint is { IsTelephoneNumber: true, Address: var address }
            && PhoneNumbers.AsE164(address) is { } number
            && !_options.Rater.Agents.IsDeskPhone(number)
            && (!_numberHomes.TryGetValue(number, out var known) || Earlier(chain, known.Start, known.Root)))
        {
            _numberHomes[number] = (chain.Start, chain.RootId, home);
        }

        return true;
    }

    /// <summary>Buffers a non-voice record under its day; false when that day was already written.</summary>
    public bool AddNonVoice(ContactRecord record)
    {
        var day = record.InitiationTimestamp.UtcDate;
        if (!Covers(day))
        {
            CountOutOfRange(day, 1);
            return true;
        }

        if (_flushed.Contains(day))
        {
            return false;
        }

        Buffer(day).NonVoice.Add(record);
        return true;
    }

    /// <summary>Records that belong to days outside the range but were never buffered (late joiners of such chains).</summary>
    public void CountOutOfRange(long records) => _outOfRange += records;

    private void CountOutOfRange(DateOnly day, long records)
    {
        _outOfRange += records;
        if (LeftAlone(day))
        {
            _beforeSource[day] = _beforeSource.GetValueOrDefault(day) + records;
        }
    }

    /// <summary>Rates and writes every buffered day up to and including <paramref name="through"/>.</summary>
    public Task FlushThroughAsync(DateOnly? through, CancellationToken cancellationToken) => FlushThroughAsync(through, null, cancellationToken);

    private async Task FlushThroughAsync(DateOnly? through, Action? dayWritten, CancellationToken cancellationToken)
    {
        while (through is { } last && _open.Count > 0 && _open.First().Key <= last)
        {
            var (day, buffer) = _open.First();
            _open.Remove(day);
            await FlushAsync(day, buffer, cancellationToken).ConfigureAwait(false);
            dayWritten?.Invoke();
        }
    }

    /// <summary>
    /// Rates and writes the days still buffered (every day, on the held path), reporting each as a
    /// "rate" step, then the number-days and quarantine, and publishes the run.
    /// </summary>
    public async Task<JobResult> FinishAsync(long read, long superseded, IReadOnlyList<QuarantineEntry> quarantined, IReadOnlyList<InputFile> inputs, IReadOnlyList<LateDay> late,
        IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var remaining = _open.Count;
        progress?.Report(new JobProgress("rate", 0, remaining + 1, 0, 0, read));
        await FlushThroughAsync(DateOnly.MaxValue, () => progress?.Report(new JobProgress("rate", remaining - _open.Count, remaining + 1, 0, 0, read)), cancellationToken).ConfigureAwait(false);

        var days = ReportDays(inputs);

        // A dated run reads into the next day's arrival hours; what it finds unusable there is that
        // day's to report (its run replaces that quarantine partition), so here it counts as another day's.
        var firstDay = days.Count > 0 ? days[0] : (DateOnly?)null;
        var ours = quarantined.Where(q => Covers(QuarantineDay(q, firstDay))).ToList();
        _outOfRange += quarantined.Count - ours.Count;
        quarantined = ours;

        // A whole replay publishes an arrival day that holds only quarantined records, replacing that day's
        // tables: with an inventory it charges the day's number-days as a nightly of the day does, or the
        // replay would publish the day without the numbers a nightly had charged there.
        if (_options.Numbers.IsProvided)
        {
            days = [.. days.Union(quarantined.Select(q => QuarantineDay(q, firstDay))).Order()];
        }

        foreach (var part in _parts)
        {
            _totals.Add(part.Totals);
            _dailyUsage.Add(part.DailyUsage);
            _rated += part.Rated;
        }

        var numberCharges = RateNumbers(days).GroupBy(c => c.Day).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var day in days)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var numbers = numberCharges.GetValueOrDefault(day, []);
            foreach (var charge in numbers)
            {
                _totals.Add(charge);
                _dailyUsage.Add(charge);
            }

            if (numbers.Count > 0)
            {
                _options.OnDayRated?.Invoke(day, [], numbers);
            }

            if (_options.Output is not null)
            {
                Record(await WriteChargesAsync(day, numbers, cancellationToken).ConfigureAwait(false));
                Record(await _writer.AppendAsync("daily_usage", day, _dailyUsage.Rows(day), cancellationToken).ConfigureAwait(false));
            }
        }

        // The days this run publishes: its report days and, in a whole replay, an arrival day that holds
        // only quarantined records (a dated run's are within its days). Every table gets each one's file,
        // without rows where it has none.
        var published = new SortedSet<DateOnly>(days);
        if (_options.Output is not null)
        {
            foreach (var group in quarantined.GroupBy(q => QuarantineDay(q, firstDay)).OrderBy(g => g.Key))
            {
                published.Add(group.Key);
                var rows = group.Select(QuarantineRow.From).ToList();
                Record(await _writer.AppendAsync("quarantine", group.Key, rows, cancellationToken).ConfigureAwait(false));
            }

            foreach (var day in published)
            {
                Record(_writer.EnsureFile<ChargeRow>("charges", day));
                Record(_writer.EnsureFile<ContactRow>("contacts", day));
                Record(_writer.EnsureFile<DailyUsageRow>("daily_usage", day));
                Record(_writer.EnsureFile<LegRow>("legs", day));
                Record(_writer.EnsureFile<SegmentRow>("segments", day));
                Record(_writer.EnsureFile<QuarantineRow>("quarantine", day));
            }
        }

        if (_beforeSource.Count > 0)
        {
            // Published, such a day would replace the complete partitions an earlier run (last month's replay, a nightly) wrote with a fragment.
            var first = _sourceStart!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var on = _beforeSource.Keys.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList();
            _options.Warn?.Invoke($"{_beforeSource.Values.Sum()} record(s) of calls that began before {first}, the first arrival day in the source, are counted as other days' " +
                $"and their day(s) ({Listed(on)}) are not published over the partitions an earlier run wrote: the source holds only what of them arrived from {first} on. " +
                "A run of a source that holds those days' arrival hours (nightly --date) rates them.");
        }

        if (_spanningInstances > 0)
        {
            // Connect cannot transfer a call between instances: such a chain is most likely ids reused across
            // instances, or a record whose instance tag and ARN disagree. It is billed as its first record's.
            _options.Warn?.Invoke($"{_spanningInstances} chain(s) hold records of more than one instance (the first: root {_firstSpanning}); each is billed in the instance " +
                "and region of its first record. Check the records' InstanceARN and aws:connect:instanceId tag (explain shows the chain).");
        }

        var counts = new RunCounts
        {
            Read = read,
            Rated = _rated,
            Superseded = superseded,
            Quarantined = quarantined.Count,
            NonVoice = _nonVoice,
            OutOfRange = _outOfRange,
            QuarantinedByReason = quarantined.GroupBy(q => q.Reason).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (long)g.Count()),
            Chains = _totals.Chains,
            Orphans = _totals.Orphans,
        };
        counts.Check();

        // Reading every file back for its checksum was the run's last serial step: one file per core.
        var files = _files.ToArray();
        var written = new WrittenFile[files.Length];
        await Parallel.ForAsync(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism), CancellationToken = cancellationToken },
            async (i, token) => written[i] = await _writer.DescribeAsync(files[i], token).ConfigureAwait(false)).ConfigureAwait(false);

        var result = new JobResult(counts, _totals, inputs, written, quarantined) { LateArrivals = late };
        if (_options.Output is { } output)
        {
            var partitions = BillingJob.Tables.SelectMany(t => published.Select(d => ParquetTableWriter.PartitionPrefix(t, d))).ToList();
            var manifest = RunManifest.PathFor(_options.From, _options.To);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_staging, manifest))!);
            await File.WriteAllTextAsync(Path.Combine(_staging, manifest), RunManifest.ToJson(result, _options, _options.Rater), cancellationToken).ConfigureAwait(false);
            // The store honours the token only until the first partition changes (waiting for another run's publish,
            // staging): once begun, a publish finishes, as stopped half-way (SIGTERM from a scheduler) it would leave
            // some partitions of this run beside others of the last, which no later message could take back.
            cancellationToken.ThrowIfCancellationRequested();
            await output.PublishAsync(new PublishPlan(_staging, partitions, result.Outputs.Select(o => o.Path).ToList(), manifest), cancellationToken).ConfigureAwait(false);
        }

        progress?.Report(new JobProgress("rate", remaining + 1, remaining + 1, 0, 0, read));
        return result;
    }

    /// <summary>
    /// A cancelled or failed run leaves nothing behind; a killed one leaves only its staging, which readers
    /// ignore and the next run's staging removes.
    /// </summary>
    public void Dispose()
    {
        _writer.Dispose();
        _stagingDirectory?.Dispose();
    }

    /// <summary>
    /// Rates and writes a closed day a slice of chains at a time (one row group per slice and table),
    /// so what a flush holds does not grow with the day's volume; per-unit charges follow the chains.
    /// </summary>
    private async Task FlushAsync(DateOnly day, DayBuffer buffer, CancellationToken cancellationToken)
    {
        _flushed.Add(day);
        Chain.SortInOutputOrder(buffer.Chains);
        buffer.NonVoice.Sort(Chain.RecordOrder);
        var rater = _options.Rater;
        var mapRows = _options.Output is not null;
        foreach (var slice in buffer.Chains.Chunk(Math.Max(1, _options.ChainsPerRowGroup)))
        {
            var per = (slice.Length + _parts.Length - 1) / _parts.Length;
            Parallel.For(0, _parts.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism), CancellationToken = cancellationToken }, p =>
            {
                var start = Math.Min(slice.Length, p * per);
                _parts[p].RateAndMap(slice.AsSpan(start, Math.Min(per, slice.Length - start)), rater, mapRows);
            });
            var results = _parts.SelectMany(p => p.Results).ToList();

            var work = new List<Task<string?>>(4);
            if (mapRows)
            {
                // The tables are independent files: write them in parallel.
                work.Add(Task.Run(() => WritePartsAsync("charges", day, p => p.Charges, cancellationToken), cancellationToken));
                work.Add(Task.Run(() => WritePartsAsync("contacts", day, p => p.Contacts, cancellationToken), cancellationToken));
                work.Add(Task.Run(() => WritePartsAsync("legs", day, p => p.Legs, cancellationToken), cancellationToken));
                work.Add(Task.Run(() => WritePartsAsync("segments", day, p => p.Segments, cancellationToken), cancellationToken));
            }

            try
            {
                _options.OnDayRated?.Invoke(day, results, []);
            }
            finally
            {
                // Even when the consumer failed: nothing may still be writing once the staging folder goes.
                foreach (var file in await Task.WhenAll(work).ConfigureAwait(false))
                {
                    Record(file);
                }
            }
        }

        // The parts are reused by the next day: until then they must not keep this one's chains alive.
        foreach (var part in _parts)
        {
            part.Results.Clear();
        }

        var units = buffer.NonVoice.Select(rater.RateUnit).ToList();
        foreach (var charge in units)
        {
            _totals.Add(charge);
            _dailyUsage.Add(charge);
        }

        _nonVoice += units.Count;
        if (units.Count > 0)
        {
            _options.OnDayRated?.Invoke(day, [], units);
            if (_options.Output is not null)
            {
                Record(await WriteChargesAsync(day, units, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>Per-unit or number-day charges, appended to the day's charges file as one row group.</summary>
    private Task<string?> WriteChargesAsync(DateOnly day, IEnumerable<Charge> charges, CancellationToken cancellationToken)
    {
        _charges.Clear();
        Action<Charge, RowBuffer<ChargeRow>> map = _mapper.AddCharge;
        foreach (var charge in charges)
        {
            _charges.Map(charge, map);
        }

        _charges.Complete();
        return _writer.AppendAsync("charges", day, _charges.Group, cancellationToken);
    }

    /// <summary>Appends a table's rows of every part of the slice, in order, to the day's file as one row group.</summary>
    private Task<string?> WritePartsAsync<TRow>(string table, DateOnly day, Func<SlicePart, TableRows<TRow>> rows, CancellationToken cancellationToken)
        where TRow : class, new()
    {
        var group = rows(_parts[0]).Group;
        foreach (var part in _parts.AsSpan(1))
        {
            group.Add(rows(part).Group);
        }

        return _writer.AppendAsync(table, day, group, cancellationToken);
    }

    private void Record(string? file)
    {
        if (file is not null)
        {
            _files.Add(file);
        }
    }

    private DayBuffer Buffer(DateOnly day)
    {
        if (!_open.TryGetValue(day, out var buffer))
        {
            _open[day] = buffer = new DayBuffer();
        }

        return buffer;
    }

    /// <summary>Whether the chain's records name more than one instance (compared as written first: they are pooled strings).</summary>
    private static bool SpansInstances(Chain chain)
    {
        var records = chain.RecordSpan;
        var head = records[0];
        for (var i = 1; i < records.Length; i++)
        {
            var r = records[i];
            if ((!ReferenceEquals(r.InstanceIdTag, head.InstanceIdTag) || !ReferenceEquals(r.InstanceArn, head.InstanceArn)) && r.InstanceId != head.InstanceId)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Earlier(Chain chain, Instant start, string root) =>
        chain.Start != start ? chain.Start < start : string.CompareOrdinal(chain.RootId, root) < 0;

    /// <summary>
    /// Every day of the requested range (so emptied days replace stale partitions), else the days seen;
    /// with a number inventory also the quiet days between them, when the numbers were held too, as far
    /// as the source's objects arrived (a stray record years off adds its own day, not the years between).
    /// </summary>
    private List<DateOnly> ReportDays(IReadOnlyList<InputFile> inputs)
    {
        var set = new SortedSet<DateOnly>(_flushed);
        if (_options.From is { } from && _options.To is { } to)
        {
            for (var d = from; d <= to; d = d.AddDays(1))
            {
                set.Add(d);
            }
        }
        else if (_options.Numbers.IsProvided && set.Count > 1)
        {
            var first = set.Min;
            var last = set.Max;
            var arrivals = inputs.Select(i => _selector.ArrivalHour(i.Key.Replace('\\', '/'))).OfType<DateTime>().Select(DateOnly.FromDateTime).ToList();
            if (arrivals.Count > 0)
            {
                first = first > arrivals.Min() ? first : arrivals.Min();
                last = last < arrivals.Max() ? last : arrivals.Max();
            }

            for (var d = first; d < last; d = d.AddDays(1))
            {
                set.Add(d);
            }
        }

        return set.ToList();
    }

    /// <summary>
    /// The number-days of the report days. A number's home (instance and region, which price it) is
    /// the inventory's, else that of the earliest chain that used it, else the run's busiest home; in a
    /// run without calls, the rate card's when it has one region (one instance). Otherwise the charges
    /// stay unpriced in region <c>unknown</c> and one warning says how to place them.
    /// </summary>
    private List<Charge> RateNumbers(IReadOnlyList<DateOnly> days)
    {
        if (days.Count == 0)
        {
            return [];
        }

        var numbers = _options.Numbers;
        var card = _options.Rater.Card;
        var busiest = _homeVotes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.InstanceId, StringComparer.Ordinal).ThenBy(kv => kv.Key.Region, StringComparer.Ordinal)
            .Select(kv => kv.Key).FirstOrDefault();
        var cardRegions = card.Rows.Select(r => r.Region).Distinct(StringComparer.Ordinal).Take(2).ToList();
        var cardInstances = card.Instances.Select(i => i.InstanceId).Where(i => i != "*").Distinct(StringComparer.Ordinal).Take(2).ToList();
        var claimed = numbers.IsProvided
            ? numbers.Numbers.ToList()
            : _numberHomes.Keys.Order(StringComparer.Ordinal).Select(n => new ClaimedNumber(n, numbers.TypeOf(n), numbers.CountryOf(n), null, null)).ToList();
        var unplaced = new HashSet<string>(StringComparer.Ordinal);
        var guessed = new SortedSet<string>(StringComparer.Ordinal); // put in the busiest of several homes

        NumberHome HomeOf(ClaimedNumber n)
        {
            var seen = _numberHomes.TryGetValue(n.Number, out var h) ? h.Home : null;
            var instance = n.InstanceId ?? seen?.InstanceId;
            // An instance the inventory names is in the region its calls were in, whichever number took them.
            var region = n.Region ?? seen?.Region ?? (instance is null ? null
                : _homeVotes.Where(kv => kv.Key.InstanceId == instance).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Region, StringComparer.Ordinal)
                    .Select(kv => kv.Key.Region).FirstOrDefault());
            if (busiest is not null && _homeVotes.Count > 1 && (instance is null || region is null))
            {
                guessed.Add(n.Number);
            }

            instance ??= busiest?.InstanceId ?? (cardInstances.Count == 1 ? cardInstances[0] : NumberHome.Unknown);
            region ??= busiest?.Region ?? (cardRegions.Count == 1 ? cardRegions[0] : null);
            if (region is null)
            {
                unplaced.Add(n.Number);
            }

            return new NumberHome(instance, region ?? NumberHome.Unknown);
        }

        var charges = new NumberDayRater(card).Rate(claimed, days, HomeOf, estimated: !numbers.IsProvided).ToList();
        var lost = charges.Where(c => c.Number is { } n && unplaced.Contains(n)).ToList();
        if (lost.Count > 0)
        {
            var which = lost.Select(c => c.Number!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var on = lost.Select(c => c.Day).Distinct().Order().Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ToList();
            _options.Warn?.Invoke($"{lost.Count} number-day charge(s) of {which.Count} number(s) ({Listed(which)}) " +
                $"on {Listed(on)} are unpriced: no call in this run placed the numbers in a region, the number inventory names none " +
                "and the rate card prices more than one region. Give --numbers as `aws connect list-phone-numbers-v2` JSON (its TargetArn names the instance and region), " +
                "add instance_id and region columns to the CSV, or rate with a card of one region.");
        }

        if (numbers.IsProvided && _numberHomes.Keys.Where(n => !numbers.Contains(n)).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } unlisted)
        {
            // The inventory is then incomplete (the number was held: it took calls), so the run's number-days are short.
            _options.Warn?.Invoke($"{unlisted.Count} number(s) ({Listed(unlisted)}) took calls in this run but are not in the number inventory (--numbers): " +
                "they have no number-day charges. Add them to the inventory, or leave --numbers out to estimate number-days from the numbers calls used.");
        }

        if (guessed.Count > 0)
        {
            _options.Warn?.Invoke($"{guessed.Count} number(s) ({Listed(guessed)}) took no call in this run " +
                $"and the number inventory does not say where they are held: their number-days are put in the busiest instance, {busiest!.InstanceId} in {busiest.Region}, " +
                "one of several this run saw. Give --numbers as `aws connect list-phone-numbers-v2` JSON or add instance_id and region columns to the CSV to place them.");
        }

        return charges;
    }

    /// <summary>The first few of a warning's numbers or days: the warning is for a person, the rows hold them all.</summary>
    private static string Listed(IReadOnlyCollection<string> items) => string.Join(", ", items.Take(5)) + (items.Count > 5 ? ", …" : "");

    /// <summary>
    /// The arrival day of the record's object; for an object without arrival times in its key (a flat
    /// folder), the run's first day, where a query over its days finds it (it was 1970-01-01 for a whole replay).
    /// </summary>
    private DateOnly QuarantineDay(QuarantineEntry entry, DateOnly? firstDay)
    {
        var hour = _selector.ArrivalHour(entry.Position.Source.Replace('\\', '/'));
        return hour is { } h ? DateOnly.FromDateTime(h) : _options.From ?? firstDay ?? DateOnly.FromDateTime(DateTime.UnixEpoch);
    }

    /// <summary>
    /// A table's rows: mapped into a small block of reused rows, which is added to the row group column
    /// by column whenever it fills, while its rows are still in cache.
    /// </summary>
    private sealed class TableRows<TRow>
        where TRow : class, new()
    {
        private readonly RowBuffer<TRow> _block = new();

        public RowGroupBuilder<TRow> Group { get; } = new();

        public void Clear()
        {
            _block.Clear();
            Group.Clear();
        }

        public void Map<TItem>(TItem item, Action<TItem, RowBuffer<TRow>> map)
        {
            map(item, _block);
            if (_block.Count >= FlatParquetWriter<TRow>.Block)
            {
                Complete();
            }
        }

        /// <summary>Adds the block's rows to the row group.</summary>
        public void Complete()
        {
            Group.Add(_block.Rows);
            _block.Clear();
        }
    }

    /// <summary>
    /// A run of a slice's chains, rated on one thread: each chain's rows are mapped as soon as it is rated,
    /// while its legs and charges are still in the core's cache (mapping a whole slice's results
    /// afterwards, table by table, waited on memory for most of its time).
    /// </summary>
    private sealed class SlicePart
    {
        private readonly Action<ChainResult, RowBuffer<ChargeRow>> _charges;
        private readonly Action<ChainResult, RowBuffer<ContactRow>> _contact;
        private readonly Action<ChainResult, RowBuffer<LegRow>> _legs;
        private readonly Action<ChainResult, RowBuffer<SegmentRow>> _segments;

        public SlicePart(RowMapper mapper)
        {
            DailyUsage = mapper.NewDailyUsage();
            _charges = mapper.AddCharges;
            _contact = mapper.AddContact;
            _legs = mapper.AddLegs;
            _segments = mapper.AddSegments;
        }

        public List<ChainResult> Results { get; } = [];

        // What this part rated over the whole run, added up while each result is still in the core's cache
        // (a second pass over a slice's results waited on memory); the parts' sums are joined at the end.
        // Sums of decimals and integers are exact, so the totals do not depend on how the chains were split.
        public RunTotals Totals { get; } = new();

        public DailyUsageTotals DailyUsage { get; }

        public long Rated { get; private set; }

        public TableRows<ChargeRow> Charges { get; } = new();

        public TableRows<ContactRow> Contacts { get; } = new();

        public TableRows<LegRow> Legs { get; } = new();

        public TableRows<SegmentRow> Segments { get; } = new();

        public void RateAndMap(ReadOnlySpan<Chain> chains, Rater rater, bool mapRows)
        {
            Results.Clear();
            Charges.Clear();
            Contacts.Clear();
            Legs.Clear();
            Segments.Clear();
            foreach (var chain in chains)
            {
                var result = rater.Rate(chain);
                Results.Add(result);
                Totals.Add(result);
                Rated += chain.Records.Count;
                for (var i = 0; i < result.Charges.Count; i++)
                {
                    DailyUsage.Add(result.Charges[i]);
                }

                if (mapRows)
                {
                    Charges.Map(result, _charges);
                    Contacts.Map(result, _contact);
                    Legs.Map(result, _legs);
                    Segments.Map(result, _segments);
                }
            }

            Charges.Complete();
            Contacts.Complete();
            Legs.Complete();
            Segments.Complete();
        }
    }

    private sealed class DayBuffer
    {
        public List<Chain> Chains { get; } = [];

        public List<ContactRecord> NonVoice { get; } = [];
    }
}
