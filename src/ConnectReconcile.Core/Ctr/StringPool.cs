using System.Text;

namespace ConnectReconcile.Core.Ctr;

/// <summary>
/// Interns the low-cardinality strings of CTRs (channels, methods, ARNs, queue and agent names) so a
/// month of records shares one copy of each. Bounded: past the cap it stops adding and just allocates.
/// </summary>
internal sealed class StringPool
{
    private const int MaxEntries = 65_536;
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
        if (_strings.Count < MaxEntries)
        {
            _strings[created] = created;
        }

        return created;
    }
}
