using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;
using global::Parquet;
using global::Parquet.Schema;
using global::Parquet.Serialization;

namespace ConnectReconcile.Io.Cur;

/// <summary>The expected side of a month: our daily_usage rows, and the rate card and policy that produced them.</summary>
public sealed record RatedMonth(IReadOnlyList<ExpectedUsage> Rows, IReadOnlyList<string> RateCardVersions, IReadOnlyList<string> Policies, int Partitions)
{
    /// <summary>The rate cards (version, SHA-256) of the run.json manifests that wrote these daily_usage files, as found.</summary>
    public IReadOnlyList<RateCardDigest> RateCards { get; init; } = [];

    /// <summary>Whether a run that wrote these daily_usage files had an agent directory (run.json <c>agentDirectoryProvided</c>).</summary>
    public bool AgentDirectoryProvided { get; init; }

    /// <summary>Whether a run that wrote these daily_usage files had a number inventory (run.json <c>numberInventoryProvided</c>).</summary>
    public bool NumberInventoryProvided { get; init; }
}

/// <summary>Facts from our charges table that the explanation rules use.</summary>
public sealed class ChargeFacts
{
    public Dictionary<HourKey, decimal> Hourly { get; } = [];
    public Dictionary<DayKey, HashSet<string>> InventoryNumbers { get; } = [];
    public Dictionary<DayKey, Dictionary<string, long>> CalledNumbers { get; } = [];
    public Dictionary<DayKey, decimal> MinimumTopUpMinutes { get; } = [];
    public Dictionary<DayKey, long> AgentSeconds { get; } = [];
    public List<ExpectedChainUsage>? ChainUsage { get; init; }
    public Dictionary<string, string>? ContactToChain { get; init; }
    public long Rows { get; set; }
}

/// <summary>
/// Reads a month of ConnectReconcile's own outputs (<c>daily_usage</c>, and for the explanations
/// <c>charges</c> and <c>segments</c>) from any <see cref="IObjectStore"/>, Hive partitions
/// <c>TABLE/dt=YYYY-MM-DD/</c>, decoding only the columns needed. Reading <c>charges</c> and
/// <c>segments</c> (a granular invoice's evidence: every charge of the month) reports progress per
/// partition file ("read-charges", "read-segments").
/// </summary>
public sealed class RatedOutputReader(IObjectStore store, IProgress<JobProgress>? progress = null)
{
    private string? _reading; // the partition file being read, named when it cannot be read

    public Task<RatedMonth> ReadDailyUsageAsync(DateOnly month, CancellationToken ct) => NamingDamagedFilesAsync(() => ReadDailyUsageCoreAsync(month, ct));

