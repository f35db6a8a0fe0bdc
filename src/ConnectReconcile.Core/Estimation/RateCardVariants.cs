using ConnectReconcile.Core.Rating;

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
