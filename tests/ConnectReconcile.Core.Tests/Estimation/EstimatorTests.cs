using ConnectReconcile.Core.Estimation;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;

namespace ConnectReconcile.Core.Tests.Estimation;

public sealed class EstimatorTests
{
    private static readonly DateOnly November = new(2026, 11, 1);

    private static VolumeProfile OneCall(string region, DurationDistribution seconds) => new()
    {
        Region = region,
        Month = November,
        Days = 1,
        CallsPerDay = new CallVolumes { InboundDid = 1 },
        Inbound = new InboundBehaviour { IvrOnlyShare = 1, IvrOnlySeconds = seconds },
    };

    private static decimal Kind(EstimateResult r, string kind) => r.ByChargeKind.Single(k => k.Key == kind).Cost;

    [Fact]
    public void A_single_150_s_Tokyo_DID_call_costs_the_worked_example()
    {
        // spec/cur-facts.md (Serverworks 2020): service 0.018/60 × 150 = 0.045; telephony 0.003/60 × 150 = 0.0075.
        var result = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(OneCall("ap-northeast-1", DurationDistribution.Fixed(150)));
        Assert.Equal(0.045m, Kind(result, ChargeKinds.Service));
        Assert.Equal(0.0075m, Kind(result, ChargeKinds.TelephonyInboundDid));
        Assert.Equal(0.0525m, result.Total);
        Assert.Equal("APN1-JP-did-inbound-mins", result.Lines.Single(l => l.ChargeKind == ChargeKinds.TelephonyInboundDid).UsageType);
        Assert.Equal(2.5m, result.Lines.Single(l => l.ChargeKind == ChargeKinds.Service).Quantity);
    }

    [Fact]
    public void The_same_call_answered_by_an_agent_costs_the_same()
    {
        var profile = new VolumeProfile
        {
            Region = "ap-northeast-1",
            Month = November,
            Days = 1,
            CallsPerDay = new CallVolumes { InboundDid = 1 },
            Inbound = new InboundBehaviour
            {
                IvrSeconds = DurationDistribution.Fixed(20),
                QueueSeconds = DurationDistribution.Fixed(10),
                TalkSeconds = DurationDistribution.Fixed(120),
            },
        };
        var result = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(profile);
        Assert.Equal(0.0525m, result.Total);
        var segments = result.BySegment.ToDictionary(s => s.Key, s => s.Cost);
        Assert.Equal(0.0525m * 20 / 150, segments["ivr"]);
        Assert.Equal(0.0525m * 10 / 150, segments["queue"]);
        Assert.Equal(0.0525m * 120 / 150, segments["agent"]);
    }

