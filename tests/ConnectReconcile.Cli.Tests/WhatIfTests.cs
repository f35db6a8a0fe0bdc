using System.Text.Json;
using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli.Tests;

public sealed class WhatIfTests(GeneratedMonth month) : IClassFixture<GeneratedMonth>
{
    private static Dictionary<string, (decimal Baseline, decimal Scenario)> Rows(JsonElement root, string name) =>
        root.GetProperty(name).EnumerateArray().ToDictionary(
            r => r.GetProperty("key").GetString()!,
            r => (r.GetProperty("baseline").GetDecimal(), r.GetProperty("scenario").GetDecimal()));

    /// <summary>Costs are sums of unrounded decimals (…/60); sums taken in another order differ in the 25th digit. Compare at the outputs' 12 places.</summary>
    private static decimal R(decimal value) => Math.Round(value, 12, MidpointRounding.AwayFromZero);

    [Fact]
    public async Task All_softphone_removes_exactly_the_desk_phone_legs_outbound_charges_and_nothing_else()
    {
        // Independently: what the desk-phone legs cost in a plain replay of the month.
        var agents = ReferenceReaders.ReadAgents(await File.ReadAllTextAsync(month.Agents));
        var numbers = ReferenceReaders.ReadNumbers(await File.ReadAllTextAsync(month.Numbers));
        Assert.Contains(agents.Entries, e => e.PhoneType == PhoneTypes.DeskPhone);
        var deskCharges = new List<Charge>();
        await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(month.Ctr),
            Rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, agents, numbers),
            Numbers = numbers,
            OnDayRated = (_, results, _) => deskCharges.AddRange(results.SelectMany(r => r.Charges).Where(c => c.LegKind == LegKinds.DeskPhone)),
        }).RunAsync(null, CancellationToken.None);
        Assert.NotEmpty(deskCharges);
        Assert.All(deskCharges, c => Assert.Equal(ChargeKinds.TelephonyOutbound, c.ChargeKind));
        var desk = deskCharges.Sum(c => c.Cost ?? 0);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers, "--all-softphone", "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(R(-desk), R(root.GetProperty("difference").GetDecimal()));

        foreach (var (kind, (baseline, scenario)) in Rows(root, "byChargeKind"))
        {
            Assert.Equal(R(kind == ChargeKinds.TelephonyOutbound ? baseline - desk : baseline), R(scenario));
        }

        foreach (var (legKind, (baseline, scenario)) in Rows(root, "byLegKind"))
        {
            Assert.Equal(legKind == LegKinds.DeskPhone ? 0 : baseline, scenario);
            if (legKind == LegKinds.DeskPhone)
            {
                Assert.Equal(R(desk), R(baseline));
            }
        }

        foreach (var (segment, (baseline, scenario)) in Rows(root, "bySegment"))
        {
            // The desk-phone legs' own segments (and their minimum top-ups) go; every customer-leg segment stays.
            if (segment is not (LegKinds.DeskPhone or "minimum"))
            {
                Assert.Equal(baseline, scenario);
            }
        }

        foreach (var dimension in new[] { "byUsageType", "byQueue", "bySegment" })
        {
            var rows = Rows(root, dimension);
            Assert.Equal(R(root.GetProperty("baseline").GetProperty("total").GetDecimal()), R(rows.Values.Sum(r => r.Baseline)));
            Assert.Equal(R(root.GetProperty("scenario").GetProperty("total").GetDecimal()), R(rows.Values.Sum(r => r.Scenario)));
        }
    }

    [Fact]
    public async Task Pricing_model_and_policy_scenarios_change_only_what_they_touch()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--baseline", "builtin", "--baseline", "policy:minimums=per-leg", "--scenario", "pricing-model=unlimited-ai", "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var kinds = Rows(doc.RootElement, "byChargeKind");
        Assert.True(kinds[ChargeKinds.ContactLens].Baseline > 0);
        Assert.Equal(0, kinds[ChargeKinds.ContactLens].Scenario);
        // Service scales by the price: exactly but for each charge's cost recorded to 12 places (0.038 ÷ 60 repeats), under 10⁻¹² a charge.
        var scaled = kinds[ChargeKinds.Service].Baseline * 0.038m / 0.018m;
        Assert.InRange(kinds[ChargeKinds.Service].Scenario, scaled - 0.00000001m, scaled);
        Assert.Equal(kinds[ChargeKinds.TelephonyInboundTollFree].Baseline, kinds[ChargeKinds.TelephonyInboundTollFree].Scenario);
        Assert.Contains("unlimited-ai", doc.RootElement.GetProperty("scenario").GetProperty("rateCard").GetString(), StringComparison.Ordinal);

        // Human-readable form, with a policy change: no minimums can only lower the bill.
        (exit, stdout, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--scenario", "policy=minimums=none");
        Assert.True(exit == 0, stderr);
        Assert.Contains("By queue", stdout, StringComparison.Ordinal);
        Assert.Contains("By segment", stdout, StringComparison.Ordinal);
        Assert.Contains("minimums=none", stdout, StringComparison.Ordinal);
        Assert.Contains("Total:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_scenarios_are_usage_errors()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--scenario", "cheaper-please");
        Assert.Equal(2, exit);
        Assert.Contains("cheaper-please", stderr, StringComparison.Ordinal);
        (exit, _, _) = await CliRunner.RunAsync("whatif", "--source", month.Ctr);
        Assert.Equal(2, exit);
        (exit, _, _) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--scenario", "policy=minimums=sometimes");
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task A_scenario_card_without_a_row_the_baseline_prices_is_said_to_be_no_saving_and_set_aside_records_are_told()
    {
        using var dir = new TempDir();
        var path = dir.Sub("no-outbound.json");
        var card = System.Text.Json.Nodes.JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        card["version"] = "no-outbound";
        var rows = card["rows"]!.AsArray();
        foreach (var row in rows.Where(r => (string?)r!["chargeKind"] == ChargeKinds.TelephonyOutbound).ToList())
        {
            rows.Remove(row);
        }

        await File.WriteAllTextAsync(path, card.ToJsonString());

        // Was: telephony:outbound 25.39 → 0.00 "-3.98 %", a missing price shown as a saving, and not a word on stderr.
        var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--scenario", "card=" + path, "--json");
        Assert.True(exit == 0, string.Join('\n', logs));
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.False(root.GetProperty("comparable").GetBoolean());
        var unrated = root.GetProperty("scenario").GetProperty("unratedByChargeKind");
        Assert.True(unrated.GetProperty(ChargeKinds.TelephonyOutbound).GetInt64() > 0);
        var baseline = Rows(root, "byChargeKind")[ChargeKinds.TelephonyOutbound].Baseline;
        Assert.True(baseline > 0);
        var cents = RunTotals.Cents(baseline).ToString("N2", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(logs, l => l.Contains("The scenario leaves telephony:outbound (", StringComparison.Ordinal)
            && l.Contains($"which the baseline prices at {cents} USD", StringComparison.Ordinal));

        // The month's malformed records are in neither total: said, as audit-export says it.
        Assert.Contains(logs, l => l.Contains("were quarantined, so each total lacks them", StringComparison.Ordinal));

        // A scenario that prices what the baseline prices stays comparable.
        (exit, stdout, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--scenario", "policy=minimums=none", "--json");
        Assert.True(exit == 0, string.Join('\n', logs));
        using var comparable = JsonDocument.Parse(stdout);
        Assert.True(comparable.RootElement.GetProperty("comparable").GetBoolean());
        Assert.DoesNotContain(logs, l => l.Contains("not a change in cost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_scenario_card_in_another_currency_is_refused_rather_than_subtracted()
    {
        using var dir = new TempDir();
        var euro = dir.Sub("eur.json");
        var card = System.Text.Json.Nodes.JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        card["currency"] = "EUR";
        await File.WriteAllTextAsync(euro, card.ToJsonString());

        // Was exit 0: "Total: 416.91 → 375.22 USD", a euro total taken from a dollar one.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--scenario", "card=" + euro, "--json");

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("prices in USD and the scenario's in EUR", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callback_dialled_the_next_morning_is_in_the_totals()
    {
        // It arrives a day after its call's day was rated: the job reads the month again, and whatif failed with a
        // NullReferenceException (its totals were replaced by the re-read while the run's result was being assigned).
        using var dir = new TempDir();
        QueuedCallback.Write(dir.Sub("ctr"), "2026-10-08T09");

        var (replayExit, summary, replayErr) = await CliRunner.RunAsync("replay", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"), "--summary", "json");
        Assert.True(replayExit == 0, replayErr);
        var (exit, json, stderr) = await CliRunner.RunAsync("whatif", "--source", dir.Sub("ctr"), "--scenario", "policy=minimums=none", "--json");

        Assert.True(exit == 0, stderr);
        using var replayed = JsonDocument.Parse(summary);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(300, replayed.RootElement.GetProperty("billedSeconds").GetProperty("telephony:outbound").GetInt64()); // the callback's 5 minutes
        Assert.Equal(decimal.Parse(replayed.RootElement.GetProperty("totalCost").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            Math.Round(doc.RootElement.GetProperty("baseline").GetProperty("total").GetDecimal(), 2));
    }

    [Fact]
    public async Task A_baseline_that_costs_nothing_has_no_share_rather_than_a_missing_key()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        await File.WriteAllTextAsync(dir.Sub("ctr/chat.json"),
            """{"ContactId":"chat-1","Channel":"CHAT","InitiationMethod":"API","InitiationTimestamp":"2026-10-14T11:00:00Z","DisconnectTimestamp":"2026-10-14T11:01:00Z"}""");

        var (exit, json, stderr) = await CliRunner.RunAsync("whatif", "--source", dir.Sub("ctr"), "--scenario", "policy=minimums=none", "--json");

        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(0m, doc.RootElement.GetProperty("baseline").GetProperty("total").GetDecimal());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("shareOfBaselineTotal").ValueKind);
        Assert.All(doc.RootElement.GetProperty("byChargeKind").EnumerateArray(), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("shareOfBaselineTotal").ValueKind));
    }

    [Fact]
    public async Task Number_type_changes_a_held_number_however_it_is_written_and_refuses_one_the_centre_does_not_hold()
    {
        var tollFree = File.ReadLines(month.Numbers).Skip(1).Select(l => l.Split(',')).First(f => f[1] == "TOLL_FREE" && f[0].StartsWith("+1", StringComparison.Ordinal))[0];
        var written = $"+1 ({tollFree[2..5]}) {tollFree[5..8]}-{tollFree[8..]}";
        var (exit, json, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--numbers", month.Numbers,
            "--scenario", $"number-type={written}:DID", "--json");
        Assert.True(exit == 0, stderr);
        var kinds = Rows(JsonDocument.Parse(json).RootElement, "byChargeKind");
        Assert.True(kinds[ChargeKinds.NumberDaysTollFree].Scenario < kinds[ChargeKinds.NumberDaysTollFree].Baseline, json); // it became a DID

        (exit, _, stderr) = await CliRunner.RunAsync("whatif", "--source", month.Ctr, "--numbers", month.Numbers, "--scenario", "number-type=+19999999999:DID");
        Assert.Equal(2, exit); // was one more DID number-day, silently
        Assert.Contains("the number inventory does not hold +19999999999", stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Three calls in us-east-1 on 2026-10-10: outbound to the US (+12065550123, which the built-in card prices), outbound
    /// to France (+33612345678, which it does not) and inbound on the toll-free +18005550100.
    /// </summary>
    private static string WriteThreeCalls(TempDir dir)
    {
        const string common = "\"Channel\":\"VOICE\",\"InstanceARN\":\"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001\"";
        string Outbound(string id, string to, string hour) =>
            $$"""{"ContactId":"{{id}}",{{common}},"InitiationMethod":"OUTBOUND","CustomerEndpoint":{"Address":"{{to}}","Type":"TELEPHONE_NUMBER"},"InitiationTimestamp":"2026-10-10T{{hour}}:00:00Z","ConnectedToSystemTimestamp":"2026-10-10T{{hour}}:00:10Z","DisconnectTimestamp":"2026-10-10T{{hour}}:02:20Z","Agent":{"Username":"alice","ConnectedToAgentTimestamp":"2026-10-10T{{hour}}:00:00Z","AfterContactWorkStartTimestamp":"2026-10-10T{{hour}}:02:20Z"} }""";
        var inbound = $$"""{"ContactId":"in-1",{{common}},"InitiationMethod":"INBOUND","CustomerEndpoint":{"Address":"+12125550101","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+18005550100","Type":"TELEPHONE_NUMBER"},"InitiationTimestamp":"2026-10-10T14:00:00Z","ConnectedToSystemTimestamp":"2026-10-10T14:00:00Z","DisconnectTimestamp":"2026-10-10T14:00:45Z"}""";
        var ctr = Directory.CreateDirectory(dir.Sub("ctr")).FullName;
        File.WriteAllLines(Path.Combine(ctr, "ctrs.json"), [Outbound("out-us", "+12065550123", "10"), Outbound("out-fr", "+33612345678", "12"), inbound]);
        return ctr;
    }

    [Fact]
    public async Task A_call_both_sides_leave_unrated_cancels_out_and_stays_comparable()
    {
        using var dir = new TempDir();
        var ctr = WriteThreeCalls(dir);

        // Was comparable false, with two warnings each saying the other side priced telephony:outbound (the US call, priced on both).
        foreach (var change in new[] { "all-softphone", "policy=minimums=none" })
        {
            var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", ctr, "--scenario", change, "--json");
            Assert.True(exit == 0, string.Join('\n', logs));
            using var doc = JsonDocument.Parse(stdout);
            var root = doc.RootElement;
            foreach (var side in new[] { "baseline", "scenario" })
            {
                // The French call, unrated on both sides: the case this is about.
                Assert.Equal(1, root.GetProperty(side).GetProperty("unratedByChargeKind").GetProperty(ChargeKinds.TelephonyOutbound).GetInt64());
            }

            Assert.True(Rows(root, "byChargeKind")[ChargeKinds.TelephonyOutbound].Baseline > 0); // the US call, priced on both
            Assert.True(root.GetProperty("comparable").GetBoolean(), change);
            Assert.DoesNotContain(logs, l => l.Contains("not a change in cost", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_charge_priced_only_by_the_scenario_is_quoted_at_its_own_cost_not_its_kinds()
    {
        using var dir = new TempDir();
        var ctr = WriteThreeCalls(dir);
        var path = dir.Sub("with-france.json");
        var card = System.Text.Json.Nodes.JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        card["version"] = "with-france";
        var rows = card["rows"]!.AsArray();
        var us = rows.First(r => (string?)r!["chargeKind"] == ChargeKinds.TelephonyOutbound && (string?)r!["region"] == "us-east-1"
            && (string?)r!["country"] == "US" && r!["prefix"] is null)!;
        var france = us.DeepClone();
        france["id"] = "out-fr";
        france["country"] = "FR";
        france["price"] = 0.2m;
        rows.Add(france);
        await File.WriteAllTextAsync(path, card.ToJsonString());

        var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", ctr, "--scenario", "card=" + path, "--json");

        Assert.True(exit == 0, string.Join('\n', logs));
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.False(root.GetProperty("comparable").GetBoolean());
        // The US call is priced alike on both sides, so the kind's difference is the French call's scenario cost.
        var outbound = Rows(root, "byChargeKind")[ChargeKinds.TelephonyOutbound];
        var franceCost = outbound.Scenario - outbound.Baseline;
        Assert.True(franceCost > 0);
        string Cents(decimal amount) => RunTotals.Cents(amount).ToString("N2", System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(Cents(franceCost), Cents(outbound.Scenario)); // else the test could not tell the charge from its kind
        // Was "which the scenario prices at" the kind's whole scenario total, the US call included.
        Assert.Contains(logs, l => l.Contains("The baseline leaves telephony:outbound (1 charges) unrated", StringComparison.Ordinal)
            && l.Contains($"which the scenario prices at {Cents(franceCost)} USD", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains("The scenario leaves", StringComparison.Ordinal));
    }

    [Fact]
    public async Task All_softphone_without_an_agent_directory_warns_that_it_changes_nothing()
    {
        using var dir = new TempDir();
        var ctr = WriteThreeCalls(dir);

        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", ctr, "--all-softphone");

        Assert.True(exit == 0, string.Join('\n', logs));
        // Was a 0.00 difference and not a word.
        Assert.Single(logs, l => l.Contains("all-softphone changes nothing without an agent directory", StringComparison.Ordinal));
        (exit, _, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", month.Ctr, "--agents", month.Agents, "--all-softphone");
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.DoesNotContain(logs, l => l.Contains("all-softphone changes nothing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Number_type_without_an_inventory_refuses_a_number_no_call_used_and_retypes_one_a_call_used()
    {
        using var dir = new TempDir();
        var ctr = WriteThreeCalls(dir);

        // Was exit 0 and a 0.00 difference: with --numbers the same typo is a usage error.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("whatif", "--source", ctr, "--scenario", "number-type=+19999999999:DID");
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("no CTR used +19999999999", stderr, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliRunner.RunAsync("whatif", "--source", ctr, "--scenario", "number-type=+18005550100:DID", "--json");
        Assert.True(exit == 0, stderr);
        var kinds = Rows(JsonDocument.Parse(stdout).RootElement, "byChargeKind");
        Assert.True(kinds[ChargeKinds.NumberDaysTollFree].Baseline > 0 && kinds[ChargeKinds.NumberDaysTollFree].Scenario == 0, stdout);
        Assert.True(kinds[ChargeKinds.NumberDaysDid].Scenario > 0, stdout);
    }
}
