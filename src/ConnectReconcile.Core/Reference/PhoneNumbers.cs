using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;

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
public static partial class PhoneNumbers
{
    // ITU-T E.164 country calling codes (zone 1 is split by area code below). Codes are prefix-free,
    // except that Kazakhstan's 76 and 77 sit inside Russia's 7, so the longest match wins. Satellite and
    // international-network codes (870, 881–883) have no country and stay ZZ.
    private static readonly FrozenDictionary<string, string> CallingCodes = new Dictionary<string, string>
    {
        ["1"] = "US", ["7"] = "RU", ["76"] = "KZ", ["77"] = "KZ", ["20"] = "EG", ["211"] = "SS", ["212"] = "MA",
        ["213"] = "DZ", ["216"] = "TN", ["218"] = "LY", ["220"] = "GM", ["221"] = "SN", ["222"] = "MR",
        ["223"] = "ML", ["224"] = "GN", ["225"] = "CI", ["226"] = "BF", ["227"] = "NE", ["228"] = "TG",
        ["229"] = "BJ", ["230"] = "MU", ["231"] = "LR", ["232"] = "SL", ["233"] = "GH", ["234"] = "NG",
        ["235"] = "TD", ["236"] = "CF", ["237"] = "CM", ["238"] = "CV", ["239"] = "ST", ["240"] = "GQ",
        ["241"] = "GA", ["242"] = "CG", ["243"] = "CD", ["244"] = "AO", ["245"] = "GW", ["246"] = "IO",
        ["247"] = "SH", ["248"] = "SC", ["249"] = "SD", ["250"] = "RW", ["251"] = "ET", ["252"] = "SO",
        ["253"] = "DJ", ["254"] = "KE", ["255"] = "TZ", ["256"] = "UG", ["257"] = "BI", ["258"] = "MZ",
        ["260"] = "ZM", ["261"] = "MG", ["262"] = "RE", ["263"] = "ZW", ["264"] = "NA", ["265"] = "MW",
        ["266"] = "LS", ["267"] = "BW", ["268"] = "SZ", ["269"] = "KM", ["27"] = "ZA", ["290"] = "SH",
        ["291"] = "ER", ["297"] = "AW", ["298"] = "FO", ["299"] = "GL", ["30"] = "GR", ["31"] = "NL", ["32"] = "BE",
        ["33"] = "FR", ["34"] = "ES", ["350"] = "GI", ["351"] = "PT", ["352"] = "LU", ["353"] = "IE", ["354"] = "IS",
        ["355"] = "AL", ["356"] = "MT", ["357"] = "CY", ["358"] = "FI", ["359"] = "BG", ["36"] = "HU",
        ["370"] = "LT", ["371"] = "LV", ["372"] = "EE", ["373"] = "MD", ["374"] = "AM", ["375"] = "BY",
        ["376"] = "AD", ["377"] = "MC", ["378"] = "SM", ["380"] = "UA", ["381"] = "RS", ["382"] = "ME",
        ["383"] = "XK", ["385"] = "HR", ["386"] = "SI", ["387"] = "BA", ["389"] = "MK", ["39"] = "IT", ["40"] = "RO",
        ["41"] = "CH", ["420"] = "CZ", ["421"] = "SK", ["423"] = "LI", ["43"] = "AT", ["44"] = "GB", ["45"] = "DK",
        ["46"] = "SE", ["47"] = "NO", ["48"] = "PL", ["49"] = "DE", ["500"] = "FK", ["501"] = "BZ", ["502"] = "GT",
        ["503"] = "SV", ["504"] = "HN", ["505"] = "NI", ["506"] = "CR", ["507"] = "PA", ["508"] = "PM",
        ["509"] = "HT", ["51"] = "PE", ["52"] = "MX", ["53"] = "CU", ["54"] = "AR", ["55"] = "BR", ["56"] = "CL",
        ["57"] = "CO", ["58"] = "VE", ["590"] = "GP", ["591"] = "BO", ["592"] = "GY", ["593"] = "EC", ["594"] = "GF",
        ["595"] = "PY", ["596"] = "MQ", ["597"] = "SR", ["598"] = "UY", ["599"] = "CW", ["60"] = "MY", ["61"] = "AU",
        ["62"] = "ID", ["63"] = "PH", ["64"] = "NZ", ["65"] = "SG", ["66"] = "TH", ["670"] = "TL", ["672"] = "NF",
        ["673"] = "BN", ["674"] = "NR", ["675"] = "PG", ["676"] = "TO", ["677"] = "SB", ["678"] = "VU",
        ["679"] = "FJ", ["680"] = "PW", ["681"] = "WF", ["682"] = "CK", ["683"] = "NU", ["685"] = "WS",
        ["686"] = "KI", ["687"] = "NC", ["688"] = "TV", ["689"] = "PF", ["690"] = "TK", ["691"] = "FM",
        ["692"] = "MH", ["81"] = "JP", ["82"] = "KR", ["84"] = "VN", ["850"] = "KP", ["852"] = "HK", ["853"] = "MO",
        ["855"] = "KH", ["856"] = "LA", ["86"] = "CN", ["880"] = "BD", ["886"] = "TW", ["90"] = "TR", ["91"] = "IN",
        ["92"] = "PK", ["93"] = "AF", ["94"] = "LK", ["95"] = "MM", ["960"] = "MV", ["961"] = "LB", ["962"] = "JO",
        ["963"] = "SY", ["964"] = "IQ", ["965"] = "KW", ["966"] = "SA", ["967"] = "YE", ["968"] = "OM",
        ["970"] = "PS", ["971"] = "AE", ["972"] = "IL", ["973"] = "BH", ["974"] = "QA", ["975"] = "BT",
        ["976"] = "MN", ["977"] = "NP", ["98"] = "IR", ["992"] = "TJ", ["993"] = "TM", ["994"] = "AZ",
        ["995"] = "GE", ["996"] = "KG", ["998"] = "UZ",
    }.ToFrozenDictionary();

