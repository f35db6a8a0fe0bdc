using System.Security.Cryptography;

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

    /// <summary>Where the data ends and the footer starts.</summary>
    public long DataEnd => _dataEnd;

    /// <summary>The footer last written: with the data before it, the whole file.</summary>
    public byte[] Footer { get; private set; } = [];

    /// <summary>
    /// Writes the rows as the next row group (the file's magic first, for the first group); with a
    /// <paramref name="hash"/>, everything written before the footer is added to it.
    /// </summary>
    public void Append<T>(Stream stream, IReadOnlyList<T> rows, IncrementalHash? hash = null)
        where T : class
    {
        Start(stream, hash);
        _groups.Add(FlatParquetWriter<T>.WriteRowGroup(stream, rows, hash));
        _dataEnd = stream.Position;
    }

    /// <summary>As the other overload, for rows already in a builder (which is empty afterwards).</summary>
    public void Append<T>(Stream stream, RowGroupBuilder<T> rows, IncrementalHash? hash = null)
        where T : class
    {
        Start(stream, hash);
        _groups.Add(FlatParquetWriter<T>.WriteRowGroup(stream, rows, hash));
        _dataEnd = stream.Position;
    }

    /// <summary>Starts a file that may get no rows: its magic (hashed), so its footer alone makes it whole.</summary>
    public void Begin(Stream stream, IncrementalHash? hash) => Start(stream, hash);

    /// <summary>Writes the footer after the last group and cuts off anything beyond it (an earlier footer).</summary>
    public void WriteFooter<T>(Stream stream)
        where T : class
    {
        Start(stream, null);
        Footer = FlatParquetWriter<T>.Footer(_groups);
        stream.Write(Footer);
        stream.SetLength(stream.Position);
    }

    /// <summary>Forgets every group: the next write starts the file over.</summary>
    public void Clear()
    {
        _groups.Clear();
        _dataEnd = 0;
        Footer = [];
    }

    private void Start(Stream stream, IncrementalHash? hash)
    {
        if (_dataEnd == 0)
        {
            stream.Position = 0;
            stream.Write(ParquetFormat.Magic);
            hash?.AppendData(ParquetFormat.Magic);
            _dataEnd = stream.Position;
        }

        stream.Position = _dataEnd;
    }
}
