using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

/// <summary>
/// Several instances in one invoice: a row of one instance is explained from that instance's evidence
/// only; an instance without CTRs says so; --account keeps the instances its lines name; a row our
/// card could not price is never within tolerance on cost.
/// </summary>
public sealed class InstancesAndUnratedTests
{
    private const string A = "aaaaaaaa-0000-4000-8000-00000000000a";
    private const string B = "bbbbbbbb-0000-4000-8000-00000000000b";
    private const string F = "ffffffff-0000-4000-8000-00000000000f";

    private static DateTime At(DateOnly day, int hour) => day.ToDateTime(new TimeOnly(hour, 0), DateTimeKind.Utc);

    private static CurLine Of(CurLine line, string instance, string? account = null) =>
        line with { ResourceId = $"arn:aws:connect:us-east-1:111122223333:instance/{instance}", UsageAccountId = account };

    private static ReconciliationReport Build(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, ReconciliationEvidence evidence) =>
        ReconciliationReport.Build(expected, invoice, Catalog, Tolerance.Default, evidence with { Card = BuiltInRateCards.Default, Catalog = Catalog });

    [Fact]
    public void A_day_the_invoice_lacks_is_summed_over_instances_when_the_invoice_names_none()
    {
        // The invoice names no instance and has no line of day 2: our two instances' day 2 is one row, like day 1.
        var expected = new[]
        {
            Expected(Day1, Service, 60m, 0.018m, instance: A), Expected(Day1, Service, 40m, 0.018m, instance: B),
            Expected(Day2, Service, 60m, 0.018m, instance: A), Expected(Day2, Service, 40m, 0.018m, instance: B),
        };
        var report = Build(expected, Invoice(Usage(Day1, Service, 100m, 0.018m)), new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });

        Assert.All(report.Lines, l => Assert.Null(l.InstanceId)); // day 2 was split into @A and @B
        var day2 = Assert.Single(report.Lines, l => l.Day == Day2);
        Assert.Equal((Statuses.OnlyInCtrs, 100m), (day2.Status, day2.ExpectedQuantity));
        var cause = Assert.Single(day2.Causes);
        Assert.Equal(CauseCodes.Unexplained, cause.Code);
        Assert.Contains("the invoice bills nothing for this day and usage type", cause.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("CTR source for gaps", cause.Text, StringComparison.Ordinal);

        // An invoice naming the instance on every line still splits the day it lacks per instance.
        var named = Build(expected, Invoice(Of(Usage(Day1, Service, 60m, 0.018m), A), Of(Usage(Day1, Service, 40m, 0.018m), B)),
            new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });
        Assert.Equal([A, B], named.Lines.Where(l => l.Day == Day2).Select(l => l.InstanceId));
    }

    [Fact]
    public void An_hour_one_instance_lacks_is_not_covered_by_another_instances_CTRs()
    {
        // Instance B's CTRs of 10:00 are missing; A had calls that hour. Summed over instances, A's minutes hid B's gap.
        var invoice = Invoice(
            Of(Usage(Day1, Service, 100m, 0.018m, hour: 9), A), Of(Usage(Day1, Service, 100m, 0.018m, hour: 10), A),
            Of(Usage(Day1, Service, 50m, 0.018m, hour: 9), B), Of(Usage(Day1, Service, 50m, 0.018m, hour: 10), B));
        var evidence = new ReconciliationEvidence
        {
            DaysWithCtrs = new HashSet<DateOnly> { Day1 },
            InvoicedHourly = invoice.Hourly,
            ExpectedHourly = new Dictionary<HourKey, decimal>
            {
                [new HourKey(At(Day1, 9), Service, A)] = 100m, [new HourKey(At(Day1, 10), Service, A)] = 100m,
                [new HourKey(At(Day1, 9), Service, B)] = 50m,
            },
            InstancesWithCtrs = new HashSet<string> { A, B },
        };
        var report = Build([Expected(Day1, Service, 200m, 0.018m, instance: A), Expected(Day1, Service, 50m, 0.018m, instance: B)], invoice, evidence);

        var b = Assert.Single(report.Lines, l => l.InstanceId == B);
        Assert.Equal(Statuses.Over, b.Status);
        var cause = Assert.Single(b.Causes);
        Assert.Equal(CauseCodes.MissingCtrsHour, cause.Code);
        Assert.Contains("2026-10-01 10:00–11:00 UTC", cause.Text, StringComparison.Ordinal);
        Assert.Equal(Statuses.Match, Assert.Single(report.Lines, l => l.InstanceId == A).Status);
    }

    [Fact]
    public void A_day_one_instance_has_no_CTRs_is_missing_for_it_though_another_instance_has_CTRs_that_day()
    {
        var invoice = Invoice(Of(Usage(Day1, Service, 100m, 0.018m), A), Of(Usage(Day2, Service, 100m, 0.018m), A), Of(Usage(Day2, Service, 40m, 0.018m), B));
        var evidence = new ReconciliationEvidence
        {
            DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 },
            DaysWithCtrsByInstance = new Dictionary<string, IReadOnlySet<DateOnly>> { [A] = new HashSet<DateOnly> { Day1, Day2 }, [B] = new HashSet<DateOnly> { Day1 } },
            InstancesWithCtrs = new HashSet<string> { A, B },
        };
        var report = Build([Expected(Day1, Service, 100m, 0.018m, instance: A), Expected(Day2, Service, 100m, 0.018m, instance: A),
            Expected(Day1, Service, 30m, 0.018m, instance: B)], invoice, evidence);

        var b = Assert.Single(report.Lines, l => l.InstanceId == B && l.Day == Day2);
        Assert.Equal(CauseCodes.MissingCtrsDay, Assert.Single(b.Causes).Code);
    }

    [Fact]
    public void An_instance_the_invoice_bills_without_any_CTRs_says_so_instead_of_borrowing_other_instances_evidence()
    {
        var invoice = Invoice(
            Of(Usage(Day1, Service, 100m, 0.018m, hour: 9), A),
            Of(Usage(Day1, Service, 70m, 0.018m, hour: 9), F),
            Of(Usage(Day1, DidNumbers, 3m, 0.03m), F),
            Of(Usage(Day1, Outbound, 20m, 0.0048m, product: "ContactCenterTelecomm", hour: 9), F));
        var evidence = new ReconciliationEvidence
        {
            DaysWithCtrs = new HashSet<DateOnly> { Day1 },
            DaysWithCtrsByInstance = new Dictionary<string, IReadOnlySet<DateOnly>> { [A] = new HashSet<DateOnly> { Day1 } },
            InstancesWithCtrs = new HashSet<string> { A },
            InvoicedHourly = invoice.Hourly,
            ExpectedHourly = new Dictionary<HourKey, decimal> { [new HourKey(At(Day1, 9), Service, A)] = 100m },
            // A's numbers took calls and are not in the inventory; A's agent is not in the directory: nothing of F.
            InventoryNumbers = new Dictionary<DayKey, IReadOnlySet<string>>(),
            CalledNumbers = new Dictionary<DayKey, IReadOnlyDictionary<string, long>>
            {
                [new DayKey(Day1, ChargeKinds.NumberDaysDid, A)] = new Dictionary<string, long> { ["+12065550100"] = 40 },
            },
            DirectoryAgents = new HashSet<string>(),
            AgentSeconds = new Dictionary<DayKey, long> { [new DayKey(Day1, "ann.lee", A)] = 6000 },
        };
        var report = Build([Expected(Day1, Service, 100m, 0.018m, instance: A)], invoice, evidence);

        var f = report.Lines.Where(l => l.InstanceId == F).ToList();
        Assert.Equal(3, f.Count);
        Assert.All(f, l =>
        {
            Assert.Equal(Statuses.OnlyInInvoice, l.Status);
            var cause = Assert.Single(l.Causes);
            Assert.Equal(CauseCodes.MissingCtrsInstance, cause.Code);
            Assert.Contains($"no CTRs of instance {F} were rated this month", cause.Text, StringComparison.Ordinal);
        });
        Assert.DoesNotContain(report.Lines.SelectMany(l => l.Causes), c => c.Text.Contains("ann.lee", StringComparison.Ordinal) || c.Text.Contains("+12065550100", StringComparison.Ordinal));
        Assert.Equal(F, Assert.Single(report.InstancesWithoutCtrs).InstanceId);
        Assert.Contains(report.Notes, n => n.StartsWith("The invoice bills 1 instance(s) none of whose CTRs were rated in 2026-10: " + F, StringComparison.Ordinal));
    }

    [Fact]
    public void A_row_summed_over_instances_still_looks_at_every_instances_evidence()
    {
        // No instance on the invoice: the row is summed, and A's CTRs of the day count (today's behaviour).
        var invoice = Invoice(Usage(Day1, Service, 200m, 0.018m, hour: 9));
        var evidence = new ReconciliationEvidence
        {
            DaysWithCtrs = new HashSet<DateOnly> { Day1 },
            DaysWithCtrsByInstance = new Dictionary<string, IReadOnlySet<DateOnly>> { [A] = new HashSet<DateOnly> { Day1 } },
            InstancesWithCtrs = new HashSet<string> { A },
            InvoicedHourly = invoice.Hourly,
            ExpectedHourly = new Dictionary<HourKey, decimal> { [new HourKey(At(Day1, 9), Service, A)] = 40m, [new HourKey(At(Day1, 9), Service, B)] = 40m },
        };
        var report = Build([Expected(Day1, Service, 40m, 0.018m, instance: A), Expected(Day1, Service, 40m, 0.018m, instance: B)], invoice, evidence);
        var line = Assert.Single(report.Lines);
        Assert.Null(line.InstanceId);
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.MissingCtrsHour, cause.Code);
        Assert.Contains("together 120 of the 120 min variance", cause.Text, StringComparison.Ordinal);
        Assert.Equal(120m, cause.ExplainedQuantity);
        Assert.Empty(report.InstancesWithoutCtrs);
    }

    [Fact]
    public void Account_keeps_the_instances_its_lines_name_and_says_which_were_left_out()
    {
        var invoice = new InvoiceAggregate(Day1, account: "111111111111");
        foreach (var line in new[]
        {
            Of(Usage(Day1, Service, 100m, 0.018m), A, "111111111111"),
            Of(Usage(Day1, Service, 80m, 0.018m), B, "222222222222"),
        })
        {
            invoice.Add(line);
        }

        var expected = new[] { Expected(Day1, Service, 100m, 0.018m, instance: A), Expected(Day1, Service, 80m, 0.018m, instance: B), Expected(Day1, Service, 5m, 0.018m, instance: F) };
        var scope = Assert.IsType<AccountScope>(AccountScope.Of(invoice, expected));
        Assert.True(scope.Filtered);
        Assert.Equal([A], scope.Compared);
        Assert.Equal([B, F], scope.LeftOut);
        Assert.Contains($"compared the CTRs of instance(s) {A}", scope.Note, StringComparison.Ordinal);
        Assert.Contains($"left out the CTRs of instance(s) {B}, {F}", scope.Note, StringComparison.Ordinal);

        var lines = Reconciler.Compare(expected.Where(e => scope.Keeps(e.InstanceId)).ToList(), invoice, Catalog, Tolerance.Default);
        Assert.Equal(Statuses.Match, Assert.Single(lines).Status);

        // Some of the account's lines name no instance: instances no other account names may be its, and are kept.
        var partly = new InvoiceAggregate(Day1, account: "111111111111");
        partly.Add(Of(Usage(Day1, Service, 100m, 0.018m), A, "111111111111"));
        partly.Add(Usage(Day1, Did, 10m, 0.0022m, product: "ContactCenterTelecomm") with { UsageAccountId = "111111111111" });
        partly.Add(Of(Usage(Day1, Service, 80m, 0.018m), B, "222222222222"));
        var kept = AccountScope.Of(partly, expected)!;
        Assert.Equal([A, F], kept.Compared);
        Assert.Equal([B], kept.LeftOut);

        // No line names an instance: nothing to tell apart, everything compared, and the note says how to compare one account.
        var bare = new InvoiceAggregate(Day1, account: "111111111111");
        bare.Add(Usage(Day1, Service, 100m, 0.018m) with { UsageAccountId = "111111111111" });
        bare.Add(Usage(Day1, Service, 80m, 0.018m) with { UsageAccountId = "222222222222" });
        var all = AccountScope.Of(bare, expected)!;
        Assert.False(all.Filtered);
        Assert.True(all.Keeps(B));
        Assert.Contains("could not be filtered", all.Note, StringComparison.Ordinal);
        Assert.Contains("replay only its instances' CTRs", all.Note, StringComparison.Ordinal);

        Assert.Null(AccountScope.Of(Invoice(Of(Usage(Day1, Service, 100m, 0.018m), A)), expected));
    }

    [Fact]
    public void Invoiced_cost_against_usage_our_card_could_not_price_is_beyond_tolerance_and_names_the_missing_row()
    {
        // Tokyo minutes without a rate-card row: quantities nearly agree, but 0.00 expected against the invoice's cost is no match.
        const string Tokyo = "APN1-end-customer-mins";
        var expected = new ExpectedUsage(Day1, A, "ap-northeast-1", Tokyo, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 30, 6000, 100m, 0m, 30);
        var invoice = Invoice(Usage(Day1, Tokyo, 100.5m, 0.018m));
        var report = Build([expected], invoice, new ReconciliationEvidence { DaysWithCtrs = new HashSet<DateOnly> { Day1 } });

        var line = Assert.Single(report.Lines);
        Assert.NotEqual(Statuses.WithinTolerance, line.Status);
        Assert.True(line.BeyondTolerance);
        Assert.Equal((Statuses.Over, "cost"), (line.Status, line.Basis));
        var cause = Assert.Single(line.Causes);
        Assert.Equal(CauseCodes.Unrated, cause.Code);
        Assert.Contains("no rate-card row for service in ap-northeast-1", cause.Text, StringComparison.Ordinal);
        Assert.Contains("without the card's increments and minimums", cause.Text, StringComparison.Ordinal);

        // Partly unrated: the rated part's cost alone is no basis either.
        var partly = new ExpectedUsage(Day1, A, "ap-northeast-1", Tokyo, ChargeKinds.Service, Units.Minute, PricingModels.PerFeature, 30, 6000, 100m, 1.5m, 10);
        var part = Assert.Single(Build([partly], invoice, new ReconciliationEvidence()).Lines);
        Assert.True(part.BeyondTolerance);
        Assert.Contains("10 of our 30 charges", Assert.Single(part.Causes).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(CauseCodes.Unexplained, part.Causes.Select(c => c.Code));
    }
}