    private async Task<RatedMonth> ReadDailyUsageCoreAsync(DateOnly month, CancellationToken ct)
    {
        var rows = new List<ExpectedUsage>();
        var versions = new SortedSet<string>(StringComparer.Ordinal);
        var policies = new SortedSet<string>(StringComparer.Ordinal);
        var partitions = 0;
        var files = new Dictionary<string, string>(StringComparer.Ordinal); // key → SHA-256, to find the run that wrote it
        foreach (var key in await PartitionKeysAsync("daily_usage/", month, ct).ConfigureAwait(false))
        {
            _reading = key;
            partitions++;
            await using var stream = await ParquetColumns.SeekableAsync(await store.OpenReadAsync(key, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            files[key] = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
            stream.Position = 0;
            var data = await ParquetSerializer.DeserializeAsync<DailyUsageRow>(stream, cancellationToken: ct).ConfigureAwait(false);
            foreach (var r in data.Data)
            {
                versions.Add(r.RateCardVersion);
                policies.Add(r.Policy);
                // Minutes from billed seconds: exact, where the DECIMAL(18,6) column is cut to 6 places.
                var quantity = r.Unit == Units.Minute ? r.BilledSeconds / 60m : r.Quantity;
                rows.Add(new ExpectedUsage(r.Day, r.InstanceId, r.Region, r.UsageType, r.ChargeKind, r.Unit, r.PricingModel, r.Charges, r.BilledSeconds,
                    quantity, r.Cost, r.UnratedCharges));
            }
        }

        _reading = null;
        var runs = await RunsAsync(files, ct).ConfigureAwait(false);
        return new RatedMonth(rows, versions.ToList(), policies.ToList(), partitions)
        {
            RateCards = runs.Cards,
            AgentDirectoryProvided = runs.Agents,
            NumberInventoryProvided = runs.Numbers,
        };
    }

    /// <summary>
    /// The rate cards that wrote <paramref name="files"/>, from the manifests (root and <c>_runs/</c>) that list a
    /// file with the bytes it has now: rows carry the card's version only, and an edited card can keep it.
    /// A manifest that cannot be read, or one from before rateCardSha256, tells nothing. Also whether any of
    /// those runs had an agent directory or a number inventory (calibration must re-rate with the same).
    /// </summary>
    private async Task<(IReadOnlyList<RateCardDigest> Cards, bool Agents, bool Numbers)> RunsAsync(Dictionary<string, string> files, CancellationToken ct)
    {
        var manifests = new List<string>();
        foreach (var prefix in new[] { RunManifest.FileName, "_runs/" })
        {
            await foreach (var o in store.ListAsync(prefix, ct).ConfigureAwait(false))
            {
                if (o.Key == RunManifest.FileName || o.Key.EndsWith("/" + RunManifest.FileName, StringComparison.Ordinal))
                {
                    manifests.Add(o.Key);
                }
            }
        }

        var cards = new HashSet<RateCardDigest>();
        var (agents, numbers) = (false, false);
        foreach (var key in manifests)
        {
            try
            {
                await using var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
                using var manifest = await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
                var root = manifest.RootElement;
                if (!root.GetProperty("outputs").EnumerateArray().Any(o => files.TryGetValue(o.GetProperty("path").GetString() ?? "", out var now) && now == o.GetProperty("sha256").GetString()))
                {
                    continue;
                }

                agents |= root.TryGetProperty("agentDirectoryProvided", out var a) && a.ValueKind == JsonValueKind.True;
                numbers |= root.TryGetProperty("numberInventoryProvided", out var n) && n.ValueKind == JsonValueKind.True;
                if (root.TryGetProperty("rateCardSha256", out var sha) && root.TryGetProperty("rateCardVersion", out var version))
                {
                    cards.Add(new RateCardDigest(version.GetString() ?? "", sha.GetString() ?? ""));
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                // Not a manifest this reader understands: it only refines the rating note.
            }
        }

        return (cards.OrderBy(c => c.Version, StringComparer.Ordinal).ThenBy(c => c.Sha256, StringComparer.Ordinal).ToList(), agents, numbers);
    }

    /// <summary>
    /// Hourly usage (by <see cref="InvoiceHours"/>), numbers in the inventory and numbers called, the
    /// minutes our minimums add, and — for granular invoices — usage per chain and contact → chain;
    /// with <paramref name="agentSeconds"/> also each agent's connected seconds per day (segments).
    /// </summary>
    public Task<ChargeFacts> ReadChargeFactsAsync(DateOnly month, bool perContact, bool agentSeconds, CancellationToken ct) =>
        NamingDamagedFilesAsync(() => ReadChargeFactsCoreAsync(month, perContact, agentSeconds, ct));

    private async Task<ChargeFacts> ReadChargeFactsCoreAsync(DateOnly month, bool perContact, bool agentSeconds, CancellationToken ct)
    {
        var facts = new ChargeFacts
        {
            ChainUsage = perContact ? [] : null,
            ContactToChain = perContact ? new Dictionary<string, string>(StringComparer.Ordinal) : null,
        };
        var chainCells = perContact ? new Dictionary<(string Chain, string UsageType), (DateOnly Day, decimal Q, decimal Cost)>() : null;
        await foreach (var (group, f, n) in RowGroupsAsync("charges/", month, ct).ConfigureAwait(false))
        {
            facts.Rows += n;
            var day = (await ParquetColumns.TimesAsync(group, f["day"], n, ct).ConfigureAwait(false)).Values;
            var start = (await ParquetColumns.TimesAsync(group, f["start_time"], n, ct).ConfigureAwait(false)).Values;
            var usageType = await ParquetColumns.StringsAsync(group, f["usage_type"], n, ct).ConfigureAwait(false);
            var unit = await ParquetColumns.StringsAsync(group, f["unit"], n, ct).ConfigureAwait(false);
            var kind = await ParquetColumns.StringsAsync(group, f["charge_kind"], n, ct).ConfigureAwait(false);
            var legKind = await ParquetColumns.StringsAsync(group, f["leg_kind"], n, ct).ConfigureAwait(false);
            var number = await ParquetColumns.StringsAsync(group, f["number"], n, ct).ConfigureAwait(false);
            var billed = await ParquetColumns.LongsAsync(group, f["billed_seconds"], n, ct).ConfigureAwait(false);
            var actual = await ParquetColumns.LongsAsync(group, f["actual_seconds"], n, ct).ConfigureAwait(false);
            var quantity = (await ParquetColumns.DecimalsAsync(group, f["quantity"], n, ct).ConfigureAwait(false)).Values;
            var instance = await InstancesAsync(group, f, n, ct).ConfigureAwait(false);
            string?[]? chain = null, contact = null;
            decimal?[]? cost = null;
            if (perContact)
            {
                chain = await ParquetColumns.StringsAsync(group, f["chain_id"], n, ct).ConfigureAwait(false);
                contact = await ParquetColumns.StringsAsync(group, f["contact_id"], n, ct).ConfigureAwait(false);
                cost = (await ParquetColumns.DecimalsAsync(group, f["cost"], n, ct).ConfigureAwait(false)).Values;
            }

            for (var i = 0; i < n; i++)
            {
                if (day[i] is not { } dt)
                {
                    continue;
                }

                var d = DateOnly.FromDateTime(dt);
                var ut = usageType[i] ?? "";
                var minutes = unit[i] == Units.Minute;
                var q = minutes ? (billed[i] ?? 0) / 60m : quantity[i] ?? 0m;
                var inst = instance[i] ?? "";
                var hk = new HourKey(InvoiceHours.HourOf(d, start[i]), ut, inst);
                facts.Hourly[hk] = facts.Hourly.GetValueOrDefault(hk) + q;
                if (minutes && billed[i] > actual[i])
                {
                    var dk = new DayKey(d, ut, inst);
                    facts.MinimumTopUpMinutes[dk] = facts.MinimumTopUpMinutes.GetValueOrDefault(dk) + ((billed[i] ?? 0) - (actual[i] ?? 0)) / 60m;
                }

                var k = kind[i] ?? "";
                if (number[i] is { Length: > 0 } num)
                {
                    if (k.StartsWith("number-days:", StringComparison.Ordinal))
                    {
                        var dk = new DayKey(d, k, inst);
                        if (!facts.InventoryNumbers.TryGetValue(dk, out var set))
                        {
                            facts.InventoryNumbers[dk] = set = new HashSet<string>(StringComparer.Ordinal);
                        }

                        set.Add(num);
                    }
                    else if (legKind[i] == LegKinds.CustomerInbound && (k == ChargeKinds.TelephonyInboundDid || k == ChargeKinds.TelephonyInboundTollFree))
                    {
                        var dk = new DayKey(d, k == ChargeKinds.TelephonyInboundDid ? ChargeKinds.NumberDaysDid : ChargeKinds.NumberDaysTollFree, inst);
                        if (!facts.CalledNumbers.TryGetValue(dk, out var calls))
                        {
                            facts.CalledNumbers[dk] = calls = new Dictionary<string, long>(StringComparer.Ordinal);
                        }

                        calls[num] = calls.GetValueOrDefault(num) + 1;
                    }
                }

                if (chainCells is not null && chain![i] is { Length: > 0 } c && !c.StartsWith("number:", StringComparison.Ordinal))
                {
                    var cell = chainCells.TryGetValue((c, ut), out var found) ? found : (Day: d, Q: 0m, Cost: 0m);
                    chainCells[(c, ut)] = (cell.Day, cell.Q + q, cell.Cost + (cost![i] ?? 0m));
                    if (contact![i] is { Length: > 0 } id)
                    {
                        facts.ContactToChain![id] = c;
                    }

                    facts.ContactToChain!.TryAdd(c, c);
                }
            }
        }

        if (chainCells is not null)
        {
            facts.ChainUsage!.AddRange(chainCells.Select(kv => new ExpectedChainUsage(kv.Value.Day, kv.Key.Chain, kv.Key.UsageType, kv.Value.Q, kv.Value.Cost)));
        }

        await ReadSegmentFactsCoreAsync(month, agentSeconds ? facts.AgentSeconds : null, facts.ContactToChain, ct).ConfigureAwait(false);
        return facts;
    }

    /// <summary>
    /// One pass over the segments table for what is asked: seconds each agent was connected to
    /// customers (agent and hold segments) per day, and/or every contact id → its chain.
    /// </summary>
    private async Task ReadSegmentFactsCoreAsync(DateOnly month, Dictionary<DayKey, long>? agentSeconds, Dictionary<string, string>? contactToChain, CancellationToken ct)
    {
        if (agentSeconds is null && contactToChain is null)
        {
            return;
        }

        await foreach (var (group, f, n) in RowGroupsAsync("segments/", month, ct).ConfigureAwait(false))
        {
            if (agentSeconds is not null)
            {
                var day = (await ParquetColumns.TimesAsync(group, f["day"], n, ct).ConfigureAwait(false)).Values;
                var agent = await ParquetColumns.StringsAsync(group, f["agent"], n, ct).ConfigureAwait(false);
                var kind = await ParquetColumns.StringsAsync(group, f["segment_kind"], n, ct).ConfigureAwait(false);
                var seconds = await ParquetColumns.LongsAsync(group, f["seconds"], n, ct).ConfigureAwait(false);
                var instance = await InstancesAsync(group, f, n, ct).ConfigureAwait(false);
                for (var i = 0; i < n; i++)
                {
                    if (day[i] is { } d && agent[i] is { Length: > 0 } a && kind[i] is "agent" or "hold")
                    {
                        var k = new DayKey(DateOnly.FromDateTime(d), a, instance[i] ?? "");
                        agentSeconds[k] = agentSeconds.GetValueOrDefault(k) + (seconds[i] ?? 0);
                    }
                }
            }

            if (contactToChain is not null)
            {
                var chain = await ParquetColumns.StringsAsync(group, f["chain_id"], n, ct).ConfigureAwait(false);
                var contact = await ParquetColumns.StringsAsync(group, f["contact_id"], n, ct).ConfigureAwait(false);
                for (var i = 0; i < n; i++)
                {
                    if (chain[i] is { Length: > 0 } c && contact[i] is { Length: > 0 } id)
                    {
                        contactToChain.TryAdd(id, c);
                    }
                }
            }
        }
    }

    /// <summary>Every row group of the table's partition files in the month, with its file's columns by name and its row count.</summary>
    private async IAsyncEnumerable<(ParquetRowGroupReader Group, Dictionary<string, DataField> Fields, int Rows)> RowGroupsAsync(
        string tablePrefix, DateOnly month, [EnumeratorCancellation] CancellationToken ct)
    {
        var keys = await PartitionKeysAsync(tablePrefix, month, ct).ConfigureAwait(false);
        var phase = "read-" + tablePrefix.TrimEnd('/');
        long rows = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            _reading = key;
            await using (var stream = await ParquetColumns.SeekableAsync(await store.OpenReadAsync(key, ct).ConfigureAwait(false), ct).ConfigureAwait(false))
            await using (var reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct).ConfigureAwait(false))
            {
                var fields = Fields(reader.Schema);
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    using var group = reader.OpenRowGroupReader(g);
                    rows += group.RowCount;
                    yield return (group, fields, checked((int)group.RowCount));
                }
            }

            progress?.Report(new JobProgress(phase, i + 1, keys.Count, 0, 0, rows));
        }

        _reading = null;
    }

