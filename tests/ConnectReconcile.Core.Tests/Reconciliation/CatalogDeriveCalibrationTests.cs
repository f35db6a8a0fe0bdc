using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

public sealed class CatalogDeriveCalibrationTests
{
    [Theory]
    [InlineData("USE1-end-customer-mins", "service", "per-feature", "us-east-1", null)]
    [InlineData("USE1-ai-end-customer-mins", "service", "unlimited-ai", "us-east-1", null)]
    [InlineData("APN1-JP-tollfree-inbound-mins", "telephony:inbound-tollfree", "per-feature", "ap-northeast-1", "JP")]
    [InlineData("USE1-US-outbound-mins", "telephony:outbound", "per-feature", "us-east-1", "US")]
    [InlineData("EUW2-GB-did-numbers", "number-days:did", "per-feature", "eu-west-2", "GB")]
    [InlineData("USE1-ContactLens-voice-mins", "contact-lens", "per-feature", "us-east-1", null)]
    public void Usage_types_are_read_through_the_rate_cards_templates(string usageType, string kind, string model, string region, string? country)
    {
        var m = Catalog.Match(usageType);
        Assert.NotNull(m);
        Assert.Equal((kind, model, region, country), (m.ChargeKind, m.PricingModel, m.Region, m.Country));
    }

    [Theory]
    [InlineData("USE1-video-mins")]
    [InlineData("XX99-end-customer-mins")]
    [InlineData("USE1-USA-outbound-mins")]
    public void Usage_types_no_template_matches_are_unknown(string usageType) => Assert.False(Catalog.IsKnown(usageType));

    [Theory]
    [InlineData("AmazonConnect", true)]
    [InlineData("ContactCenterTelecomm", true)]
    [InlineData("ContactCenterTelecommKR", true)]
    [InlineData("ContactLensAmazonConnect", true)]
    [InlineData("CustomerProfiles", true)]
    [InlineData("AmazonLex", false)]
    [InlineData("AWSLambda", false)]
    public void Connect_lines_are_recognised_by_product_code(string product, bool connect) => Assert.Equal(connect, CurClassifier.IsConnect(product));

    [Fact]
    public void Instance_and_contact_ids_are_found_in_resource_ids_and_tags()
    {
        const string instance = "0a1b2c3d-0000-4000-8000-000000000001";
        const string contact = "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47";
        var granular = Usage(Day1, Service, 1m, 0.018m, resource: $"arn:aws:connect:us-east-1:111122223333:instance/{instance}/contact/{contact}");
        Assert.Equal(instance, CurClassifier.InstanceOf(granular));
        Assert.Equal(contact, CurClassifier.ContactOf(granular));
        var tagged = Usage(Day1, Service, 1m, 0.018m, resource: contact.ToUpperInvariant(), instanceTag: "tagged");
        Assert.Equal("tagged", CurClassifier.InstanceOf(tagged));
        Assert.Equal(contact, CurClassifier.ContactOf(tagged));
        Assert.Null(CurClassifier.ContactOf(Usage(Day1, Service, 1m, 0.018m, resource: $"arn:aws:connect:us-east-1:111122223333:instance/{instance}")));
    }

    [Fact]
    public void The_invoice_hour_of_a_charge_stays_inside_its_report_day()
    {
        var day = new DateOnly(2026, 10, 2);
        Assert.Equal(new DateTime(2026, 10, 2, 14, 0, 0, DateTimeKind.Utc), InvoiceHours.HourOf(day, new DateTime(2026, 10, 2, 14, 59, 59, DateTimeKind.Utc)));
        Assert.Equal(new DateTime(2026, 10, 2, 23, 0, 0, DateTimeKind.Utc), InvoiceHours.HourOf(day, new DateTime(2026, 10, 3, 0, 0, 30, DateTimeKind.Utc)));
        Assert.Equal(new DateTime(2026, 10, 2, 0, 0, 0, DateTimeKind.Utc), InvoiceHours.HourOf(day, null));
    }

    [Fact]
    public void A_derived_card_prices_with_the_invoices_rates_and_keeps_the_base_increments()
    {
        var invoice = Invoice(
            Usage(Day1, Service, 100m, 0.0198m),
            Usage(Day2, Service, 100m, 0.0198m),
            Usage(Day1, Did, 50m, 0.0025m, product: "ContactCenterTelecomm"),
            Usage(new DateOnly(2026, 10, 15), Did, 50m, 0.0030m, product: "ContactCenterTelecomm"),
            Usage(Day1, "USE1-video-mins", 5m, 0.01m),
            Usage(Day1, Service, 0m, 0m, lineType: "Credit", cost: -1m, description: "AWS Free Tier credit"));
        var derived = RateCardDeriver.Derive(invoice, BuiltInRateCards.Default, "invoice-test");
        Assert.Equal(["USE1-video-mins"], derived.UnknownUsageTypes);

        var service = Assert.Single(derived.Card.Rows, r => r.Id == "cur-use1-end-customer-mins-per-feature");
        Assert.Equal((0.0198m, 10, 1, Day1, (DateOnly?)null), (service.Price, service.FirstIncrement, service.Increment, service.EffectiveFrom, service.EffectiveTo));
        var did = derived.Card.Rows.Where(r => r.ChargeKind == ChargeKinds.TelephonyInboundDid && r.PricingModel == PricingModels.PerFeature && r.Region == "us-east-1").OrderBy(r => r.EffectiveFrom).ToList();
        Assert.Equal([(0.0025m, Day1, (DateOnly?)new DateOnly(2026, 10, 15)), (0.0030m, new DateOnly(2026, 10, 15), null)],
            did.Select(r => (r.Price, r.EffectiveFrom, r.EffectiveTo)).ToArray());
        Assert.All(did, r => Assert.Equal((60, "US"), (r.FirstIncrement, r.Country)));
        Assert.Contains(derived.Card.Rows, r => r.Region == "ap-northeast-1"); // the base card's rows for usage the invoice does not show
        Assert.DoesNotContain(RateCardDeriver.Derive(invoice, BuiltInRateCards.Default, "v", invoiceOnly: true).Card.Rows, r => r.Region == "ap-northeast-1");

        // The card round-trips and re-rates a call at exactly the invoice's rate.
        var card = RateCard.FromJson(derived.Card.ToJson());
        var start = Instant.Parse("2026-10-01T09:00:00Z");
        var record = new ContactRecord
        {
            ContactId = "c1", Channel = Channels.Voice, InitiationMethod = InitiationMethods.Inbound, InitiationTimestamp = start,
            ConnectedToSystemTimestamp = start, DisconnectTimestamp = start.PlusSeconds(120),
            SystemEndpoint = new Endpoint("+12065550100", "TELEPHONE_NUMBER"), CustomerEndpoint = new Endpoint("+12125550123", "TELEPHONE_NUMBER"),
            InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/" + Instance,
        };
        var charges = new Rater(card, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing).Rate(new Chain("c1", [record])).Charges;
        Assert.Equal(0.0396m, charges.Single(c => c.ChargeKind == ChargeKinds.Service).Cost);
        Assert.Equal(0.005m, charges.Single(c => c.ChargeKind == ChargeKinds.TelephonyInboundDid).Cost);
    }

