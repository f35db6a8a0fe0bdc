using System.Security.Cryptography;
using global::Parquet;
using global::Parquet.Serialization;

namespace ConnectReconcile.Io.Parquet;

/// <summary>A file a run wrote: relative path, rows, size and SHA-256 (for the manifest).</summary>
public sealed record WrittenFile(string Path, long Rows, long Bytes, string Sha256);

/// <summary>
/// Writes one Hive partition file (<c>TABLE/dt=YYYY-MM-DD/part-00000.parquet</c>) under a staging
/// root. Rows arrive already sorted, so the same inputs give byte-identical files.
/// </summary>
public sealed class ParquetTableWriter(string stagingRoot)
{
    private static readonly ParquetOptions Options = new() { RowGroupSize = 1 << 20, CompressionMethod = CompressionMethod.Snappy };

    public static string PartitionPrefix(string table, DateOnly day) => $"{table}/dt={day:yyyy-MM-dd}/";

    public async Task<WrittenFile?> WriteAsync<T>(string table, DateOnly day, IReadOnlyCollection<T> rows, CancellationToken cancellationToken)
        where T : new()
    {
        if (rows.Count == 0)
        {
            return null;
        }

        var relative = PartitionPrefix(table, day) + "part-00000.parquet";
        var path = System.IO.Path.Combine(stagingRoot, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        await using (var file = File.Create(path))
        {
            await ParquetSerializer.SerializeAsync(rows, file, Options, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await using var read = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken).ConfigureAwait(false));
        return new WrittenFile(relative, rows.Count, new FileInfo(path).Length, hash);
    }
}
