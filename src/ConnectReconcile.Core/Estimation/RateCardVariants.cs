using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;

namespace ConnectReconcile.Core.Estimation;

/// <summary>Rate-card changes for estimates and what-ifs.</summary>
public static class RateCardVariants
{
    /// <summary>
    /// The same rows, with every instance on <paramref name="pricingModel"/> from the beginning of time
    /// (the what-if "unlimited-AI instead of per-feature"). The version gets a <c>+model</c> suffix.
    /// </summary>
    public static RateCard WithPricingModel(this RateCard card, string pricingModel)
    {
        if (!card.Rows.Any(r => r.PricingModel == pricingModel))
        {
            var known = card.Rows.Select(r => r.PricingModel).Distinct().Order(StringComparer.Ordinal);
            throw new FormatException($"The rate card '{card.Version}' has no rows for pricing model '{pricingModel}' (it has: {string.Join(", ", known)}).");
        }

        return new RateCard
        {
            Version = card.Version + "+" + pricingModel,
            Currency = card.Currency,
            RegionCodes = card.RegionCodes,
            UsageTypes = card.UsageTypes,
            Instances = [new InstancePricing("*", pricingModel, DateOnly.MinValue)],
            Rows = card.Rows,
        };
    }
}

/// <summary>A profile priced somewhere else: <c>estimate --region</c> / <c>--country</c>.</summary>
public static class ProfileMoves
{
    /// <summary>Charge kinds whose rows say which countries' numbers a region holds.</summary>
    private static readonly string[] NumberKinds =
        [ChargeKinds.TelephonyInboundDid, ChargeKinds.TelephonyInboundTollFree, ChargeKinds.NumberDaysDid, ChargeKinds.NumberDaysTollFree];

    /// <summary>
    /// The profile priced in <paramref name="region"/>, its home country (numbers, customers, desk phones) moved along:
    /// to <paramref name="country"/> when given; else kept when the card prices numbers of that country in the region;
    /// else the region's own country when the card prices it there (or prices no numbers there at all); else the one
    /// country the card prices numbers of in the region. Outbound calls to the old home country become calls to the new
    /// one (domestic stays domestic), as does an external-transfer country equal to it. A US profile priced in
    /// ap-northeast-1 kept US numbers, which Tokyo's card does not price: every telephony minute and number-day went
    /// unrated and the estimate looked 24 % cheaper.
    /// </summary>
    /// <exception cref="FormatException">No home country is clear: the caller must give one.</exception>
    public static VolumeProfile MoveTo(this VolumeProfile profile, string region, string? country, RateCard card)
    {
        var old = profile.Country ?? VolumeProfile.CountryOfRegion(profile.Region);
        var home = country?.ToUpperInvariant() ?? HomeCountryIn(card, region, old);
        if (!PhoneNumbers.IsCountryCode(home))
        {
            throw new FormatException($"The home country must be an ISO 3166 alpha-2 code, found '{home}'.");
        }

        if (region == profile.Region && home == old)
        {
            return profile;
        }

        var outbound = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (destination, calls) in profile.CallsPerDay.Outbound)
        {
            var moved = destination == old ? home : destination;
            outbound[moved] = outbound.GetValueOrDefault(moved) + calls;
        }

        var notes = profile.Notes.ToList();
        if (home != old)
        {
            notes.Add($"Priced in {region} with home country {home} instead of {profile.Region} ({old ?? "no country"}): its numbers, customers and desk phones" +
                (profile.CallsPerDay.Outbound.ContainsKey(old ?? "") ? $", and the outbound calls to {old}," : "") + $" are in {home}.");
        }

        return profile with
        {
            Region = region,
            Country = home,
            CallsPerDay = profile.CallsPerDay with { Outbound = outbound },
            Inbound = profile.Inbound.ExternalCountry is { } external && external == old ? profile.Inbound with { ExternalCountry = null } : profile.Inbound,
            Notes = notes,
        };
    }

    private static string HomeCountryIn(RateCard card, string region, string? current)
    {
        var priced = card.Rows.Where(r => r.Region == region && r.Country is not null && NumberKinds.Contains(r.ChargeKind))
            .Select(r => r.Country!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var own = VolumeProfile.CountryOfRegion(region);
        if (current is not null && priced.Contains(current))
        {
            return current;
        }

        if (own is not null && (priced.Count == 0 || priced.Contains(own)))
        {
            return own;
        }

        if (priced.Count == 1)
        {
            return priced[0];
        }

        throw new FormatException(priced.Count == 0
            ? $"Region '{region}' has no default home country and the rate card {card.Version} prices no numbers there: give --country XX (the country of the numbers and customers there)."
            : $"The rate card {card.Version} prices numbers of {string.Join(", ", priced)} in {region}, not {current ?? "the profile's country"}: give --country XX (the country of the numbers and customers there).");
    }
}
