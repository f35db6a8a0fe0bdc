namespace ConnectReconcile.Io.Jobs;

/// <summary>
/// Output rows reused slice after slice: <see cref="Next"/> hands out the next row (made once per
/// slot), <see cref="Clear"/> starts the next slice over the same rows. The caller fills every column.
/// </summary>
public sealed class RowBuffer<TRow> : IReadOnlyList<TRow>
    where TRow : class, new()
{
    private readonly List<TRow> _rows = [];

    public int Count { get; private set; }

    public TRow this[int index] => (uint)index < (uint)Count ? _rows[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public TRow Next()
    {
        if (Count == _rows.Count)
        {
            _rows.Add(new TRow());
        }

        return _rows[Count++];
    }

    public void Clear() => Count = 0;

    /// <summary>The rows handed out since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<TRow> Rows => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_rows)[..Count];

    public IEnumerator<TRow> GetEnumerator() => _rows.Take(Count).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
