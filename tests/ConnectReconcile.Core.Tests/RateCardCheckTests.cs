using System.Text.Json.Nodes;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// The card check refuses, when the card is read, what a run would otherwise take silently and then misprice or
/// leave unrated: each case below was accepted before.
/// </summary>
public sealed class RateCardCheckTests
{
    /// <summary>A hand-made finance card: a price change on 2026-06-16, one instance moving to unlimited AI that day, a UK mobile prefix.</summary>
    private const string Base = """
        { "format": "connect-reconcile/rate-card@1", "version": "finance-2026-06", "currency": "USD",
          "regionCodes": { "us-east-1": "USE1" },
          "usageTypes": {
            "per-feature": { "service": "{REGION}-end-customer-mins", "telephony:inbound-did": "{REGION}-{CC}-did-inbound-mins",
              "telephony:inbound-tollfree": "{REGION}-{CC}-tollfree-inbound-mins", "telephony:outbound": "{REGION}-{CC}-outbound-mins",
              "contact-lens": "{REGION}-ContactLens-voice-mins", "number-days:did": "{REGION}-{CC}-did-numbers", "number-days:tollfree": "{REGION}-{CC}-tollfree-numbers" },
            "unlimited-ai": { "service": "{REGION}-ai-end-customer-mins", "telephony:inbound-did": "{REGION}-{CC}-did-inbound-mins",
              "telephony:inbound-tollfree": "{REGION}-{CC}-tollfree-inbound-mins", "telephony:outbound": "{REGION}-{CC}-outbound-mins",
              "number-days:did": "{REGION}-{CC}-did-numbers", "number-days:tollfree": "{REGION}-{CC}-tollfree-numbers" } },
          "instances": [
            { "instanceId": "*", "pricingModel": "per-feature", "from": "2017-01-01" },
            { "instanceId": "aaaaaaaa-0000-4000-8000-000000000001", "pricingModel": "unlimited-ai", "from": "2026-06-16" } ],
          "rows": [
            { "id": "svc-old", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins", "unit": "minute", "price": 0.018, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2018-01-01", "effectiveTo": "2026-06-16" },
            { "id": "svc-new", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins", "unit": "minute", "price": 0.02, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2026-06-16" },
            { "id": "svc-ai", "region": "us-east-1", "pricingModel": "unlimited-ai", "chargeKind": "service", "usageType": "{REGION}-ai-end-customer-mins", "unit": "minute", "price": 0.038, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2018-01-01" },
            { "id": "out-us", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "telephony:outbound", "country": "US", "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.0048, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01" },
            { "id": "out-gb", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "telephony:outbound", "country": "GB", "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.01, "firstIncrement": 60, "increment": 60, "effectiveFrom": "2018-01-01" },
            { "id": "out-gb-mob", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "telephony:outbound", "country": "GB", "prefix": "+447", "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.03, "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01" },
            { "id": "out-us-ai", "region": "us-east-1", "pricingModel": "unlimited-ai", "chargeKind": "telephony:outbound", "country": "US", "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.0048, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01" },
            { "id": "num-did", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "number-days:did", "country": "US", "usageType": "{REGION}-{CC}-did-numbers", "unit": "number-day", "price": 0.03, "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01" },
            { "id": "num-tf", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "number-days:tollfree", "country": "US", "usageType": "{REGION}-{CC}-tollfree-numbers", "unit": "number-day", "price": 0.06, "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01" }
          ] }
        """;

    private static string Edited(Action<JsonObject> edit)
    {
        var card = JsonNode.Parse(Base)!.AsObject();
        edit(card);
        return card.ToJsonString();
    }

    private static JsonObject Row(JsonObject card, string id) => card["rows"]!.AsArray().Select(r => r!.AsObject()).Single(r => (string?)r["id"] == id);

    private static JsonObject Instance(JsonObject card, int index) => card["instances"]!.AsArray()[index]!.AsObject();