    [Fact]
    public void An_invoice_rate_with_more_places_than_a_card_keeps_is_rounded_and_said_so()
    {
        // The card's check refuses a price past 8 places (the outputs' rate column): derive must not write one.
        var derived = RateCardDeriver.Derive(Invoice(Usage(Day1, Service, 100m, 0.0029000005m)), BuiltInRateCards.Default, "invoice-test");

        Assert.Equal(0.00290000m, Assert.Single(derived.Card.Rows, r => r.Id == "cur-use1-end-customer-mins-per-feature").Price);
        Assert.Contains("USE1-end-customer-mins: the invoice's rate 0.0029000005 is rounded to 0.00290000 (a card keeps 8 decimal places)", derived.Notes);
        _ = RateCard.FromJson(derived.Card.ToJson()); // loads: was refused, "price 0.0029000005 has more than 8 decimal places"
    }

    [Fact]
    public void Calibration_ranks_policies_by_absolute_quantity_variance_and_marks_ties()
    {
        var invoice = Invoice(Usage(Day1, Service, 100m, 0.018m), Usage(Day1, Did, 80m, 0.0022m, product: "ContactCenterTelecomm"));
        var current = BillingPolicy.Default;
        var perRecord = current with { ServiceMetering = ServiceMetering.PerRecord };
        var answer = current with { OutboundServiceStart = OutboundServiceStart.Answer };
        var ranked = Calibration.Rank(
        [
            (current, [Expected(Day1, Service, 90m, 0.018m), Expected(Day1, Did, 80m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid)]),
            (perRecord, [Expected(Day1, Service, 100m, 0.018m), Expected(Day1, Did, 80m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid)]),
            (answer, [Expected(Day1, Service, 100m, 0.018m), Expected(Day1, Did, 80m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid),
                Expected(Day1, "USE1-chat-message", 5m, 0m, kind: "chat", unit: Units.Unit, charges: 5, unrated: 5)]),
        ], invoice, Catalog, Tolerance.Default, current);
        Assert.Equal([perRecord.ToString(), answer.ToString(), current.ToString()], ranked.Select(r => r.Policy).ToArray());
        Assert.Equal([1, 2, 3], ranked.Select(r => r.Rank).ToArray());
        Assert.Equal(0m, ranked[0].AbsQuantityVariance);
        Assert.True(ranked[1].TiedWithBest); // unrated usage the invoice lacks does not count
        Assert.Equal((10m, true, false), (ranked[2].AbsQuantityVariance, ranked[2].IsCurrent, ranked[2].TiedWithBest));
    }

    [Fact]
    public void An_aggregate_that_does_not_track_contacts_derives_the_same_card_and_still_knows_the_invoice_is_granular()
    {
        // A granular invoice: a line per contact. Deriving reads the day cells only, so it turns the per-contact cells off.
        CurLine Contact(int i, string usageType, decimal rate) =>
            Usage(Day1, usageType, 1m + (i % 7), rate, hour: i % 24, product: usageType == Service ? "AmazonConnect" : "ContactCenterTelecomm",
                resource: $"arn:aws:connect:us-east-1:111111111111:instance/{Instance}/contact/{Guid.NewGuid()}");
        var lines = Enumerable.Range(0, 200).Select(i => Contact(i, i % 2 == 0 ? Service : Did, i % 2 == 0 ? 0.018m : 0.0023m)).ToList();
        var tracking = new InvoiceAggregate(Day1);
        var days = new InvoiceAggregate(Day1) { TrackContacts = false };
        foreach (var line in lines)
        {
            tracking.Add(line);
            days.Add(line);
        }

        Assert.Equal(200, tracking.Contacts.Count);
        Assert.Empty(days.Contacts);
        Assert.True(days.HasContacts);
        Assert.Equal(
            RateCardDeriver.Derive(tracking, BuiltInRateCards.Default, "invoice-test").Card.ToJson(),
            RateCardDeriver.Derive(days, BuiltInRateCards.Default, "invoice-test").Card.ToJson());
        Assert.False(InvoiceAggregate.AllMonths(trackContacts: false).TrackContacts);
    }
}