    // The North American Numbering Plan's members besides the US and Canada, by area code: a call to
    // Jamaica is dialled +1 876 … but priced as Jamaica, not as a US call.
    private static readonly FrozenDictionary<string, string> NanpAreaCodes = new Dictionary<string, string>
    {
        ["242"] = "BS", ["246"] = "BB", ["264"] = "AI", ["268"] = "AG", ["284"] = "VG", ["340"] = "VI",
        ["345"] = "KY", ["441"] = "BM", ["473"] = "GD", ["649"] = "TC", ["658"] = "JM", ["664"] = "MS",
        ["670"] = "MP", ["671"] = "GU", ["684"] = "AS", ["721"] = "SX", ["758"] = "LC", ["767"] = "DM",
        ["784"] = "VC", ["787"] = "PR", ["809"] = "DO", ["829"] = "DO", ["849"] = "DO", ["868"] = "TT",
        ["869"] = "KN", ["876"] = "JM", ["939"] = "PR",
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
        "+33800", "+33801", "+33802", "+33803", "+33804", "+33805", // France 0800-0805 (free calls)
        "+34800", "+34900", // Spain 800/900 freephone (803, 806, 807 are premium rate)
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

        if (digits[0] == '1' && digits.Length >= 4)
        {
            var area = digits.Slice(1, 3);
            return CanadianAreaCodesBySpan.Contains(area) ? "CA" : NanpAreaCodesBySpan.TryGetValue(area, out var member) ? member : "US";
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
    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> NanpAreaCodesBySpan = NanpAreaCodes.GetAlternateLookup<ReadOnlySpan<char>>();
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
        // (or our CSV exports') guard against formulas. Spaces and dashes of every kind: a number copied
        // from a document carries no-break spaces and non-breaking hyphens.
        var kept = string.Concat(number.Trim().TrimStart('\'').Replace("(0)", "", StringComparison.Ordinal).Where(c => c is not ('.' or '(' or ')')
            && char.GetUnicodeCategory(c) is not (UnicodeCategory.SpaceSeparator or UnicodeCategory.DashPunctuation)));
        var digits = kept.StartsWith('+') ? kept[1..] : kept.StartsWith("00", StringComparison.Ordinal) ? kept[2..] : kept;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) ? "+" + digits : number.Trim();
    }

    /// <summary>
    /// Whether <paramref name="number"/> is written with its country code marked, by '+' or the international
    /// prefix 00. Without one, <see cref="E164"/> reads its first digits as the country code, which a national
    /// form gets wrong: <c>(206) 555-0147</c> reads as <c>+2065550147</c>, a number in Egypt.
    /// </summary>
    public static bool MarksItsCountryCode(string number) =>
        number.Trim().TrimStart('\'').TrimStart() is var t && (t.StartsWith('+') || t.StartsWith("00", StringComparison.Ordinal));

    /// <summary>Whether <paramref name="number"/> is written as E.164: a '+' and digits only.</summary>
    public static bool IsE164(string? number) => number is ['+', _, ..] && number.AsSpan(1).ContainsAnyExceptInRange('0', '9') is false;

    /// <summary>
    /// The number in E.164 however it is written (<see cref="E164"/>), or null when it is no number
    /// (<c>anonymous</c>, <c>Softphone</c>, a SIP address); one already in E.164 is returned as it is.
    /// </summary>
    public static string? AsE164(string? number) =>
        IsE164(number) ? number : E164(number) is { } written && IsE164(written) ? written : null;

    /// <summary>An ISO 3166 alpha-2 country code as calls and cards name countries: two upper-case letters (US, GB, JP).</summary>
    public static bool IsCountryCode(string code) => code.Length == 2 && code.All(char.IsAsciiLetterUpper);

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

