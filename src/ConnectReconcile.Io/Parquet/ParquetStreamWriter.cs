namespace ConnectReconcile.Io.Parquet;

/// <summary>
/// One Parquet file written a row group at a time to an open, seekable stream, for exports that
/// stream a range day by day (<c>audit-export</c>): nothing but the current batch is held.
/// </summary>
public sealed class ParquetStreamWriter<T>(Stream stream)
    where T : class
{
    private readonly RowGroupLog _groups = new();

    /// <summary>Appends the rows as one row group (none for an empty batch).</summary>
    public void Append(IReadOnlyList<T> rows)
    {
        if (rows.Count > 0)
        {
            _groups.Append(stream, rows);
        }
    }

    /// <summary>Forgets everything written (the job re-reads its range and will append it all again).</summary>
    public void Reset()
    {
        stream.SetLength(0);
        _groups.Clear();
    }

    /// <summary>Writes the footer; the file is complete (and valid with no row groups at all).</summary>
    public void Complete()
    {
        _groups.WriteFooter<T>(stream);
        stream.Flush();
    }
}
