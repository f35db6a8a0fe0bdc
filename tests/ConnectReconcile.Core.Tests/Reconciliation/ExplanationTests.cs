using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

public sealed class ExplanationTests
{
    private const string Lens = "USE1-ContactLens-voice-mins";

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private static IReadOnlyList<ReconciliationLine> Explain(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, ReconciliationEvidence evidence) =>
        Explainer.Explain(Compare(expected, invoice), evidence with { Card = BuiltInRateCards.Default, Catalog = Catalog });

    private static Dictionary<HourKey, decimal> Hourly(params (DateOnly Day, int Hour, string UsageType, decimal Q)[] cells) =>
        cells.ToDictionary(c => new HourKey(At(c.Day, c.Hour), c.UsageType), c => c.Q);

    [Fact]
    public void Invoice_usage_on_a_day_without_any_CTRs_is_missing_CTRs_for_the_day()
    {
        var lines = Explain([Expected(Day1, Service, 100m, 0.018m)], Invoice(Usage(Day1, Service, 100m, 0.018m), Usage(Day2, Service, 80m, 0.018m)),
            new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1 } });
        var day2 = Assert.Single(lines, l => l.Day == Day2);
        var cause = Assert.Single(day2.Causes);
        Assert.Equal(CauseCodes.MissingCtrsDay, cause.Code);
        Assert.Contains("2026-10-02", cause.Text, StringComparison.Ordinal);
        Assert.Empty(Assert.Single(lines, l => l.Day == Day1).Causes);
    }

    [Fact]
    public void An_hour_whose_voice_usage_the_CTRs_mostly_lack_is_named_as_missing_CTRs()
    {
        // Hour 14 lacks 90 % of every usage type; hour 9 only lacks outbound (a single-usage-type difference).
        var invoice = Invoice(
            Usage(Day1, Service, 100m, 0.018m, hour: 9), Usage(Day1, Service, 100m, 0.018m, hour: 14),
            Usage(Day1, Did, 60m, 0.0022m, product: "ContactCenterTelecomm", hour: 9), Usage(Day1, Did, 60m, 0.0022m, product: "ContactCenterTelecomm", hour: 14));
        var evidence = new ReconciliationEvidence
        {
            DaysWithCtrs = new HashSet<DateOnly> { Day1 },
            InvoicedHourly = invoice.Hourly,
            ExpectedHourly = Hourly((Day1, 9, Service, 100m), (Day1, 14, Service, 10m), (Day1, 9, Did, 60m), (Day1, 14, Did, 6m)),
        };
        var lines = Explain([Expected(Day1, Service, 110m, 0.018m), Expected(Day1, Did, 66m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid)], invoice, evidence);
        foreach (var line in lines)
        {
            Assert.Equal(Statuses.Over, line.Status);
            var cause = Assert.Single(line.Causes);
            Assert.Equal(CauseCodes.MissingCtrsHour, cause.Code);
            Assert.Contains("2026-10-01 14:00–15:00 UTC", cause.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("09:00", cause.Text, StringComparison.Ordinal);
            Assert.Equal(line.QuantityVariance, cause.ExplainedQuantity);
        }
    }

    [Fact]
    public void A_shortfall_in_one_usage_type_only_is_not_blamed_on_missing_CTRs()
    {
        var invoice = Invoice(
            Usage(Day1, Service, 100m, 0.018m, hour: 9),
            Usage(Day1, Outbound, 20m, 0.0048m, product: "ContactCenterTelecomm", hour: 9));
        var evidence = new ReconciliationEvidence
        {
            InvoicedHourly = invoice.Hourly,
            ExpectedHourly = Hourly((Day1, 9, Service, 100m), (Day1, 9, Outbound, 5m)),
        };
        var line = Assert.Single(Explain([Expected(Day1, Service, 100m, 0.018m), Expected(Day1, Outbound, 5m, 0.0048m, kind: ChargeKinds.TelephonyOutbound)], invoice, evidence),
            l => l.UsageType == Outbound);
        Assert.DoesNotContain(line.Causes, c => c.Code == CauseCodes.MissingCtrsHour);
        // No agent directory was given: the desk-phone rule says so instead of naming agents.
        Assert.Contains(line.Causes, c => c.Code == CauseCodes.DeskAgentMissing && c.Text.Contains("--agents", StringComparison.Ordinal));
    }

    [Fact]
    public void Numbers_billed_but_not_in_the_inventory_are_named_from_the_calls_they_took()
    {
        var invoice = Invoice(Usage(Day1, DidNumbers, 3m, 0.03m, product: "ContactCenterTelecomm"));
        var evidence = new ReconciliationEvidence
        {
            InventoryNumbers = new Dictionary<DayKey, IReadOnlySet<string>> { [new DayKey(Day1, ChargeKinds.NumberDaysDid)] = new HashSet<string> { "+12065550100", "+12065550101" } },
            CalledNumbers = new Dictionary<DayKey, IReadOnlyDictionary<string, long>>
            {
                [new DayKey(Day1, ChargeKinds.NumberDaysDid)] = new Dictionary<string, long> { ["+12065550100"] = 40, ["+12065550199"] = 12 },
            },
        };
        var line = Assert.Single(Explain([Expected(Day1, DidNumbers, 2m, 0.03m, kind: ChargeKinds.NumberDaysDid, unit: Units.NumberDay)], invoice, evidence));
        Assert.Equal((Statuses.Over, "quantity"), (line.Status, line.Basis));
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.UnlistedNumber, cause.Code);
        Assert.Contains("+12065550199 (12 call(s))", cause.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("+12065550100", cause.Text, StringComparison.Ordinal);
        Assert.Equal(1m, cause.ExplainedQuantity);
    }

    [Fact]
    public void Outbound_minutes_the_CTRs_lack_are_traced_to_agents_missing_from_the_directory()
    {
        var invoice = Invoice(Usage(Day1, Outbound, 130m, 0.0048m, product: "ContactCenterTelecomm"));
        var evidence = new ReconciliationEvidence
        {
            DirectoryAgents = new HashSet<string> { "ann.lee", "bob.ray" },
            AgentSeconds = new Dictionary<DayKey, long>
            {
                [new DayKey(Day1, "ann.lee")] = 6000, [new DayKey(Day1, "carla.diaz")] = 1700, [new DayKey(Day2, "dan.wu")] = 900,
            },
        };
        var line = Assert.Single(Explain([Expected(Day1, Outbound, 100m, 0.0048m, kind: ChargeKinds.TelephonyOutbound)], invoice, evidence));
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.DeskAgentMissing, cause.Code);
        Assert.Contains("carla.diaz", cause.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("ann.lee", cause.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("dan.wu", cause.Text, StringComparison.Ordinal); // another day
        Assert.Equal(28.333m, Math.Round(cause.ExplainedQuantity!.Value, 3));

        // With a complete directory the rule stays silent and the variance is unexplained.
        var complete = Assert.Single(Explain([Expected(Day1, Outbound, 100m, 0.0048m, kind: ChargeKinds.TelephonyOutbound)], invoice,
            evidence with { DirectoryAgents = new HashSet<string> { "ann.lee", "carla.diaz" } }));
        Assert.Equal(CauseCodes.Unexplained, Assert.Single(complete.Causes).Code);
    }

    [Fact]
    public void A_different_unit_rate_on_the_invoice_is_a_rate_difference_that_accounts_for_the_cost_variance()
    {
        var line = Assert.Single(Explain([Expected(Day1, Service, 1000m, 0.018m)], Invoice(Usage(Day1, Service, 1000m, 0.0198m)), new ReconciliationEvidence()));
        Assert.Equal((Statuses.Over, "cost"), (line.Status, line.Basis));
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.RateDifference, cause.Code);
        Assert.Equal(1.8m, cause.ExplainedCost);
        Assert.Contains("0.0198", cause.Text, StringComparison.Ordinal);
        Assert.Contains("row use1-service", cause.Text, StringComparison.Ordinal);

        // Our cost per minute a blend of rows (prefixes, a dated change): no single row is named as if it priced it all.
        var blended = Assert.Single(Explain([Expected(Day1, Service, 1000m, 0.0185m)], Invoice(Usage(Day1, Service, 1000m, 0.0198m)), new ReconciliationEvidence()));
        var blend = Assert.Single(blended.Causes, c => c.Code == CauseCodes.RateDifference);
        Assert.DoesNotContain("row use1-service", blend.Text, StringComparison.Ordinal); // was named beside 0.0185, its price 0.018
        Assert.Contains("our rate card 0.0185 (a blend of several of its rows", blend.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cost_off_the_invoices_own_rate_is_said_as_such_not_quoted_as_a_rate_difference()
    {
        // The line's rate is the card's; only its cost is not rate × quantity (0.93225 would be).
        var invoice = Invoice(Usage(Day1, Lens, 62.15m, 0.015m, product: "ContactLensAmazonConnect", cost: 0.95225m));
        var line = Assert.Single(Explain([Expected(Day1, Lens, 62.15m, 0.015m, kind: ChargeKinds.ContactLens)], invoice, new ReconciliationEvidence()));
        Assert.Equal((Statuses.Over, "cost"), (line.Status, line.Basis));
        Assert.Equal(0.015m, line.InvoicedRate); // the rate column, not cost ÷ quantity
        Assert.DoesNotContain(line.Causes, c => c.Code == CauseCodes.RateDifference);
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.CostNotRateTimesQuantity, cause.Code);
        Assert.Equal(line.CostVariance, cause.ExplainedCost);
        Assert.Contains("line_item_unblended_rate (0.015)", cause.Text, StringComparison.Ordinal);
        Assert.Contains("no card", cause.Text, StringComparison.Ordinal);

        // Several rates: the rate quoted is theirs weighted by quantity, and a cost that is rate × quantity says nothing.
        var twoRates = Invoice(Usage(Day1, Service, 600m, 0.02m), Usage(Day1, Service, 400m, 0.025m, hour: 1));
        var rated = Assert.Single(Explain([Expected(Day1, Service, 1000m, 0.018m)], twoRates, new ReconciliationEvidence()));
        Assert.Equal(0.022m, rated.InvoicedRate);
        Assert.Equal(CauseCodes.RateDifference, Assert.Single(rated.Causes).Code);
    }

    [Fact]
    public void An_invoice_lower_by_no_more_than_our_minimum_top_ups_is_a_minimum_charge_effect()
    {
        var evidence = new ReconciliationEvidence { MinimumTopUpMinutes = new Dictionary<DayKey, decimal> { [new DayKey(Day1, Did)] = 12m } };
        var line = Assert.Single(Explain([Expected(Day1, Did, 100m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid)],
            Invoice(Usage(Day1, Did, 91m, 0.0022m, product: "ContactCenterTelecomm")), evidence with { }));
        Assert.Equal(Statuses.Under, line.Status);
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.MinimumCharge, cause.Code);

        // More than the minimums could account for: not a minimum effect.
        var bigger = Assert.Single(Explain([Expected(Day1, Did, 100m, 0.0022m, kind: ChargeKinds.TelephonyInboundDid)],
            Invoice(Usage(Day1, Did, 70m, 0.0022m, product: "ContactCenterTelecomm")), evidence));
        Assert.Equal(CauseCodes.Unexplained, Assert.Single(bigger.Causes).Code);
    }

    [Fact]
    public void Per_contact_variances_name_the_contacts_behind_a_row_and_calibration_names_a_better_policy()
    {
        var evidence = new ReconciliationEvidence
        {
            Contacts =
            [
                new ContactVariance(Day1, Outbound, "chain-a", "chain-a", 1m, 9m, 0.0048m, 0.0432m, true),
                new ContactVariance(Day1, Outbound, "chain-b", "c-b2", 0m, 2m, 0m, 0.0096m, false),
            ],
            Calibration =
            [
                new CalibrationResult("service=per-record", 0m, 0m, 0, false) { Rank = 1 },
                new CalibrationResult("default", 10m, 0.05m, 1, true) { Rank = 2 },
            ],
        };
        var line = Assert.Single(Explain([Expected(Day1, Outbound, 1m, 0.0048m, kind: ChargeKinds.TelephonyOutbound)],
            Invoice(Usage(Day1, Outbound, 11m, 0.0048m, product: "ContactCenterTelecomm")), evidence));
        var contacts = Assert.Single(line.Causes, c => c.Code == CauseCodes.Contacts);
        Assert.True(contacts.Text.IndexOf("chain-a", StringComparison.Ordinal) < contacts.Text.IndexOf("chain-b", StringComparison.Ordinal));
        Assert.Equal(10m, contacts.ExplainedQuantity);
        Assert.Contains(line.Causes, c => c.Code == CauseCodes.Policy && c.Text.Contains("service=per-record", StringComparison.Ordinal));
    }

    [Fact]
    public void Contacts_behind_a_variance_in_cost_are_named_by_their_cost_variance_not_a_zero_quantity()
    {
        // The invoice's rate is higher; the minutes agree. Each contact's quantity variance is 0: "(0 min)" said nothing.
        var evidence = new ReconciliationEvidence
        {
            Contacts =
            [
                new ContactVariance(Day1, Service, "chain-small", "chain-small", 10m, 10m, 0.18m, 0.2m, true),
                new ContactVariance(Day1, Service, "chain-large", "chain-large", 50m, 50m, 0.9m, 1.0623m, true),
            ],
        };
        var line = Assert.Single(Explain([Expected(Day1, Service, 60m, 0.018m)], Invoice(Usage(Day1, Service, 60m, 0.0210372m)), evidence));
        Assert.Equal("cost", line.Basis);
        var contacts = Assert.Single(line.Causes, c => c.Code == CauseCodes.Contacts);
        Assert.EndsWith("largest: chain-large (+0.1623 USD), chain-small (+0.02 USD)", contacts.Text, StringComparison.Ordinal);

        // On a quantity row, a contact whose minutes differ keeps its minutes; one whose minutes agree shows its cost.
        var quantity = new ReconciliationEvidence
        {
            Contacts =
            [
                new ContactVariance(Day1, Service, "chain-a", "chain-a", 1m, 9m, 0.018m, 0.162m, true),
                new ContactVariance(Day1, Service, "chain-b", "chain-b", 2m, 2m, 0.036m, 0.05m, true),
            ],
        };
        var byQuantity = Assert.Single(Explain([Expected(Day1, Service, 3m, 0.018m)], Invoice(Usage(Day1, Service, 11m, 0.018m)), quantity));
        Assert.Equal("quantity", byQuantity.Basis);
        Assert.EndsWith("largest: chain-a (+8 min), chain-b (+0.014 USD)", Assert.Single(byQuantity.Causes, c => c.Code == CauseCodes.Contacts).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_within_tolerance_get_no_causes_but_unknown_usage_types_always_say_so()
    {
        var lines = Explain([Expected(Day1, Service, 100m, 0.018m)],
            Invoice(Usage(Day1, Service, 100m, 0.018m), Usage(Day1, "USE1-new-thing", 1m, 0.001m)), new ReconciliationEvidence());
        Assert.Empty(Assert.Single(lines, l => l.UsageType == Service).Causes);
        var unknown = Assert.Single(lines, l => l.UsageType == "USE1-new-thing");
        Assert.False(unknown.BeyondTolerance); // 0.001 USD
        Assert.Equal(CauseCodes.UnknownUsageType, Assert.Single(unknown.Causes).Code);
    }

    [Fact]
    public void An_unreadable_invoice_line_explains_the_rows_of_its_day_usage_type_and_instance_only()
    {
        // Both instances are invoiced 20 minutes short; the unreadable line names the first (by tag or resource id).
        const string other = "99999999-8888-7777-6666-555555555555";
        var invoice = Invoice(Usage(Day1, Service, 80m, 0.018m, instanceTag: Instance), Usage(Day1, Service, 80m, 0.018m, instanceTag: other));
        var expected = new[] { Expected(Day1, Service, 100m, 0.018m), Expected(Day1, Service, 100m, 0.018m, instance: other) };
        UnreadableInvoiceLine Line(string? instance) => new("cur.csv.gz", 7, "cost 'n/a' is not a number", Day1, Service, instance);

        var named = Explain(expected, invoice, new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1 }, UnreadableLines = [Line(Instance)] });
        Assert.Contains(CauseCodes.UnreadableInvoiceLine, Assert.Single(named, l => l.InstanceId == Instance).Causes.Select(c => c.Code));
        Assert.DoesNotContain(CauseCodes.UnreadableInvoiceLine, Assert.Single(named, l => l.InstanceId == other).Causes.Select(c => c.Code));

        // A line whose instance could not be told may be either instance's.
        var unnamed = Explain(expected, invoice, new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1 }, UnreadableLines = [Line(null)] });
        Assert.All(unnamed, l => Assert.Contains(CauseCodes.UnreadableInvoiceLine, l.Causes.Select(c => c.Code)));

        // Another day or usage type is not this row's.
        var elsewhere = Explain(expected, invoice, new ReconciliationEvidence
        {
            DaysWithCtrs = new HashSet<DateOnly> { Day1 },
            UnreadableLines = [Line(null) with { Day = Day2 }, Line(null) with { UsageType = Did }],
        });
        Assert.All(elsewhere, l => Assert.DoesNotContain(CauseCodes.UnreadableInvoiceLine, l.Causes.Select(c => c.Code)));
    }
}
