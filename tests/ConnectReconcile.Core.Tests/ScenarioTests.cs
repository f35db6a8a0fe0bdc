using System.Text.Json;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// One data-driven test over tests/fixtures/scenarios: a new call pattern is a new folder, not new code.
/// Legs (kind, number type, country, seconds) and billed seconds per charge kind must equal expected.json.
/// </summary>
public sealed class ScenarioTests
{
    public static TheoryData<string> Scenarios() => new(Fixtures.ScenarioNames());

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_matches_its_hand_computed_expectation(string scenario)
    {
        var dir = Fixtures.ScenarioDir(scenario);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json")));
        var e = expected.RootElement;

        var records = Fixtures.ParseAll(Path.Combine(dir, "ctrs.json"));
        var dedupe = new Deduplicator();
        foreach (var r in records)
        {
            dedupe.Offer(r);
        }

        if (e.TryGetProperty("records", out var recordCount))
        {
            Assert.Equal(recordCount.GetInt32(), records.Count);
        }

        Assert.Equal(e.TryGetProperty("duplicates", out var dups) ? dups.GetInt32() : 0, (int)dedupe.Superseded);

        var voice = dedupe.Records.Where(r => r.IsVoice).ToList();
        Assert.Equal(e.TryGetProperty("nonVoiceContacts", out var nv) ? nv.GetInt32() : 0, dedupe.Records.Count(r => !r.IsVoice));

        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentsOf(e), NumberInventory.Missing);
        var results = ChainBuilder.Build(voice).Select(rater.Rate).ToList();
        Assert.Equal(e.TryGetProperty("orphans", out var orphans) ? orphans.GetInt32() : 0, results.Count(r => r.Chain.IsOrphan));

        var expectedLegs = e.GetProperty("legs").EnumerateArray()
            .Select(l => $"{l.GetProperty("kind").GetString()}|{(l.TryGetProperty("numberType", out var t) ? t.GetString() : "-")}|{l.GetProperty("country").GetString()}|{l.GetProperty("seconds").GetInt64()}")
            .Order(StringComparer.Ordinal).ToList();
        var actualLegs = results.SelectMany(r => r.Legs)
            .Select(l => $"{l.Kind}|{l.NumberType ?? "-"}|{l.Country}|{l.Seconds}")
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedLegs, actualLegs);

        var expectedBilled = e.GetProperty("billedSeconds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var actualBilled = results.SelectMany(r => r.Charges).GroupBy(c => c.ChargeKind).ToDictionary(g => g.Key, g => g.Sum(c => c.BilledSeconds));
        Assert.Equal(expectedBilled.OrderBy(kv => kv.Key), actualBilled.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key));

        if (e.TryGetProperty("segments", out var segments))
        {
            var actualSegments = results.SelectMany(r => r.Segments).GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.Sum(s => s.Seconds));
            Assert.Equal(
                segments.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()).OrderBy(kv => kv.Key),
                actualSegments.OrderBy(kv => kv.Key));
        }

        // Every leg's segments add up to its billed telephony seconds, whatever the pattern.
        foreach (var result in results)
        {
            foreach (var leg in result.Legs)
            {
                var billed = result.Charges.Single(c => c.LegIndex == leg.Index && c.ChargeKind.StartsWith("telephony:", StringComparison.Ordinal)).BilledSeconds;
                Assert.Equal(billed, result.Segments.Where(s => s.LegIndex == leg.Index).Sum(s => s.Seconds));
            }
        }
    }

    private static AgentDirectory AgentsOf(JsonElement expected) =>
        expected.TryGetProperty("agentDirectory", out var dir)
            ? new AgentDirectory(dir.EnumerateArray().Select(a => new AgentPhoneEntry(
                a.GetProperty("username").GetString()!,
                a.GetProperty("phoneType").GetString()!,
                a.GetProperty("deskPhoneNumber").GetString(),
                Instant.Parse(a.GetProperty("asOf").GetString()!))))
            : AgentDirectory.Empty;
}
