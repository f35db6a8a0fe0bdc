using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Reference;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConnectReconcile.Core.Rating;

/// <summary>
/// One effective-dated price: CGRateS-style increments (first increment, then increment), a unit,
/// the usage type it appears under in the CUR, and where the figure came from.
/// </summary>
public sealed record RateRow
{
    public required string Id { get; init; }
    public required string Region { get; init; }
    public required string PricingModel { get; init; }
    public required string ChargeKind { get; init; }
    /// <summary>ISO country of the far end (telephony, numbers); null matches any.</summary>
    public string? Country { get; init; }
    /// <summary>E.164 prefix (e.g. <c>+8190</c> for JP mobiles); the longest match wins.</summary>
    public string? Prefix { get; init; }
    /// <summary>Template with <c>{REGION}</c> and <c>{CC}</c>, e.g. <c>{REGION}-{CC}-did-inbound-mins</c>.</summary>
    public required string UsageType { get; init; }
    /// <summary><c>minute</c>, <c>number-day</c> or <c>unit</c>.</summary>
    public required string Unit { get; init; }
    public required decimal Price { get; init; }
    public int FirstIncrement { get; init; } = 1;
    public int Increment { get; init; } = 1;
    public required DateOnly EffectiveFrom { get; init; }
    public DateOnly? EffectiveTo { get; init; }
    public required string Source { get; init; }

    public bool IsEffective(DateOnly day) => EffectiveFrom <= day && (EffectiveTo is null || day < EffectiveTo);
}

/// <summary>Which pricing model an instance is on, from a date (<c>*</c> matches every instance).</summary>
public sealed record InstancePricing(string InstanceId, string PricingModel, DateOnly From, DateOnly? To = null);

public static class PricingModels
{
    public const string PerFeature = "per-feature";
    public const string UnlimitedAi = "unlimited-ai";
}

public static class Units
{
    public const string Minute = "minute";
    public const string NumberDay = "number-day";
    public const string Unit = "unit";
}

/// <summary>
/// A versioned rate card (format documented in docs/rate-card.md). Lookups are pure and deterministic;
/// a missing row is a gap the caller reports, never a silent zero.
/// </summary>
public sealed partial class RateCard
{
    public required string Version { get; init; }
    public required string Currency { get; init; }
    public required IReadOnlyDictionary<string, string> RegionCodes { get; init; }
    /// <summary>Pricing model → charge kind → usage-type template, used when no row prices a charge.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> UsageTypes { get; init; }
    public required IReadOnlyList<InstancePricing> Instances { get; init; }
    public required IReadOnlyList<RateRow> Rows { get; init; }

    public string RegionCode(string region) =>
        RegionCodes.TryGetValue(region, out var code) ? code : region.ToUpperInvariant();

    public string PricingModelFor(string instanceId, DateOnly day) =>
        _pricingModels.GetOrAdd((instanceId, day), static (key, card) => card.FindPricingModel(key.InstanceId, key.Day), this);

    private string FindPricingModel(string instanceId, DateOnly day)
    {
        var match = Instances.Where(i => (i.InstanceId == instanceId || i.InstanceId == "*") && i.From <= day && (i.To is null || day < i.To))
            .OrderByDescending(i => i.InstanceId == instanceId).ThenByDescending(i => i.From)
            .FirstOrDefault();
        return match?.PricingModel ?? PricingModels.PerFeature;
    }

    /// <summary>The row pricing a charge: country-specific over generic, longest matching prefix first.</summary>
    public RateRow? Find(string region, string pricingModel, string chargeKind, string? country, string? number, DateOnly day)
    {
        // Rating asks this several times per call: index the rows by (kind, region, model) once.
        _index ??= Rows.GroupBy(r => (r.ChargeKind, r.Region, r.PricingModel)).ToDictionary(g => g.Key, g => g.ToArray(), LookupKeyComparer.Instance);
        if (!_index.TryGetValue((chargeKind, region, pricingModel), out var candidates))
        {
            return null;
        }

        RateRow? best = null;
        var bestScore = -1;
        foreach (var row in candidates)
        {
            if (!row.IsEffective(day))
            {
                continue;
            }

            if (row.Country is not null && row.Country != country)
            {
                continue;
            }

            if (row.Prefix is not null && (number is null || !number.StartsWith(row.Prefix, StringComparison.Ordinal)))
            {
                continue;
            }

            var score = (row.Country is null ? 0 : 1000) + (row.Prefix?.Length ?? 0);
            if (score > bestScore || (score == bestScore && best is not null && row.EffectiveFrom > best.EffectiveFrom))
            {
                best = row;
                bestScore = score;
            }
        }

        return best;
    }

    public string UsageTypeFor(RateRow? row, string pricingModel, string chargeKind, string region, string? country)
    {
        var template = row?.UsageType
            ?? (UsageTypes.TryGetValue(pricingModel, out var byKind) && byKind.TryGetValue(chargeKind, out var t) ? t : null)
            ?? "{REGION}-" + chargeKind.Replace(':', '-');
        return _usageTypes.GetOrAdd((template, region, country ?? "ZZ"), static (key, card) =>
            key.Template.Replace("{REGION}", card.RegionCode(key.Region), StringComparison.Ordinal)
                .Replace("{CC}", key.Country, StringComparison.Ordinal), this);
    }

