using System.Globalization;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

public sealed class RatingTests
{
    private static ContactRecord TokyoCall(int seconds, string system = "+81312340001") => new()
    {
        ContactId = "tokyo-1",
        Channel = Channels.Voice,
        InitiationMethod = InitiationMethods.Inbound,
        InitiationTimestamp = Instant.Parse("2020-06-01T09:00:00Z"),
        ConnectedToSystemTimestamp = Instant.Parse("2020-06-01T09:00:00Z"),
        DisconnectTimestamp = Instant.Parse("2020-06-01T09:00:00Z").PlusSeconds(seconds),
        SystemEndpoint = new Endpoint(system, "TELEPHONE_NUMBER"),
        CustomerEndpoint = new Endpoint("+819011112222", "TELEPHONE_NUMBER"),
        InstanceArn = "arn:aws:connect:ap-northeast-1:111122223333:instance/i-tokyo",
    };

    private static Rater DefaultRater(RateCard? card = null) => new(card ?? BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);

    [Fact]
    public void Tokyo_DID_150_seconds_costs_0_0525_USD_as_in_the_worked_example()
    {
        var result = DefaultRater().Rate(new Chain("tokyo-1", [TokyoCall(150)]));
        var service = result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service);
        var telephony = result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundDid);
        Assert.Equal(0.045m, service.Cost);
        Assert.Equal(0.0075m, telephony.Cost);
        Assert.Equal(0.0525m, result.Cost);
        Assert.Equal("APN1-end-customer-mins", service.UsageType);
        Assert.Equal("APN1-JP-did-inbound-mins", telephony.UsageType);
    }

    [Theory]
    [InlineData(0, 60, 1, 0)]
    [InlineData(1, 60, 1, 60)]
    [InlineData(40, 60, 1, 60)]
    [InlineData(60, 60, 1, 60)]
    [InlineData(61, 60, 1, 61)]
    [InlineData(61, 60, 6, 66)]
    [InlineData(5, 10, 1, 10)]
    [InlineData(125, 0, 60, 180)]
    public void Increments_bill_the_first_increment_then_steps(long seconds, int first, int step, long billed) =>
        Assert.Equal(billed, Increments.Bill(seconds, first, step));

    [Fact]
    public void A_toll_free_number_is_recognised_without_an_inventory_and_the_inventory_wins_when_given()
    {
        var tollFree = DefaultRater().Rate(new Chain("tokyo-1", [TokyoCall(90, "+81120123456")]));
        Assert.Equal(ChargeKinds.TelephonyInboundTollFree, tollFree.Charges.Single(c => c.ChargeKind.StartsWith("telephony", StringComparison.Ordinal)).ChargeKind);

        var inventory = new NumberInventory([new ClaimedNumber("+81120123456", NumberTypes.Did, "JP", null, null)]);
        var asDid = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, inventory).Rate(new Chain("tokyo-1", [TokyoCall(90, "+81120123456")]));
        Assert.Equal(ChargeKinds.TelephonyInboundDid, asDid.Charges.Single(c => c.ChargeKind.StartsWith("telephony", StringComparison.Ordinal)).ChargeKind);
    }

    [Fact]
    public void Number_days_are_charged_on_the_days_asked_for_only_however_far_apart()
    {
        // A run's report days: one stray record years before the month must not charge (nor rate) every day between.
        DateOnly[] days = [new(1970, 1, 1), new(2026, 10, 1), new(2026, 10, 2)];
        var held = new ClaimedNumber("+12065550100", NumberTypes.Did, "US", null, null);
        var released = held with { Number = "+12065550101", ReleasedAt = Instant.Parse("2026-10-01T05:10:00Z") };
        var charges = new NumberDayRater(BuiltInRateCards.Default)
            .Rate([released, held], days, _ => new NumberHome("i-1", "us-east-1"), estimated: true).ToList();

        Assert.Equal(
            ["+12065550100 1970-01-01 1", "+12065550100 2026-10-01 1", "+12065550100 2026-10-02 1", "+12065550101 1970-01-01 1", "+12065550101 2026-10-01 0.25"],
            charges.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Number} {c.Day:yyyy-MM-dd} {c.Quantity:0.##}")));
        Assert.All(charges, c => Assert.Equal(ChargeKinds.NumberDaysDid, c.ChargeKind));
    }

    [Fact]
    public void A_number_moved_from_one_instance_to_another_is_charged_in_each_for_its_own_time()
    {
        // Released in instance a at 12:00 on the 5th and claimed in instance c at once: two rows of the inventory.
        var inventory = ReferenceReaders.ReadNumbers("""
            number,type,country,claimed_at,released_at,instance_id,region
            +12025550199,DID,US,2026-09-01T00:00:00Z,2026-10-05T12:00:00Z,a,us-east-1
            +12025550199,DID,US,2026-10-05T12:00:00Z,,c,us-east-1
            """);
        var days = Enumerable.Range(0, 31).Select(d => new DateOnly(2026, 10, 1).AddDays(d)).ToList();

        var charges = new NumberDayRater(BuiltInRateCards.Default)
            .Rate(inventory.Numbers, days, n => new NumberHome(n.InstanceId!, n.Region!), estimated: false).ToList();

        // Was instance c's 26.5 days only: the later row replaced the earlier one.
        Assert.Equal([("a", 4.5m), ("c", 26.5m)],
            charges.GroupBy(c => c.InstanceId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Sum(c => c.Quantity))));

        // Held twice at once is a mistake in the file, not two numbers' charges.
        var e = Assert.Throws<FormatException>(() => ReferenceReaders.ReadNumbers("""
            number,type,country,claimed_at,released_at,instance_id
            +12025550199,DID,US,2026-09-01T00:00:00Z,2026-10-06T00:00:00Z,a
            +12025550199,DID,US,2026-10-05T12:00:00Z,,c
            """));
        Assert.StartsWith("the number inventory holds +12025550199 twice at once (2026-09-01T00:00:00Z to 2026-10-06T00:00:00Z in a and 2026-10-05T12:00:00Z to still held in c)", e.Message, StringComparison.Ordinal);
        Assert.Single(ReferenceReaders.ReadNumbers("number,type,country,claimed_at,released_at\n+12025550199,DID,US,,\n+12025550199,DID,US,,\n").Numbers); // the same row twice is one
    }

    [Fact]
    public void A_leg_that_begins_after_midnight_on_a_switch_to_unlimited_ai_takes_that_days_model_and_rows()
    {
        // Per-feature until 2026-06-16, unlimited AI from then; each model's rows only while it applies.
        var card = RateCard.FromJson($$"""
        { "version": "switch", {{TestCards.Head}}
          "instances": [ { "instanceId": "*", "pricingModel": "per-feature", "from": "2017-01-01", "to": "2026-06-16" },
                         { "instanceId": "*", "pricingModel": "unlimited-ai", "from": "2026-06-16" } ],
          "rows": [
            { "id": "svc-old", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins", "unit": "minute", "price": 0.018, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2018-01-01", "effectiveTo": "2026-06-16", "source": "test" },
            { "id": "svc-ai", "region": "us-east-1", "pricingModel": "unlimited-ai", "chargeKind": "service", "usageType": "{REGION}-ai-end-customer-mins", "unit": "minute", "price": 0.038, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2026-06-16", "source": "test" },
            { "id": "out-old", "region": "us-east-1", "pricingModel": "per-feature", "chargeKind": "telephony:outbound", "country": "US", "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.0048, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01", "effectiveTo": "2026-06-16", "source": "test" },
            { "id": "out-ai", "region": "us-east-1", "pricingModel": "unlimited-ai", "chargeKind": "telephony:outbound", "country": "US", "usageType": "{REGION}-{CC}-outbound-mins", "unit": "minute", "price": 0.006, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2026-06-16", "source": "test" }
          ] }
        """);
        // Dialled at 23:59:50 on the 15th (its report day), answered at 00:00:10 on the 16th.
        var call = new ContactRecord
        {
            ContactId = "sw-1",
            Channel = Channels.Voice,
            InitiationMethod = InitiationMethods.Outbound,
            InitiationTimestamp = Instant.Parse("2026-06-15T23:59:50Z"),
            ConnectedToSystemTimestamp = Instant.Parse("2026-06-16T00:00:10Z"),
            DisconnectTimestamp = Instant.Parse("2026-06-16T00:02:10Z"),
            CustomerEndpoint = new Endpoint("+12065550123", "TELEPHONE_NUMBER"),
            SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
            InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001",
        };

        var charges = DefaultRater(card).Rate(new Chain("sw-1", [call])).Charges;

        // Was unrated: the 15th's per-feature model looked up among the 16th's rows.
        var telephony = charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyOutbound);
        Assert.Equal(("out-ai", PricingModels.UnlimitedAi, new DateOnly(2026, 6, 15)), (telephony.RateRowId, telephony.PricingModel, telephony.Day));
        var service = charges.Single(c => c.ChargeKind == ChargeKinds.Service);
        Assert.Equal(("svc-old", PricingModels.PerFeature), (service.RateRowId, service.PricingModel)); // dialling began on the 15th
    }

    [Fact]
    public void A_rate_card_gap_is_reported_per_charge_never_priced_at_zero()
    {
        var card = RateCard.FromJson($$"""
        { "version": "gappy", {{TestCards.Head}}
          "rows": [ { "id": "apn1-service", "region": "ap-northeast-1", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins", "price": 0.018, "firstIncrement": 10, "increment": 1,
                      "effectiveFrom": "2018-01-01", "source": "test" } ] }
        """);
        var result = DefaultRater(card).Rate(new Chain("tokyo-1", [TokyoCall(150)]));
        var telephony = result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundDid);
        Assert.Null(telephony.Cost);
        Assert.Contains("no rate-card row", telephony.UnratedReason, StringComparison.Ordinal);
        Assert.Contains(ChainFlags.Unrated, result.Flags);
        Assert.Null(result.Cost);
        Assert.Equal(0.045m, result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service).Cost);
    }

    [Theory]
    [InlineData("\"chargeKind\": \"telephony:inbund-did\", \"price\": 0.0022", "charge kind 'telephony:inbund-did'")] // a typo: every such charge unrated
    [InlineData("\"chargeKind\": \"service\", \"unit\": \"hour\", \"price\": 0.018", "unit 'hour'")]
    [InlineData("\"chargeKind\": \"number-days:did\", \"price\": 0.03", "unit 'minute'")] // number-days need unit number-day
    [InlineData("\"chargeKind\": \"service\", \"price\": -0.018", "price -0.018 is negative")]
    [InlineData("\"chargeKind\": \"service\", \"price\": 1e15", "is not below 100000 per minute")] // would overflow the outputs' decimals
    [InlineData("\"chargeKind\": \"service\", \"price\": 0.018, \"effectiveTo\": \"2017-01-01\"", "so the row never applies")]
    [InlineData("\"chargeKind\": \"telephony:outbound\", \"prefix\": \"1206\", \"price\": 0.01", "prefix '1206' is not an E.164 prefix")]
    public void A_rate_card_row_that_could_only_misprice_is_refused_when_the_card_is_read(string fields, string expected)
    {
        var json = $$"""
        { "version": "v", {{TestCards.Head}}
          "rows": [ { "id": "r1", "region": "us-east-1", "usageType": "{REGION}-x", "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test", {{fields}} } ] }
        """;
        var e = Assert.Throws<FormatException>(() => RateCard.FromJson(json));
        Assert.Contains("Rate card row r1: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);

        // The same rows well formed are read, a channel's per-unit row among them.
        Assert.Equal(2, RateCard.FromJson(json.Replace(fields, "\"chargeKind\": \"number-days:did\", \"unit\": \"number-day\", \"price\": 0.03", StringComparison.Ordinal)
            .Replace("\"rows\": [", "\"rows\": [ { \"id\": \"c\", \"region\": \"us-east-1\", \"chargeKind\": \"chat\", \"unit\": \"unit\", \"usageType\": \"chat\", \"price\": 0.004, \"effectiveFrom\": \"2018-01-01\" },", StringComparison.Ordinal)).Rows.Count);
    }

    [Theory]
    [InlineData("\"rows\": null", "rows must be a list of row objects")]
    [InlineData("\"rows\": [null]", "rows must be a list of row objects")]
    [InlineData("\"rows\": [{ROW}, {ROW}]", "have the id 'r1'")]
    [InlineData("\"version\": \" \", \"rows\": []", "has no version")]
    [InlineData("\"rows\": [{ROW}, { \"id\": \"r2\", \"region\": \"us-east-1\", \"chargeKind\": \"service\", \"usageType\": \"x\", \"price\": 0.02, \"firstIncrement\": 10, \"increment\": 1, \"effectiveFrom\": \"2018-01-01\" }]", "rows r1 and r2 price the same case (service, us-east-1, per-feature) from the same day")]
    [InlineData("\"rows\": [{ROW}], \"efectiveTo\": \"2026-01-01\"", "Rate card: 'efectiveTo' at $.efectiveTo is not a key of the format")] // a misspelt key is not ignored
    [InlineData("\"rows\": {ROW}", "Rate card: the value at $.rows is not of the format's type")]
    [InlineData("\"rows\": [{ROW} {ROW}]", "Rate card is not valid JSON: '{' is invalid after a value")]
    [InlineData("\"rows\": [{ROW}], \"currency\": \"USD\", \"currency\": \"EUR\"", "Rate card: the key 'currency' is given twice at $.currency; keep one")]
    [InlineData("\"rows\": [{ROWTWICE}]", "Rate card: the key 'price' is given twice at $.rows[0].price; keep one")]
    [InlineData("\"regionCodes\": { \"us-east-1\": \"USE1\", \"us-east-1\": \"X\" }, \"rows\": [{ROW}]", "Rate card: a key is given twice at $.regionCodes.us-east-1; keep one")]
    public void A_rate_card_of_the_wrong_shape_is_refused_when_the_card_is_read(string body, string expected)
    {
        const string row = """{ "id": "r1", "region": "us-east-1", "chargeKind": "service", "usageType": "x", "price": 0.018, "firstIncrement": 10, "increment": 1, "effectiveFrom": "2018-01-01" }""";
        // A row whose price is given twice: the last (200 a minute) was taken silently.
        var twice = row.Replace("\"price\": 0.018", "\"price\": 0.018, \"price\": 200", StringComparison.Ordinal);
        var json = """{ "format": "connect-reconcile/rate-card@1", "version": "v", """ + body.Replace("{ROWTWICE}", twice, StringComparison.Ordinal).Replace("{ROW}", row, StringComparison.Ordinal) + " }";
        json = json.Replace("\"version\": \"v\", \"version\"", "\"version\"", StringComparison.Ordinal);
        var e = Assert.ThrowsAny<Exception>(() => RateCard.FromJson(json));
        Assert.True(e is FormatException or System.Text.Json.JsonException, e.ToString());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Longest_prefix_and_effective_dates_pick_the_row()
    {
        var card = RateCard.FromJson($$"""
        { "version": "prefixes", {{TestCards.Head}}
          "rows": [
            { "id": "jp", "region": "ap-northeast-1", "chargeKind": "telephony:outbound", "country": "JP", "usageType": "x", "price": 0.10, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01", "source": "t" },
            { "id": "jp-mobile", "region": "ap-northeast-1", "chargeKind": "telephony:outbound", "country": "JP", "prefix": "+8190", "usageType": "x", "price": 0.20, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2018-01-01", "source": "t" },
            { "id": "jp-mobile-2030", "region": "ap-northeast-1", "chargeKind": "telephony:outbound", "country": "JP", "prefix": "+8190", "usageType": "x", "price": 0.30, "firstIncrement": 60, "increment": 1, "effectiveFrom": "2030-01-01", "source": "t" }
          ] }
        """);
        var day = new DateOnly(2026, 10, 1);
        Assert.Equal("jp-mobile", card.Find("ap-northeast-1", PricingModels.PerFeature, ChargeKinds.TelephonyOutbound, "JP", "+819011112222", day)?.Id);
        Assert.Equal("jp", card.Find("ap-northeast-1", PricingModels.PerFeature, ChargeKinds.TelephonyOutbound, "JP", "+81312345678", day)?.Id);
        Assert.Equal("jp-mobile-2030", card.Find("ap-northeast-1", PricingModels.PerFeature, ChargeKinds.TelephonyOutbound, "JP", "+819011112222", new DateOnly(2030, 6, 1))?.Id);
        Assert.Null(card.Find("us-east-1", PricingModels.PerFeature, ChargeKinds.TelephonyOutbound, "JP", "+819011112222", day));
    }

    [Fact]
    public void Unlimited_ai_instances_use_their_service_row_and_carry_no_contact_lens_charge()
    {
        var builtin = BuiltInRateCards.Default;
        var card = new RateCard
        {
            Version = "ai", Currency = builtin.Currency, RegionCodes = builtin.RegionCodes, UsageTypes = builtin.UsageTypes, Rows = builtin.Rows,
            Instances = [new InstancePricing("*", PricingModels.PerFeature, DateOnly.MinValue), new InstancePricing("i-tokyo", PricingModels.UnlimitedAi, new DateOnly(2020, 1, 1))],
        };
        var call = TokyoCall(150) with { ContactLensEnabled = true, Agent = new AgentInfo { Username = "a", ConnectedToAgentTimestamp = Instant.Parse("2020-06-01T09:00:30Z") } };
        var result = DefaultRater(card).Rate(new Chain("tokyo-1", [call]));
        Assert.DoesNotContain(result.Charges, c => c.ChargeKind == ChargeKinds.ContactLens);
        var service = result.Charges.Single(c => c.ChargeKind == ChargeKinds.Service);
        Assert.Equal("APN1-ai-end-customer-mins", service.UsageType);
        Assert.Equal(150 * 0.038m / 60, service.Cost);

        var perFeature = DefaultRater().Rate(new Chain("tokyo-1", [call]));
        Assert.Equal(120, perFeature.Charges.Single(c => c.ChargeKind == ChargeKinds.ContactLens).BilledSeconds);
    }

    [Fact]
    public void A_chat_or_task_record_in_a_calls_chain_is_charged_as_a_contact_of_its_own()
    {
        // A chat after the call and a task made from it: Connect gives both the call's InitialContactId.
        ContactRecord Record(string id, string channel, string? previous) => new()
        {
            ContactId = id,
            Channel = channel,
            InitiationMethod = previous is null ? InitiationMethods.Api : InitiationMethods.Transfer,
            InitialContactId = previous is null ? null : "call-1",
            PreviousContactId = previous,
            InitiationTimestamp = Instant.Parse("2020-06-01T09:03:00Z"),
            DisconnectTimestamp = Instant.Parse("2020-06-01T09:10:00Z"),
            InstanceArn = "arn:aws:connect:ap-northeast-1:111122223333:instance/i-tokyo",
        };

        foreach (var (id, channel) in new[] { ("chat-1", Channels.Chat), ("task-1", Channels.Task) })
        {
            var unit = DefaultRater().RateUnit(Record(id, channel, "call-1"));
            Assert.Equal((id, id), (unit.ChainId, unit.ContactId)); // was the call's "call-1": its charges then summed to more than the call's contacts row
        }

        Assert.Equal("chat-0", DefaultRater().RateUnit(Record("chat-0", Channels.Chat, null)).ChainId);
    }

    [Fact]
    public void An_orphan_is_rated_alone_and_flagged_and_the_full_chain_rates_as_one_call_once_the_root_arrives()
    {
        var path = Path.Combine(Fixtures.ScenarioDir("s03-internal-transfer"), "ctrs.json");
        var records = Fixtures.ParseAll(path);
        var child = records.Single(r => !r.IsRoot);
        var orphan = DefaultRater().Rate(ChainBuilder.Build([child]).Single());
        Assert.True(orphan.Chain.IsOrphan);
        Assert.Contains(ChainFlags.Orphan, orphan.Flags);
        Assert.Equal(270, orphan.Legs.Single().Seconds); // 10:04:30 → 10:09:00 on its own

        var whole = DefaultRater().Rate(ChainBuilder.Build(records).Single());
        Assert.False(whole.Chain.IsOrphan);
        Assert.Equal(540, whole.Legs.Single().Seconds);
    }

    [Fact]
    public void Policy_alternatives_change_what_they_say_they_change()
    {
        var records = Fixtures.ParseAll(Path.Combine(Fixtures.ScenarioDir("s03-internal-transfer"), "ctrs.json"));
        long Service(BillingPolicy p) => new Rater(BuiltInRateCards.Default, p, AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(ChainBuilder.Build(records).Single()).Charges.Where(c => c.ChargeKind == ChargeKinds.Service).Sum(c => c.BilledSeconds);
        Assert.Equal(540, Service(BillingPolicy.Default));
        Assert.Equal(300 + 270, Service(BillingPolicy.Parse("service=per-record"))); // overlap counted twice

        var shortOut = Fixtures.ParseAll(Path.Combine(Fixtures.ScenarioDir("s10-short-outbound"), "ctrs.json"));
        long Billed(string policy, string kind) => new Rater(BuiltInRateCards.Default, BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(ChainBuilder.Build(shortOut).Single()).Charges.Where(c => c.ChargeKind == kind).Sum(c => c.BilledSeconds);
        Assert.Equal(40, Billed("outbound-start=answer", ChargeKinds.Service));
        Assert.Equal(40, Billed("minimums=none", ChargeKinds.TelephonyOutbound));
        Assert.Equal(60, Billed("default", ChargeKinds.TelephonyOutbound));
    }

    [Fact]
    public void Policy_text_round_trips_and_rejects_unknown_settings()
    {
        foreach (var p in BillingPolicy.Alternatives)
        {
            Assert.Equal(p, BillingPolicy.Parse(p.ToString()));
        }

        Assert.Equal(BillingPolicy.Default, BillingPolicy.Parse("default"));
        Assert.Throws<FormatException>(() => BillingPolicy.Parse("minimums=sometimes"));
    }
    [Fact]
    public void Minimums_none_drops_the_first_increment_but_still_counts_time_in_the_rows_increment()
    {
        // A card billing in 6-second steps: service with a 12-second minimum, DID telephony with none.
        var card = RateCard.FromJson($$"""
        { "version": "steps", {{TestCards.Head}}
          "rows": [
            { "id": "svc", "region": "ap-northeast-1", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins", "price": 0.018, "firstIncrement": 12, "increment": 6, "effectiveFrom": "2018-01-01", "source": "test" },
            { "id": "did", "region": "ap-northeast-1", "chargeKind": "telephony:inbound-did", "country": "JP", "usageType": "{REGION}-{CC}-did-inbound-mins", "price": 0.003, "firstIncrement": 6, "increment": 6, "effectiveFrom": "2018-01-01", "source": "test" }
          ] }
        """);
        long Billed(string policy, int seconds, string kind) => new Rater(card, BillingPolicy.Parse(policy), AgentDirectory.Empty, NumberInventory.Missing)
            .Rate(new Chain("tokyo-1", [TokyoCall(seconds)])).Charges.Single(c => c.ChargeKind == kind).BilledSeconds;

        Assert.Equal(66, Billed("minimums=none", 61, ChargeKinds.Service)); // was 61: per second
        Assert.Equal(66, Billed("minimums=none", 61, ChargeKinds.TelephonyInboundDid));
        Assert.Equal(6, Billed("minimums=none", 5, ChargeKinds.Service)); // no 12-second minimum, one 6-second step
        Assert.Equal(12, Billed("default", 5, ChargeKinds.Service));
        Assert.Equal(66, Billed("default", 61, ChargeKinds.Service));
    }
    [Fact]
    public void A_far_end_number_written_without_its_plus_meets_the_cards_prefix_row()
    {
        // 18002430000 is +18002430000: the +1800 row prices it, not the country's row.
        var card = RateCard.FromJson($$"""
        { "version": "prefix", {{TestCards.Head}}
          "rows": [
            { "id": "svc", "region": "us-east-1", "chargeKind": "service", "usageType": "{REGION}-end-customer-mins", "price": 0.018, "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test" },
            { "id": "out-us", "region": "us-east-1", "chargeKind": "telephony:outbound", "country": "US", "usageType": "{REGION}-{CC}-outbound-mins", "price": 0.0048, "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test" },
            { "id": "out-1800", "region": "us-east-1", "chargeKind": "telephony:outbound", "country": "US", "prefix": "+1800", "usageType": "{REGION}-{CC}-outbound-mins", "price": 0.001, "firstIncrement": 1, "increment": 1, "effectiveFrom": "2018-01-01", "source": "test" }
          ] }
        """);
        var call = new ContactRecord
        {
            ContactId = "out-1",
            Channel = Channels.Voice,
            InitiationMethod = InitiationMethods.Outbound,
            InitiationTimestamp = Instant.Parse("2026-06-15T10:00:00Z"),
            ConnectedToSystemTimestamp = Instant.Parse("2026-06-15T10:00:00Z"),
            DisconnectTimestamp = Instant.Parse("2026-06-15T10:02:00Z"),
            CustomerEndpoint = new Endpoint("18002430000", "TELEPHONE_NUMBER"),
            SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"),
            InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001",
        };

        var result = DefaultRater(card).Rate(new Chain("out-1", [call]));
        var telephony = result.Charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyOutbound);
        Assert.Equal(("out-1800", "+18002430000", 0.002m), (telephony.RateRowId, telephony.Number, telephony.Cost));
        Assert.Equal("+18002430000", result.Legs.Single().Number);
    }
}
