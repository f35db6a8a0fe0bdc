using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// Which charge a charge is, the same under two ratings of the same CTRs (whatif's baseline and scenario): its chain,
/// contact, leg and charge family, its day, and for a number-day when the number was held. A leg has one charge of
/// each family (telephony, service; Contact Lens once a chain), so these tell two charges of one leg apart. Telephony
/// and number-day kinds are one family each: a number-type change turns a leg's <c>telephony:inbound-tollfree</c>
/// into <c>telephony:inbound-did</c>, still the same call's charge. Two holdings of a number in one day start apart.
/// </summary>
internal static class ChargeIdentity
{
    // One hasher per thread, reset per charge: whatif asks for every charge of a month.
    [ThreadStatic]
    private static XxHash3? t_hash;

    /// <summary>
    /// A 64-bit hash of the identity: a month's charges are held as numbers, not texts (two of millions colliding
    /// is about 1 in 10^7, and would only make one charge look like another).
    /// </summary>
    public static ulong Of(Charge charge)
    {
        var hash = t_hash ??= new XxHash3();
        hash.Reset();
        Append(hash, charge.ChainId);
        Append(hash, charge.ContactId);
        Append(hash, Family(charge.ChargeKind));
        Span<byte> numbers = stackalloc byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(numbers, charge.LegIndex ?? -1);
        BinaryPrimitives.WriteInt32LittleEndian(numbers[4..], charge.Day.DayNumber);
        // Only a number-day's start: a leg's charges start where the policy meters them from, which a scenario may change.
        BinaryPrimitives.WriteInt64LittleEndian(numbers[8..], charge.Unit == Units.NumberDay ? charge.Start.UnixSeconds : 0);
        hash.Append(numbers);
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The kind up to its ':' (telephony, number-days), else the kind.</summary>
    private static ReadOnlySpan<char> Family(string chargeKind) =>
        chargeKind.IndexOf(':', StringComparison.Ordinal) is > 0 and var cut ? chargeKind.AsSpan(0, cut) : chargeKind;

    private static void Append(XxHash3 hash, ReadOnlySpan<char> text)
    {
        // Length first: ("ab", "c") and ("a", "bc") are two identities.
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, text.Length);
        hash.Append(length);
        hash.Append(MemoryMarshal.AsBytes(text));
    }
}
