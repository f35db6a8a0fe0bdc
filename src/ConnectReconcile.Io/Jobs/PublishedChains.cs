using ConnectReconcile.Io.Cur;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;
using Parquet;

namespace ConnectReconcile.Io.Jobs;

/// <summary>
/// The chains the output already holds of the day before a dated run's range (the <c>contacts</c> table's
/// <c>chain_id</c>). A record of the range whose root this run never read (a transfer after midnight, delivered
/// after the earlier day's look-ahead) belongs to such a chain, so to that day: a replay bills it there, and here it
/// would be an orphan billed a second time. Only the day before is read: a child starts while its parent's call is
/// in progress, and a call spanning a whole day is left to the held read of a replay.
/// </summary>
public sealed class PublishedChains
{
    public static readonly PublishedChains None = new(null, []);

    private readonly HashSet<string> _roots;

    private PublishedChains(DateOnly? day, HashSet<string> roots)
    {
        Day = day;
        _roots = roots;
    }

    /// <summary>The day whose chains are known; null when none are.</summary>
    public DateOnly? Day { get; }

    public bool IsEmpty => _roots.Count == 0;

    /// <summary>The earlier day that holds the chain of <paramref name="rootId"/>, null when it holds none.</summary>
    public DateOnly? DayOf(string rootId) => _roots.Contains(rootId) ? Day : null;

    /// <summary>
    /// Reads the chain ids of the day before <paramref name="from"/> in <paramref name="output"/>; none when the output
    /// does not hold that day. A damaged file is warned of and read as none (the night's own days are still rated).
    /// </summary>
    public static async Task<PublishedChains> LoadAsync(IObjectStore? output, DateOnly? from, Action<string>? warn, CancellationToken ct)
    {
        if (output is null || from is not { } first)
        {
            return None;
        }

        var day = first.AddDays(-1);
        var roots = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<string>();
        await foreach (var o in output.ListAsync(ParquetTableWriter.PartitionPrefix("contacts", day), ct).ConfigureAwait(false))
        {
            if (o.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                keys.Add(o.Key);
            }
        }

        foreach (var key in keys)
        {
            try
            {
                await using var stream = await ParquetColumns.SeekableAsync(await output.OpenReadAsync(key, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct).ConfigureAwait(false);
                var field = reader.Schema.GetDataFields().First(f => f.Path.Length == 1 && f.Name == "chain_id");
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    using var group = reader.OpenRowGroupReader(g);
                    foreach (var id in await ParquetColumns.StringsAsync(group, field, checked((int)group.RowCount), ct).ConfigureAwait(false))
                    {
                        if (id is not null)
                        {
                            roots.Add(id);
                        }
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                warn?.Invoke($"{output.Describe(key)} cannot be read as rated output ({e.Message}): records of this run whose chain began on {day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)} " +
                    "are rated here as orphans, not named as late for that day. Run that day again to write it anew.");
            }
        }

        return roots.Count == 0 ? None : new PublishedChains(day, roots);
    }
}
