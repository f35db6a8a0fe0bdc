namespace ConnectReconcile.Io.Parquet;

/// <summary>
/// One Parquet file's row groups so far and where its data ends: a file is written a row group at a
/// time, and its footer can be written after any of them and overwritten by the next group. Both
/// writers of whole files use it (<see cref="ParquetTableWriter"/>, which reopens a partition file
/// for each slice, and <see cref="ParquetStreamWriter{T}"/>, which keeps one stream open).
/// </summary>
internal sealed class RowGroupLog
{
    private readonly List<RowGroupMeta> _groups = [];
    private long _dataEnd;

    public int Count => _groups.Count;

    /// <summary>Writes the rows as the next row group (the file's magic first, for the first group).</summary>
    public void Append<T>(Stream stream, IReadOnlyList<T> rows)
        where T : class
    {
        Start(stream);
        _groups.Add(FlatParquetWriter<T>.WriteRowGroup(stream, rows));
        _dataEnd = stream.Position;
    }

    /// <summary>Writes the footer after the last group and cuts off anything beyond it (an earlier footer).</summary>
    public void WriteFooter<T>(Stream stream)
        where T : class
    {
        Start(stream);
        FlatParquetWriter<T>.WriteFooter(stream, _groups);
        stream.SetLength(stream.Position);
    }

    /// <summary>Forgets every group: the next write starts the file over.</summary>
    public void Clear()
    {
        _groups.Clear();
        _dataEnd = 0;
    }

    private void Start(Stream stream)
    {
        if (_dataEnd == 0)
        {
            stream.Position = 0;
            stream.Write(ParquetFormat.Magic);
            _dataEnd = stream.Position;
        }

        stream.Position = _dataEnd;
    }
}
