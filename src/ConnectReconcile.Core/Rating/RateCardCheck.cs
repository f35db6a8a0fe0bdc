using System.Text.RegularExpressions;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Reference;

namespace ConnectReconcile.Core.Rating;

/// <summary>
/// The checks a card passes when it is read (docs/rate-card.md lists them). Each refuses something that would
/// not fail a run, only misprice it or leave charges unrated under names no invoice line carries; the message
/// names the row or entry and says what is expected.
/// </summary>
public sealed partial class RateCard
{
    /// <summary>The pricing models Amazon Connect bills under; any other name is a typo no instance is ever on.</summary>
    public static readonly IReadOnlyList<string> KnownPricingModels = [PricingModels.PerFeature, PricingModels.UnlimitedAi];

    /// <summary>What a usage-type template may hold besides text: the region's code and the far end's country.</summary>
    public static readonly IReadOnlyList<string> Placeholders = ["{REGION}", "{CC}"];

    /// <summary>The usage types AWS bills a kind under, only to suggest an entry a card's <c>usageTypes</c> lacks.</summary>
    private static readonly Dictionary<string, string> ExampleUsageTypes = new(StringComparer.Ordinal)
    {
        [ChargeKinds.Service] = "{REGION}-end-customer-mins",
        [ChargeKinds.TelephonyInboundDid] = "{REGION}-{CC}-did-inbound-mins",
        [ChargeKinds.TelephonyInboundTollFree] = "{REGION}-{CC}-tollfree-inbound-mins",
        [ChargeKinds.TelephonyOutbound] = "{REGION}-{CC}-outbound-mins",
        [ChargeKinds.ContactLens] = "{REGION}-ContactLens-voice-mins",
        [ChargeKinds.NumberDaysDid] = "{REGION}-{CC}-did-numbers",
        [ChargeKinds.NumberDaysTollFree] = "{REGION}-{CC}-tollfree-numbers",
    };

    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionShape();

