using System.Globalization;

namespace ConnectReconcile.Core.Time;

/// <summary>
/// A UTC point in time with whole-second resolution, which is what CTRs carry. Seconds since the
/// Unix epoch keep interval arithmetic in integers (billing never touches floating point).
/// </summary>
public readonly record struct Instant(long UnixSeconds) : IComparable<Instant>
{
    public DateTime ToDateTime() => DateTime.UnixEpoch.AddSeconds(UnixSeconds);

    public DateOnly UtcDate => DateOnly.FromDateTime(ToDateTime());

    public static Instant FromDateTime(DateTime utc) =>
        new((utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond);

    public static Instant FromDate(DateOnly date) => FromDateTime(date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));

    public Instant PlusSeconds(long seconds) => new(checked(UnixSeconds + seconds));

    public int CompareTo(Instant other) => UnixSeconds.CompareTo(other.UnixSeconds);

    public static bool operator <(Instant a, Instant b) => a.UnixSeconds < b.UnixSeconds;
    public static bool operator >(Instant a, Instant b) => a.UnixSeconds > b.UnixSeconds;
    public static bool operator <=(Instant a, Instant b) => a.UnixSeconds <= b.UnixSeconds;
    public static bool operator >=(Instant a, Instant b) => a.UnixSeconds >= b.UnixSeconds;

    public static Instant Min(Instant a, Instant b) => a <= b ? a : b;
    public static Instant Max(Instant a, Instant b) => a >= b ? a : b;

    /// <summary>ISO-8601 with 'Z', the CTR's own format.</summary>
    public override string ToString() => ToDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses CTR timestamps. The common shape <c>yyyy-MM-ddTHH:mm:ssZ</c> takes a fast path;
    /// anything else ISO-8601 (fractions, offsets) goes through the BCL and is truncated to the second.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out Instant value)
    {
        if (utf8.Length == 20 && utf8[4] == '-' && utf8[7] == '-' && utf8[10] == 'T' && utf8[13] == ':' &&
            utf8[16] == ':' && utf8[19] == 'Z' &&
            TryDigits(utf8.Slice(0, 4), out var year) && TryDigits(utf8.Slice(5, 2), out var month) &&
            TryDigits(utf8.Slice(8, 2), out var day) && TryDigits(utf8.Slice(11, 2), out var hour) &&
            TryDigits(utf8.Slice(14, 2), out var minute) && TryDigits(utf8.Slice(17, 2), out var second) &&
            year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) &&
            hour < 24 && minute < 60 && second < 60)
        {
            value = new Instant(DaysFromCivil(year, month, day) * 86400L + hour * 3600L + minute * 60L + second);
            return true;
        }

        Span<char> chars = stackalloc char[64];
        if (utf8.Length <= chars.Length)
        {
            var n = System.Text.Encoding.UTF8.GetChars(utf8, chars);
            if (DateTimeOffset.TryParse(chars[..n], CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                value = new Instant(parsed.ToUnixTimeSeconds());
                return true;
            }
        }

        value = default;
        return false;
    }

    public static Instant Parse(string text) =>
        TryParse(System.Text.Encoding.UTF8.GetBytes(text), out var v) ? v : throw new FormatException($"Not an ISO-8601 timestamp: '{text}'");

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            var d = b - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = value * 10 + d;
        }

        return true;
    }

    // Howard Hinnant's days_from_civil: exact proleptic Gregorian day count without allocation.
    private static long DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097L + doe - 719468L;
    }
}
