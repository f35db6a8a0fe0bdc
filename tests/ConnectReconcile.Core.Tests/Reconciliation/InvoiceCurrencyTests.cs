using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using static ConnectReconcile.Core.Tests.Reconciliation.Builders;

namespace ConnectReconcile.Core.Tests.Reconciliation;

/// <summary>An invoice mixing currencies: each amount carries its own lines' currency; contacts whose minutes agree are not listed when costs are not compared.</summary>
public sealed class InvoiceCurrencyTests
{
    private const string Other = "99999999-8888-7777-6666-555555555555";

    private static ReconciliationReport Build(IReadOnlyCollection<ExpectedUsage> expected, InvoiceAggregate invoice, ReconciliationEvidence evidence) =>
        ReconciliationReport.Build(expected, invoice, Catalog, Tolerance.Default,
            evidence with { Card = BuiltInRateCards.Default, Catalog = Catalog, DaysWithCtrs = new HashSet<DateOnly> { Day1, Day2 } });

    [Fact]
    public void Contacts_whose_minutes_agree_differ_only_by_the_currency_and_are_not_listed()
    {
        var invoice = new Dictionary<ContactKey, ContactUsage>
        {
            [new ContactKey("c-1", Service)] = new ContactUsage(Day1) { Quantity = 10m, Cost = 0.166m },
            [new ContactKey("c-2", Service)] = new ContactUsage(Day1) { Quantity = 12m, Cost = 0.1992m },
        };
        var expected = new[] { new ExpectedChainUsage(Day1, "c-1", Service, 10m, 0.18m), new ExpectedChainUsage(Day1, "c-2", Service, 10m, 0.18m) };
        var chains = new Dictionary<string, string> { ["c-1"] = "c-1", ["c-2"] = "c-2" };

        Assert.Equal(["c-2"], ContactReconciler.Compare(invoice, expected, chains, compareCosts: false).Select(c => c.ChainId));
        Assert.Equal(["c-2", "c-1"], ContactReconciler.Compare(invoice, expected, chains).Select(c => c.ChainId)); // in one currency, c-1's cost differs
    }

    [Fact]
    public void A_chain_whose_contacts_are_billed_in_two_currencies_is_never_compared_by_its_summed_cost()
    {
        // Bare contact ids as resource ids (granular lines); a chain of two contacts, one billed in USD, one in JPY.
        const string C1 = "00000000-0000-4000-8000-000000000001", C2 = "00000000-0000-4000-8000-000000000002";
        const string C3 = "00000000-0000-4000-8000-000000000003", C4 = "00000000-0000-4000-8000-000000000004";
        const string C5 = "00000000-0000-4000-8000-000000000005";
        var invoice = Invoice(
            Usage(Day1, Service, 5m, 0.018m, resource: C1), Usage(Day1, Service, 5m, 13.5m, resource: C2) with { Currency = "JPY" },
            Usage(Day1, Service, 6m, 0.018m, resource: C3), Usage(Day1, Service, 6m, 13.5m, resource: C4) with { Currency = "JPY" },
            Usage(Day1, Service, 10m, 0.02m, resource: C5));
        var expected = new[]
        {
            new ExpectedChainUsage(Day1, "chain-agrees", Service, 10m, 0.18m), new ExpectedChainUsage(Day1, "chain-over", Service, 10m, 0.18m),
            new ExpectedChainUsage(Day1, "chain-usd", Service, 10m, 0.18m),
        };
        var chains = new Dictionary<string, string> { [C1] = "chain-agrees", [C2] = "chain-agrees", [C3] = "chain-over", [C4] = "chain-over", [C5] = "chain-usd" };

        // Even when asked to compare costs: chain-agrees's minutes agree and its 0.09 USD + 67.5 JPY ("67.59") is no cost.
        var contacts = ContactReconciler.Compare(invoice.Contacts, expected, chains, compareCosts: true);
        Assert.Equal([("chain-over", "JPY,USD", Statuses.Over), ("chain-usd", "USD", Statuses.Over)], contacts.Select(c => (c.ChainId, c.InvoiceCurrency, c.Status)));
        Assert.Equal([false, true], contacts.Select(c => c.CostSummable));

        // Minutes that tie never make a mixed cell over by its sum (67.59 "over" 0.18).
        var tied = new ContactVariance(Day1, Service, "chain-agrees", $"{C1} {C2}", 10m, 10m, 0.18m, 67.59m, true) { InvoiceCurrency = "JPY,USD" };
        Assert.NotEqual(Statuses.Over, tied.Status);
    }

    [Fact]
    public void Each_amount_of_an_invoice_mixing_currencies_carries_its_own_lines_currency()
    {
        const string Unknown = "USE1-new-thing";
        var invoice = Invoice(
            Usage(Day1, Service, 100m, 0.018m, instanceTag: Other), Usage(Day2, Service, 100m, 2.7m, instanceTag: Other) with { Currency = "JPY" },
            Usage(Day1, Unknown, 10m, 0.01m, instanceTag: Instance), Usage(Day2, Unknown, 20m, 1.5m, instanceTag: Instance) with { Currency = "JPY" },
            Usage(Day1, "", 0m, 0m, lineType: "Tax", cost: 0.09m), Usage(Day1, "", 0m, 0m, lineType: "Tax", cost: 13.5m) with { Currency = "JPY" });
        var report = Build([Expected(Day1, Service, 100m, 0.018m, instance: Instance), Expected(Day2, Service, 100m, 0.018m, instance: Instance)], invoice,
            new ReconciliationEvidence { InstancesWithCtrs = new HashSet<string> { Instance } });
        Assert.Equal("JPY,USD", report.Currency);

        // Two tax lines of one day: two adjustments, each in its currency (they were one of 13.59 "JPY,USD").
        Assert.Equal([(13.5m, "JPY"), (0.09m, "USD")], report.Adjustments.Select(a => (a.Amount, a.Currency)));
        // A usage type billed in both: once per currency (30 yen and 0.10 dollars made "30.10").
        Assert.Equal([("JPY", 20m, 30m), ("USD", 10m, 0.1m)], report.UnknownUsageTypes.Select(u => (u.Currency, u.Quantity, u.Cost)));
        Assert.Equal([(Other, 270m, "JPY"), (Other, 1.8m, "USD")], report.InstancesWithoutCtrs.Select(i => (i.InstanceId, i.InvoicedCost, i.Currency)));
        Assert.Contains(report.Notes, n => n.StartsWith($"The invoice bills 1 instance(s) none of whose CTRs were rated in 2026-10: {Other} (270.00 JPY, 1.80 USD)", StringComparison.Ordinal));
        Assert.Equal(["USD", "JPY"], report.Lines.Where(l => l.InstanceId == Other).OrderBy(l => l.Day).Select(l => l.InvoiceCurrency));
    }
}
