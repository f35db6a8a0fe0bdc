using System.Runtime.InteropServices;

namespace ConnectReconcile.Core.Chains;

/// <summary>What the window keeps of a contact once its chain has closed: 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ClosedContact
{
    public Guid Id;
    /// <summary>The billing content's fingerprint (<see cref="ChainWindow.Fingerprint"/>) of the copy that won.</summary>
    public ulong Fingerprint;
    /// <summary>The winning copy's LastUpdateTimestamp (else its end), seconds since 2000-01-01.</summary>
    public int Stamp;
    /// <summary>The report day, days since 2000-01-01 (the chain's day for voice).</summary>
    public ushort Day;
    private readonly ushort _unused;
}

/// <summary>
/// Where a <see cref="ChainWindow"/> keeps its closed contacts, by position (0, 1, 2… in the order
/// they were appended). A month's closed contacts are most of what the window holds and are rarely
/// read again (only when a late copy of one arrives), so a job can keep them out of memory
/// (ConnectReconcile.Io's file log); <see cref="InMemory"/> keeps them in arrays.
/// </summary>
public interface IClosedContactLog
{
    int Count { get; }

    void Append(in ClosedContact contact);

    ClosedContact Read(int position);

    void Write(int position, in ClosedContact contact);

    static IClosedContactLog InMemory() => new MemoryClosedContactLog();
}

/// <summary>Closed contacts in chunks of 64 Ki entries (2 MiB), so growing never copies what is there.</summary>
internal sealed class MemoryClosedContactLog : IClosedContactLog
{
    private const int ChunkBits = 16;
    private const int ChunkMask = (1 << ChunkBits) - 1;
    private readonly List<ClosedContact[]> _chunks = [];

    public int Count { get; private set; }

    public void Append(in ClosedContact contact)
    {
        if ((Count & ChunkMask) == 0)
        {
            _chunks.Add(new ClosedContact[1 << ChunkBits]);
        }

        _chunks[Count >> ChunkBits][Count & ChunkMask] = contact;
        Count++;
    }

    public ClosedContact Read(int position) => _chunks[position >> ChunkBits][position & ChunkMask];

    public void Write(int position, in ClosedContact contact) => _chunks[position >> ChunkBits][position & ChunkMask] = contact;
}

/// <summary>
/// Closed contacts by id: an open-addressing table of 8-byte slots, each a 32-bit tag of the id and the
/// contact's position in the log, at most three quarters full. A lookup compares tags and reads the
/// log only on a matching tag, which for an id not in the table happens about once in 2^29 lookups;
/// the id read back decides. In memory that is 11–21 bytes per contact (the table doubles when three
/// quarters full) instead of the ~47 a dictionary entry with its key took.
/// </summary>
internal sealed class ClosedContactIndex(IClosedContactLog log)
{
    private ulong[] _slots = new ulong[1024];
    private int _count;

    public int Count => _count;

    public bool TryFind(Guid id, out int position, out ClosedContact contact)
    {
        var tag = Tag(id);
        var mask = _slots.Length - 1;
        for (var i = (int)(tag & (uint)mask); _slots[i] != 0; i = (i + 1) & mask)
        {
            if ((uint)(_slots[i] >> 32) == tag)
            {
                var at = (int)(uint)_slots[i] - 1;
                var candidate = log.Read(at);
                if (candidate.Id == id)
                {
                    position = at;
                    contact = candidate;
                    return true;
                }
            }
        }

        position = -1;
        contact = default;
        return false;
    }

    /// <summary>Adds a contact that is not in the index yet.</summary>
    public void Add(in ClosedContact contact)
    {
        if (4L * (_count + 1) > 3L * _slots.Length)
        {
            Grow();
        }

        var position = log.Count;
        log.Append(contact);
        Insert(_slots, ((ulong)Tag(contact.Id) << 32) | (uint)(position + 1));
        _count++;
    }

    public void Update(int position, in ClosedContact contact) => log.Write(position, contact);

    private void Grow()
    {
        var bigger = new ulong[_slots.Length * 2];
        foreach (var slot in _slots)
        {
            if (slot != 0)
            {
                Insert(bigger, slot);
            }
        }

        _slots = bigger;
    }

    private static void Insert(ulong[] slots, ulong slot)
    {
        var mask = slots.Length - 1;
        var i = (int)((uint)(slot >> 32) & (uint)mask);
        while (slots[i] != 0)
        {
            i = (i + 1) & mask;
        }

        slots[i] = slot;
    }

    /// <summary>32 well-mixed bits of the id; the table's position comes from its low bits.</summary>
    internal static uint Tag(Guid id)
    {
        var halves = MemoryMarshal.Cast<Guid, ulong>(new ReadOnlySpan<Guid>(in id));
        var h = (halves[0] ^ (halves[1] * 0x9E3779B97F4A7C15UL)) * 0xFF51AFD7ED558CCDUL;
        return (uint)(h >> 32);
    }
}