    private Dictionary<(string, string, string), RateRow[]>? _index;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Template, string Region, string Country), string> _usageTypes = new(LookupKeyComparer.Instance);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string InstanceId, DateOnly Day), string> _pricingModels = new(LookupKeyComparer.Instance);

    [System.Text.RegularExpressions.GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial System.Text.RegularExpressions.Regex UnknownKey();

    [System.Text.RegularExpressions.GeneratedRegex("^Duplicate propert(?:y '([^']*)'|ies not allowed)")]
    private static partial System.Text.RegularExpressions.Regex DuplicateKey();

    [System.Text.RegularExpressions.GeneratedRegex(@"\.(effectiveFrom|effectiveTo|from|to)$")]
    private static partial System.Text.RegularExpressions.Regex DateKey();

    /// <summary>The highest price a row may have, exclusive, in the card's currency per unit.</summary>
    public const decimal MaxPrice = 100_000m;

    /// <summary>The most decimal places a price may have: the outputs' rate column is DECIMAL(18,8).</summary>
    public const int PriceDecimals = 8;

    /// <summary>Reads the JSON format of docs/rate-card.md, refusing a card that could only misprice (<see cref="Check"/>).</summary>
    public static RateCard FromJson(string json)
    {
        RateCardFile file;
        try
        {
            file = JsonSerializer.Deserialize(json, RateCardJsonContext.Default.RateCardFile) ?? throw new FormatException("Rate card is empty.");
        }
        catch (JsonException e)
        {
            // The serializer names .NET types for a key or value of the wrong kind; a user needs the place in the file.
            var unknown = UnknownKey().Match(e.Message);
            var duplicate = DuplicateKey().Match(e.Message);
            throw new FormatException(
                unknown.Success ? $"Rate card: '{QuotedInput.Of(unknown.Groups[1].Value)}' at {e.Path} is not a key of the format (docs/rate-card.md); misspelt?"
                : duplicate.Success ? $"Rate card: {(duplicate.Groups[1].Success ? $"the key '{QuotedInput.Of(duplicate.Groups[1].Value)}'" : "a key")} is given twice at {e.Path}; keep one (which value was meant cannot be told)."
                : !e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) ? $"Rate card is not valid JSON: {e.Message}"
                : e.Path is { } path && DateKey().IsMatch(path) ? $"Rate card: the value at {path} is not a day: a UTC day written yyyy-MM-dd is expected (e.g. \"2026-06-16\"; dates are whole UTC days, with no time or zone)."
                : $"Rate card: the value at {e.Path} is not of the format's type (docs/rate-card.md).", e);
        }

        if (file.Format != RateCardFile.FormatName)
        {
            throw new FormatException($"Rate card format must be '{RateCardFile.FormatName}', found '{QuotedInput.Of(file.Format ?? "")}'.");
        }

        if (file.Rows is null || file.Rows.Any(r => r is null))
        {
            throw new FormatException("Rate card rows must be a list of row objects (\"rows\": [ {…}, … ]).");
        }

        if (string.IsNullOrWhiteSpace(file.Version))
        {
            throw new FormatException("Rate card has no version (outputs carry it as rate_card_version).");
        }

        var card = new RateCard
        {
            Version = file.Version,
            Currency = file.Currency ?? "USD",
            RegionCodes = file.RegionCodes ?? new Dictionary<string, string>(),
            UsageTypes = (file.UsageTypes ?? new Dictionary<string, Dictionary<string, string>>())
                .ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value),
            Instances = ReadInstances(file.Instances),
            Rows = file.Rows.OfType<RateRowJson>().Select(ReadRow).ToList(),
        };
        Check(card);
        return card;
    }

    /// <summary>
    /// A row as written, its required keys present: <c>id</c> first (later messages name the row by it), then
    /// <c>region</c>, <c>chargeKind</c>, <c>usageType</c>, <c>price</c>, <c>effectiveFrom</c>, and for a per-minute
    /// row <c>firstIncrement</c> and <c>increment</c> (a number-day or unit row is not billed in seconds).
    /// </summary>
    private static RateRow ReadRow(RateRowJson r, int i)
    {
        if (string.IsNullOrWhiteSpace(r.Id))
        {
            throw new FormatException($"Rate card row {i + 1} ($.rows[{i}]) has no id: outputs name the row that priced a charge by it, so each row needs its own.");
        }

        var id = r.Id;
        var unit = r.Unit ?? Units.Minute;
        if (unit == Units.Minute && UnitOf(r.ChargeKind ?? "") == Units.Minute && (r.FirstIncrement is null || r.Increment is null))
        {
            throw new FormatException($"Rate card row {id} has no {(r.FirstIncrement is null ? "firstIncrement" : "increment")}: a per-minute row says how its seconds are billed " +
                "(e.g. \"firstIncrement\": 60, \"increment\": 1 for a 60-second minimum, then per second).");
        }

        return new RateRow
        {
            Id = id,
            Region = r.Region ?? throw new FormatException($"Rate card row {id} has no region."),
            PricingModel = r.PricingModel ?? PricingModels.PerFeature,
            ChargeKind = r.ChargeKind ?? throw new FormatException($"Rate card row {id} has no chargeKind."),
            Country = r.Country,
            Prefix = r.Prefix,
            UsageType = r.UsageType ?? throw new FormatException($"Rate card row {id} has no usageType."),
            Unit = unit,
            Price = r.Price ?? throw new FormatException($"Rate card row {id} has no price."),
            FirstIncrement = r.FirstIncrement ?? 1,
            Increment = r.Increment ?? 1,
            EffectiveFrom = r.EffectiveFrom ?? throw new FormatException($"Rate card row {id} has no effectiveFrom: give the UTC day (yyyy-MM-dd) its price applies from " +
                "(e.g. \"2018-01-01\" for a price that has always applied); without it the row would apply from year 1 and lose to every dated row of its case."),
            EffectiveTo = r.EffectiveTo,
            Source = r.Source ?? "unspecified",
        };
    }

    /// <summary>The <c>instances</c> entries, each with its <c>instanceId</c>, <c>pricingModel</c> and <c>from</c>; none (or an empty list): every instance per-feature.</summary>
    private static List<InstancePricing> ReadInstances(List<InstancePricingJson?>? instances)
    {
        var read = new List<InstancePricing>();
        for (var i = 0; i < (instances?.Count ?? 0); i++)
        {
            var entry = instances![i] ?? throw new FormatException($"Rate card instances entry {i + 1} ($.instances[{i}]) is null: each entry is an object " +
                "{ \"instanceId\": …, \"pricingModel\": …, \"from\": \"yyyy-MM-dd\" }.");
            var missing = string.IsNullOrWhiteSpace(entry.InstanceId) ? "instanceId (the instance's id, or \"*\" for every instance)"
                : string.IsNullOrWhiteSpace(entry.PricingModel) ? "pricingModel"
                : entry.From is null ? "from (the UTC day, yyyy-MM-dd, the instance is on the model from)"
                : null;
            if (missing is not null)
            {
                throw new FormatException($"Rate card instances entry {i + 1} ($.instances[{i}]) has no {missing}.");
            }

            read.Add(new InstancePricing(entry.InstanceId!, entry.PricingModel!, entry.From!.Value, entry.To));
        }

        return read;
    }

    public string ToJson() => JsonSerializer.Serialize(new RateCardFile
    {
        Format = RateCardFile.FormatName,
        Version = Version,
        Currency = Currency,
        RegionCodes = RegionCodes.OrderBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Value),
        UsageTypes = UsageTypes.ToDictionary(k => k.Key, k => k.Value.ToDictionary(x => x.Key, x => x.Value)),
        Instances = Instances.Select(i => (InstancePricingJson?)new InstancePricingJson { InstanceId = i.InstanceId, PricingModel = i.PricingModel, From = i.From, To = i.To }).ToList(),
        Rows = Rows.Select(r => (RateRowJson?)new RateRowJson
        {
            Id = r.Id, Region = r.Region, PricingModel = r.PricingModel, ChargeKind = r.ChargeKind, Country = r.Country, Prefix = r.Prefix,
            UsageType = r.UsageType, Unit = r.Unit, Price = r.Price, FirstIncrement = r.FirstIncrement, Increment = r.Increment,
            EffectiveFrom = r.EffectiveFrom, EffectiveTo = r.EffectiveTo, Source = r.Source,
        }).ToList(),
    }, RateCardJsonContext.Default.RateCardFile);
}

