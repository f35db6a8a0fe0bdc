using System.Security.Cryptography;
using global::Parquet;

namespace ConnectReconcile.Io.Parquet;

/// <summary>A file a run wrote: relative path, rows, size and SHA-256 (for the manifest).</summary>
public sealed record WrittenFile(string Path, long Rows, long Bytes, string Sha256);

/// <summary>
/// Writes one Hive partition file (<c>TABLE/dt=YYYY-MM-DD/part-00000.parquet</c>) under a staging
/// root. Rows arrive already sorted, so the same inputs give byte-identical files.
/// </summary>
public sealed class ParquetTableWriter(string stagingRoot)
{
    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Snappy };

    public static string PartitionPrefix(string table, DateOnly day) => $"{table}/dt={day:yyyy-MM-dd}/";

    /// <summary>Writes a partition file and describes it for the manifest; no rows, no file.</summary>
    public async Task<WrittenFile?> WriteAsync<T>(string table, DateOnly day, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class =>
        await AppendAsync(table, day, rows, cancellationToken).ConfigureAwait(false) is { } relative
            ? await DescribeAsync(relative, cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>
    /// Adds the rows to the partition's file as one more row group (creating the file first), so a day
    /// is written a slice at a time. Returns the file's relative path, or null when there is none.
    /// </summary>
    public async Task<string?> AppendAsync<T>(string table, DateOnly day, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        var relative = PartitionPrefix(table, day) + "part-00000.parquet";
        var path = System.IO.Path.Combine(stagingRoot, relative);
        var append = File.Exists(path);
        if (rows.Count == 0)
        {
            return append ? relative : null;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        await using (var file = append ? new FileStream(path, FileMode.Open, FileAccess.ReadWrite) : File.Create(path))
        {
            await ColumnWriter<T>.WriteAsync(file, rows, Options, append, cancellationToken).ConfigureAwait(false);
        }

        return relative;
    }

    /// <summary>Rows (from the footer), size and SHA-256 of a finished file.</summary>
    public async Task<WrittenFile> DescribeAsync(string relative, CancellationToken cancellationToken)
    {
        await using var read = File.OpenRead(System.IO.Path.Combine(stagingRoot, relative));
        long rows;
        await using (var reader = await ParquetReader.CreateAsync(read, leaveStreamOpen: true, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows = reader.Metadata?.NumRows ?? 0;
        }

        read.Position = 0;
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken).ConfigureAwait(false));
        return new WrittenFile(relative, rows, read.Length, hash);
    }
}