    [GeneratedRegex(@"\{[^{}]*\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    /// <summary>The unit a metered charge kind is priced in; null for a channel's per-unit kind (or an unknown kind).</summary>
    private static string? UnitOf(string chargeKind) => chargeKind switch
    {
        ChargeKinds.NumberDaysDid or ChargeKinds.NumberDaysTollFree => Units.NumberDay,
        _ when ChargeKinds.Voice.Contains(chargeKind) => Units.Minute,
        _ => null,
    };

    /// <summary>A non-voice channel's kind, as <see cref="ChargeKinds.ForChannel"/> makes it: lower-case letters.</summary>
    private static bool IsChannel(string chargeKind) => chargeKind.Length > 0 && chargeKind.All(char.IsAsciiLetterLower);

    /// <summary>
    /// The voice and number kinds an instance on <paramref name="pricingModel"/> is charged: a card's <c>usageTypes</c>
    /// names each, as a charge no row prices is reported under that name (unlimited AI includes Contact Lens).
    /// </summary>
    private static IEnumerable<string> KindsCharged(string pricingModel) =>
        ChargeKinds.Voice.Where(k => !(pricingModel == PricingModels.UnlimitedAi && k == ChargeKinds.ContactLens))
            .Concat([ChargeKinds.NumberDaysDid, ChargeKinds.NumberDaysTollFree]);

    private static string Known(IEnumerable<string> names) => string.Join(", ", names);

    private static void Check(RateCard card)
    {
        if (card.Currency.Length != 3 || !card.Currency.All(char.IsAsciiLetterUpper))
        {
            throw new FormatException($"Rate card currency '{card.Currency}' is not an ISO 4217 code of three upper-case letters (like USD, EUR, JPY): outputs and invoices name the currency so.");
        }

        if (card.Rows.Count == 0)
        {
            throw new FormatException("Rate card has no rows: it would price nothing and leave every charge unrated.");
        }

        foreach (var row in card.Rows)
        {
            CheckRow(row);
        }

        CheckRowsTogether(card.Rows);
        CheckInstances(card);
        CheckUsageTypes(card);
        CheckRegionCodes(card);
    }

    private static void CheckRow(RateRow row)
    {
        if (row.FirstIncrement < 0 || row.Increment < 1)
        {
            throw new FormatException($"Rate card row {row.Id}: increments must be firstIncrement ≥ 0 and increment ≥ 1.");
        }

        // A typo here would not fail a run, only leave every charge it meant to price unrated or mispriced.
        if (row.Price < 0)
        {
            throw new FormatException($"Rate card row {row.Id}: price {row.Price} is negative (credits are invoice lines, not prices).");
        }

        // Far above any Connect price in any currency, and low enough that a charge's cost fits the outputs' DECIMAL(24,12).
        if (row.Price >= MaxPrice)
        {
            throw new FormatException($"Rate card row {row.Id}: price {row.Price} is not below {MaxPrice} per {row.Unit}: a misplaced decimal point?");
        }

        if (decimal.Round(row.Price, PriceDecimals) != row.Price)
        {
            throw new FormatException($"Rate card row {row.Id}: price {row.Price} has more than {PriceDecimals} decimal places: outputs keep a rate to {PriceDecimals} " +
                $"(DECIMAL(18,{PriceDecimals})), so an export's rate × quantity would not give its cost; round the price.");
        }

        if (!RegionShape().IsMatch(row.Region))
        {
            throw new FormatException($"Rate card row {row.Id}: region '{row.Region}' is not an AWS region code like us-east-1 or ap-northeast-1, so no contact is ever in it.");
        }

        if (!KnownPricingModels.Contains(row.PricingModel))
        {
            throw new FormatException($"Rate card row {row.Id}: pricing model '{row.PricingModel}' is not one of {Known(KnownPricingModels)}, so no instance is ever on it; misspelt?");
        }

        if (row.Country is { } country && !PhoneNumbers.IsCountryCode(country))
        {
            throw new FormatException($"Rate card row {row.Id}: country '{country}' is not an ISO 3166 alpha-2 code in upper case (like US, GB, JP), so it matches no call or number.");
        }

        if (row.Prefix is { } prefix && (prefix.Length < 2 || prefix[0] != '+' || prefix.AsSpan(1).ContainsAnyExceptInRange('0', '9')))
        {
            throw new FormatException($"Rate card row {row.Id}: prefix '{prefix}' is not an E.164 prefix like +1206, so it matches no number.");
        }

        // Only telephony and numbers have a far end: the rater asks these rows for no country or number.
        if ((row.Country is not null || row.Prefix is not null) && !ChargeKinds.HasFarEnd(row.ChargeKind))
        {
            throw new FormatException($"Rate card row {row.Id}: a {row.ChargeKind} row has {(row.Country is null ? $"prefix '{row.Prefix}'" : $"country '{row.Country}'")}, " +
                "but only telephony and number-day charges have a far end's country and number, so the row would match nothing; leave it out.");
        }

        if (row.EffectiveTo is { } to && to <= row.EffectiveFrom)
        {
            throw new FormatException($"Rate card row {row.Id}: effectiveTo {to:yyyy-MM-dd} (exclusive) is not after effectiveFrom {row.EffectiveFrom:yyyy-MM-dd}, so the row never applies.");
        }

        if (UnitOf(row.ChargeKind) is { } unit ? unit != row.Unit : row.Unit != Units.Unit || !IsChannel(row.ChargeKind))
        {
            throw new FormatException($"Rate card row {row.Id}: charge kind '{row.ChargeKind}' with unit '{row.Unit}': " +
                $"{string.Join(", ", ChargeKinds.Voice)} are per minute, {ChargeKinds.NumberDaysDid} and {ChargeKinds.NumberDaysTollFree} per number-day, " +
                "and a channel's kind (chat, task, email) per unit.");
        }

        CheckTemplate($"Rate card row {row.Id}: usage type", row.UsageType);
    }

    /// <summary>A usage-type template holds only the known placeholders, its braces paired.</summary>
    private static void CheckTemplate(string what, string template)
    {
        foreach (Match m in Placeholder().Matches(template))
        {
            if (!Placeholders.Contains(m.Value))
            {
                throw new FormatException($"{what} '{template}' has {m.Value}, which is not a placeholder of the format ({Known(Placeholders)}); misspelt?");
            }
        }

        if (Placeholder().Replace(template, "").AsSpan().ContainsAny('{', '}'))
        {
            throw new FormatException($"{what} '{template}' has a brace that opens or closes no placeholder ({Known(Placeholders)}).");
        }
    }

    private static void CheckRowsTogether(IReadOnlyList<RateRow> rows)
    {
        // Outputs name the row that priced a charge by its id: two rows with one id could not be told apart.
        if (rows.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new FormatException($"Rate card rows {twice.Count()} times have the id '{twice.Key}': ids must be unique.");
        }

        // Of two rows for the same case, the later effectiveFrom wins (a new price supersedes the old);
        // from the same day, the file's order would decide, so a card that says both is refused.
        if (rows.GroupBy(r => (r.ChargeKind, r.Region, r.PricingModel, r.Country, r.Prefix, r.EffectiveFrom)).FirstOrDefault(g => g.Count() > 1) is { } same)
        {
            throw new FormatException($"Rate card rows {string.Join(" and ", same.Select(r => r.Id))} price the same case ({same.Key.ChargeKind}, {same.Key.Region}, " +
                $"{same.Key.PricingModel}{(same.Key.Country is null ? "" : ", " + same.Key.Country)}{(same.Key.Prefix is null ? "" : ", " + same.Key.Prefix)}) from the same day: keep one.");
        }

        // A row with a country beats any row without one, whatever its prefix: a prefix row without a country
        // whose numbers' country has a row of the same case never wins while that row applies (UK mobiles,
        // +447 without "GB", took the GB landline row). A prefix the calling code does not tie to one country
        // (+1, or NANP toll-free, shared by the US and Canada) may win for another country's numbers, and is kept.
        foreach (var row in rows.Where(r => r is { Prefix: not null, Country: null }))
        {
            if (CountryOfPrefix(row.Prefix!) is { } country
                && rows.FirstOrDefault(r => r.Country == country && r.ChargeKind == row.ChargeKind && r.Region == row.Region && r.PricingModel == row.PricingModel && Overlap(r, row)) is { } beats)
            {
                throw new FormatException($"Rate card row {row.Id}: prefix '{row.Prefix}' ({country} numbers) has no country, so row {beats.Id} (country {country}) of the same case " +
                    $"always beats it (a row with a country beats one without, whatever the prefix): give it \"country\": \"{country}\".");
            }
        }
    }

    private static bool Overlap(RateRow a, RateRow b) =>
        a.EffectiveFrom < (b.EffectiveTo ?? DateOnly.MaxValue) && b.EffectiveFrom < (a.EffectiveTo ?? DateOnly.MaxValue);

    /// <summary>The one country every number under <paramref name="prefix"/> is in, by calling code; null when it takes more digits to tell.</summary>
    private static string? CountryOfPrefix(string prefix)
    {
        const string Rest = "0000000";
        if (prefix.StartsWith("+1", StringComparison.Ordinal))
        {
            // NANP: the area code tells the country; toll-free codes are shared by the US and Canada.
            return prefix.Length >= 5 && !PhoneNumbers.LooksTollFree(prefix + Rest) ? PhoneNumbers.CountryOf(prefix + Rest) : null;
        }

        // Calling codes are prefix-free (but Kazakhstan's 76, 77 in Russia's 7): when the prefix holds the whole code, any next digit is the same country.
        var first = PhoneNumbers.CountryOf(prefix + "0" + Rest);
        for (var digit = '1'; digit <= '9'; digit++)
        {
            if (PhoneNumbers.CountryOf(prefix + digit + Rest) != first)
            {
                return null;
            }
        }

        return first == "ZZ" ? null : first;
    }

    private static void CheckInstances(RateCard card)
    {
        var models = card.Rows.Select(r => r.PricingModel).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < card.Instances.Count; i++)
        {
            var entry = card.Instances[i];
            var name = $"Rate card instances entry {i + 1} ({entry.InstanceId})";
            if (entry.InstanceId.StartsWith("arn:", StringComparison.Ordinal))
            {
                throw new FormatException($"{name}: instanceId is an ARN; give the instance's id (the part after 'instance/'), as contact records name it, or \"*\" for every instance.");
            }

            if (!KnownPricingModels.Contains(entry.PricingModel))
            {
                throw new FormatException($"{name}: pricing model '{entry.PricingModel}' is not one of {Known(KnownPricingModels)}; misspelt?");
            }

            if (entry.To is { } to && to <= entry.From)
            {
                throw new FormatException($"{name}: to {to:yyyy-MM-dd} (exclusive) is not after from {entry.From:yyyy-MM-dd}, so the entry never applies.");
            }

            // As for rows: a later from supersedes; from the same day the file's order would decide.
            var j = card.Instances.Take(i).ToList().FindIndex(e => e.InstanceId == entry.InstanceId && e.From == entry.From);
            if (j >= 0)
            {
                throw new FormatException($"Rate card instances entries {j + 1} and {i + 1} both put instance '{entry.InstanceId}' on a pricing model " +
                    $"from {entry.From:yyyy-MM-dd} ({card.Instances[j].PricingModel}, {entry.PricingModel}): keep one.");
            }

            if (!models.Contains(entry.PricingModel))
            {
                throw new FormatException($"{name}: no row prices pricing model '{entry.PricingModel}', so every charge of {(entry.InstanceId == "*" ? "every instance" : "the instance")} " +
                    $"from {entry.From:yyyy-MM-dd} would be unrated (the rows price {Known(models.Order(StringComparer.Ordinal))}).");
            }
        }

        if (PerFeatureByDefault(card) && !models.Contains(PricingModels.PerFeature))
        {
            throw new FormatException($"Rate card: an instance no instances entry covers is {PricingModels.PerFeature}, which no row prices, so its every charge would be unrated: " +
                $"add {{ \"instanceId\": \"*\", \"pricingModel\": \"{models.Order(StringComparer.Ordinal).First()}\", \"from\": \"2017-01-01\" }} for the model the rows price.");
        }
    }

    /// <summary>Whether some instance is per-feature for want of an entry: no open-ended <c>*</c> entry (days before a card's first entry aside).</summary>
    private static bool PerFeatureByDefault(RateCard card) => !card.Instances.Any(i => i is { InstanceId: "*", To: null });

    private static void CheckUsageTypes(RateCard card)
    {
        foreach (var (model, byKind) in card.UsageTypes)
        {
            if (!KnownPricingModels.Contains(model))
            {
                throw new FormatException($"Rate card usageTypes: '{model}' is not a pricing model ({Known(KnownPricingModels)}), so its usage types are never used; misspelt?");
            }

            foreach (var (kind, template) in byKind)
            {
                if (UnitOf(kind) is null && !IsChannel(kind))
                {
                    throw new FormatException($"Rate card usageTypes.{model}: '{kind}' is not a charge kind ({string.Join(", ", ChargeKinds.Voice)}, " +
                        $"{ChargeKinds.NumberDaysDid}, {ChargeKinds.NumberDaysTollFree}, or a channel's: chat, task, email), so it is never used; misspelt?");
                }

                CheckTemplate($"Rate card usageTypes.{model}.{kind}:", template);
            }
        }

        // A charge no row prices (another country, region or day) is still reported, unrated, under its usage type, and
        // reconcile matches it to the invoice by that name: a name made up from the charge kind matches no invoice line,
        // and the invoice's usage then looks like usage the CTRs do not show.
        var inUse = card.Rows.Select(r => r.PricingModel).Concat(card.Instances.Select(i => i.PricingModel))
            .Concat(PerFeatureByDefault(card) ? [PricingModels.PerFeature] : []).Distinct().Order(StringComparer.Ordinal);
        foreach (var model in inUse)
        {
            var byKind = card.UsageTypes.GetValueOrDefault(model);
            if (KindsCharged(model).FirstOrDefault(k => byKind?.ContainsKey(k) != true) is { } missing)
            {
                throw new FormatException($"Rate card usageTypes.{model} has no entry for {missing}: a {missing} charge no row prices would be reported under a usage type " +
                    $"no invoice line carries, and reconcile could not match it; add \"{missing}\": \"{ExampleUsageTypes[missing]}\" (as the invoice names it). " +
                    $"Every pricing model the card uses maps {Known(KindsCharged(model))}.");
            }
        }
    }

    private static void CheckRegionCodes(RateCard card)
    {
        foreach (var row in card.Rows)
        {
            if (!card.RegionCodes.ContainsKey(row.Region)
                && (row.UsageType.Contains("{REGION}", StringComparison.Ordinal)
                    || card.UsageTypes.GetValueOrDefault(row.PricingModel)?.Values.Any(t => t.Contains("{REGION}", StringComparison.Ordinal)) == true))
            {
                throw new FormatException($"Rate card row {row.Id}: region '{row.Region}' has no entry in regionCodes, so {{REGION}} in its usage types would read " +
                    $"'{row.Region.ToUpperInvariant()}', which no invoice line carries: add \"{row.Region}\": \"…\" (the invoice's code for it, e.g. USE1 for us-east-1).");
            }
        }
    }
}
