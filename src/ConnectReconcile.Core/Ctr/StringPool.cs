using System.Text;

namespace ConnectReconcile.Core.Ctr;

/// <summary>
/// Interns the low-cardinality strings of CTRs (channels, methods, ARNs, queue and agent names) so a
/// month of records shares one copy of each. Bounded: past the cap it stops adding and just allocates,
/// or (as a window of recent values) starts over.
/// </summary>
internal sealed class StringPool(int capacity = 65_536, bool clearWhenFull = false)
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Get(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        var count = Encoding.UTF8.GetChars(utf8, chars);
        var span = chars[..count];
        var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(span, out var existing))
        {
            return existing;
        }

        var created = new string(span);
        if (_strings.Count >= capacity && clearWhenFull)
        {
            _strings.Clear(); // a window of recent values, not a growing index
        }

        if (_strings.Count < capacity)
        {
            _strings[created] = created;
        }

        return created;
    }
}