    private static readonly Dictionary<string, (Action<JsonObject> Edit, string Expected)> Cases = new()
    {
        // 1. Countries and prefixes.
        ["country in lower case"] = (c => Row(c, "out-gb-mob")["country"] = "gb",
            "Rate card row out-gb-mob: country 'gb' is not an ISO 3166 alpha-2 code in upper case (like US, GB, JP), so it matches no call or number."),
        ["country of three letters"] = (c => Row(c, "out-gb")["country"] = "GBR", "Rate card row out-gb: country 'GBR' is not an ISO 3166 alpha-2 code"),
        ["prefix row without the country a country row has"] = (c => Row(c, "out-gb-mob").Remove("country"),
            "Rate card row out-gb-mob: prefix '+447' (GB numbers) has no country, so row out-gb (country GB) of the same case always beats it " +
            "(a row with a country beats one without, whatever the prefix): give it \"country\": \"GB\"."),
        ["country on a service row"] = (c => Row(c, "svc-new")["country"] = "US",
            "Rate card row svc-new: a service row has country 'US', but only telephony and number-day charges have a far end's country and number, so the row would match nothing; leave it out."),
        ["prefix on a service row"] = (c => Row(c, "svc-ai")["prefix"] = "+1206", "Rate card row svc-ai: a service row has prefix '+1206', but only telephony"),
        ["country on a Contact Lens row"] = (c => c["rows"]!.AsArray().Add(new JsonObject { ["id"] = "cl", ["region"] = "us-east-1", ["chargeKind"] = "contact-lens", ["country"] = "US",
                ["usageType"] = "{REGION}-ContactLens-voice-mins", ["price"] = 0.015, ["firstIncrement"] = 1, ["increment"] = 1, ["effectiveFrom"] = "2018-01-01" }),
            "Rate card row cl: a contact-lens row has country 'US', but only telephony"),
        ["country on a chat row"] = (c => c["rows"]!.AsArray().Add(new JsonObject { ["id"] = "chat-us", ["region"] = "us-east-1", ["chargeKind"] = "chat", ["unit"] = "unit", ["country"] = "US",
                ["usageType"] = "{REGION}-chat-message", ["price"] = 0.004, ["effectiveFrom"] = "2018-01-01" }),
            "Rate card row chat-us: a chat row has country 'US', but only telephony"),

        // 2. Instances, pricing models and regions.
        ["instance to before from"] = (c => Instance(c, 1)["to"] = "2026-06-01",
            "Rate card instances entry 2 (aaaaaaaa-0000-4000-8000-000000000001): to 2026-06-01 (exclusive) is not after from 2026-06-16, so the entry never applies."),
        ["instance to on from"] = (c => Instance(c, 1)["to"] = "2026-06-16", "to 2026-06-16 (exclusive) is not after from 2026-06-16"),
        ["instance entry null"] = (c => c["instances"]!.AsArray().Add(null),
            "Rate card instances entry 3 ($.instances[2]) is null: each entry is an object"),
        ["instance without from"] = (c => Instance(c, 1).Remove("from"),
            "Rate card instances entry 2 ($.instances[1]) has no from (the UTC day, yyyy-MM-dd, the instance is on the model from)."),
        ["instance without instanceId"] = (c => Instance(c, 1).Remove("instanceId"),
            "Rate card instances entry 2 ($.instances[1]) has no instanceId (the instance's id, or \"*\" for every instance)."),
        ["instance without pricingModel"] = (c => Instance(c, 1).Remove("pricingModel"), "Rate card instances entry 2 ($.instances[1]) has no pricingModel."),
        ["instance given by ARN"] = (c => Instance(c, 1)["instanceId"] = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001",
            "instanceId is an ARN; give the instance's id (the part after 'instance/')"),
        ["instance twice from one day"] = (c => c["instances"]!.AsArray().Add(new JsonObject { ["instanceId"] = "aaaaaaaa-0000-4000-8000-000000000001", ["pricingModel"] = "per-feature", ["from"] = "2026-06-16" }),
            "Rate card instances entries 2 and 3 both put instance 'aaaaaaaa-0000-4000-8000-000000000001' on a pricing model from 2026-06-16 (unlimited-ai, per-feature): keep one."),
        ["instance model misspelt"] = (c => Instance(c, 1)["pricingModel"] = "unlimited_ai",
            "Rate card instances entry 2 (aaaaaaaa-0000-4000-8000-000000000001): pricing model 'unlimited_ai' is not one of per-feature, unlimited-ai; misspelt?"),
        ["instance model unknown"] = (c => Instance(c, 0)["pricingModel"] = "enterprise",
            "Rate card instances entry 1 (*): pricing model 'enterprise' is not one of per-feature, unlimited-ai; misspelt?"),
        ["instance model no row prices"] = (c => c["rows"]!.AsArray().RemoveAll(r => (string?)r!["pricingModel"] == "unlimited-ai"),
            "Rate card instances entry 2 (aaaaaaaa-0000-4000-8000-000000000001): no row prices pricing model 'unlimited-ai', so every charge of the instance from 2026-06-16 would be unrated (the rows price per-feature)."),
        ["per-feature by default, no row per-feature"] = (c =>
            {
                c["instances"] = new JsonArray();
                c["rows"]!.AsArray().RemoveAll(r => (string?)r!["pricingModel"] == "per-feature");
            },
            "Rate card: an instance no instances entry covers is per-feature, which no row prices, so its every charge would be unrated: add { \"instanceId\": \"*\", \"pricingModel\": \"unlimited-ai\""),
        ["row model misspelt"] = (c => Row(c, "svc-new")["pricingModel"] = "per_feature",
            "Rate card row svc-new: pricing model 'per_feature' is not one of per-feature, unlimited-ai, so no instance is ever on it; misspelt?"),
        ["region misspelt"] = (c => Row(c, "svc-new")["region"] = "us-east1",
            "Rate card row svc-new: region 'us-east1' is not an AWS region code like us-east-1 or ap-northeast-1, so no contact is ever in it."),
        ["region in upper case"] = (c => Row(c, "svc-new")["region"] = "US-EAST-1", "region 'US-EAST-1' is not an AWS region code"),
        ["region without a code"] = (c => c["regionCodes"] = new JsonObject(),
            "Rate card row svc-old: region 'us-east-1' has no entry in regionCodes, so {REGION} in its usage types would read 'US-EAST-1', which no invoice line carries"),

        // 3. Required keys of a row.
        ["row without effectiveFrom"] = (c => Row(c, "out-us").Remove("effectiveFrom"),
            "Rate card row out-us has no effectiveFrom: give the UTC day (yyyy-MM-dd) its price applies from"),
        ["row effectiveFrom null"] = (c => Row(c, "out-us")["effectiveFrom"] = null, "Rate card row out-us has no effectiveFrom"),
        ["row without increments"] = (c => { Row(c, "out-gb").Remove("firstIncrement"); Row(c, "out-gb").Remove("increment"); },
            "Rate card row out-gb has no firstIncrement: a per-minute row says how its seconds are billed"),
        ["row without increment"] = (c => Row(c, "svc-new").Remove("increment"), "Rate card row svc-new has no increment: a per-minute row says how its seconds are billed"),
        ["row without id"] = (c => Row(c, "svc-new").Remove("id"),
            "Rate card row 2 ($.rows[1]) has no id: outputs name the row that priced a charge by it, so each row needs its own."),
        ["row with a blank id"] = (c => Row(c, "svc-new")["id"] = " ", "Rate card row 2 ($.rows[1]) has no id"),

        // 4. Usage types a pricing model in use needs.
        ["usage type of a kind missing"] = (c =>
            {
                c["usageTypes"]!["per-feature"]!.AsObject().Remove("number-days:tollfree");
                c["rows"]!.AsArray().RemoveAll(r => (string?)r!["id"] == "num-tf");
            },
            "Rate card usageTypes.per-feature has no entry for number-days:tollfree: a number-days:tollfree charge no row prices would be reported under a usage type no invoice line carries, " +
            "and reconcile could not match it; add \"number-days:tollfree\": \"{REGION}-{CC}-tollfree-numbers\" (as the invoice names it)."),
        ["usage type of a kind missing though a row has it"] = (c => c["usageTypes"]!["unlimited-ai"]!.AsObject().Remove("telephony:outbound"),
            "Rate card usageTypes.unlimited-ai has no entry for telephony:outbound"),
        ["usage types of a model in use missing"] = (c => c["usageTypes"]!.AsObject().Remove("unlimited-ai"), "Rate card usageTypes.unlimited-ai has no entry for service"),
        ["usage types of no model"] = (c => c.Remove("usageTypes"), "Rate card usageTypes.per-feature has no entry for service"),
        ["usage types of a misspelt model"] = (c => c["usageTypes"]!["unlimited_ai"] = new JsonObject { ["service"] = "{REGION}-ai-end-customer-mins" },
            "Rate card usageTypes: 'unlimited_ai' is not a pricing model (per-feature, unlimited-ai), so its usage types are never used; misspelt?"),
        ["usage type of a misspelt kind"] = (c => c["usageTypes"]!["per-feature"]!["telephony:outbund"] = "{REGION}-{CC}-outbound-mins",
            "Rate card usageTypes.per-feature: 'telephony:outbund' is not a charge kind"),

        // 5. Currency, placeholders, decimals.
        ["currency empty"] = (c => c["currency"] = "",
            "Rate card currency '' is not an ISO 4217 code of three upper-case letters (like USD, EUR, JPY): outputs and invoices name the currency so."),
        ["currency a symbol"] = (c => c["currency"] = "US$", "Rate card currency 'US$' is not an ISO 4217 code of three upper-case letters"),
        ["currency in lower case"] = (c => c["currency"] = "usd", "Rate card currency 'usd' is not an ISO 4217 code"),
        ["placeholder unknown in a row"] = (c => Row(c, "out-gb")["usageType"] = "{REGION}-{COUNTRY}-outbound-mins",
            "Rate card row out-gb: usage type '{REGION}-{COUNTRY}-outbound-mins' has {COUNTRY}, which is not a placeholder of the format ({REGION}, {CC}); misspelt?"),
        ["placeholder unknown in usageTypes"] = (c => c["usageTypes"]!["per-feature"]!["service"] = "{Region}-end-customer-mins",
            "Rate card usageTypes.per-feature.service: '{Region}-end-customer-mins' has {Region}, which is not a placeholder of the format ({REGION}, {CC}); misspelt?"),
        ["brace unpaired"] = (c => Row(c, "out-gb")["usageType"] = "{REGION-{CC}-outbound-mins",
            "Rate card row out-gb: usage type '{REGION-{CC}-outbound-mins' has a brace that opens or closes no placeholder ({REGION}, {CC})."),
        ["price of 13 decimal places"] = (c => Row(c, "out-us")["price"] = 0.0012345678912m,
            "Rate card row out-us: price 0.0012345678912 has more than 8 decimal places: outputs keep a rate to 8 (DECIMAL(18,8)), so an export's rate × quantity would not give its cost; round the price."),
        ["price of 9 decimal places"] = (c => Row(c, "out-us")["price"] = 0.004800001m, "price 0.004800001 has more than 8 decimal places"),
        ["effectiveFrom at noon"] = (c => Row(c, "svc-new")["effectiveFrom"] = "2026-06-16T12:00:00Z",
            "Rate card: the value at $.rows[1].effectiveFrom is not a day: a UTC day written yyyy-MM-dd is expected (e.g. \"2026-06-16\"; dates are whole UTC days, with no time or zone)."),
        ["effectiveTo at midnight with a time"] = (c => Row(c, "svc-old")["effectiveTo"] = "2026-06-16T00:00:00Z", "Rate card: the value at $.rows[0].effectiveTo is not a day: a UTC day written yyyy-MM-dd"),
        ["effectiveFrom day first"] = (c => Row(c, "svc-new")["effectiveFrom"] = "16/06/2026", "Rate card: the value at $.rows[1].effectiveFrom is not a day"),
        ["instance from with a time"] = (c => Instance(c, 1)["from"] = "2026-06-16T00:00:00+09:00", "Rate card: the value at $.instances[1].from is not a day: a UTC day written yyyy-MM-dd"),
        ["no rows"] = (c => c["rows"] = new JsonArray(), "Rate card has no rows: it would price nothing and leave every charge unrated."),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_card_that_could_only_misprice_or_leave_charges_unrated_is_refused_naming_the_row_or_entry(string name)
    {
        var (edit, expected) = Cases[name];
        var e = Assert.Throws<FormatException>(() => RateCard.FromJson(Edited(edit)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cards_the_program_ships_and_writes_pass_the_check()
    {
        var card = RateCard.FromJson(Base);
        Assert.Equal(9, card.Rows.Count);
        Assert.Equal(card.ToJson(), RateCard.FromJson(card.ToJson()).ToJson());
        foreach (var region in BuiltInRateCards.Regions)
        {
            Assert.NotEmpty(BuiltInRateCards.Load(region).Rows);
        }

        Assert.Equal(BuiltInRateCards.Default.Rows.Count, RateCard.FromJson(BuiltInRateCards.Default.ToJson()).Rows.Count);
    }

    [Fact]
    public void Instances_empty_or_absent_put_every_instance_on_per_feature()
    {
        var day = new DateOnly(2026, 6, 20);
        foreach (var card in new[] { Edited(c => c["instances"] = new JsonArray()), Edited(c => c.Remove("instances")) }.Select(RateCard.FromJson))
        {
            Assert.Empty(card.Instances);
            Assert.Equal(PricingModels.PerFeature, card.PricingModelFor("aaaaaaaa-0000-4000-8000-000000000001", day));
        }

        Assert.Equal(PricingModels.UnlimitedAi, RateCard.FromJson(Base).PricingModelFor("aaaaaaaa-0000-4000-8000-000000000001", day));
    }

    [Fact]
    public void What_the_check_leaves_alone_still_loads_and_prices()
    {
        var day = new DateOnly(2026, 6, 20);

        // A prefix row without a country wins where no row of its country exists (+33 with rows for US and GB only).
        var france = RateCard.FromJson(Edited(c => c["rows"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "out-fr", ["region"] = "us-east-1", ["chargeKind"] = "telephony:outbound", ["prefix"] = "+33", ["usageType"] = "{REGION}-{CC}-outbound-mins",
            ["price"] = 0.02m, ["firstIncrement"] = 60, ["increment"] = 1, ["effectiveFrom"] = "2018-01-01",
        })));
        Assert.Equal("out-fr", france.Find("us-east-1", PricingModels.PerFeature, ChargeKinds.TelephonyOutbound, "FR", "+33142000000", day)?.Id);

        // One whose prefix the calling code does not tie to a country (+1800 is toll-free in the US and Canada) is kept.
        Assert.NotNull(RateCard.FromJson(Edited(c => c["rows"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "out-1800", ["region"] = "us-east-1", ["chargeKind"] = "telephony:outbound", ["prefix"] = "+1800", ["usageType"] = "{REGION}-{CC}-outbound-mins",
            ["price"] = 0m, ["firstIncrement"] = 60, ["increment"] = 1, ["effectiveFrom"] = "2018-01-01",
        }))));

        // A number-day row needs no increments (number-days are not billed in seconds); a pricingModel left out is per-feature;
        // a price of 8 places, trailing zeros aside, is kept; a channel needs no usage type.
        var card = RateCard.FromJson(Edited(c =>
        {
            Row(c, "num-did").Remove("firstIncrement");
            Row(c, "num-did").Remove("increment");
            Row(c, "out-us").Remove("pricingModel");
            Row(c, "out-us")["price"] = JsonNode.Parse("0.004812340000");
        }));
        Assert.Equal(0.00481234m, card.Rows.Single(r => r.Id == "out-us").Price);
        Assert.Equal(PricingModels.PerFeature, card.Rows.Single(r => r.Id == "out-us").PricingModel);
        Assert.Equal("USE1-chat", card.UsageTypeFor(null, PricingModels.PerFeature, "chat", "us-east-1", null));
    }
}
