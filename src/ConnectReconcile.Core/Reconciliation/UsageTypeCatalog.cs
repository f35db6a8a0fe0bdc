using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>What a CUR usage type means in our terms, found by matching the rate card's templates.</summary>
public sealed record UsageTypeMatch(
    string UsageType,
    string ChargeKind,
    string PricingModel,
    string? Region,
    string? Country,
    string Unit,
    string Template);

/// <summary>
/// The mapping from CUR usage types to charge kinds is data (the rate card's <c>usageTypes</c> map
/// and row templates), never code: a usage type no template matches is <i>unknown</i> and is
/// reported, not dropped. <c>{REGION}</c> matches the card's region codes, <c>{CC}</c> an ISO country.
/// </summary>
public sealed class UsageTypeCatalog
{
    private readonly List<(Regex Pattern, string Kind, string Model, string Unit, string Template)> _templates = [];
    private readonly Dictionary<string, string> _regionByCode;
    private readonly ConcurrentDictionary<string, IReadOnlyList<UsageTypeMatch>> _cache = new(StringComparer.Ordinal);

    public UsageTypeCatalog(RateCard card)
    {
        Card = card;
        _regionByCode = card.RegionCodes.GroupBy(kv => kv.Value, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);
        var codes = card.RegionCodes.Values.Distinct(StringComparer.Ordinal).OrderByDescending(c => c.Length).Select(Regex.Escape).ToList();
        var region = codes.Count == 0 ? "[A-Z]{2,4}[0-9]?" : string.Join('|', codes);
        var seen = new HashSet<(string, string, string)>();
        foreach (var row in card.Rows)
        {
            Add(row.UsageType, row.ChargeKind, row.PricingModel, row.Unit);
        }

        foreach (var (model, byKind) in card.UsageTypes.OrderBy(kv => kv.Key == PricingModels.PerFeature ? 0 : 1).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            foreach (var (kind, template) in byKind.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Add(template, kind, model, DefaultUnit(kind));
            }
        }

        void Add(string template, string kind, string model, string unit)
        {
            if (!seen.Add((template, kind, model)))
            {
                return;
            }

            var pattern = "^" + Regex.Escape(template)
                .Replace(@"\{REGION}", "(?<region>" + region + ")", StringComparison.Ordinal)
                .Replace(@"\{CC}", "(?<cc>[A-Z]{2})", StringComparison.Ordinal) + "$";
            _templates.Add((new Regex(pattern, RegexOptions.CultureInvariant), kind, model, unit, template));
        }
    }

    public RateCard Card { get; }

    /// <summary>The unit a charge kind is invoiced in when the card's usage-type map names no row.</summary>
    public static string DefaultUnit(string chargeKind) =>
        chargeKind.StartsWith("number-days:", StringComparison.Ordinal) ? Units.NumberDay
        : ChargeKinds.Voice.Contains(chargeKind) ? Units.Minute
        : Units.Unit;

    /// <summary>The best reading of a usage type (per-feature before unlimited-AI when both templates match), or null if unknown.</summary>
    public UsageTypeMatch? Match(string usageType)
    {
        var all = MatchAll(usageType);
        return all.Count == 0 ? null : all[0];
    }

    /// <summary>Every (charge kind, pricing model) reading of a usage type, best first.</summary>
    public IReadOnlyList<UsageTypeMatch> MatchAll(string usageType) => _cache.GetOrAdd(usageType, ut =>
    {
        var matches = new List<UsageTypeMatch>();
        foreach (var (pattern, kind, model, unit, template) in _templates)
        {
            var m = pattern.Match(ut);
            if (!m.Success || matches.Any(x => x.ChargeKind == kind && x.PricingModel == model))
            {
                continue;
            }

            var code = m.Groups["region"] is { Success: true } g ? g.Value : null;
            var region = code is null ? null : _regionByCode.GetValueOrDefault(code);
            var country = m.Groups["cc"] is { Success: true } c ? c.Value : null;
            matches.Add(new UsageTypeMatch(ut, kind, model, region, country, unit, template));
        }

        return matches
            .OrderBy(x => x.PricingModel == PricingModels.PerFeature ? 0 : 1)
            .ToList();
    });

    public bool IsKnown(string usageType) => MatchAll(usageType).Count > 0;
}
