using System.Diagnostics;
using System.Globalization;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>What one committed batch did (logged, and handed to <see cref="StreamWorkerOptions.OnBatchCommitted"/>).</summary>
public sealed record BatchReport(
    long Batch,
    int Records,
    int Ctrs,
    int Quarantined,
    long Superseded,
    long ChainsRerated,
    IReadOnlyList<DateOnly> Days,
    IReadOnlyList<ShardRange> Shards,
    long? MillisBehindLatest,
    double? OldestLagMs,
    double? NewestLagMs,
    double FlushMs,
    double RecordsPerSecond,
    DateTimeOffset CommittedAt,
    int Late = 0,
    int HeldCtrs = 0,
    DateOnly? FirstOpenDay = null);

/// <summary>How a run ended and what it did.</summary>
public sealed record StreamRunResult(string StopReason, long Batches, long Records, long Ctrs, long Quarantined, int AbandonedRecords, TimeSpan Elapsed);

/// <summary>
/// Consumes CTRs from a Kinesis data stream into the same Parquet tables as a replay, exactly once per chain.
/// <list type="number">
/// <item>Polls every shard (at most one GetRecords per <see cref="StreamWorkerOptions.MinPollInterval"/>), parents
/// before children (a child starts only once its listed parents were read to their end or are checkpointed
/// SHARD_END), and re-lists shards when one closes and periodically.</item>
/// <item>Decodes each record (one CTR per record; agent events, garbage and damaged JSON are quarantined with
/// source <c>kinesis://STREAM/SHARD/SEQUENCE</c>) into a pending batch.</item>
/// <item>Flushes the batch when it is big or old enough: (1) archives its accepted CTR bytes to
/// <c>_stream/ctr/batch-N.ndjson.gz</c>; (2) offers them to the deduplicator holding the open days' CTRs and works out
/// the report days they changed (a CTR for a closed day is quarantined <c>late-for-closed-day</c> instead); (3) writes <c>_stream/batches/batch-N.json</c>; (4) re-rates those whole days
/// from the state with <see cref="BillingJob.RateAndPublishAsync"/>, which replaces their partitions
/// atomically — so a chain whose records straddle batches is rated again and its old rows vanish with the old
/// partition; (5) only then checkpoints each shard's last sequence number (SHARD_END for drained closed shards); (6) moves the
/// retention clock to the batch's latest arrival and forgets the days that closed (<see cref="StreamRetention"/>).</item>
/// <item>On start it rebuilds the state from the archive (batches with a manifest), batch by batch with the same
/// closing of days as the live run, republishes the days of a batch that was interrupted after its manifest, moves
/// the checkpoints up to the archive, and resumes after them.</item>
/// </list>
/// At-least-once input + dedupe by ContactId + whole-day replacement = each chain counted once in the output.
/// </summary>
public sealed class StreamWorker
{
    private readonly IKinesisClient _kinesis;
    private readonly ICheckpointStore _checkpoints;
    private readonly StreamWorkerOptions _options;
    private readonly IStreamLog _log;
    private readonly StreamArchive _archive;
    private readonly ShardLeases _leases;
    private readonly StreamRetention _retention;
    private readonly Dictionary<string, ShardReader> _readers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _standbyWarned = new(StringComparer.Ordinal);
    private List<string> _order = [];
    private long _nextBatch = 1;
    private DateTimeOffset _nextList;
    private DateTimeOffset _nextHealth;
    private bool _relist;
    private bool _initialized;
    private DateTimeOffset _lastRecordAt;
    private DateTimeOffset? _lastCommitAt;
    private long _batches;
    private long _records;
    private long _ctrs;
    private long _quarantined;
    private long _readSinceHealth;
    private Exception? _fatal;
    private PendingBatch _pending = new();

