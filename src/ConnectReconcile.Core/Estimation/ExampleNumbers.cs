using System.Collections.Concurrent;
using System.Globalization;
using ConnectReconcile.Core.Reference;

namespace ConnectReconcile.Core.Estimation;

/// <summary>
/// Made-up E.164 numbers for synthetic calls, chosen so that <see cref="PhoneNumbers"/> reads them
/// back as the intended country (and, for toll-free numbers, as toll-free) — the rate lookup then
/// finds exactly the rows a real call to or from that country would.
/// </summary>
public static class ExampleNumbers
{
    private static readonly ConcurrentDictionary<string, string?> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// A geographic number in <paramref name="country"/> (ISO alpha-2), or for a destination given
    /// as an E.164 prefix (<c>+8190</c>) that prefix filled up to a full number. The
    /// <paramref name="variant"/> (0–99) changes the last digits so numbers can be told apart.
    /// </summary>
    public static string For(string destination, int variant = 0)
    {
        var suffix = (variant % 100).ToString("00", CultureInfo.InvariantCulture);
        if (destination.StartsWith('+'))
        {
            var digits = destination[1..];
            if (digits.Length == 0 || digits.Length > 13 || !digits.All(char.IsAsciiDigit))
            {
                throw new FormatException($"'{destination}' is not an E.164 prefix (+ and up to 13 digits).");
            }

            var body = digits.Length >= 9 ? digits : digits + new string('5', 9 - digits.Length);

            // A typo such as +99999 was priced as country ZZ: unrated, and the calls silently left out of the total.
            return PhoneNumbers.CountryOf("+" + body + suffix) == "ZZ"
                ? throw new FormatException($"'{destination}' starts with no country calling code known (ITU-T E.164, e.g. +44, +8190): give a prefix of a country's numbers or its ISO alpha-2 code.")
                : "+" + body + suffix;
        }

        var country = destination.ToUpperInvariant();
        var stem = Cache.GetOrAdd(country, Find)
            ?? throw new FormatException($"No calling code is known for country '{destination}'; give the destination as an E.164 prefix such as +44 instead.");
        return stem + suffix;
    }

    /// <summary>A toll-free number in the country where the prefix table knows one, else a geographic number.</summary>
    public static string TollFreeFor(string country, int variant = 0)
    {
        string? prefix = country.ToUpperInvariant() switch
        {
            "US" => "+1800", "CA" => "+1888", "JP" => "+81120", "GB" => "+44800", "AU" => "+611800",
            "DE" => "+49800", "FR" => "+33800", "ES" => "+3480", "IT" => "+39800", "SG" => "+65800",
            _ => null,
        };
        if (prefix is null)
        {
            return For(country, 50 + variant);
        }

        var candidate = For(prefix, 50 + variant);
        return PhoneNumbers.LooksTollFree(candidate) && string.Equals(PhoneNumbers.CountryOf(candidate), country, StringComparison.OrdinalIgnoreCase) ? candidate : For(country, 50 + variant);
    }

    private static string? Find(string country)
    {
        // The US, Canada and the other members of the North American plan share +1 and differ by area code.
        for (var area = 201; area <= 989; area++)
        {
            var stem = "+1" + area.ToString(CultureInfo.InvariantCulture) + "55501";
            if (PhoneNumbers.CountryOf(stem + "00") == country && !PhoneNumbers.LooksTollFree(stem + "00"))
            {
                return stem;
            }
        }

        for (var code = 2; code <= 999; code++)
        {
            var stem = "+" + code.ToString(CultureInfo.InvariantCulture) + "3555501";
            if (PhoneNumbers.CountryOf(stem + "00") == country && !PhoneNumbers.LooksTollFree(stem + "00"))
            {
                return stem;
            }
        }

        return null;
    }
}
