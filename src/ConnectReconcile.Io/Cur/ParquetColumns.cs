using System.Globalization;
using global::Parquet;
using global::Parquet.Data;
using global::Parquet.Schema;

namespace ConnectReconcile.Io.Cur;

/// <summary>
/// Column-at-a-time reading with Parquet.Net's low-level reader, tolerant of how producers encode
/// the same logical column (CUR money as DOUBLE, DECIMAL or text; times as TIMESTAMP, INT96, DATE or
/// text). Only the columns asked for are decoded.
/// </summary>
internal static class ParquetColumns
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Lower-case letters and digits only: <c>lineItem/UsageType</c>, <c>line_item_usage_type</c> → <c>lineitemusagetype</c>.</summary>
    public static string Normalize(string name)
    {
        Span<char> buffer = stackalloc char[Math.Min(name.Length, 256)];
        var n = 0;
        foreach (var ch in name)
        {
            if (char.IsAsciiLetterOrDigit(ch) && n < buffer.Length)
            {
                buffer[n++] = char.ToLowerInvariant(ch);
            }
        }

        return new string(buffer[..n]);
    }

    /// <summary>Opens a seekable stream: Parquet needs to seek to its footer (S3 streams are copied to a temp file first).</summary>
    public static async Task<Stream> SeekableAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (stream.CanSeek)
        {
            return stream;
        }

        var temp = new FileStream(Path.Combine(Path.GetTempPath(), "cr-" + Guid.NewGuid().ToString("N") + ".tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        await using (stream.ConfigureAwait(false))
        {
            await stream.CopyToAsync(temp, cancellationToken).ConfigureAwait(false);
        }

        temp.Position = 0;
        return temp;
    }

    /// <summary>A text column's values; with a <paramref name="pool"/>, one string per distinct value instead of one per row.</summary>
    public static async Task<string?[]> StringsAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct, ColumnValuePool? pool = null)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field, ct).ConfigureAwait(false);
        return raw switch
        {
            RawColumnData<ReadOnlyMemory<char>> s => pool is null ? Unpack(s, field, rows, v => v.ToString()) : Unpack(s, field, rows, v => pool.Get(v.Span)),
            RawColumnData<ReadOnlyMemory<byte>> b => pool is null ? Unpack(b, field, rows, v => System.Text.Encoding.UTF8.GetString(v.Span)) : Unpack(b, field, rows, v => pool.Get(v.Span)),
            RawColumnData<double> d => Unpack(d, field, rows, v => v.ToString("R", C)),
            RawColumnData<float> f => Unpack(f, field, rows, v => v.ToString("R", C)),
            RawColumnData<decimal> m => Unpack(m, field, rows, v => v.ToString(C)),
            RawColumnData<long> l => Unpack(l, field, rows, v => v.ToString(C)),
            RawColumnData<int> i => Unpack(i, field, rows, v => v.ToString(C)),
            RawColumnData<bool> b => Unpack(b, field, rows, v => v ? "true" : "false"),
            RawColumnData<DateTime> t => Unpack(t, field, rows, v => v.ToString("o", C)),
            _ => throw Unsupported(field, raw),
        };
    }

    /// <summary>
    /// A money or quantity column: the values (null where the row has none), and where a row holds
    /// something that is no number (text such as <c>n/a</c>, a NaN), that text, so the line is reported
    /// rather than read as zero (<c>NotNumbers</c> is null for a column whose type holds numbers only).
    /// </summary>
    public static async Task<(decimal?[] Values, string?[]? NotNumbers)> DecimalsAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field, ct).ConfigureAwait(false);
        return raw switch
        {
            RawColumnData<double> d => Money(Unpack(d, field, rows, v => (double?)v)),
            RawColumnData<float> f => (Unpack(f, field, rows, v => Math.Abs(v) < 7.9e28f ? (decimal?)(decimal)v : null), null), // float's own 7-digit conversion
            RawColumnData<decimal> m => (Unpack(m, field, rows, v => (decimal?)v), null),
            RawColumnData<long> l => (Unpack(l, field, rows, v => (decimal?)v), null),
            RawColumnData<int> i => (Unpack(i, field, rows, v => (decimal?)v), null),
            RawColumnData<ReadOnlyMemory<char>> s => ParseDecimals(Unpack(s, field, rows, v => (ReadOnlyMemory<char>?)v)),
            RawColumnData<ReadOnlyMemory<byte>> b => Parse(Unpack(b, field, rows, v => System.Text.Encoding.UTF8.GetString(v.Span)), ParseDecimal),
            _ => throw Unsupported(field, raw),
        };
    }

    /// <summary>
    /// <see cref="Parse{T}"/> for decimals in text, read from the column's own characters: CUR 2.0 writes
    /// <c>line_item_unblended_rate</c> as text, and a string per row was garbage for every line read.
    /// Only a text that is no number becomes a string.
    /// </summary>
    private static (decimal?[] Values, string?[]? Rejected) ParseDecimals(ReadOnlyMemory<char>?[] texts)
    {
        var values = new decimal?[texts.Length];
        var rejected = new string?[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is { } text && !text.Span.IsWhiteSpace())
            {
                values[i] = ParseDecimal(text.Span);
                rejected[i] = values[i] is null ? text.ToString() : null;
            }
        }

        return (values, rejected);
    }

    /// <summary>A time column, with the text of rows whose text is no ISO time (see <see cref="DecimalsAsync"/>).</summary>
    public static async Task<(DateTime?[] Values, string?[]? NotTimes)> TimesAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field, ct).ConfigureAwait(false);
        return raw switch
        {
            RawColumnData<DateTime> t => (Unpack(t, field, rows, v => (DateTime?)AsUtc(v)), null),
            RawColumnData<DateTimeOffset> o => (Unpack(o, field, rows, v => (DateTime?)v.UtcDateTime), null),
            RawColumnData<DateOnly> d => (Unpack(d, field, rows, v => (DateTime?)v.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)), null),
            RawColumnData<ReadOnlyMemory<char>> s => Parse(Unpack(s, field, rows, v => v.ToString()), ParseTime),
            RawColumnData<long> l => (Unpack(l, field, rows, v => (DateTime?)DateTime.UnixEpoch.AddMilliseconds(v)), null),
            _ => throw Unsupported(field, raw),
        };
    }

    public static async Task<long?[]> LongsAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field, ct).ConfigureAwait(false);
        return raw switch
        {
            RawColumnData<long> l => Unpack(l, field, rows, v => (long?)v),
            RawColumnData<int> i => Unpack(i, field, rows, v => (long?)v),
            RawColumnData<double> d => Unpack(d, field, rows, v => (long?)v),
            RawColumnData<decimal> m => Unpack(m, field, rows, v => (long?)v),
            _ => throw Unsupported(field, raw),
        };
    }

    /// <summary>Converts each present text; one that does not convert leaves null and its text.</summary>
    private static (T?[] Values, string?[]? Rejected) Parse<T>(string?[] texts, Func<string, T?> convert)
        where T : struct
    {
        var values = new T?[texts.Length];
        var rejected = new string?[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(texts[i]))
            {
                values[i] = convert(texts[i]!);
                rejected[i] = values[i] is null ? texts[i] : null;
            }
        }

        return (values, rejected);
    }

    /// <summary>Doubles as money; NaN, infinities and values beyond decimal's range leave null and their text.</summary>
    private static (decimal?[] Values, string?[]? Rejected) Money(double?[] doubles)
    {
        var values = new decimal?[doubles.Length];
        var rejected = new string?[doubles.Length];
        for (var i = 0; i < doubles.Length; i++)
        {
            if (doubles[i] is { } d)
            {
                values[i] = Money(d);
                rejected[i] = values[i] is null ? d.ToString("R", C) : null;
            }
        }

        return (values, rejected);
    }

    /// <summary>
    /// A map&lt;string,string&gt; column (CUR 2.0 <c>resource_tags</c>): per row the first non-empty value
    /// whose key <paramref name="isKey"/> accepts, null when none does. Only that value is kept: a list
    /// of every row's entries was a granular CUR's largest garbage after its resource ids.
    /// </summary>
    public static async Task<string?[]> MapValueAsync(ParquetRowGroupReader group, DataField keyField, DataField valueField, int rows, Func<string, bool> isKey,
        ColumnValuePool keyPool, ColumnValuePool valuePool, CancellationToken ct)
    {
        using var keys = await group.ReadRawColumnDataBaseAsync(keyField, ct).ConfigureAwait(false);
        using var values = await group.ReadRawColumnDataBaseAsync(valueField, ct).ConfigureAwait(false);
        if (keys is not RawColumnData<ReadOnlyMemory<char>> k || values is not RawColumnData<ReadOnlyMemory<char>> v)
        {
            throw new FormatException($"Map column '{keyField.Path}' is not a map of strings.");
        }

        var result = new string?[rows];
        var kdl = k.DefinitionLevels;
        var krl = k.RepetitionLevels;
        var vdl = v.DefinitionLevels;
        var kv = k.Values;
        var vv = v.Values;
        int row = -1, ki = 0, vi = 0;
        for (var i = 0; i < kdl.Length; i++)
        {
            if (krl[i] == 0)
            {
                row++;
            }

            var hasKey = kdl[i] == keyField.MaxDefinitionLevel;
            ReadOnlyMemory<char>? value = vdl[i] == valueField.MaxDefinitionLevel ? vv[vi++] : null;
            if (!hasKey)
            {
                continue;
            }

            var key = keyPool.Get(kv[ki++].Span);
            if (row >= 0 && row < rows && result[row] is null && value is { IsEmpty: false } found && isKey(key))
            {
                result[row] = valuePool.Get(found.Span);
            }
        }

        return result;
    }

    /// <summary>Spreads a column's defined values over its rows (absent rows stay default: null for nullable outputs).</summary>
    private static TOut[] Unpack<TRaw, TOut>(RawColumnData<TRaw> raw, DataField field, int rows, Func<TRaw, TOut> convert)
        where TRaw : struct
    {
        var result = new TOut[rows];
        var values = raw.Values;
        if (field.MaxDefinitionLevel == 0)
        {
            for (var i = 0; i < rows && i < values.Length; i++)
            {
                result[i] = convert(values[i]);
            }

            return result;
        }

        var levels = raw.DefinitionLevels;
        var v = 0;
        for (var i = 0; i < rows && i < levels.Length; i++)
        {
            if (levels[i] == field.MaxDefinitionLevel)
            {
                result[i] = convert(values[v++]);
            }
        }

        return result;
    }

    public static DateTime AsUtc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Utc => t,
        DateTimeKind.Local => t.ToUniversalTime(),
        _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
    };

    public static decimal? ParseDecimal(string? text) => ParseDecimal(text.AsSpan());

    public static decimal? ParseDecimal(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.IsEmpty || IsPhoneNumber(text))
        {
            return null;
        }

        if (decimal.TryParse(text, NumberStyles.Float, C, out var d))
        {
            return d;
        }

        // What decimal.TryParse refuses but a double reads.
        return double.TryParse(text, NumberStyles.Float, C, out var x) ? Money(x) : null;
    }

    /// <summary>
    /// A '+' and 7 to 15 digits, nothing else: an E.164 phone number (a customer's, pasted into the column), which
    /// reads as a number far below the 10^12 cap. AWS writes no amount with a plus, so it is no amount.
    /// </summary>
    private static bool IsPhoneNumber(ReadOnlySpan<char> text) =>
        text is ['+', .. var digits] && digits.Length is >= 7 and <= 15 && !digits.ContainsAnyExceptInRange('0', '9');

    /// <summary>The double as decimal, or null when it is no amount of money: NaN, infinite, or beyond decimal's ~7.9e28 (the cast would throw).</summary>
    private static decimal? Money(double value) => Math.Abs(value) < 7.9e28 ? (decimal)value : null;

    public static DateTime? ParseTime(string? text)
    {
        // ISO dates only (yyyy-MM-dd, then any time and offset): the parser alone would read "5 Oct" in
        // the current year and 05/10/2026 as May, neither of which an invoice means.
        var t = text.AsSpan().Trim();
        if (t.Length < 10 || !char.IsAsciiDigit(t[0]) || !char.IsAsciiDigit(t[3]) || t[4] != '-' || t[7] != '-')
        {
            return null;
        }

        return DateTimeOffset.TryParse(t, C, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time.UtcDateTime : null;
    }

    private static FormatException Unsupported(DataField field, RawColumnData raw) =>
        new($"Column '{field.Path}' has an unsupported type ({raw.GetType().GenericTypeArguments.FirstOrDefault()?.Name ?? raw.GetType().Name}).");
}

/// <summary>
/// One string per distinct value of a column whose values repeat (usage type, product, unit,
/// description, …). Decoding made a new string per row: a row group of a granular CUR is ~250 k lines,
/// each holding several copies of the same few texts until the group is read. Up to
/// <see cref="Capacity"/> values are kept, so a column of unique values costs a lookup, not memory.
/// Not thread-safe: one reader's.
/// </summary>
internal sealed class ColumnValuePool
{
    public const int Capacity = 4096;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public ColumnValuePool()
    {
        _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _strings.Count;

    public string Get(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return "";
        }

        if (_lookup.TryGetValue(value, out var pooled))
        {
            return pooled;
        }

        var text = value.ToString();
        if (_strings.Count < Capacity)
        {
            _strings.Add(text, text);
        }

        return text;
    }

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 1024)
        {
            return System.Text.Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[System.Text.Encoding.UTF8.GetMaxCharCount(utf8.Length)];
        return Get(chars[..System.Text.Encoding.UTF8.GetChars(utf8, chars)]);
    }
}
