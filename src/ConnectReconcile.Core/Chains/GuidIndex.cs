using System.Runtime.CompilerServices;

namespace ConnectReconcile.Core.Chains;

/// <summary>
/// A map from GUID to a small struct that only grows: open addressing with linear probing, key and
/// value side by side in one 32-byte slot, so a lookup usually costs one cache miss (a
/// <see cref="Dictionary{TKey,TValue}"/> costs two, bucket then entry) on an index of a month's
/// contacts. Split in 256 shards by the hash's top byte so growing copies 1/256 of it at a time.
/// The empty GUID marks a free slot, so its own value lives beside the table. Not thread-safe.
/// </summary>
internal sealed class GuidIndex<TValue>
    where TValue : struct
{
    private const int ShardBits = 8;
    private const int InitialCapacity = 16;

    private readonly Slot[][] _shards = new Slot[1 << ShardBits][];
    private readonly int[] _counts = new int[1 << ShardBits];
    private bool _hasEmptyKey;
    private TValue _emptyKeyValue;

    public GuidIndex()
    {
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Slot[InitialCapacity];
        }
    }

    /// <summary>The value of <paramref name="key"/>, added as <c>default</c> when it was not there.</summary>
    public ref TValue GetOrAdd(Guid key, out bool exists)
    {
        if (key == Guid.Empty)
        {
            exists = _hasEmptyKey;
            _hasEmptyKey = true;
            return ref _emptyKeyValue;
        }

        var hash = Hash(key);
        var shard = (int)(hash >> (64 - ShardBits));
        // Grow at 70 % full: linear probing's inserts get long past that.
        if (_counts[shard] * 10 >= _shards[shard].Length * 7)
        {
            Grow(shard);
        }

        var slots = _shards[shard];
        var mask = slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Key == key)
            {
                exists = true;
                return ref slot.Value;
            }

            if (slot.Key == Guid.Empty)
            {
                slot.Key = key;
                _counts[shard]++;
                exists = false;
                return ref slot.Value;
            }
        }
    }

    /// <summary>The value of <paramref name="key"/>, or a null reference when it is not there.</summary>
    public ref TValue Find(Guid key)
    {
        if (key == Guid.Empty)
        {
            return ref _hasEmptyKey ? ref _emptyKeyValue : ref Unsafe.NullRef<TValue>();
        }

        var hash = Hash(key);
        var slots = _shards[(int)(hash >> (64 - ShardBits))];
        var mask = slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Key == key)
            {
                return ref slot.Value;
            }

            if (slot.Key == Guid.Empty)
            {
                return ref Unsafe.NullRef<TValue>();
            }
        }
    }

    private void Grow(int shard)
    {
        var old = _shards[shard];
        var slots = new Slot[old.Length * 2];
        var mask = slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Key == Guid.Empty)
            {
                continue;
            }

            var i = (int)Hash(slot.Key) & mask;
            while (slots[i].Key != Guid.Empty)
            {
                i = (i + 1) & mask;
            }

            slots[i] = slot;
        }

        _shards[shard] = slots;
    }

    // Mixes all 128 bits (v4 GUIDs are random but for a few fixed version bits); the multiply spreads them to the top byte.
    private static ulong Hash(Guid key)
    {
        ref var halves = ref Unsafe.As<Guid, (ulong Low, ulong High)>(ref key);
        return (halves.Low ^ (halves.High * 0xFF51AFD7ED558CCDUL)) * 0x9E3779B97F4A7C15UL;
    }

    private struct Slot
    {
        public Guid Key;
        public TValue Value;
    }
}