    public StreamWorker(IKinesisClient kinesis, ICheckpointStore checkpoints, StreamWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.StreamName);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.BatchAge, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LeaseDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RetainDays, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.RetainDays, StreamRetention.MaxRetainDays);
        _kinesis = kinesis;
        _checkpoints = checkpoints;
        _options = options;
        _log = options.Log;
        _archive = new StreamArchive(options.Output);
        _leases = new ShardLeases(checkpoints, options.StreamName, options);
        _retention = new StreamRetention();
    }

    /// <summary>The open days' CTRs (deduplicated) and quarantine rows.</summary>
    public StreamState State { get; } = new();

    /// <summary>The oldest report day still open; null before the first batch.</summary>
    public DateOnly? FirstOpenDay => _retention.FirstOpenDay;

    private string Stream => _options.StreamName;

    private DateTimeOffset Now => _options.Time.GetUtcNow();

    /// <summary>Runs until <paramref name="stopping"/> is cancelled (abandoning the pending batch unflushed and
    /// unchecked-pointed) or, with <see cref="StreamWorkerOptions.StopWhenIdle"/>, until the stream is drained and idle.</summary>
    public async Task<StreamRunResult> RunAsync(CancellationToken stopping)
    {
        var clock = Stopwatch.StartNew();
        _log.Log(StreamLogLevel.Information, null, "Stream worker {Owner} starting on {Stream} → {Out} (start {Start}, batches of {BatchRecords} records / {BatchSeconds} s, days kept open {RetainDays})",
            _options.OwnerId, Stream, _options.Output.Describe(string.Empty), _options.Start.ToString(), _options.BatchRecords, _options.BatchAge.TotalSeconds, _options.RetainDays);
        string reason;
        using var renewalStop = new CancellationTokenSource();
        using var fatal = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, fatal.Token);
        Task? renewal = null;
        try
        {
            await WaitForStreamAsync(stopping).ConfigureAwait(false);
            await RefreshShardsAsync(stopping).ConfigureAwait(false);
            await AcquireInitialLeasesAsync(stopping).ConfigureAwait(false);
            renewal = RenewLeasesAsync(fatal, renewalStop.Token);
            await LoadCheckpointsAsync(linked.Token).ConfigureAwait(false);
            await RecoverAsync(linked.Token).ConfigureAwait(false);
            _initialized = true;
            reason = await LoopAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            reason = _fatal is not null ? "lease-lost" : "cancelled";
        }
        catch (Exception e) when (e is not LeaseLostException)
        {
            // Everything committed is durable: hand the shards over at once (a restart or a standby recovers from the archive).
            await renewalStop.CancelAsync().ConfigureAwait(false);
            await _leases.ReleaseAllAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await renewalStop.CancelAsync().ConfigureAwait(false);
            if (renewal is not null)
            {
                await renewal.ConfigureAwait(false);
            }
        }

        if (_fatal is not null)
        {
            throw new LeaseLostException(_fatal.Message, _fatal);
        }

        var pending = _pending;
        if (pending.Records > 0)
        {
            _log.Log(StreamLogLevel.Warning, null, "Stopping: abandoning {Records} records read since the last batch (not checkpointed: they are read again on restart)", pending.Records);
        }

        await _leases.ReleaseAllAsync(CancellationToken.None).ConfigureAwait(false);
        var result = new StreamRunResult(reason, _batches, _records, _ctrs, _quarantined, pending.Records, clock.Elapsed);
        _log.Log(StreamLogLevel.Information, null, "Stream worker stopped ({Reason}) after {Seconds} s: {Batches} batches, {Records} records, {Ctrs} CTRs, {Quarantined} quarantined",
            reason, Math.Round(clock.Elapsed.TotalSeconds, 1), _batches, _records, _ctrs, _quarantined);
        return result;
    }

    private async Task<string> LoopAsync(CancellationToken ct)
    {
        var pending = _pending;
        _lastRecordAt = Now;
        _nextHealth = Now + _options.HealthInterval;
        var throughputClock = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var now = Now;
            if (_relist || now >= _nextList)
            {
                await RefreshShardsAsync(ct).ConfigureAwait(false);
            }

            await StartReadyShardsAsync(ct).ConfigureAwait(false);
            var due = _order.Select(id => _readers[id]).Where(r => r.Active && r.NextPollAt <= now).ToList();
            if (due.Count > 0)
            {
                var results = await Task.WhenAll(due.Select(r => PollAsync(r, ct))).ConfigureAwait(false);
                now = Now;
                foreach (var (reader, result, decoded) in results)
                {
                    Take(reader, result, decoded, pending, now);
                }
            }

            now = Now;
            if (pending.HasWork && (pending.Records >= _options.BatchRecords || pending.Records == 0 || now - pending.Since >= _options.BatchAge))
            {
                await FlushAsync(pending).ConfigureAwait(false);
                _pending = pending = new PendingBatch();
            }

            if (now >= _nextHealth)
            {
                Health(pending, throughputClock.Elapsed);
                throughputClock.Restart();
                _nextHealth = now + _options.HealthInterval;
            }

            if (_options.StopWhenIdle is { } idle && Drained() && now - _lastRecordAt >= idle)
            {
                if (!pending.HasWork)
                {
                    return "idle";
                }

                await FlushAsync(pending).ConfigureAwait(false);
                _pending = pending = new PendingBatch();
                continue;
            }

            await Task.Delay(NextWake(now, pending), _options.Time, ct).ConfigureAwait(false);
        }
    }

    private TimeSpan NextWake(DateTimeOffset now, PendingBatch pending)
    {
        var wake = now + TimeSpan.FromSeconds(1);
        foreach (var r in _readers.Values)
        {
            if (r.Active && r.NextPollAt < wake)
            {
                wake = r.NextPollAt;
            }
        }

        if (pending.Since is { } since && since + _options.BatchAge < wake)
        {
            wake = since + _options.BatchAge;
        }

        var delay = wake - now;
        return delay < TimeSpan.FromMilliseconds(5) ? TimeSpan.FromMilliseconds(5) : delay;
    }

    /// <summary>Every shard still to read was read to its end or has nothing more for now.</summary>
    private bool Drained() =>
        _readers.Values.Where(r => r.Listed && !r.Finished).All(r => r.Ended || (r.Active && r.CaughtUp));

    private async Task WaitForStreamAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var summary = await _kinesis.DescribeStreamSummaryAsync(Stream, ct).ConfigureAwait(false);
            if (summary.IsActive || summary.StreamStatus == "UPDATING")
            {
                return;
            }

            _log.Log(StreamLogLevel.Information, null, "Stream {Stream} is {Status}; waiting", Stream, summary.StreamStatus);
            await Task.Delay(delay, _options.Time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 2));
        }
    }

    private async Task RefreshShardsAsync(CancellationToken ct)
    {
        var shards = await _kinesis.ListShardsAsync(Stream, ct).ConfigureAwait(false);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            listed.Add(shard.ShardId);
            if (_readers.TryGetValue(shard.ShardId, out var reader))
            {
                reader.Shard = shard;
                reader.Listed = true;
                continue;
            }

            reader = new ShardReader(shard);
            _readers[shard.ShardId] = reader;
            if (_initialized)
            {
                reader.Committed = (await _checkpoints.GetAsync(Stream, shard.ShardId, ct).ConfigureAwait(false))?.SequenceNumber;
                reader.LastRead = reader.Committed == CheckpointStore.ShardEnd ? null : reader.Committed;
                _log.Log(StreamLogLevel.Information, null, "New shard {Shard} (parents {Parents})", shard.ShardId, string.Join(",", reader.Parents));
            }
        }

        foreach (var reader in _readers.Values.Where(r => !listed.Contains(r.ShardId) && r.Listed))
        {
            reader.Listed = false;
            _log.Log(StreamLogLevel.Information, null, "Shard {Shard} is no longer listed (expired past the retention period)", reader.ShardId);
        }

        _order = KinesisClientExtensions.ParentsFirst(_readers.Values.Select(r => r.Shard)).Select(s => s.ShardId).ToList();
        _nextList = Now + _options.ShardListInterval;
        _relist = false;
    }

    /// <summary>Takes the lease of every listed shard that is not finished; waits as a standby while another worker holds one.</summary>
    private async Task AcquireInitialLeasesAsync(CancellationToken ct)
    {
        var wait = TimeSpan.FromMilliseconds(Math.Max(100, _options.LeaseDuration.TotalMilliseconds / 6));
        var warned = false;
        while (true)
        {
            var checkpoints = (await _checkpoints.ListAsync(Stream, ct).ConfigureAwait(false)).ToDictionary(c => c.ShardId, StringComparer.Ordinal);
            var held = new List<string>();
            foreach (var id in _order)
            {
                var reader = _readers[id];
                if (!reader.Listed || _leases.Owns(id)
                    || (checkpoints.TryGetValue(id, out var c) && c.SequenceNumber == CheckpointStore.ShardEnd))
                {
                    continue;
                }

                if (await _leases.TryAcquireAsync(id, ct).ConfigureAwait(false) is { } holder)
                {
                    held.Add($"{id} ({holder})");
                }
            }

            if (held.Count == 0)
            {
                return;
            }

            if (!warned)
            {
                _log.Log(StreamLogLevel.Warning, null, "Standby: shards {Shards} are leased by another worker; waiting for their leases to be released or expire", string.Join(", ", held));
                warned = true;
            }

            await Task.Delay(wait, _options.Time, ct).ConfigureAwait(false);
            await RefreshShardsAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task RenewLeasesAsync(CancellationTokenSource fatal, CancellationToken stop)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(50, _options.LeaseDuration.TotalMilliseconds / 3));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, _options.Time, stop).ConfigureAwait(false);
                await _leases.RenewAllAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (LeaseLostException e)
            {
                _log.Log(StreamLogLevel.Error, e, "Lease lost: {Message}; stopping without checkpointing", e.Message);
                _fatal = e;
                await fatal.CancelAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e)
            {
                // A failed renewal (store unreachable) is retried next period; the lease is still ours until it expires.
                _log.Log(StreamLogLevel.Warning, e, "Lease renewal failed: {Message}", e.Message);
            }
        }
    }

    private async Task LoadCheckpointsAsync(CancellationToken ct)
    {
        foreach (var c in await _checkpoints.ListAsync(Stream, ct).ConfigureAwait(false))
        {
            if (_readers.TryGetValue(c.ShardId, out var reader))
            {
                reader.Committed = c.SequenceNumber;
                reader.LastRead = c.SequenceNumber == CheckpointStore.ShardEnd ? null : c.SequenceNumber;
            }
        }
    }

    /// <summary>
    /// Rebuilds the state from the archive and repairs a batch interrupted between its manifest and its checkpoints.
    /// Batches are replayed in order with the live run's rules (a CTR whose day was closed when its batch came is left
    /// out, the clock moves to each batch's latest arrival, closed days are forgotten), so the state held at the end
    /// is the one the live worker held.
    /// </summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var manifests = await _archive.ReadManifestsAsync(Stream, ct).ConfigureAwait(false);
        var closings = await _archive.ReadDaysClosedAsync(ct).ConfigureAwait(false);

        // A killed publish's staging (and replaced partitions) is removed by the next run that stages in that
        // folder, this worker's first publish included; a live nightly's beside it in a shared --out is kept.

        var archived = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in manifests)
        {
            foreach (var r in m.Shards)
            {
                if (Position(r) is { } p && SequenceNumbers.IsAfter(p, archived.GetValueOrDefault(r.ShardId)))
                {
                    archived[r.ShardId] = p;
                }
            }
        }

        _nextBatch = manifests.Count == 0 ? 1 : manifests[^1].Batch + 1;
        foreach (var reader in _readers.Values)
        {
            if (reader.Committed is { } committed && committed != CheckpointStore.ShardEnd
                && (!archived.TryGetValue(reader.ShardId, out var a) || SequenceNumbers.IsAfter(committed, a)))
            {
                throw new InvalidOperationException(
                    $"The checkpoint of {Stream}/{reader.ShardId} ({committed}) is ahead of the archive in {_options.Output.Describe(StreamArchive.CtrFolder)}: " +
                    "those checkpoints belong to another output. Use the checkpoint file or table that goes with this output (or a new one to start over).");
            }
        }

        var dirty = manifests.Where(m => m.Shards.Any(r => _readers.ContainsKey(r.ShardId) && SequenceNumbers.IsAfter(Position(r), Committed(r.ShardId)))).ToList();
        if (dirty.Count > 0)
        {
            _log.Log(StreamLogLevel.Warning, null, "Batches {First}..{Last} were interrupted before their checkpoints: republishing days {Days} and moving the checkpoints up",
                dirty[0].Batch, dirty[^1].Batch, string.Join(",", dirty.SelectMany(m => m.Days.Concat(m.QuarantineDays)).Distinct().Order().Select(Day)));
        }

        long ctrs = 0;
        var dirtyBatches = dirty.Select(m => m.Batch).ToHashSet();
        var archives = _archive.ReadArchivesAsync(manifests, _options.Parallelism, ct).GetAsyncEnumerator(ct);
        await using (archives.ConfigureAwait(false))
        {
            foreach (var m in manifests)
            {
                if (m.Archive is not null)
                {
                    if (!await archives.MoveNextAsync().ConfigureAwait(false))
                    {
                        throw new InvalidOperationException($"The archive of batch {m.Batch} was not read.");
                    }

                    var decoded = archives.Current;
                    var open = _retention.FirstOpenDay;
                    State.Replay(decoded.Records.Select(r => r.Record).Where(r => !State.IsLate(r, open)));
                    ctrs += decoded.Records.Count;
                }

                foreach (var q in m.Quarantine)
                {
                    State.AddQuarantine(q);
                }

                if (dirtyBatches.Contains(m.Batch))
                {
                    // Published with the state the batch left, before the days it closes are forgotten: as the live run did.
                    await PublishDaysAsync(m.Days, m.QuarantineDays).ConfigureAwait(false);
                }

                // Each batch as it ran: under the --retain-days it was written with, whatever this run was given.
                CloseDays(m.RetentionClock, m.RetainDays ?? _options.RetainDays);
                if (closings.TryGetValue(m.Batch, out var closed))
                {
                    // An earlier run closed more days here without a batch: the later batches ran with them closed.
                    Forget(_retention.CloseBefore(closed.FirstOpenDay));
                }
            }
        }

        if (manifests.LastOrDefault(m => m.RetainDays is not null)?.RetainDays is { } before && before != _options.RetainDays)
        {
            _log.Log(StreamLogLevel.Warning, null,
                "--retain-days changed from {Before} to {After}: days the archive's batches closed stay closed (their partitions are final){More}",
                before, _options.RetainDays, _options.RetainDays < before ? ", and the days now more than the new value behind the retention clock close without being rewritten" : "");
        }

        if (CloseDays(null, _options.RetainDays) && manifests.Count > 0)
        {
            // No manifest says so until this run commits a batch, maybe never: recorded now, or a later run given the
            // old, larger value would reopen these days and republish them.
            var closed = new DaysClosed(manifests[^1].Batch, _retention.FirstOpenDay!.Value, _options.RetainDays, _retention.Clock!.Value);
            await WriteOutputAsync("days closed", async () =>
            {
                await _archive.WriteDaysClosedAsync(closed, CancellationToken.None).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }

        if (dirty.Count > 0)
        {
            var ranges = archived.Select(kv => new ShardRange(kv.Key, null, kv.Value == CheckpointStore.ShardEnd ? null : kv.Value, 0, kv.Value == CheckpointStore.ShardEnd));
            await CheckpointAsync(ranges.ToList()).ConfigureAwait(false);
        }

        if (manifests.Count > 0)
        {
            _log.Log(StreamLogLevel.Information, null,
                "Recovered {Batches} batches from the archive: {Ctrs} CTRs decoded, {Unique} unique contacts and {Quarantined} quarantine rows held for the days from {FirstOpenDay}, in {Seconds} s",
                manifests.Count, ctrs, State.Dedupe.Count, State.QuarantineCount, _retention.FirstOpenDay is { } open ? Day(open) : "(none closed)", Math.Round(clock.Elapsed.TotalSeconds, 2));
        }

        string? Committed(string shardId) => _readers.TryGetValue(shardId, out var r) ? r.Committed : null;
    }

    /// <summary>Moves the retention clock to what a committed batch set and forgets the days that closed under <paramref name="retainDays"/>.</summary>
    private bool CloseDays(DateTimeOffset? batchClock, int retainDays) => Forget(_retention.Advance(batchClock, retainDays));

    /// <summary>Forgets the days before the first open day when <paramref name="closed"/> (the retention just closed some); returns it.</summary>
    private bool Forget(bool closed)
    {
        if (!closed || _retention.FirstOpenDay is not { } open)
        {
            return closed;
        }

        var (contacts, quarantined) = State.Evict(open);
        if (contacts + quarantined > 0)
        {
            _log.Log(StreamLogLevel.Information, null, "Closed the days before {FirstOpenDay} (retention clock {Clock}): {Contacts} contacts and {Quarantined} quarantine rows left memory, {Held} contacts held",
                Day(open), _retention.Clock!.Value.ToString("O", CultureInfo.InvariantCulture), contacts, quarantined, State.Dedupe.Count);
        }

        return true;
    }

    private static string? Position(ShardRange r) => r.Ended ? CheckpointStore.ShardEnd : r.LastSequenceNumber;

    private async Task StartReadyShardsAsync(CancellationToken ct)
    {
        foreach (var id in _order)
        {
            var reader = _readers[id];
            if (reader.Started || reader.Finished || !reader.Listed)
            {
                continue;
            }

            var parents = reader.Parents.Where(p => _readers.TryGetValue(p, out var pr) && pr.Listed).Select(p => _readers[p]).ToList();
            if (parents.Any(p => !(p.Ended || p.Finished)))
            {
                continue;
            }

            if (!_leases.Owns(id))
            {
                if (await _leases.TryAcquireAsync(id, ct).ConfigureAwait(false) is { } holder)
                {
                    if (_standbyWarned.Add(id))
                    {
                        _log.Log(StreamLogLevel.Warning, null, "Shard {Shard} is leased by {Owner}; not reading it until the lease is free", id, holder);
                    }

                    continue;
                }
            }

            ShardIteratorPosition position;
            if (reader.Committed is { } committed)
            {
                position = ShardIteratorPosition.AfterSequenceNumber(committed);
                reader.ReadFromKnownPosition = true;
            }
            else if (parents.Any(p => p.ReadFromKnownPosition || p.Finished))
            {
                position = ShardIteratorPosition.TrimHorizon; // a child of a consumed shard: read all of it, after its parents
                reader.ReadFromKnownPosition = true;
            }
            else
            {
                position = _options.Start.Kind switch
                {
                    "latest" => ShardIteratorPosition.Latest,
                    "timestamp" => ShardIteratorPosition.AtTimestamp(_options.Start.Timestamp!.Value),
                    _ => ShardIteratorPosition.TrimHorizon,
                };
                reader.ReadFromKnownPosition = position.Type == ShardIteratorType.TrimHorizon;
            }

            reader.StartPosition = position;
            try
            {
                reader.Iterator = await GetIteratorAsync(reader, position, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KinesisException or TimeoutException or HttpRequestException && !ct.IsCancellationRequested)
            {
                // No position to read from: stop rather than start the shard elsewhere (a silent skip once checkpointed).
                throw new InvalidOperationException(
                    $"GetShardIterator {Describe(position)} on {id} of {Stream} failed: {e.Message} Nothing was read or checkpointed for {id}; run the worker again.", e);
            }

            reader.Started = true;
            reader.NextPollAt = Now;
            _log.Log(StreamLogLevel.Information, null, "Reading shard {Shard} from {Position}", id, Describe(reader.StartPosition ?? position)); // LATEST if a future AT_TIMESTAMP fell back
        }
    }

    /// <summary>How far before its first LATEST iterator an expired shard with nothing read resumes (clock skew with Kinesis).</summary>
    private static readonly TimeSpan LatestSkewMargin = TimeSpan.FromSeconds(5);

    private static string Describe(ShardIteratorPosition p) => p.Type switch
    {
        ShardIteratorType.AfterSequenceNumber => "after " + p.SequenceNumber,
        ShardIteratorType.AtTimestamp => "timestamp " + p.Timestamp!.Value.ToString("O", CultureInfo.InvariantCulture),
        ShardIteratorType.Latest => "latest",
        _ => "trim horizon",
    };

    private async Task<string?> GetIteratorAsync(ShardReader reader, ShardIteratorPosition position, CancellationToken ct)
    {
        var askedAt = Now;
        try
        {
            return await GetIteratorOnceAsync(reader, position, ct).ConfigureAwait(false);
        }
        catch (InvalidArgumentException e) when (position.Type == ShardIteratorType.AtTimestamp && position.Timestamp >= askedAt - LatestSkewMargin)
        {
            // Kinesis (and kinesalite) refuse a timestamp past their own clock: no record is at or after it yet, so
            // LATEST reads the same records. Any other failure must not fall back: LATEST would skip every record since
            // the timestamp, and the first checkpoint after them would make that final.
            _log.Log(StreamLogLevel.Warning, null, "GetShardIterator AT_TIMESTAMP on {Shard} failed ({Message}); reading from LATEST", reader.ShardId, e.Message);
            reader.StartPosition = ShardIteratorPosition.Latest;
            return await GetIteratorOnceAsync(reader, ShardIteratorPosition.Latest, ct).ConfigureAwait(false);
        }
    }

    private async Task<string> GetIteratorOnceAsync(ShardReader reader, ShardIteratorPosition position, CancellationToken ct)
    {
        // LATEST has no position to come back to: remember when it was asked for, so an iterator that expires before
        // the first record resumes AT_TIMESTAMP from then. The clock is read before the call (a record arriving during
        // it is read, not skipped) and moved back by a margin for clock skew with Kinesis: a re-read is deduplicated.
        var since = Now - LatestSkewMargin;
        var iterator = await _kinesis.GetShardIteratorAsync(Stream, reader.ShardId, position, ct).ConfigureAwait(false);
        if (position.Type == ShardIteratorType.Latest)
        {
            reader.LatestSince ??= since;
        }

        return iterator;
    }

    private async Task<(ShardReader Reader, GetRecordsResult? Result, List<DecodedKinesisRecord> Decoded)> PollAsync(ShardReader reader, CancellationToken ct)
    {
        try
        {
            var limit = Math.Clamp(Math.Min(_options.GetRecordsLimit, _options.BatchRecords), 1, 10000);
            var result = await _kinesis.GetRecordsAsync(reader.Iterator!, limit, ct).ConfigureAwait(false);
            var decoded = new List<DecodedKinesisRecord>(result.Records.Count);
            foreach (var record in result.Records)
            {
                decoded.Add(reader.Decoder.Decode(Stream, reader.ShardId, record));
            }

            reader.ConsecutiveFailures = 0;
            return (reader, result, decoded);
        }
        catch (ExpiredIteratorException)
        {
            try
            {
                var resume = reader.ResumePosition;
                _log.Log(StreamLogLevel.Information, null, "Iterator of {Shard} expired; getting a new one from {Position}", reader.ShardId, Describe(resume));
                reader.Iterator = await GetIteratorAsync(reader, resume, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KinesisException or TimeoutException or HttpRequestException && !ct.IsCancellationRequested)
            {
                reader.NextPollAt = Now + TimeSpan.FromSeconds(1);
                _log.Log(StreamLogLevel.Warning, null, "GetShardIterator on {Shard} failed, retrying: {Message}", reader.ShardId, e.Message);
            }

            return (reader, null, []);
        }
        catch (ResourceNotFoundException e)
        {
            _log.Log(StreamLogLevel.Warning, null, "Shard {Shard} is gone: {Message}", reader.ShardId, e.Message);
            reader.Iterator = null;
            reader.Listed = false;
            _relist = true;
            return (reader, null, []);
        }
        catch (Exception e) when (e is KinesisException or TimeoutException or HttpRequestException && !ct.IsCancellationRequested)
        {
            reader.ConsecutiveFailures++;
            var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, Math.Min(reader.ConsecutiveFailures - 1, 6))));
            reader.NextPollAt = Now + backoff;
            _log.Log(StreamLogLevel.Warning, null, "GetRecords on {Shard} failed ({Failures} in a row), retrying in {BackoffMs} ms: {Message}",
                reader.ShardId, reader.ConsecutiveFailures, backoff.TotalMilliseconds, e.Message);
            return (reader, null, []);
        }
    }

    private void Take(ShardReader reader, GetRecordsResult? result, List<DecodedKinesisRecord> decoded, PendingBatch pending, DateTimeOffset now)
    {
        if (result is null)
        {
            return;
        }

        reader.MillisBehindLatest = result.MillisBehindLatest;
        var taken = 0;
        foreach (var d in decoded)
        {
            if (reader.LastRead is not null && SequenceNumbers.Compare(d.Record.SequenceNumber, reader.LastRead) <= 0)
            {
                continue; // never twice in one run
            }

            pending.Add(d, now);
            reader.LastRead = d.Record.SequenceNumber;
            reader.RecordsRead++;
            taken++;
        }

        _readSinceHealth += taken;
        if (decoded.Count > 0)
        {
            _lastRecordAt = now;
            reader.CaughtUp = false;
            reader.ReadFromKnownPosition = true;
            reader.NextPollAt = now + _options.MinPollInterval;
        }
        else
        {
            reader.CaughtUp = result.MillisBehindLatest is null or 0;
            reader.NextPollAt = now + (reader.CaughtUp ? _options.IdlePollInterval : _options.MinPollInterval);
        }

        reader.Iterator = result.NextShardIterator;
        if (reader.Iterator is null)
        {
            reader.Ended = true;
            pending.MarkEnded(reader.ShardId, now);
            _relist = true;
            _log.Log(StreamLogLevel.Information, null, "Shard {Shard} read to its end ({Records} records this run); its children may start", reader.ShardId, reader.RecordsRead);
        }
    }

    private async Task FlushAsync(PendingBatch pending)
    {
        var clock = Stopwatch.StartNew();
        var ranges = pending.Ranges();
        if (pending.Records == 0)
        {
            await CheckpointAsync(ranges).ConfigureAwait(false);
            return;
        }

        var batch = _nextBatch;
        var ctrs = pending.Items.SelectMany(i => i.Ctrs).ToList();
        var (offered, quarantine, lateDays) = Sort(pending);
        var retentionClock = pending.Items.SelectMany(i => i.Ctrs.Select(c => (DateTimeOffset?)StreamRetention.ClockOf(c.Record, i.Record.ApproximateArrivalTimestamp))).Max();
        var archive = ctrs.Count == 0
            ? (Key: (string?)null, Bytes: 0L, Sha256: (string?)null)
            : await WriteOutputAsync("archive", () => _archive.WriteArchiveAsync(batch, ctrs.Select(c => c.Json), CancellationToken.None)).ConfigureAwait(false);

        var supersededBefore = State.Dedupe.Superseded;
        var days = State.Apply(offered);
        var quarantineDays = new SortedSet<DateOnly>();
        foreach (var q in quarantine)
        {
            if (State.AddQuarantine(q))
            {
                quarantineDays.Add(q.ArrivalDay);
            }
        }

        var arrivals = pending.Items.Select(i => i.Record.ApproximateArrivalTimestamp).ToList();
        var manifest = new BatchManifest(batch, Stream, Now, archive.Key, archive.Bytes, archive.Sha256, pending.Records, ctrs.Count, ranges,
            days.ToList(), quarantineDays.ToList(), quarantine, arrivals.Min(), arrivals.Max(), retentionClock, _options.RetainDays);
        await WriteOutputAsync("manifest", async () =>
        {
            await _archive.WriteManifestAsync(manifest, CancellationToken.None).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        _nextBatch++;

        var chains = await PublishDaysAsync(days, quarantineDays).ConfigureAwait(false);
        await CheckpointAsync(ranges).ConfigureAwait(false);
        if (lateDays.Count > 0)
        {
            _log.Log(StreamLogLevel.Warning, null,
                "Batch {Batch}: {Late} CTRs arrived for closed report days ({LateDays}; days before {FirstOpenDay} are closed, --retain-days {RetainDays}); they are archived and quarantined " +
                "as late-for-closed-day, and those days' partitions are not rewritten. To rate such a day D again with them: connect-reconcile replay --source {Archive} --from D --to D --out ANOTHER_FOLDER{Rating}",
                batch, ctrs.Count - offered.Count, string.Join(",", lateDays.Select(Day)), Day(_retention.FirstOpenDay!.Value), _options.RetainDays, _options.Output.Describe(StreamArchive.CtrFolder),
                _options.RatingArguments);
        }

        CloseDays(retentionClock, _options.RetainDays);

        var committedAt = Now;
        var sinceLast = _lastCommitAt is { } last ? committedAt - last : committedAt - (pending.Since ?? committedAt);
        _lastCommitAt = committedAt;
        _batches++;
        _records += pending.Records;
        _ctrs += offered.Count; // a late-for-closed-day CTR is counted once, as the quarantine row it became
        _quarantined += quarantine.Count;
        var report = new BatchReport(
            batch, pending.Records, offered.Count, quarantine.Count, State.Dedupe.Superseded - supersededBefore, chains, days.ToList(), ranges,
            _readers.Values.Where(r => r.Active).Select(r => r.MillisBehindLatest).Max(),
            (committedAt - arrivals.Min()).TotalMilliseconds,
            (committedAt - arrivals.Max()).TotalMilliseconds,
            clock.Elapsed.TotalMilliseconds,
            sinceLast > TimeSpan.Zero ? pending.Records / sinceLast.TotalSeconds : 0,
            committedAt,
            ctrs.Count - offered.Count,
            State.Dedupe.Count,
            _retention.FirstOpenDay);
        _log.Log(StreamLogLevel.Information, null,
            "Batch {Batch}: {Records} records ({Ctrs} CTRs, {Quarantined} quarantined, {Superseded} superseded), {Chains} chains re-rated, days {Days} republished in {FlushMs} ms; " +
            "millisBehindLatest {MillisBehindLatest}, lag {LagMs} ms (newest record {NewestLagMs} ms), {RecordsPerSecond} records/s",
            batch, report.Records, report.Ctrs, report.Quarantined, report.Superseded, chains, string.Join(",", days.Select(Day)), Math.Round(report.FlushMs),
            report.MillisBehindLatest, Math.Round(report.OldestLagMs ?? 0), Math.Round(report.NewestLagMs ?? 0), Math.Round(report.RecordsPerSecond, 1));
        _options.OnBatchCommitted?.Invoke(report);
    }

    /// <summary>
    /// Splits a batch by the days open before it: the CTRs to offer, and the quarantine rows (on their record's arrival
    /// day) with a <c>late-for-closed-day</c> row for each CTR of a closed day (<see cref="StreamState.IsLate"/>).
    /// A row whose arrival day is itself closed (a shard more than the retention behind another) goes on the oldest
    /// open day, so that no closed partition is rewritten.
    /// </summary>
    private (List<ContactRecord> Offered, List<StreamQuarantineEntry> Quarantine, SortedSet<DateOnly> LateDays) Sort(PendingBatch pending)
    {
        var open = _retention.FirstOpenDay;
        var offered = new List<ContactRecord>();
        var quarantine = new List<StreamQuarantineEntry>();
        var lateDays = new SortedSet<DateOnly>();
        foreach (var i in pending.Items)
        {
            var arrival = DateOnly.FromDateTime(i.Record.ApproximateArrivalTimestamp.UtcDateTime);
            if (open is { } o && arrival < o)
            {
                arrival = o;
            }

            foreach (var q in i.Quarantined)
            {
                quarantine.Add(new StreamQuarantineEntry(i.ShardId, i.Record.SequenceNumber, q, arrival));
            }

            foreach (var c in i.Ctrs)
            {
                var day = c.Record.InitiationTimestamp.UtcDate;
                if (!State.IsLate(c.Record, open))
                {
                    offered.Add(c.Record);
                    continue;
                }

                var reportDay = State.LateReportDay(c.Record);
                lateDays.Add(reportDay);
                var why = day < open!.Value ? $"report day {Day(day)} was closed" : $"its call chain {c.Record.RootId} was closed with report day {Day(reportDay)}";
                var detail = $"{why} (--retain-days {_options.RetainDays}, retention clock {_retention.Clock!.Value.ToString("O", CultureInfo.InvariantCulture)}); the CTR is in the archive";
                quarantine.Add(new StreamQuarantineEntry(i.ShardId, i.Record.SequenceNumber,
                    new QuarantineEntry(c.Position, QuarantineReasons.LateForClosedDay, detail, c.Record.ContactId), arrival));
            }
        }

        return (offered, quarantine, lateDays);
    }

    /// <summary>
    /// Re-rates each report day from the state and replaces its partitions (one atomic publish per day,
    /// its quarantine partition included); an arrival day that only gained quarantine rows gets just its
    /// quarantine partition rewritten (rating it would invent number-day charges for a day without calls).
    /// </summary>
    private async Task<long> PublishDaysAsync(IEnumerable<DateOnly> days, IEnumerable<DateOnly> quarantineDays)
    {
        var reportDays = days.ToHashSet();
        foreach (var day in quarantineDays.Where(d => !reportDays.Contains(d)).Order())
        {
            await WriteOutputAsync("publish quarantine " + Day(day), async () =>
            {
                await PublishQuarantineAsync(day).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }

        long chains = 0;
        foreach (var day in days.Order())
        {
            var job = new BillingJob(new BillingJobOptions
            {
                Source = new PrefixedObjectStore(_options.Output, StreamArchive.CtrFolder),
                Output = _options.Output,
                From = day,
                To = day,
                LookAheadHours = 0,
                Rater = _options.Rater,
                Numbers = _options.Numbers,
                Parallelism = Math.Max(1, _options.Parallelism),
                ScratchDirectory = _options.ScratchDirectory,
                Warn = Warn,
            });
            var result = await WriteOutputAsync("publish " + Day(day), () => job.RateAndPublishAsync(State.ForDay(day), null, CancellationToken.None)).ConfigureAwait(false);
            chains += result.Counts.Chains;
        }

        return chains;
    }

    private async Task PublishQuarantineAsync(DateOnly day)
    {
        using var stagingDirectory = StagingDirectory.For(_options.Output, _options.ScratchDirectory, Warn);
        var staging = stagingDirectory.Folder;
        var rows = State.QuarantineFor(day).Select(QuarantineRow.From).ToList();
        using var writer = new ParquetTableWriter(staging);
        var written = await writer.WriteAsync("quarantine", day, rows, CancellationToken.None).ConfigureAwait(false);
        var manifest = $"{StreamArchive.QuarantineFolder}/{Day(day)}.json";
        var manifestPath = Path.Combine(staging, manifest);
        Directory.CreateDirectory(Path.GetDirectoryName(manifestPath)!);
        await File.WriteAllTextAsync(manifestPath, System.Text.Json.JsonSerializer.Serialize(new
        {
            day = Day(day), rows = rows.Count, path = written?.Path, sha256 = written?.Sha256,
        }) + "\n").ConfigureAwait(false);
        await _options.Output.PublishAsync(
            new PublishPlan(staging, [ParquetTableWriter.PartitionPrefix("quarantine", day)], written is null ? [] : [written.Path], manifest),
            CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>A write to the output (archive, manifest, a day's publish), retried, each attempt behind <see cref="EnsureLeasesAsync"/>.</summary>
    private Task<T> WriteOutputAsync<T>(string what, Func<Task<T>> write) => RetryAsync(what, async () =>
    {
        await EnsureLeasesAsync().ConfigureAwait(false);
        return await write().ConfigureAwait(false);
    });

    /// <summary>
    /// Confirms with the lease store, right before each write to the output, that this worker still holds its
    /// leases, and renews them: a worker that was paused past its lease (GC, a frozen VM, SIGSTOP) while a standby
    /// took over must not archive, commit or publish over the new owner's newer output. The renewal loop alone
    /// only notices within a third of a lease, and a flush does not watch it. Throws <see cref="LeaseLostException"/>.
    /// </summary>
    private async Task EnsureLeasesAsync()
    {
        if (Volatile.Read(ref _fatal) is { } lost)
        {
            throw new LeaseLostException(lost.Message, lost);
        }

        try
        {
            await _leases.RenewAllAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (LeaseLostException e)
        {
            _log.Log(StreamLogLevel.Error, e, "Lease lost: {Message}; stopping without writing to the output or checkpointing", e.Message);
            Interlocked.CompareExchange(ref _fatal, e, null);
            throw;
        }
    }

    private void Warn(string message) => _log.Log(StreamLogLevel.Warning, null, "{Warning}", message);

    /// <summary>Commits each shard's position, parents first; a drained closed shard gets SHARD_END and its lease is released.</summary>
    private async Task CheckpointAsync(IReadOnlyList<ShardRange> ranges)
    {
        foreach (var range in ranges.OrderBy(r => _order.IndexOf(r.ShardId)))
        {
            var position = Position(range);
            if (position is null || !_readers.TryGetValue(range.ShardId, out var reader) || !SequenceNumbers.IsAfter(position, reader.Committed))
            {
                continue;
            }

            if (!_leases.Owns(range.ShardId))
            {
                _log.Log(StreamLogLevel.Warning, null, "Not checkpointing {Shard}: this worker does not hold its lease", range.ShardId);
                continue;
            }

            await RetryAsync("checkpoint " + range.ShardId, async () =>
            {
                await _checkpoints.CheckpointAsync(Stream, range.ShardId, _options.OwnerId, position, CancellationToken.None).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            reader.Committed = position;
            if (position == CheckpointStore.ShardEnd)
            {
                await _checkpoints.ReleaseLeaseAsync(Stream, range.ShardId, _options.OwnerId, CancellationToken.None).ConfigureAwait(false);
                _leases.Forget(range.ShardId);
            }
        }
    }

    private async Task<T> RetryAsync<T>(string what, Func<Task<T>> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action().ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < _options.WriteAttempts && e is not LeaseLostException and not OperationCanceledException)
            {
                _log.Log(StreamLogLevel.Warning, e, "Batch step '{Step}' failed (attempt {Attempt} of {Attempts}): {Message}", what, attempt, _options.WriteAttempts, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), _options.Time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private void Health(PendingBatch pending, TimeSpan interval)
    {
        var listed = _readers.Values.Where(r => r.Listed).ToList();
        _log.Log(StreamLogLevel.Information, null,
            "Stream {Stream} health: {Shards} shards ({Reading} reading, {Ended} drained, {Waiting} waiting), {Pending} records pending (read, not yet committed), " +
            "millisBehindLatest {MillisBehindLatest}, {Rate} records/s, totals {Batches} batches / {Records} records / {Ctrs} CTRs / {Quarantined} quarantined, last commit {LastCommit}",
            Stream, listed.Count, listed.Count(r => r.Active), listed.Count(r => r.Finished || r.Ended), listed.Count(r => !r.Started && !r.Finished),
            pending.Records, listed.Where(r => r.Active).Select(r => r.MillisBehindLatest).Max(),
            Math.Round(_readSinceHealth / Math.Max(0.001, interval.TotalSeconds), 1), _batches, _records, _ctrs, _quarantined,
            _lastCommitAt?.ToString("O", CultureInfo.InvariantCulture) ?? "never");
        _readSinceHealth = 0;
    }

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