    [Fact]
    public void Short_calls_pay_the_minimums_of_the_rate_card()
    {
        var result = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(OneCall("ap-northeast-1", DurationDistribution.Fixed(40)));
        Assert.Equal(0.003m, Kind(result, ChargeKinds.TelephonyInboundDid)); // 60 s minimum
        Assert.Equal(0.012m, Kind(result, ChargeKinds.Service));             // 40 s, above the 10 s minimum

        var noMinimums = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default with { Minimums = MinimumScope.None })
            .Estimate(OneCall("ap-northeast-1", DurationDistribution.Fixed(40)));
        Assert.Equal(0.002m, Kind(noMinimums, ChargeKinds.TelephonyInboundDid));
    }

    [Fact]
    public void An_average_is_priced_as_a_distribution_so_the_minimum_bites_on_the_short_calls()
    {
        // 45 s on average: all fixed → every call tops up to 60 s; exponential → E[max(60, X)] = 60 + 45·e^(−60/45) ≈ 71.86 s.
        var fixedCost = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(OneCall("us-east-1", DurationDistribution.Fixed(45)));
        var spread = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(OneCall("us-east-1", DurationDistribution.Exponential(45)));
        var minutes = spread.Lines.Single(l => l.ChargeKind == ChargeKinds.TelephonyInboundDid).Quantity;
        Assert.Equal(1m, fixedCost.Lines.Single(l => l.ChargeKind == ChargeKinds.TelephonyInboundDid).Quantity);
        var expected = (60 + 45 * Math.Exp(-60.0 / 45)) / 60;
        Assert.InRange((double)minutes, expected * 0.99, expected * 1.01);
        // Service: the 10 s minimum lifts the exponential's short calls: 10 + 45·e^(−10/45) ≈ 46.0 s > 45 s.
        var service = (double)spread.Lines.Single(l => l.ChargeKind == ChargeKinds.Service).Quantity * 60;
        Assert.InRange(service, (10 + 45 * Math.Exp(-10.0 / 45)) * 0.99, (10 + 45 * Math.Exp(-10.0 / 45)) * 1.01);
    }

    [Fact]
    public void Quantizing_keeps_the_mean()
    {
        var cases = new[]
        {
            DurationDistribution.Exponential(180),
            DurationDistribution.LogNormal(300, 0.8),
            DurationDistribution.FromBuckets([new(5, 30, 0.25), new(30, 120, 0.5), new(120, 400, 0.25)]),
            DurationDistribution.FromSample([10, 20, 35, 3600]),
            DurationDistribution.Fixed(150),
        };
        foreach (var d in cases)
        {
            var values = d.Quantize(200);
            Assert.Equal(200, values.Length);
            Assert.InRange(values.Average(), d.Average - 0.01, d.Average + 0.01);
            Assert.True(values.SequenceEqual(values.Order()));
        }

        Assert.Equal(0.25 * 25 / 25 * 0 + 0.25, DurationDistribution.FromBuckets([new(5, 30, 0.25), new(30, 120, 0.5), new(120, 400, 0.25)]).ShareBelow(30), 6);
        Assert.Equal(1 - Math.Exp(-1), DurationDistribution.Exponential(60).ShareBelow(60), 9);
        Assert.Equal(0.5, DurationDistribution.LogNormal(100, 0.5).ShareBelow(100 * Math.Exp(-0.125)), 6);
    }

    [Fact]
    public void Desk_phones_and_Contact_Lens_are_weighted_not_sampled()
    {
        var profile = new VolumeProfile
        {
            Region = "us-east-1",
            Month = November,
            Days = 30,
            CallsPerDay = new CallVolumes { InboundTollFree = 100 },
            Inbound = new InboundBehaviour { TalkSeconds = DurationDistribution.Fixed(300), IvrSeconds = DurationDistribution.Fixed(30), QueueSeconds = DurationDistribution.Fixed(30) },
            DeskPhoneShare = 0.1m,
            ContactLensShare = 0.25m,
        };
        var result = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(profile);
        // 3,000 calls; 10 % of 300 s agent time on a desk phone at 0.0048/min; Contact Lens on 25 % of 300 s at 0.015/min.
        Assert.Equal(3000m * 0.1m * 5 * 0.0048m, Kind(result, ChargeKinds.TelephonyOutbound));
        Assert.Equal(3000m * 0.25m * 5 * 0.015m, Kind(result, ChargeKinds.ContactLens));
        Assert.Equal(3000m * 6 * 0.012m, Kind(result, ChargeKinds.TelephonyInboundTollFree));

        var ai = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(profile with { PricingModel = PricingModels.UnlimitedAi });
        Assert.DoesNotContain(ai.ByChargeKind, k => k.Key == ChargeKinds.ContactLens);
        Assert.Equal(3000m * 6 * 0.038m, Kind(ai, ChargeKinds.Service));
        Assert.Equal("unlimited-ai", ai.PricingModel);
    }

    [Fact]
    public void Numbers_and_unpriced_channels_are_reported()
    {
        var profile = new VolumeProfile
        {
            Region = "ap-northeast-1",
            Month = November,
            Numbers = new NumbersHeld { Did = 3, TollFree = 2 },
            OtherContactsPerDay = new Dictionary<string, decimal> { ["chat"] = 10 },
        };
        var result = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(profile);
        Assert.Equal(30, result.Days);
        Assert.Equal(3 * 30 * 0.10m, Kind(result, ChargeKinds.NumberDaysDid));
        Assert.Equal(2 * 30 * 0.48m, Kind(result, ChargeKinds.NumberDaysTollFree));
        var chat = result.Lines.Single(l => l.ChargeKind == "chat");
        Assert.Equal(300m, chat.UnratedQuantity);
        Assert.Contains(result.UnratedReasons, r => r.Contains("chat", StringComparison.Ordinal));
    }

    [Fact]
    public void A_profile_derived_from_the_synthetic_calls_estimates_the_same_cost()
    {
        var profile = new VolumeProfile
        {
            Region = "ap-northeast-1",
            Month = November,
            Days = 30,
            CallsPerDay = new CallVolumes { InboundDid = 300, InboundTollFree = 200, Outbound = new Dictionary<string, decimal> { ["JP"] = 80 }, Callbacks = 10 },
            Inbound = new InboundBehaviour
            {
                IvrOnlyShare = 0.12m,
                AbandonedShare = 0.08m,
                InternalTransferShare = 0.1m,
                ExternalTransferShare = 0.03m,
                TalkSeconds = DurationDistribution.LogNormal(330, 0.8),
            },
            Outbound = new OutboundBehaviour { AnsweredShare = 0.75m },
            DeskPhoneShare = 0.05m,
            ContactLensShare = 0.2m,
            Numbers = new NumbersHeld { Did = 3, TollFree = 2 },
        };
        var estimator = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default);
        var original = estimator.Estimate(profile, new EstimateOptions { Resolution = 100 });

        // Treat the synthetic calls as a month of CTRs (each chain one call, whatever its weight) and derive a profile from them.
        var synth = new ChainSynthesizer(profile, November, 30, 100);
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, synth.Agents, synth.Numbers);
        var builder = new ProfileBuilder(BillingPolicy.Default);
        var replayed = 0m;
        foreach (var call in synth.Calls())
        {
            var rated = rater.Rate(call.Chain);
            builder.Add(rated);
            replayed += rated.Cost ?? 0;
        }

        var derived = builder.Build("round trip");
        Assert.Equal("ap-northeast-1", derived.Region);
        Assert.Equal("JP", derived.Country);
        Assert.Equal(30, derived.Days);
        Assert.True(derived.CallsPerDay.Callbacks > 0);
        Assert.True(derived.Inbound.ExternalTransferShare > 0);
        var again = estimator.Estimate(derived, new EstimateOptions { Resolution = 100 });
        Assert.InRange(again.Total, replayed * 0.995m, replayed * 1.005m);
        Assert.True(original.Total > 0);
        Assert.DoesNotContain(derived.Notes, n => n.Contains("span regions", StringComparison.Ordinal));

        // CTRs of a second, smaller instance in another region: priced at the larger one's rates, and the notes say so.
        var virginia = profile with { Region = "us-east-1", CallsPerDay = new CallVolumes { InboundDid = 20 } };
        var secondRater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, Core.Reference.AgentDirectory.Empty, Core.Reference.NumberInventory.Missing);
        foreach (var call in new ChainSynthesizer(virginia, November, 30, 20).Calls())
        {
            builder.Add(secondRater.Rate(call.Chain));
        }

        var mixed = builder.Build("two regions");
        Assert.Equal("ap-northeast-1", mixed.Region);
        Assert.Contains(mixed.Notes, n => n.StartsWith("The CTRs span regions: priced as ap-northeast-1", StringComparison.Ordinal) && n.Contains("us-east-1 (", StringComparison.Ordinal));
    }

    [Fact]
    public void A_callbacks_external_transfer_is_named_with_its_cost_not_dropped()
    {
        // The profile's external transfers are a share of answered inbound calls; one made from a callback has no place
        // in it, and was left out without a word (a quarter of the replay's cost in one explorer's month).
        var t0 = Time.Instant.Parse("2026-10-07T10:00:00Z");
        var inbound = new Ctr.ContactRecord
        {
            ContactId = "in", Channel = Ctr.Channels.Voice, InitiationMethod = Ctr.InitiationMethods.Inbound,
            InitiationTimestamp = t0, ConnectedToSystemTimestamp = t0, DisconnectTimestamp = t0.PlusSeconds(120),
            SystemEndpoint = new Ctr.Endpoint("+12065550100", "TELEPHONE_NUMBER"), CustomerEndpoint = new Ctr.Endpoint("+13125550111", "TELEPHONE_NUMBER"),
            Queue = new Ctr.QueueInfo { Name = "q", EnqueueTimestamp = t0.PlusSeconds(60) },
            InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001",
        };
        var callback = inbound with
        {
            ContactId = "cb", InitialContactId = "in", PreviousContactId = "in", InitiationMethod = Ctr.InitiationMethods.Callback,
            InitiationTimestamp = t0.PlusSeconds(120), ConnectedToSystemTimestamp = t0.PlusSeconds(82_800), DisconnectTimestamp = t0.PlusSeconds(83_340),
            Queue = null,
            Agent = new Ctr.AgentInfo { Username = "a", ConnectedToAgentTimestamp = t0.PlusSeconds(82_805), AfterContactWorkStartTimestamp = t0.PlusSeconds(83_340) },
            TransferredToEndpoint = new Ctr.Endpoint("+13125550999", "TELEPHONE_NUMBER"), TransferCompletedTimestamp = t0.PlusSeconds(83_040),
        };
        var rated = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, Reference.AgentDirectory.Empty, Reference.NumberInventory.Missing)
            .Rate(new Chains.Chain("in", [inbound, callback]));
        var external = Assert.Single(rated.Legs, l => l.Kind == LegKinds.ThirdParty);
        Assert.Equal(300, external.Seconds);

        var builder = new ProfileBuilder(BillingPolicy.Default);
        builder.AddDay(new DateOnly(2026, 10, 7));
        builder.Add(rated);
        var cost = rated.Charges.Where(c => c.LegKind == LegKinds.ThirdParty).Sum(c => c.Cost ?? 0);
        Assert.True(cost > 0);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Not modelled: 1 third-party legs of callback calls, rated at {cost:0.00} in the replay."),
            builder.Build().Notes);
    }

    /// <summary>The built-in cards with rows added (and, by id, ended).</summary>
    private static RateCard WithRows(IEnumerable<RateRow> added, IReadOnlyDictionary<string, DateOnly>? endedOn = null)
    {
        var card = BuiltInRateCards.Default;
        return new RateCard
        {
            Version = card.Version + "+test",
            Currency = card.Currency,
            RegionCodes = card.RegionCodes,
            UsageTypes = card.UsageTypes,
            Instances = card.Instances,
            Rows = [.. card.Rows.Select(r => endedOn is not null && endedOn.TryGetValue(r.Id, out var to) ? r with { EffectiveTo = to } : r), .. added],
        };
    }

    [Fact]
    public void A_pricing_model_given_applies_to_every_day_even_when_the_card_switches_later_in_the_month()
    {
        // The card moves every instance to unlimited-ai on 2 November; the profile asks for per-feature. Compared with the
        // first day's model only, 29 of 30 days were priced unlimited-ai while the output said per-feature.
        var builtIn = BuiltInRateCards.Default;
        var card = new RateCard
        {
            Version = "test-ai",
            Currency = builtIn.Currency,
            RegionCodes = builtIn.RegionCodes,
            UsageTypes = builtIn.UsageTypes,
            Instances = [.. builtIn.Instances, new InstancePricing("*", PricingModels.UnlimitedAi, new DateOnly(2026, 11, 2))],
            Rows = builtIn.Rows,
        };
        var profile = new VolumeProfile
        {
            Region = "us-east-1",
            Month = November,
            CallsPerDay = new CallVolumes { InboundTollFree = 100 },
            Inbound = new InboundBehaviour { TalkSeconds = DurationDistribution.Fixed(300), IvrSeconds = DurationDistribution.Fixed(30), QueueSeconds = DurationDistribution.Fixed(30) },
            ContactLensShare = 0.25m,
            PricingModel = PricingModels.PerFeature,
        };
        var pinned = new Estimator(card, BillingPolicy.Default).Estimate(profile);
        var plain = new Estimator(BuiltInRateCards.Default, BillingPolicy.Default).Estimate(profile);
        Assert.Equal(PricingModels.PerFeature, pinned.PricingModel);
        Assert.Equal(Kind(plain, ChargeKinds.Service), Kind(pinned, ChargeKinds.Service));
        Assert.Equal(Kind(plain, ChargeKinds.ContactLens), Kind(pinned, ChargeKinds.ContactLens));
        Assert.Equal(plain.Total, pinned.Total);
    }

    [Fact]
    public void A_price_change_inside_the_month_weights_each_side_by_its_days_whatever_the_durations()
    {
        // Service 0.018 until 16 November, then 0.036: 15 days each side. 300 IVR-only calls averaging 605 s (half
        // 100–120 s, half 1,000–1,200 s) are 3,025 minutes, 1,512.5 on each side: 27.225 + 54.45 = 81.675. Calls of
        // each duration were assigned to days after a shuffle, so which durations fell after the change was chance (79.34).
        var service = BuiltInRateCards.Default.Rows.Single(r => r.Id == "use1-service");
        var card = WithRows([service with { Id = "use1-service-new", Price = 0.036m, EffectiveFrom = new DateOnly(2026, 11, 16) }],
            new Dictionary<string, DateOnly> { ["use1-service"] = new(2026, 11, 16) });
        var profile = new VolumeProfile
        {
            Region = "us-east-1",
            Month = November,
            CallsPerDay = new CallVolumes { InboundDid = 10 },
            Inbound = new InboundBehaviour
            {
                IvrOnlyShare = 1,
                IvrOnlySeconds = DurationDistribution.FromBuckets([new DurationBucket(100, 120, 0.5), new DurationBucket(1000, 1200, 0.5)]),
            },
        };
        var result = new Estimator(card, BillingPolicy.Default).Estimate(profile);
        var line = result.Lines.Single(l => l.ChargeKind == ChargeKinds.Service);
        Assert.Equal(3025m, Math.Round(line.Quantity, 10));
        Assert.Equal(81.675m, Math.Round(line.Cost, 10));

        // A change on the 11th: a third of the days at the old price, whatever the resolution.
        var eleventh = WithRows([service with { Id = "use1-service-new", Price = 0.036m, EffectiveFrom = new DateOnly(2026, 11, 11) }],
            new Dictionary<string, DateOnly> { ["use1-service"] = new(2026, 11, 11) });
        foreach (var resolution in new[] { 7, 200 })
        {
            var cost = new Estimator(eleventh, BillingPolicy.Default).Estimate(profile, new EstimateOptions { Resolution = resolution })
                .Lines.Single(l => l.ChargeKind == ChargeKinds.Service).Cost;
            Assert.Equal(Math.Round(3025m / 3 * 0.018m + 3025m * 2 / 3 * 0.036m, 8), Math.Round(cost, 8));
        }
    }

    [Fact]
    public void A_line_priced_at_several_rates_shows_no_single_rate_but_each_rows_part()
    {
        // Outbound to +1206 has its own row (0.01) beside the country's (0.0048): 20 minutes each, 0.296 in all.
        var outbound = BuiltInRateCards.Default.Rows.Single(r => r.Id == "use1-us-out");
        var card = WithRows([outbound with { Id = "use1-us-out-1206", Price = 0.01m, Prefix = "+1206" }]);
        var profile = new VolumeProfile
        {
            Region = "us-east-1",
            Month = November,
            Days = 1,
            CallsPerDay = new CallVolumes { Outbound = new Dictionary<string, decimal> { ["+1206"] = 10, ["US"] = 10 } },
            Outbound = new OutboundBehaviour { RingSeconds = DurationDistribution.Fixed(10), TalkSeconds = DurationDistribution.Fixed(120) },
        };
        var result = new Estimator(card, BillingPolicy.Default).Estimate(profile);
        var line = result.Lines.Single(l => l.ChargeKind == ChargeKinds.TelephonyOutbound);
        Assert.Equal(40m, line.Quantity);
        Assert.Equal(0.296m, line.Cost);
        Assert.Null(line.Rate); // was the first charge's 0.01, which 40 minutes at does not make 0.296
        Assert.Null(line.RateRowId);
        Assert.True(line.MixedRates);
        Assert.Equal([("use1-us-out", 0.0048m, 20m, 0.096m), ("use1-us-out-1206", 0.01m, 20m, 0.2m)],
            line.Rates.Select(p => (p.RowId, p.Rate, p.Quantity, p.Cost)));

        // One rate: shown, with its row.
        var service = result.Lines.Single(l => l.ChargeKind == ChargeKinds.Service);
        Assert.Equal(0.018m, service.Rate);
        Assert.Equal("use1-service", service.RateRowId);
        Assert.False(service.MixedRates);
    }

    [Fact]
    public void Moving_a_profile_to_another_region_moves_its_home_country_where_the_card_prices_it()
    {
        var us = new VolumeProfile
        {
            Region = "us-east-1",
            Country = "US",
            Month = November,
            CallsPerDay = new CallVolumes { InboundDid = 10, Outbound = new Dictionary<string, decimal> { ["US"] = 5, ["+8190"] = 1 } },
            Inbound = new InboundBehaviour { ExternalCountry = "US" },
            Numbers = new NumbersHeld { Did = 1 },
        };
        var card = BuiltInRateCards.Default;
        var tokyo = us.MoveTo("ap-northeast-1", null, card);
        Assert.Equal("ap-northeast-1", tokyo.Region);
        Assert.Equal("JP", tokyo.Country);
        Assert.Equal(5m, tokyo.CallsPerDay.Outbound["JP"]); // domestic stays domestic
        Assert.Equal(1m, tokyo.CallsPerDay.Outbound["+8190"]);
        Assert.False(tokyo.CallsPerDay.Outbound.ContainsKey("US"));
        Assert.Null(tokyo.Inbound.ExternalCountry);
        Assert.Contains(tokyo.Notes, n => n.Contains("home country JP instead of us-east-1 (US)", StringComparison.Ordinal));
        var estimate = new Estimator(card, BillingPolicy.Default).Estimate(tokyo);
        Assert.Empty(estimate.UnratedReasons);
        Assert.All(estimate.Lines, l => Assert.Equal(0m, l.UnratedQuantity));

        // Priced where the profile's own country has rows, or asked for: kept; another region of the same country: unchanged.
        Assert.Same(us, us.MoveTo("us-east-1", null, card));
        Assert.Equal("US", us.MoveTo("ap-northeast-1", "us", card).Country);

        // No clear country: a region without a default one whose card prices numbers of two others.
        var did = card.Rows.Single(r => r.Id == "use1-us-did-number");
        var paris = WithRows([did with { Id = "fr", Region = "eu-west-3", Country = "FR" }, did with { Id = "be", Region = "eu-west-3", Country = "BE" }]);
        var e = Assert.Throws<FormatException>(() => us.MoveTo("eu-west-3", null, paris));
        Assert.Contains("give --country", e.Message, StringComparison.Ordinal);
        Assert.Equal("FR", us.MoveTo("eu-west-3", "FR", paris).Country);
        Assert.Equal("FR", us.MoveTo("eu-west-3", null, WithRows([did with { Id = "fr", Region = "eu-west-3", Country = "FR" }])).Country);
    }

    [Theory]
    [InlineData("US", "+12015550100")]
    [InlineData("CA", "+12045550100")]
    [InlineData("JM", "+16585550100")] // a member of the North American plan: +1 and its area code
    [InlineData("KZ", "+76355550100")]
    [InlineData("UA", "+380355550100")]
    public void Example_numbers_read_back_as_their_country(string country, string number)
    {
        Assert.Equal(number, ExampleNumbers.For(country));
        Assert.Equal(country, Core.Reference.PhoneNumbers.CountryOf(number));
    }
}
