using System.Buffers.Binary;
using System.Text;

namespace ConnectReconcile.Core.Ctr;

/// <summary>
/// Interns the low-cardinality strings of CTRs (channels, methods, ARNs, queue and agent names) so a
/// month of records shares one copy of each. Bounded: past the cap it stops adding and just allocates,
/// or (as a window of recent values) starts over.
/// <para>
/// Values are found by their UTF-8 bytes, as the parser has them: a hit costs one hash of the bytes
/// and one comparison of them with the pooled string, with no transcoding to UTF-16 first (this runs
/// for several fields of every record; a string-keyed dictionary spent most of its time transcoding
/// and hashing characters). Open addressing with linear probing, at most half full.
/// </para>
/// </summary>
internal sealed class StringPool(int capacity = 65_536, bool clearWhenFull = false)
{
    private const int HashedTail = 40;

    private Slot[] _slots = new Slot[256];
    private int _count;

    public int Count => _count;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var mask = _slots.Length - 1;
        for (var i = hash & mask; _slots[i].Value is { } value; i = (i + 1) & mask)
        {
            if (_slots[i].Hash == hash && Same(utf8, value))
            {
                return value;
            }
        }

        var created = Encoding.UTF8.GetString(utf8);
        if (_count >= capacity)
        {
            if (!clearWhenFull)
            {
                return created;
            }

            Array.Clear(_slots); // a window of recent values, not a growing index
            _count = 0;
        }

        if (2 * (_count + 1) > _slots.Length)
        {
            Grow();
        }

        Insert(new Slot(created, hash));
        _count++;
        return created;
    }

    /// <summary>Whether the UTF-8 bytes spell the string: compared as ASCII where they are (nearly always), else decoded.</summary>
    private static bool Same(ReadOnlySpan<byte> utf8, string value)
    {
        if (Ascii.Equals(utf8, value))
        {
            return true;
        }

        if (Ascii.IsValid(utf8) || utf8.Length < value.Length || utf8.Length > 3 * value.Length)
        {
            return false;
        }

        Span<char> chars = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        var count = Encoding.UTF8.GetChars(utf8, chars);
        return chars[..count].SequenceEqual(value);
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        foreach (var slot in old)
        {
            if (slot.Value is not null)
            {
                Insert(slot);
            }
        }
    }

    private void Insert(Slot slot)
    {
        var mask = _slots.Length - 1;
        var i = slot.Hash & mask;
        while (_slots[i].Value is not null)
        {
            i = (i + 1) & mask;
        }

        _slots[i] = slot;
    }

    /// <summary>
    /// A multiply-xorshift hash eight bytes at a time, of the length and at most the last <see cref="HashedTail"/> bytes:
    /// the long values, ARNs, share their first hundred bytes and differ in the id at their end, and equality is checked
    /// on all the bytes anyway.
    /// </summary>
    internal static int Hash(ReadOnlySpan<byte> bytes)
    {
        var h = 0x9E3779B97F4A7C15UL ^ (ulong)bytes.Length;
        bytes = bytes.Length > HashedTail ? bytes[^HashedTail..] : bytes;
        while (bytes.Length >= 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
            bytes = bytes[8..];
        }

        ulong tail = 0;
        foreach (var b in bytes)
        {
            tail = (tail << 8) | b;
        }

        h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 29;
        return (int)(h & int.MaxValue);
    }

    private readonly record struct Slot(string? Value, int Hash);
}
