using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using global::Parquet;

namespace ConnectReconcile.Io.Parquet;

/// <summary>A file a run wrote: relative path, rows, size and SHA-256 (for the manifest).</summary>
public sealed record WrittenFile(string Path, long Rows, long Bytes, string Sha256);

/// <summary>
/// Writes one Hive partition file (<c>TABLE/dt=YYYY-MM-DD/part-00000.parquet</c>) under a staging
/// root. Rows arrive already sorted, so the same inputs give byte-identical files. A file grows a row
/// group at a time; the writer remembers each file's row groups so appending rewrites only the footer,
/// and hashes the bytes as it writes them, so describing a file for the manifest reads back only its
/// footer (a 1 M-CTR month writes ~350 MB; reading it all again for the checksums was the run's last step).
/// </summary>
public sealed partial class ParquetTableWriter(string stagingRoot) : IDisposable
{
    private readonly ConcurrentDictionary<string, PartitionFile> _files = new(StringComparer.Ordinal);

    public static string PartitionPrefix(string table, DateOnly day) => string.Create(CultureInfo.InvariantCulture, $"{table}/dt={day:yyyy-MM-dd}/");

    /// <summary>The day of the partition a key lies in (<see cref="PartitionPrefix"/>'s <c>dt=YYYY-MM-DD/</c>), null outside one.</summary>
    public static DateOnly? PartitionDay(string key) =>
        DayPartition().Match(key) is { Success: true } m
        && DateOnly.TryParseExact(m.Groups[1].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    [GeneratedRegex(@"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/", RegexOptions.CultureInvariant)]
    private static partial Regex DayPartition();

    /// <summary>Writes a partition file and describes it for the manifest; no rows, no file.</summary>
    public async Task<WrittenFile?> WriteAsync<T>(string table, DateOnly day, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class =>
        await AppendAsync(table, day, rows, cancellationToken).ConfigureAwait(false) is { } relative
            ? await DescribeAsync(relative, cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>
    /// Adds the rows to the partition's file as one more row group (creating the file first), so a day
    /// is written a slice at a time. Returns the file's relative path, or null when there is none.
    /// Appends to different files may run in parallel; appends to one file must not.
    /// </summary>
    public Task<string?> AppendAsync<T>(string table, DateOnly day, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class =>
        AppendAsync<T>(table, day, rows.Count, (file, stream) => file.Groups.Append(stream, rows, file.Hash), cancellationToken);

    /// <summary>As the other overload, for rows already in a builder (which is empty afterwards).</summary>
    internal Task<string?> AppendAsync<T>(string table, DateOnly day, RowGroupBuilder<T> rows, CancellationToken cancellationToken)
        where T : class =>
        AppendAsync<T>(table, day, rows.Count, (file, stream) => file.Groups.Append(stream, rows, file.Hash), cancellationToken);

    private Task<string?> AppendAsync<T>(string table, DateOnly day, int rows, Action<PartitionFile, Stream> append, CancellationToken cancellationToken)
        where T : class
    {
        cancellationToken.ThrowIfCancellationRequested();
        var relative = PartitionPrefix(table, day) + "part-00000.parquet";
        var file = _files.GetOrAdd(relative, static _ => new PartitionFile());
        if (rows == 0)
        {
            return Task.FromResult(file.Groups.Count > 0 ? relative : null);
        }

        var path = System.IO.Path.Combine(stagingRoot, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using (var stream = file.Groups.Count == 0 ? File.Create(path) : new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            append(file, stream);
            file.Groups.WriteFooter<T>(stream);
        }

        return Task.FromResult<string?>(relative);
    }

    /// <summary>
    /// The partition's file, written without rows when none were appended (its schema and no row group), so
    /// every partition a run publishes holds one: a query over a table that has no rows in the range (the
    /// quarantine of a clean month) reads nothing instead of failing to find files.
    /// </summary>
    public string EnsureFile<T>(string table, DateOnly day)
        where T : class
    {
        var relative = PartitionPrefix(table, day) + "part-00000.parquet";
        var file = _files.GetOrAdd(relative, static _ => new PartitionFile());
        if (file.Groups.Count == 0)
        {
            var path = System.IO.Path.Combine(stagingRoot, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            using var stream = File.Create(path);
            file.Groups.Begin(stream, file.Hash);
            file.Groups.WriteFooter<T>(stream);
        }

        return relative;
    }

    /// <summary>
    /// Rows (read back from the footer by Parquet.Net, a check on every file), size and SHA-256 of a
    /// finished file: the hash of what was written, checked against the file's size.
    /// </summary>
    public async Task<WrittenFile> DescribeAsync(string relative, CancellationToken cancellationToken)
    {
        var file = _files[relative];
        await using var read = File.OpenRead(System.IO.Path.Combine(stagingRoot, relative));
        long rows;
        await using (var reader = await ParquetReader.CreateAsync(read, leaveStreamOpen: true, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows = reader.Metadata?.NumRows ?? 0;
        }

        using var hash = file.Hash.Clone();
        hash.AppendData(file.Groups.Footer);
        if (file.Groups.DataEnd + file.Groups.Footer.Length != read.Length)
        {
            throw new InvalidOperationException($"{relative}: {read.Length} bytes on disk, {file.Groups.DataEnd + file.Groups.Footer.Length} written.");
        }

        return new WrittenFile(relative, rows, read.Length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Hash.Dispose();
        }
    }

    /// <summary>A partition file's row groups, and the SHA-256 of its bytes before the footer.</summary>
    private sealed class PartitionFile
    {
        public RowGroupLog Groups { get; } = new();

        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }
}