    /// <summary>
    /// Runs a read; an exception while a partition file was being read (damaged, cut short, or not ours)
    /// names the file, which Parquet.Net's messages ("not a parquet file, head: …") do not, and what to do.
    /// </summary>
    private async Task<T> NamingDamagedFilesAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && _reading is { } key)
        {
            throw new InvalidDataException($"{store.Describe(key)} cannot be read as rated output ({e.Message}): re-run replay or nightly for that day to write it again.", e);
        }
    }

    /// <summary>The <c>instance_id</c> column (all null for a file written before it, or without it): evidence is kept per instance.</summary>
    private static async Task<string?[]> InstancesAsync(ParquetRowGroupReader group, Dictionary<string, DataField> fields, int n, CancellationToken ct) =>
        fields.TryGetValue("instance_id", out var field)
            ? await ParquetColumns.StringsAsync(group, field, n, ct).ConfigureAwait(false)
            : new string?[n];

    private static Dictionary<string, DataField> Fields(ParquetSchema schema) =>
        schema.GetDataFields().Where(f => f.Path.Length == 1).GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>Object keys of a table's partitions whose day falls in the month, in day order.</summary>
    public async Task<IReadOnlyList<string>> PartitionKeysAsync(string tablePrefix, DateOnly month, CancellationToken ct)
    {
        var first = new DateOnly(month.Year, month.Month, 1);
        var last = first.AddMonths(1).AddDays(-1);
        var keys = new List<(DateOnly Day, string Key)>();
        await foreach (var o in store.ListAsync(tablePrefix, ct).ConfigureAwait(false))
        {
            if (!o.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                continue;
            }

            if (ParquetTableWriter.PartitionDay(o.Key) is { } day && day >= first && day <= last)
            {
                keys.Add((day, o.Key));
            }
        }

        return keys.OrderBy(k => k.Day).ThenBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Key).ToList();
    }
}