internal sealed class RateCardFile
{
    public const string FormatName = "connect-reconcile/rate-card@1";
    public string? Format { get; set; }
    public string? Version { get; set; }
    public string? Currency { get; set; }
    public Dictionary<string, string>? RegionCodes { get; set; }
    public Dictionary<string, Dictionary<string, string>>? UsageTypes { get; set; }
    public List<InstancePricingJson?>? Instances { get; set; }
    public List<RateRowJson?>? Rows { get; set; } = [];
}

internal sealed class InstancePricingJson
{
    public string? InstanceId { get; set; }
    public string? PricingModel { get; set; }
    public DateOnly? From { get; set; }
    public DateOnly? To { get; set; }
}

internal sealed class RateRowJson
{
    public string? Id { get; set; }
    public string? Region { get; set; }
    public string? PricingModel { get; set; }
    public string? ChargeKind { get; set; }
    public string? Country { get; set; }
    public string? Prefix { get; set; }
    public string? UsageType { get; set; }
    public string? Unit { get; set; }
    public decimal? Price { get; set; }
    public int? FirstIncrement { get; set; }
    public int? Increment { get; set; }
    public DateOnly? EffectiveFrom { get; set; }
    public DateOnly? EffectiveTo { get; set; }
    public string? Source { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, // a misspelt key ("efectiveTo") would silently not apply
    AllowDuplicateProperties = false)] // a key given twice ("price": 0.02, "price": 200) would price with the last one silently
[JsonSerializable(typeof(RateCardFile))]
internal sealed partial class RateCardJsonContext : JsonSerializerContext;