        // A tel: URI masks as the number it names: its '+' kept, its parameters' digits (;ext=12) not mixed in.
        var text = TelUriNumber(number.AsSpan().Trim());

        Span<char> buffer = stackalloc char[32];
        var digits = Digits(text, buffer);
        var shown = Math.Max(0, Math.Min(Math.Min(8, digits.Length * 2 / 3), digits.Length - 4));
        var tail = Math.Min(4, (shown + 1) / 2);
        var plus = text.TrimStart().StartsWith('+') ? "+" : "";
        return string.Concat(plus, digits[..(shown - tail)], "****", digits[(digits.Length - tail)..]);
    }

    /// <summary>
    /// Masks a number as the legs carry it: its E.164 form where it is a telephone number (<see cref="AsE164"/>),
    /// else as written. So one number however a record writes it (<c>0081 90 3333 4444</c>, <c>+81 90…</c>) masks
    /// the same in every table: <c>+8190****4444</c>.
    /// </summary>
    public static string MaskDialled(string number) => Mask(AsE164(number) ?? number);

    /// <summary>
    /// Text with every run that reads as a phone number masked (<see cref="Mask"/>): a '+' and 7 or more
    /// digits, or 9 or more digits, with any run of separators between them: spaces and dashes of any
    /// kind (a spreadsheet's no-break space or non-breaking hyphen), dots and brackets. For messages
    /// that quote a user's file; a date (8 digits) or a small count stays as it is.
    /// </summary>
    public static string MaskNumbersIn(string text) =>
        NumberLike().Replace(text, m => m.Value.StartsWith('+') || m.Value.Count(char.IsDigit) >= 9 ? Mask(m.Value) : m.Value);

    /// <summary>
    /// Whether <paramref name="text"/> is a phone number however it is dressed: no letters (but a <c>tel:</c> scheme),
    /// and 7 to 15 digits after a plus (ASCII or full-width), or 9 to 15 digits, with anything else between them
    /// (brackets, quotes, spaces of any kind, '#'): <see cref="MaskNumbersIn"/>'s rule, with E.164's 15 digits at most.
    /// For fields meant for an id or a region, where a customer's number must not pass as one (a UUID has letters,
    /// or 32 digits).
    /// </summary>
    public static bool ReadsAsNumber(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = AfterTelScheme(text.AsSpan().Trim());

        // Letters first: the ids and ARNs this is asked about nearly always have some (ASCII ones: one vectorised scan).
        if (span.ContainsAnyInRange('a', 'z') || span.ContainsAnyInRange('A', 'Z'))
        {
            return false;
        }

        var (digits, plus) = (0, false);
        foreach (var c in span)
        {
            if (char.IsDigit(c))
            {
                digits++;
            }
            else if (char.IsLetter(c))
            {
                return false;
            }
            else if (digits == 0 && c is '+' or '\uFF0B')
            {
                plus = true;
            }
        }

        return digits <= 15 && (digits >= 9 || (plus && digits >= 7));
    }

    /// <summary>
    /// The number a <c>tel:</c> URI names (RFC 3966: <c>tel:+81-90-1234-5678;ext=1</c>) in E.164, as <see cref="AsE164"/>
    /// reads what lies between the scheme and its parameters; null when the text is no <c>tel:</c> URI or names no number.
    /// </summary>
    public static string? TelUriAsE164(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.AsSpan().Trim();
        var named = TelUriNumber(trimmed);
        return named.Length == trimmed.Length ? null : AsE164(named.ToString());
    }

    // The one reading of a tel: scheme, for ReadsAsNumber, Mask and TelUriAsE164 alike.
    private static ReadOnlySpan<char> AfterTelScheme(ReadOnlySpan<char> text) =>
        text.StartsWith("tel:", StringComparison.OrdinalIgnoreCase) ? text[4..] : text;

    /// <summary>What a <c>tel:</c> URI names: the part between its scheme and its parameters; other text as it is.</summary>
    private static ReadOnlySpan<char> TelUriNumber(ReadOnlySpan<char> text)
    {
        var named = AfterTelScheme(text);
        return named.Length == text.Length ? text : named.IndexOf(';') is >= 0 and var parameters ? named[..parameters] : named;
    }

    // \d is any decimal digit (full-width ones too): a number in digits Mask does not keep is hidden whole.
    [GeneratedRegex(@"\+?\(?\d(?:[\p{Zs}\p{Pd}.()]*\d){6,}", RegexOptions.CultureInvariant)]
    private static partial Regex NumberLike();

    /// <summary>The number's ASCII digits (at most the buffer's length: calling codes need only the first few).</summary>
    private static ReadOnlySpan<char> Digits(ReadOnlySpan<char> e164, Span<char> buffer)
    {
        var n = 0;
        foreach (var c in e164)
        {
            if (char.IsAsciiDigit(c) && n < buffer.Length)
            {
                buffer[n++] = c;
            }
        }

        return buffer[..n];
    }
}
