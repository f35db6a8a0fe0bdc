using System.Collections.Frozen;

namespace ConnectReconcile.Core.Reference;

public static class NumberTypes
{
    public const string Did = "DID";
    public const string TollFree = "TOLL_FREE";
}

/// <summary>
/// What can be told from an E.164 number alone: its country (by calling code, NANP split by area
/// code for Canada) and whether it is toll-free (by a per-country prefix table). The number
/// inventory, when given, always wins over these guesses.
/// </summary>
public static class PhoneNumbers
{
    // ITU calling codes for the countries Connect sells telephony in (and their neighbours).
    private static readonly FrozenDictionary<string, string> CallingCodes = new Dictionary<string, string>
    {
        ["1"] = "US", ["7"] = "RU", ["20"] = "EG", ["27"] = "ZA", ["30"] = "GR", ["31"] = "NL", ["32"] = "BE",
        ["33"] = "FR", ["34"] = "ES", ["36"] = "HU", ["39"] = "IT", ["40"] = "RO", ["41"] = "CH", ["43"] = "AT",
        ["44"] = "GB", ["45"] = "DK", ["46"] = "SE", ["47"] = "NO", ["48"] = "PL", ["49"] = "DE", ["51"] = "PE",
        ["52"] = "MX", ["54"] = "AR", ["55"] = "BR", ["56"] = "CL", ["57"] = "CO", ["60"] = "MY", ["61"] = "AU",
        ["62"] = "ID", ["63"] = "PH", ["64"] = "NZ", ["65"] = "SG", ["66"] = "TH", ["81"] = "JP", ["82"] = "KR",
        ["84"] = "VN", ["86"] = "CN", ["90"] = "TR", ["91"] = "IN", ["351"] = "PT", ["352"] = "LU", ["353"] = "IE",
        ["354"] = "IS", ["358"] = "FI", ["420"] = "CZ", ["421"] = "SK", ["852"] = "HK", ["886"] = "TW",
        ["966"] = "SA", ["971"] = "AE", ["972"] = "IL",
    }.ToFrozenDictionary();

    private static readonly FrozenSet<string> CanadianAreaCodes = new[]
    {
        "204", "226", "236", "249", "250", "263", "289", "306", "343", "354", "365", "367", "382", "403", "416",
        "418", "428", "431", "437", "438", "450", "468", "474", "506", "514", "519", "548", "579", "581", "584",
        "587", "604", "613", "639", "647", "672", "683", "705", "709", "742", "753", "778", "780", "782", "807",
        "819", "825", "867", "873", "879", "902", "905",
    }.ToFrozenSet();

    /// <summary>Toll-free ranges by E.164 prefix (documented in docs/rating.md). NANP's are shared by US and CA.</summary>
    private static readonly string[] TollFreePrefixes =
    [
        "+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888", // NANP
        "+81120", "+81800", // Japan 0120, 0800
        "+44800", "+44808", // UK
        "+611800", // Australia 1800
        "+49800", // Germany
        "+33800", "+33805", // France
        "+3480", // Spain 800/900 freephone
        "+39800", // Italy
        "+65800", // Singapore
    ];

    public static string CountryOf(string? e164)
    {
        // Called for every dialled number of a month: digits go to the stack and are looked up as spans.
        Span<char> buffer = stackalloc char[32];
        var digits = Digits(e164, buffer);
        if (digits.Length == 0)
        {
            return "ZZ";
        }

        if (digits[0] == '1')
        {
            return digits.Length >= 4 && CanadianAreaCodesBySpan.Contains(digits.Slice(1, 3)) ? "CA" : "US";
        }

        for (var length = 3; length >= 1; length--)
        {
            if (digits.Length > length && CallingCodesBySpan.TryGetValue(digits[..length], out var country))
            {
                return country;
            }
        }

        return "ZZ";
    }

    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> CallingCodesBySpan = CallingCodes.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> CanadianAreaCodesBySpan = CanadianAreaCodes.GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool LooksTollFree(string? e164)
    {
        if (e164 is null)
        {
            return false;
        }

        foreach (var prefix in TollFreePrefixes)
        {
            if (e164.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A number as CTRs write it (E.164, <c>+81…</c>), from the forms spreadsheets and exports leave:
    /// a leading apostrophe, spaces, dashes, dots, brackets and a bracketed trunk zero dropped, a leading <c>00</c> read as the
    /// international prefix, and bare digits taken as E.164 without its plus. Anything else is kept as written (trimmed); blank is null.
    /// </summary>
    public static string? E164(string? number)
    {
        if (string.IsNullOrWhiteSpace(number))
        {
            return null;
        }

        // "+44 (0)20 …": the bracketed trunk zero is dialled at home only. A leading ' is a spreadsheet's
        // (or our CSV exports') guard against formulas.
        var kept = string.Concat(number.Trim().TrimStart('\'').Replace("(0)", "", StringComparison.Ordinal).Where(c => c is not (' ' or '-' or '.' or '(' or ')' or '\u00a0')));
        var digits = kept.StartsWith('+') ? kept[1..] : kept.StartsWith("00", StringComparison.Ordinal) ? kept[2..] : kept;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) ? "+" + digits : number.Trim();
    }

    /// <summary>
    /// Masks a number for logs and exports. Only its first and last digits stay: at most four of each,
    /// at most two thirds of them, and always at least four hidden, so a short number is not shown
    /// whole: <c>+819011112222</c> → <c>+8190****2222</c>, <c>+14155550123</c> → <c>+141****0123</c>,
    /// <c>+50022222</c> → <c>+50****22</c>. Formatting is dropped first, so a number written two ways
    /// masks the same, and the stars hide how many digits are missing.
    /// </summary>
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return string.Empty;
        }

        Span<char> buffer = stackalloc char[32];
        var digits = Digits(number, buffer);
        var shown = Math.Max(0, Math.Min(Math.Min(8, digits.Length * 2 / 3), digits.Length - 4));
        var tail = Math.Min(4, (shown + 1) / 2);
        var plus = number.AsSpan().TrimStart().StartsWith('+') ? "+" : "";
        return string.Concat(plus, digits[..(shown - tail)], "****", digits[(digits.Length - tail)..]);
    }

    /// <summary>The number's ASCII digits (at most the buffer's length: calling codes need only the first few).</summary>
    private static ReadOnlySpan<char> Digits(string? e164, Span<char> buffer)
    {
        var n = 0;
        foreach (var c in e164.AsSpan())
        {
            if (char.IsAsciiDigit(c) && n < buffer.Length)
            {
                buffer[n++] = c;
            }
        }

        return buffer[..n];
    }
}
