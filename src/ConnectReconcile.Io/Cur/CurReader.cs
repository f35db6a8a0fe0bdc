using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;
using global::Parquet;
using global::Parquet.Schema;

namespace ConnectReconcile.Io.Cur;

/// <summary>What a CUR read covered: files by format and lines read.</summary>
public sealed class CurReadStats
{
    public int ParquetFiles { get; internal set; }
    public int CsvFiles { get; internal set; }
    public int SkippedFiles { get; internal set; }
    public long Rows { get; internal set; }
    public long ConnectRows { get; internal set; }
    public long Bytes { get; internal set; }

    /// <summary>Connect lines that could not be read (no usable start time, amount or cost), not yielded.</summary>
    public long UnreadableLines { get; internal set; }

    /// <summary>The first <see cref="CurReader.UnreadableKept"/> of them.</summary>
    public List<UnreadableInvoiceLine> FirstUnreadable { get; } = [];
}

/// <summary>
/// Streams an AWS Cost and Usage Report from a local folder or file, or an S3 prefix (any
/// <see cref="IObjectStore"/>): CUR 2.0 / Data Exports Parquet (and legacy CUR Parquet) through
/// Parquet.Net's low-level reader, decoding only the columns reconciliation needs and, per row group,
/// the other columns only when the group holds Connect lines; CSV exports (legacy
/// <c>lineItem/UsageType</c> headers or CUR 2.0 snake_case, gzip or plain) through a small streaming
/// reader. Only Amazon Connect lines are yielded (<see cref="CurClassifier.IsConnect"/>); the rest
/// are counted. When a legacy manifest (<c>*-Manifest.json</c> with <c>reportKeys</c>) is present,
/// only the report files it names are read, so superseded assemblies never double count.
/// Progress ("read-cur": files, bytes, lines) is reported after each Parquet row group, every
/// <see cref="CsvProgressRows"/> CSV lines and at the end of each file.
/// </summary>
public sealed partial class CurReader(IObjectStore store, IProgress<JobProgress>? progress = null)
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private readonly RepeatedValues _pools = new();

    public CurReadStats Stats { get; } = new();

    /// <summary>Lines of other services (not yielded), by product code × currency, with their cost.</summary>
    public OtherServiceTally OtherServices { get; } = new();

    /// <summary>The report files to read, in key order; files whose billing-period folder names another month are left out.</summary>
    public async Task<IReadOnlyList<StoredObject>> SelectAsync(DateOnly? month, CancellationToken cancellationToken)
    {
        var all = new List<StoredObject>();
        await foreach (var o in store.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            all.Add(o);
        }

        var manifests = await ManifestsAsync(all, cancellationToken).ConfigureAwait(false);
        var selected = new List<StoredObject>();
        foreach (var o in all)
        {
            var name = o.Key.Length == 0 ? store.Describe(o.Key) : o.Key;
            if (FormatOf(name) is null || IsAthenaStatus(name))
            {
                continue;
            }

            if (GoverningManifest(manifests, name) is { } reportKeys && !reportKeys.Any(k => SamePath(k, name)))
            {
                Stats.SkippedFiles++;
                continue;
            }

            if (month is { } m && PeriodOf(name) is { } period && period != new DateOnly(m.Year, m.Month, 1))
            {
                Stats.SkippedFiles++;
                continue;
            }

            selected.Add(o);
        }

        return selected;
    }

    /// <summary>Connect lines of the selected files, in file order then row order.</summary>
    public async IAsyncEnumerable<CurLine> ReadAsync(DateOnly? month, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var selected = await SelectAsync(month, cancellationToken).ConfigureAwait(false);
        _files = selected.Count;
        _bytesTotal = selected.Sum(o => o.Size);
        foreach (var o in selected)
        {
            var name = o.Key.Length == 0 ? store.Describe(o.Key) : o.Key;
            Stats.Bytes += o.Size;
            _fileSize = o.Size;
            var lines = FormatOf(name) == "parquet" ? ReadParquetAsync(o, cancellationToken) : ReadCsvAsync(o, name, cancellationToken);
            await foreach (var line in lines.ConfigureAwait(false))
            {
                yield return line;
            }

            _filesDone++;
            _bytesDone += o.Size;
            Report(0);
        }
    }

    /// <summary>How many CSV lines between progress reports (a row group's worth).</summary>
    public const int CsvProgressRows = 250_000;

    private int _files;
    private int _filesDone;
    private long _bytesTotal;
    private long _bytesDone;
    private long _fileSize;

    /// <summary>Reports progress, <paramref name="fileFraction"/> of the file being read done.</summary>
    private void Report(double fileFraction) =>
        progress?.Report(new JobProgress("read-cur", _filesDone, _files, _bytesDone + (long)(_fileSize * fileFraction), _bytesTotal, Stats.Rows));

    /// <summary>Reads every Connect line into an aggregate for one month (or <see cref="InvoiceAggregate.AllMonths"/>).</summary>
    public async Task<InvoiceAggregate> AggregateAsync(InvoiceAggregate aggregate, DateOnly? month, CancellationToken cancellationToken)
    {
        await foreach (var line in ReadAsync(month, cancellationToken).ConfigureAwait(false))
        {
            aggregate.Add(line);
        }

        // Lines of other services and unreadable lines never reach the aggregate; fold the reader's counts in for the report.
        aggregate.CountOtherServices(OtherServices);

        aggregate.CountUnreadable(Stats.UnreadableLines, Stats.FirstUnreadable);

        return aggregate;
    }

    internal static string? FormatOf(string key)
    {
        var k = key.ToLowerInvariant();
        if (k.EndsWith(".parquet", StringComparison.Ordinal))
        {
            return "parquet";
        }

        return k.EndsWith(".csv", StringComparison.Ordinal) || k.EndsWith(".csv.gz", StringComparison.Ordinal) || k.EndsWith(".csv.zip", StringComparison.Ordinal)
            ? "csv" : null;
    }

    /// <summary>
    /// The billing period a key's folder names: <c>BILLING_PERIOD=2026-10</c> (Data Exports),
    /// <c>20261001-20261101</c> (legacy) or <c>year=2026/month=10</c> (legacy with the Athena option).
    /// </summary>
    internal static DateOnly? PeriodOf(string key)
    {
        var m = PeriodRegex().Match(key);
        if (m.Success)
        {
            return new DateOnly(int.Parse(m.Groups["y"].Value, C), int.Parse(m.Groups["m"].Value, C), 1);
        }

        m = LegacyPeriodRegex().Match(key);
        if (!m.Success)
        {
            m = AthenaPeriodRegex().Match(key);
        }

        return m.Success && int.Parse(m.Groups["m"].Value, C) is var month and >= 1 and <= 12 ? new DateOnly(int.Parse(m.Groups["y"].Value, C), month, 1) : null;
    }

    /// <summary>
    /// The legacy CUR's manifests (<c>*-Manifest.json</c> with <c>reportKeys</c>) by folder. AWS writes one
    /// in the billing period's folder, naming the current assembly's files, and one in each assembly's
    /// folder, which later versions never replace.
    /// </summary>
    private async Task<Dictionary<string, List<string>>> ManifestsAsync(List<StoredObject> all, CancellationToken cancellationToken)
    {
        var byFolder = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var o in all.Where(o => o.Key.EndsWith("Manifest.json", StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                await using var stream = await store.OpenReadAsync(o, cancellationToken).ConfigureAwait(false);
                using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("reportKeys", out var rk) && rk.ValueKind == JsonValueKind.Array)
                {
                    var folder = FolderOf(o.Key);
                    if (!byFolder.TryGetValue(folder, out var keys))
                    {
                        byFolder[folder] = keys = [];
                    }

                    keys.AddRange(rk.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
                }
            }
            catch (JsonException)
            {
                // Not a CUR manifest: ignore it.
            }
        }

        return byFolder;
    }

    /// <summary>
    /// The report keys of the manifest nearest the root above <paramref name="key"/>: the billing period's
    /// own manifest rules over the assemblies' below it, so a superseded assembly is never read. Null
    /// when no manifest sits above the file.
    /// </summary>
    private static List<string>? GoverningManifest(Dictionary<string, List<string>> manifests, string key)
    {
        List<string>? governing = null;
        var depth = int.MaxValue;
        foreach (var (folder, keys) in manifests)
        {
            if ((folder.Length == 0 || key.StartsWith(folder + "/", StringComparison.Ordinal)) && folder.Length < depth)
            {
                governing = keys;
                depth = folder.Length;
            }
        }

        return governing;
    }

    private static string FolderOf(string key) => key.LastIndexOf('/') is var i and >= 0 ? key[..i] : "";

    /// <summary>One key names the other's file, whole path segments only (manifests give full keys; listings, keys under the prefix).</summary>
    private static bool SamePath(string a, string b) =>
        a == b || a.EndsWith("/" + b, StringComparison.Ordinal) || b.EndsWith("/" + a, StringComparison.Ordinal);

    /// <summary>The status table a legacy CUR with the Athena option writes beside the report: not invoice lines.</summary>
    private static bool IsAthenaStatus(string key) =>
        key.Contains("cost_and_usage_data_status", StringComparison.OrdinalIgnoreCase);

    /// <summary>How many unreadable lines are kept to show (all are counted).</summary>
    public const int UnreadableKept = 100;


    /// <summary>Counts (and keeps the first of) the unreadable lines; <paramref name="source"/> is the file as the user knows it.</summary>
    private void Unreadable(string source, long row, string reason, DateOnly? day = null, string? usageType = null, string? instanceId = null)
    {
        Stats.UnreadableLines++;
        if (Stats.FirstUnreadable.Count < UnreadableKept)
        {
            Stats.FirstUnreadable.Add(new UnreadableInvoiceLine(source, row, reason, day, usageType, instanceId));
        }
    }

    // ---- Parquet ------------------------------------------------------------------------------

    private async IAsyncEnumerable<CurLine> ReadParquetAsync(StoredObject listed, [EnumeratorCancellation] CancellationToken ct)
    {
        var key = listed.Key;
        Stats.ParquetFiles++;
        var source = store.Describe(key);
        var stream = await ParquetColumns.SeekableAsync(await store.OpenReadAsync(listed, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        ParquetReader? reader = null;
        ParquetSchema schema;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct).ConfigureAwait(false);
            schema = reader.Schema; // decoded from the footer on first use
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // A cut or damaged footer: as with a gzip CSV damaged before its header ends, the whole file is one unreadable line.
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            Unreadable(source, 1, $"the Parquet file cannot be read ({e.Message}): the whole file is missing");
            yield break;
        }

        await using (reader.ConfigureAwait(false))
        {
            var columns = ParquetCurColumns.Resolve(schema, source);
            long firstRow = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var rows = reader.RowGroups[g].RowCount;
                Stats.Rows += rows;
                RowGroupColumns? read;
                try
                {
                    read = await ReadRowGroupAsync(reader, g, columns, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    // Row groups are read independently: the others still count. Running out of memory
                    // is no damage of the file: read as one, it left a month's card or comparison short.
                    Unreadable(source, firstRow + 1, $"row group {g + 1} of {reader.RowGroupCount} cannot be read ({e.Message}): its {rows:N0} rows are missing");
                    read = null;
                }

                if (read is not null)
                {
                    foreach (var line in LinesOf(read, source, firstRow))
                    {
                        yield return line;
                    }
                }

                firstRow += rows;
                if (g + 1 < reader.RowGroupCount)
                {
                    Report((double)(g + 1) / reader.RowGroupCount);
                }
            }
        }
    }

    /// <summary>
    /// A row group's columns, null when it holds no Connect line; other products are tallied. The lines
    /// are made from them one at a time (<see cref="LinesOf"/>): a list of a granular CUR's ~250 k lines
    /// lived through the whole group and was most of what the read held.
    /// </summary>
    private async Task<RowGroupColumns?> ReadRowGroupAsync(ParquetReader reader, int g, ParquetCurColumns columns, CancellationToken ct)
    {
        using var group = reader.OpenRowGroupReader(g);
        var rows = checked((int)group.RowCount);
        var products = await ParquetColumns.StringsAsync(group, columns.Product, rows, ct, _pools.Product).ConfigureAwait(false);
        var connect = new bool[rows];
        var any = false;
        for (var i = 0; i < rows; i++)
        {
            connect[i] = CurClassifier.IsConnect(products[i] ?? "");
            any |= connect[i];
        }

        if (!any)
        {
            await CountOthersAsync(group, columns, rows, products, connect, ct).ConfigureAwait(false);
            return null;
        }

        var start = await ParquetColumns.TimesAsync(group, columns.UsageStart, rows, ct).ConfigureAwait(false);
        var end = columns.UsageEnd is null ? null : (await ParquetColumns.TimesAsync(group, columns.UsageEnd, rows, ct).ConfigureAwait(false)).Values;
        var usageType = await ParquetColumns.StringsAsync(group, columns.UsageType, rows, ct, _pools.UsageType).ConfigureAwait(false);
        var lineType = await ParquetColumns.StringsAsync(group, columns.LineType, rows, ct, _pools.LineType).ConfigureAwait(false);
        var amount = await ParquetColumns.DecimalsAsync(group, columns.Amount, rows, ct).ConfigureAwait(false);
        var cost = await ParquetColumns.DecimalsAsync(group, columns.Cost, rows, ct).ConfigureAwait(false);
        var operation = columns.Operation is null ? null : await ParquetColumns.StringsAsync(group, columns.Operation, rows, ct, _pools.Operation).ConfigureAwait(false);
        var resource = columns.Resource is null ? null : await ParquetColumns.StringsAsync(group, columns.Resource, rows, ct).ConfigureAwait(false);
        var unit = columns.Unit is null ? null : await ParquetColumns.StringsAsync(group, columns.Unit, rows, ct, _pools.Unit).ConfigureAwait(false);
        var rate = columns.Rate is null ? null : (await ParquetColumns.DecimalsAsync(group, columns.Rate, rows, ct).ConfigureAwait(false)).Values;
        var currency = columns.Currency is null ? null : await ParquetColumns.StringsAsync(group, columns.Currency, rows, ct, _pools.Currency).ConfigureAwait(false);
        var description = columns.Description is null ? null : await ParquetColumns.StringsAsync(group, columns.Description, rows, ct, _pools.Description).ConfigureAwait(false);
        var instanceTag = columns.InstanceTag is null ? null : await ParquetColumns.StringsAsync(group, columns.InstanceTag, rows, ct, _pools.InstanceTag).ConfigureAwait(false);
        var tags = columns.TagKey is null || columns.TagValue is null ? null
            : await ParquetColumns.MapValueAsync(group, columns.TagKey, columns.TagValue, rows, IsInstanceTagKey, _pools.TagKey, _pools.TagValue, ct).ConfigureAwait(false);
        var account = columns.Account is null ? null : await ParquetColumns.StringsAsync(group, columns.Account, rows, ct, _pools.Account).ConfigureAwait(false);

        // Counted once every column is read, so a row group that fails part-way counts only as unreadable.
        CountOthers(products, connect, cost, currency);
        return new RowGroupColumns(rows, connect, products, start, end, usageType, lineType, amount, cost, operation, resource, unit, rate, currency, description, instanceTag, tags, account);
    }

    /// <summary>The Connect lines of a row group read whole; Connect lines without a start, amount or cost are reported.</summary>
    private IEnumerable<CurLine> LinesOf(RowGroupColumns c, string source, long firstRow)
    {
        for (var i = 0; i < c.Rows; i++)
        {
            if (!c.Connect[i])
            {
                continue;
            }

            if (c.Start.Values[i] is not { } s)
            {
                Unreadable(source, firstRow + i + 1, NoStart(c.Start.NotTimes?[i]));
                continue;
            }

            var instance = NullIfEmpty(c.InstanceTag?[i]) ?? c.Tags?[i];
            if ((Implausible(c.Amount.Values[i], c.Amount.NotNumbers?[i], "usage amount") ?? Implausible(c.Cost.Values[i], c.Cost.NotNumbers?[i], "cost")) is { } reason)
            {
                Unreadable(source, firstRow + i + 1, reason, DateOnly.FromDateTime(s), c.UsageType[i], CurClassifier.InstanceOf(instance, NullIfEmpty(c.Resource?[i])));
                continue;
            }

            Stats.ConnectRows++;
            yield return new CurLine
            {
                UsageStart = s,
                UsageEnd = c.End?[i],
                ProductCode = c.Products[i]!,
                UsageType = c.UsageType[i] ?? "",
                Operation = c.Operation?[i] ?? "",
                LineItemType = c.LineType[i] ?? "",
                ResourceId = NullIfEmpty(c.Resource?[i]),
                UsageAmount = c.Amount.Values[i] ?? 0m,
                PricingUnit = c.Unit?[i],
                UnblendedRate = c.Rate?[i],
                UnblendedCost = c.Cost.Values[i] ?? 0m,
                Currency = c.Currency?[i],
                Description = c.Description?[i],
                InstanceTag = instance,
                UsageAccountId = NullIfEmpty(c.Account?[i]),
            };
        }
    }

    /// <summary>The columns of one row group, a value per row (optional columns null when the file lacks them).</summary>
    private sealed record RowGroupColumns(
        int Rows, bool[] Connect, string?[] Products, (DateTime?[] Values, string?[]? NotTimes) Start, DateTime?[]? End, string?[] UsageType, string?[] LineType,
        (decimal?[] Values, string?[]? NotNumbers) Amount, (decimal?[] Values, string?[]? NotNumbers) Cost, string?[]? Operation, string?[]? Resource, string?[]? Unit,
        decimal?[]? Rate, string?[]? Currency, string?[]? Description, string?[]? InstanceTag, string?[]? Tags, string?[]? Account);

    /// <summary>
    /// Tallies a row group of other services' lines with their cost, decoding only the cost and currency
    /// columns. Such a group holds no Connect line, so columns that cannot be decoded leave its lines
    /// counted without a cost rather than reported as unreadable Connect lines.
    /// </summary>
    private async Task CountOthersAsync(ParquetRowGroupReader group, ParquetCurColumns columns, int rows, string?[] products, bool[] connect, CancellationToken ct)
    {
        (decimal?[] Values, string?[]? NotNumbers)? cost = null;
        string?[]? currency = null;
        try
        {
            cost = await ParquetColumns.DecimalsAsync(group, columns.Cost, rows, ct).ConfigureAwait(false);
            currency = columns.Currency is null ? null : await ParquetColumns.StringsAsync(group, columns.Currency, rows, ct, _pools.Currency).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            cost = null; // counted, cost unknown
        }

        CountOthers(products, connect, cost, currency);
    }

    /// <summary>Tallies the lines of other services among a row group's (cost null: not decoded, so none is known).</summary>
    private void CountOthers(string?[] products, bool[] connect, (decimal?[] Values, string?[]? NotNumbers)? cost, string?[]? currency)
    {
        for (var i = 0; i < products.Length; i++)
        {
            if (!connect[i])
            {
                decimal? value = cost is { } c && Implausible(c.Values[i], c.NotNumbers?[i], "cost") is null ? c.Values[i] ?? 0m : null;
                OtherServices.Add(products[i] ?? "", NullIfEmpty(currency?[i]), value);
            }
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>
    /// The columns whose few values repeat on every line, each decoded into one string per value for
    /// the whole read (not the resource id: a contact's or number's, nearly every line its own).
    /// </summary>
    private sealed class RepeatedValues
    {
        public ColumnValuePool Product { get; } = new();
        public ColumnValuePool UsageType { get; } = new();
        public ColumnValuePool LineType { get; } = new();
        public ColumnValuePool Operation { get; } = new();
        public ColumnValuePool Unit { get; } = new();
        public ColumnValuePool Currency { get; } = new();
        public ColumnValuePool Description { get; } = new();
        public ColumnValuePool InstanceTag { get; } = new();
        public ColumnValuePool TagKey { get; } = new();
        public ColumnValuePool TagValue { get; } = new();
        public ColumnValuePool Account { get; } = new();
    }

    internal static string? InstanceFromTags(IEnumerable<KeyValuePair<string, string?>>? tags)
    {
        if (tags is null)
        {
            return null;
        }

        foreach (var (k, v) in tags)
        {
            if (IsInstanceKey(k) && !string.IsNullOrEmpty(v))
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>aws:connect:instanceId, aws_connect_instance_id, user:…, resourceTags/… all normalize to end the same way.</summary>
    private static bool IsInstanceKey(string key) => ParquetColumns.Normalize(key).EndsWith("awsconnectinstanceid", StringComparison.Ordinal);

    private readonly Dictionary<string, bool> _instanceKeys = new(StringComparer.Ordinal);

    /// <summary><see cref="IsInstanceKey"/> once per distinct key: a tag map names the same few keys on every line.</summary>
    private bool IsInstanceTagKey(string key)
    {
        if (!_instanceKeys.TryGetValue(key, out var yes))
        {
            yes = IsInstanceKey(key);
            if (_instanceKeys.Count < ColumnValuePool.Capacity)
            {
                _instanceKeys[key] = yes;
            }
        }

        return yes;
    }

    // ---- CSV ----------------------------------------------------------------------------------

    private async IAsyncEnumerable<CurLine> ReadCsvAsync(StoredObject listed, string name, [EnumeratorCancellation] CancellationToken ct)
    {
        Stats.CsvFiles++;
        var key = listed.Key;
        var raw = await store.OpenReadAsync(listed, ct).ConfigureAwait(false);
        await using var _ = raw.ConfigureAwait(false);
        if (!name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            var gzip = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new CheckedGzipStream(raw, leaveOpen: true) : null;
            await using var gzipScope = gzip;
            await foreach (var line in ReadCsvTextAsync(store.Describe(key), (Stream?)gzip ?? raw, gzip, ct).ConfigureAwait(false))
            {
                yield return line;
            }

            yield break;
        }

        // A zipped export: every CSV it holds, in name order (not the resource forks an archiver on a Mac adds).
        using var zip = new ZipArchive(await ParquetColumns.SeekableAsync(raw, ct).ConfigureAwait(false), ZipArchiveMode.Read);
        var entries = zip.Entries
            .Where(e => e.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !e.Name.StartsWith("._", StringComparison.Ordinal)
                        && !e.FullName.StartsWith("__MACOSX/", StringComparison.Ordinal))
            .OrderBy(e => e.FullName, StringComparer.Ordinal)
            .ToList();
        if (entries.Count == 0)
        {
            Unreadable(store.Describe(key), 1, "the zip archive holds no .csv file: nothing could be read from it");
            yield break;
        }

        foreach (var entry in entries)
        {
            await using var stream = entry.Open();
            await foreach (var line in ReadCsvTextAsync(store.Describe(key) + "!" + entry.FullName, stream, null, ct).ConfigureAwait(false))
            {
                yield return line;
            }
        }
    }

    private async IAsyncEnumerable<CurLine> ReadCsvTextAsync(string source, Stream stream, CheckedGzipStream? gzip, [EnumeratorCancellation] CancellationToken ct)
    {
        using var text = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        var csv = new CsvRecordReader(text);
        List<string>? header;
        try
        {
            header = await csv.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (InvalidDataException e) when (gzip is not null)
        {
            Unreadable(source, 1, $"the gzip data is damaged before the header ends ({e.Message}): the whole file is missing");
            yield break;
        }

        if (header is null)
        {
            // An empty part file (a failed copy?): said, not fatal to the rest of the invoice.
            Unreadable(source, 1, "the file is empty (not even a header): nothing could be read from it");
            yield break;
        }

        CsvCurColumns map;
        try
        {
            map = CsvCurColumns.Resolve(header, source);
        }
        catch (FormatException) when (gzip is not null)
        {
            // Not a CUR header: a wrong file, unless the file stops inside it (cut, not wrong).
            if (await csv.ReadAsync(ct).ConfigureAwait(false) is not null || gzip.EndsWhole)
            {
                throw;
            }

            Unreadable(source, 1, "the gzip file ends before its header does (cut short): the whole file is missing");
            yield break;
        }

        var row = 1L; // the header's
        var damaged = false;
        while (true)
        {
            List<string>? f;
            try
            {
                f = await csv.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (InvalidDataException e) when (gzip is not null)
            {
                // Damaged deflate data: nothing after it can be read; what came before stands.
                Unreadable(source, row + 1, $"the gzip data is damaged here ({e.Message}): the rows from here on are missing");
                damaged = true;
                break;
            }

            if (f is null)
            {
                break;
            }

            Stats.Rows++;
            row++;
            if ((row - 1) % CsvProgressRows == 0)
            {
                Report(0);
            }
            var product = Field(f, map.Product) ?? "";
            if (!CurClassifier.IsConnect(product))
            {
                var (otherCost, unpriced) = Number(f, map.Cost, "cost");
                OtherServices.Add(product, NullIfEmpty(Field(f, map.Currency)), unpriced is null ? otherCost ?? 0m : null);
                continue;
            }

            if (f.Count < header.Count)
            {
                Unreadable(source, row, $"{f.Count} fields where the header has {header.Count}: the row is cut short");
                continue;
            }

            var startText = Field(f, map.UsageStart);
            if (ParquetColumns.ParseTime(startText) is not { } start)
            {
                Unreadable(source, row, NoStart(string.IsNullOrWhiteSpace(startText) ? null : startText));
                continue;
            }

            var resource = NullIfEmpty(Field(f, map.Resource));
            var instanceTag = NullIfEmpty(Field(f, map.InstanceTag)) ?? InstanceFromJsonTags(Field(f, map.TagsJson));
            var (amount, amountReason) = Number(f, map.Amount, "usage amount");
            var (cost, costReason) = Number(f, map.Cost, "cost");
            if ((amountReason ?? costReason) is { } reason)
            {
                Unreadable(source, row, reason, DateOnly.FromDateTime(start), Field(f, map.UsageType), CurClassifier.InstanceOf(instanceTag, resource));
                continue;
            }

            Stats.ConnectRows++;
            yield return new CurLine
            {
                UsageStart = start,
                UsageEnd = ParquetColumns.ParseTime(Field(f, map.UsageEnd)),
                ProductCode = product,
                UsageType = Field(f, map.UsageType) ?? "",
                Operation = Field(f, map.Operation) ?? "",
                LineItemType = Field(f, map.LineType) ?? "",
                ResourceId = resource,
                UsageAmount = amount ?? 0m,
                PricingUnit = Field(f, map.Unit),
                UnblendedRate = ParquetColumns.ParseDecimal(Field(f, map.Rate)),
                UnblendedCost = cost ?? 0m,
                Currency = Field(f, map.Currency),
                Description = Field(f, map.Description),
                InstanceTag = instanceTag,
                UsageAccountId = NullIfEmpty(Field(f, map.Account)),
            };
        }

        if (!damaged && gzip is { EndsWhole: false })
        {
            Unreadable(source, row + 1, "the gzip file ends before its data does (cut short, or bytes after it): the rows from here on are missing");
        }
    }

    private static string? Field(IReadOnlyList<string> fields, int index) => index >= 0 && index < fields.Count ? fields[index] : null;

    /// <summary>
    /// The field's number, and why it makes the line unreadable: there, but not a number (an empty one
    /// counts as 0, as before), or no plausible one.
    /// </summary>
    private static (decimal? Value, string? Unreadable) Number(IReadOnlyList<string> fields, int index, string what)
    {
        var text = Field(fields, index);
        var value = ParquetColumns.ParseDecimal(text);
        return (value, Implausible(value, value is null && !string.IsNullOrWhiteSpace(text) ? text : null, what));
    }

    /// <summary>Why a line without a usable start is unreadable: none, or <paramref name="text"/> that is no time.</summary>
    private static string NoStart(string? text) => text is null ? "no usage start time" : $"usage start time '{QuotedInput.Of(text)}' is not a time";

    /// <summary>
    /// No amount an invoice line of Connect could hold reaches 10^12 (the reconciliation table's columns
    /// stop there): such a value is a damaged line, reported like text that is no number.
    /// </summary>
    private static string? Implausible(decimal? value, string? notANumber, string what) =>
        notANumber is not null ? $"{what} '{QuotedInput.Of(notANumber)}' is not a number"
        : value is { } v && Math.Abs(v) >= MaxAmount ? $"{what} {Shown(v.ToString(C))} is beyond any Connect line (10^12)" : null;

    // 13 to 15 digits can be a phone number pasted into the column: shown masked, as any number in a message.
    private static string Shown(string amount) => PhoneNumbers.ReadsAsNumber(amount) ? PhoneNumbers.Mask(amount) : amount;

    private const decimal MaxAmount = 1_000_000_000_000m;

    private static string? InstanceFromJsonTags(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || json[0] != '{')
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            return InstanceFromTags(doc.RootElement.EnumerateObject()
                .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.ToString())));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"BILLING_PERIOD=(?<y>\d{4})-(?<m>\d{2})", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodRegex();

    [GeneratedRegex(@"(?:^|/)(?<y>\d{4})(?<m>\d{2})01-\d{8}(?:/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex LegacyPeriodRegex();

    [GeneratedRegex(@"(?:^|/)year=(?<y>\d{4})/month=(?<m>\d{1,2})(?:/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex AthenaPeriodRegex();
}

/// <summary>The CUR columns reconciliation reads, found by normalized name (CUR 2.0 and legacy spellings).</summary>
internal sealed record ParquetCurColumns(
    DataField UsageStart, DataField? UsageEnd, DataField Product, DataField UsageType, DataField? Operation, DataField LineType,
    DataField? Resource, DataField Amount, DataField? Unit, DataField? Rate, DataField Cost, DataField? Currency, DataField? Description,
    DataField? InstanceTag, DataField? TagKey, DataField? TagValue, DataField? Account)
{
    public static ParquetCurColumns Resolve(ParquetSchema schema, string file)
    {
        var flat = new Dictionary<string, DataField>(StringComparer.Ordinal);
        DataField? tagKey = null, tagValue = null;
        foreach (var f in schema.GetDataFields())
        {
            if (f.Path.Length == 1)
            {
                flat.TryAdd(ParquetColumns.Normalize(f.Name), f);
            }
            else if (ParquetColumns.Normalize(f.Path.FirstPart ?? "") == "resourcetags" && f.MaxRepetitionLevel == 1)
            {
                if (f.Name == "key")
                {
                    tagKey = f;
                }
                else if (f.Name == "value")
                {
                    tagValue = f;
                }
            }
        }

        DataField Required(string name) => flat.GetValueOrDefault(name)
            ?? throw new NotACurException($"{file}: not a Cost and Usage Report (no column like {CurColumnNames.Of(name)}).");
        DataField? Optional(params string[] names) => names.Select(n => flat.GetValueOrDefault(n)).FirstOrDefault(f => f is not null);

        return new ParquetCurColumns(
            Required("lineitemusagestartdate"), Optional("lineitemusageenddate"), Required("lineitemproductcode"), Required("lineitemusagetype"),
            Optional("lineitemoperation"), Required("lineitemlineitemtype"), Optional("lineitemresourceid"), Required("lineitemusageamount"),
            Optional("pricingunit"), Optional("lineitemunblendedrate"), Required("lineitemunblendedcost"), Optional("lineitemcurrencycode"),
            Optional("lineitemlineitemdescription"), Optional("resourcetagsawsconnectinstanceid"), tagKey, tagValue, Optional("lineitemusageaccountid"));
    }
}

/// <summary>The required columns' names as the two CUR generations spell them, for messages.</summary>
internal static class CurColumnNames
{
    public static string Of(string normalized) => normalized switch
    {
        "lineitemusagestartdate" => "line_item_usage_start_date / lineItem/UsageStartDate",
        "lineitemproductcode" => "line_item_product_code / lineItem/ProductCode",
        "lineitemusagetype" => "line_item_usage_type / lineItem/UsageType",
        "lineitemlineitemtype" => "line_item_line_item_type / lineItem/LineItemType",
        "lineitemusageamount" => "line_item_usage_amount / lineItem/UsageAmount",
        "lineitemunblendedcost" => "line_item_unblended_cost / lineItem/UnblendedCost",
        _ => normalized,
    };
}

/// <summary>Column indexes of a CUR CSV header (legacy <c>lineItem/UsageType</c> or CUR 2.0 <c>line_item_usage_type</c>).</summary>
internal sealed record CsvCurColumns(
    int UsageStart, int UsageEnd, int Product, int UsageType, int Operation, int LineType, int Resource, int Amount, int Unit,
    int Rate, int Cost, int Currency, int Description, int InstanceTag, int TagsJson, int Account)
{
    public static CsvCurColumns Resolve(IReadOnlyList<string> header, string file)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            index.TryAdd(ParquetColumns.Normalize(header[i]), i);
        }

        int Required(string name) => index.TryGetValue(name, out var i) ? i
            : throw new NotACurException($"{file}: not a Cost and Usage Report CSV (no column like {CurColumnNames.Of(name)}).");
        int Optional(string name) => index.GetValueOrDefault(name, -1);

        return new CsvCurColumns(
            Required("lineitemusagestartdate"), Optional("lineitemusageenddate"), Required("lineitemproductcode"), Required("lineitemusagetype"),
            Optional("lineitemoperation"), Required("lineitemlineitemtype"), Optional("lineitemresourceid"), Required("lineitemusageamount"),
            Optional("pricingunit"), Optional("lineitemunblendedrate"), Required("lineitemunblendedcost"), Optional("lineitemcurrencycode"),
            Optional("lineitemlineitemdescription"), Optional("resourcetagsawsconnectinstanceid"), Optional("resourcetags"), Optional("lineitemusageaccountid"));
    }
}

/// <summary>A streaming RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside quotes.</summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private readonly char[] _buffer = new char[1 << 16];
    private int _pos;
    private int _len;
    private readonly System.Text.StringBuilder _field = new();

    public async ValueTask<List<string>?> ReadAsync(CancellationToken ct)
    {
        var fields = new List<string>();
        var quoted = false;
        var any = false;
        _field.Clear();
        while (true)
        {
            if (_pos >= _len)
            {
                ct.ThrowIfCancellationRequested();
                _len = await reader.ReadAsync(_buffer.AsMemory(), ct).ConfigureAwait(false);
                _pos = 0;
                if (_len == 0)
                {
                    if (!any && fields.Count == 0)
                    {
                        return null;
                    }

                    fields.Add(_field.ToString());
                    return fields;
                }
            }

            var ch = _buffer[_pos++];
            any = true;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (await PeekAsync(ct).ConfigureAwait(false) == '"')
                    {
                        _pos++;
                        _field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    _field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"':
                    quoted = true;
                    break;
                case ',':
                    fields.Add(_field.ToString());
                    _field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(_field.ToString());
                    if (fields.Count == 1 && fields[0].Length == 0)
                    {
                        // A blank line: skip it.
                        fields.Clear();
                        _field.Clear();
                        any = false;
                        break;
                    }

                    return fields;
                default:
                    _field.Append(ch);
                    break;
            }
        }
    }

    private async ValueTask<int> PeekAsync(CancellationToken ct)
    {
        if (_pos >= _len)
        {
            _len = await reader.ReadAsync(_buffer.AsMemory(), ct).ConfigureAwait(false);
            _pos = 0;
            if (_len == 0)
            {
                return -1;
            }
        }

        return _buffer[_pos];
    }
}

/// <summary>A file given as the invoice that lacks a CUR's required columns: the user's to fix (exit 2), not a failed run.</summary>
public sealed class NotACurException(string message) : FormatException(message);
