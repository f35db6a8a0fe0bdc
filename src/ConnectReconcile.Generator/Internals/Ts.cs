namespace ConnectReconcile.Generator.Internals;

/// <summary>Instants are whole Unix seconds (UTC) inside the generator; formatted without DateTime.</summary>
internal static class Ts
{
    public static long FromDateTime(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;

    public static DateTime ToDateTime(long seconds) => DateTime.UnixEpoch.AddSeconds(seconds);

    /// <summary>Civil date from days since 1970-01-01 (H. Hinnant's algorithm).</summary>
    public static (int Year, int Month, int Day) Civil(long days)
    {
        days += 719468;
        var era = (days >= 0 ? days : days - 146096) / 146097;
        var doe = days - (era * 146097);
        var yoe = (doe - (doe / 1460) + (doe / 36524) - (doe / 146096)) / 365;
        var y = yoe + (era * 400);
        var doy = doe - ((365 * yoe) + (yoe / 4) - (yoe / 100));
        var mp = ((5 * doy) + 2) / 153;
        var d = doy - (((153 * mp) + 2) / 5) + 1;
        var m = mp < 10 ? mp + 3 : mp - 9;
        return ((int)(m <= 2 ? y + 1 : y), (int)m, (int)d);
    }

    /// <summary>Splits into date and time-of-day fields.</summary>
    public static void Split(long t, out int year, out int month, out int day, out int hour, out int minute, out int second)
    {
        var days = t >= 0 ? t / 86400 : ((t + 1) / 86400) - 1;
        var sod = (int)(t - (days * 86400));
        (year, month, day) = Civil(days);
        hour = sod / 3600;
        minute = sod / 60 % 60;
        second = sod % 60;
    }

    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ssZ</c> (20 bytes).</summary>
    public static void Format(long t, Span<byte> dest)
    {
        Split(t, out var y, out var mo, out var d, out var h, out var mi, out var s);
        D4(dest, y);
        dest[4] = (byte)'-';
        D2(dest[5..], mo);
        dest[7] = (byte)'-';
        D2(dest[8..], d);
        dest[10] = (byte)'T';
        D2(dest[11..], h);
        dest[13] = (byte)':';
        D2(dest[14..], mi);
        dest[16] = (byte)':';
        D2(dest[17..], s);
        dest[19] = (byte)'Z';
    }

    /// <summary><c>yyyy-MM-ddTHH:mm:ss.fffZ</c>: the millisecond form of agent events / EventBridge.</summary>
    public static string FormatMillis(long t, int millis)
    {
        Span<byte> b = stackalloc byte[20];
        Format(t, b);
        return System.Text.Encoding.ASCII.GetString(b[..19]) + "." + millis.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + "Z";
    }

    public static string ToIso(long t)
    {
        Span<byte> b = stackalloc byte[20];
        Format(t, b);
        return System.Text.Encoding.ASCII.GetString(b);
    }

    public static void D2(Span<byte> d, int v)
    {
        d[0] = (byte)('0' + (v / 10));
        d[1] = (byte)('0' + (v % 10));
    }

    public static void D4(Span<byte> d, int v)
    {
        d[0] = (byte)('0' + (v / 1000));
        d[1] = (byte)('0' + (v / 100 % 10));
        d[2] = (byte)('0' + (v / 10 % 10));
        d[3] = (byte)('0' + (v % 10));
    }
}
