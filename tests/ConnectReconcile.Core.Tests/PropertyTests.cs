using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// Property tests over randomly generated chains (a seeded generator stands in for FsCheck: every
/// case is reproducible from its seed, which the failure message names).
/// </summary>
public sealed class PropertyTests
{
    private const int Cases = 300;
    private static readonly Instant T0 = Instant.Parse("2026-10-14T10:00:00Z");
    private static readonly Rater DefaultRater = new(BuiltInRateCards.Default, BillingPolicy.Default,
        new AgentDirectory([new AgentPhoneEntry("desk", PhoneTypes.DeskPhone, "+12065559999", new Instant(0))]), NumberInventory.Missing);

    /// <summary>A random call: inbound or outbound root, optional IVR/queue/agent/hold, transfers, conferences, external legs, callbacks.</summary>
    internal static List<ContactRecord> RandomChain(Random rng, string prefix = "c")
    {
        var records = new List<ContactRecord>();
        var outbound = rng.Next(4) == 0;
        var start = T0.PlusSeconds(rng.Next(0, 3600));
        var answered = start.PlusSeconds(outbound ? rng.Next(0, 30) : 0);
        var ivr = rng.Next(1, 120);
        var queue = rng.Next(0, 300);
        var talk = rng.Next(1, 900);
        var agentConnected = outbound ? start : answered.PlusSeconds(ivr + queue);
        var end = agentConnected.PlusSeconds(talk + (outbound ? 30 : 0));
        var root = new ContactRecord
        {
            ContactId = prefix + "-root",
            Channel = Channels.Voice,
            InitiationMethod = outbound ? InitiationMethods.Outbound : InitiationMethods.Inbound,
            InitiationTimestamp = start,
            ConnectedToSystemTimestamp = outbound && rng.Next(6) == 0 ? null : answered,
            DisconnectTimestamp = end,
            LastUpdateTimestamp = end,
            SystemEndpoint = new Endpoint(rng.Next(2) == 0 ? "+18005550100" : "+12065550100", "TELEPHONE_NUMBER"),
            CustomerEndpoint = new Endpoint("+12065550" + rng.Next(100, 999), "TELEPHONE_NUMBER"),
            Queue = outbound || queue == 0 ? null : new QueueInfo { Name = "q" + rng.Next(3), EnqueueTimestamp = answered.PlusSeconds(ivr), DequeueTimestamp = agentConnected },
            Agent = new AgentInfo
            {
                Username = rng.Next(5) == 0 ? "desk" : "soft" + rng.Next(3),
                ConnectedToAgentTimestamp = agentConnected,
                AfterContactWorkStartTimestamp = end,
                CustomerHoldDuration = rng.Next(3) == 0 ? rng.Next(0, talk) : 0,
            },
            ContactLensEnabled = rng.Next(4) == 0,
            InstanceArn = "arn:aws:connect:us-east-1:111122223333:instance/i-1",
        };
        records.Add(root);

        // Internal transfer or conference children overlapping the root (the union must absorb them).
        for (var i = 0; i < rng.Next(0, 3); i++)
        {
            var childStart = agentConnected.PlusSeconds(rng.Next(0, talk));
            var childEnd = childStart.PlusSeconds(rng.Next(1, 600));
            records.Add(root with
            {
                ContactId = $"{prefix}-t{i}",
                InitialContactId = root.ContactId,
                PreviousContactId = records[^1].ContactId,
                InitiationMethod = InitiationMethods.Transfer,
                InitiationTimestamp = childStart,
                ConnectedToSystemTimestamp = childStart,
                DisconnectTimestamp = childEnd,
                Queue = null,
                Agent = new AgentInfo { Username = "soft" + rng.Next(3), ConnectedToAgentTimestamp = childStart.PlusSeconds(rng.Next(0, 20)), AfterContactWorkStartTimestamp = childEnd },
                ContactLensEnabled = false,
            });
        }

        if (rng.Next(4) == 0)
        {
            var legStart = agentConnected.PlusSeconds(rng.Next(0, talk));
            records.Add(root with
            {
                ContactId = prefix + "-x",
                InitialContactId = root.ContactId,
                PreviousContactId = root.ContactId,
                InitiationMethod = InitiationMethods.ExternalOutbound,
                InitiationTimestamp = legStart,
                ConnectedToSystemTimestamp = legStart.PlusSeconds(rng.Next(0, 20)),
                DisconnectTimestamp = end,
                CustomerEndpoint = new Endpoint("+13125550142", "TELEPHONE_NUMBER"),
                Agent = null,
                Queue = null,
                ContactLensEnabled = false,
            });
        }

        return records;
    }

    private static IEnumerable<(int Seed, List<ContactRecord> Records)> Chains()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            yield return (seed, RandomChain(new Random(seed)));
        }
    }

    private static string Fingerprint(ChainResult r) => string.Join("\n",
        r.Legs.Select(l => $"L {l.Kind} {l.Number} {string.Join(",", l.Intervals)} {l.Seconds}")
            .Concat(r.Segments.Select(s => $"S {s.LegIndex} {s.Kind} {s.Seconds} {s.Interval} {s.ContactId} {s.Queue} {s.Agent} {s.Cost}"))
            .Concat(r.Charges.Select(c => $"C {c.ChargeKind} {c.LegIndex} {c.ActualSeconds} {c.BilledSeconds} {c.Cost} {c.UsageType}")));

    [Fact]
    public void Segment_seconds_sum_to_each_legs_billed_seconds()
    {
        foreach (var (seed, records) in Chains())
        {
            var result = DefaultRater.Rate(new Chain(records[0].ContactId, records));
            foreach (var leg in result.Legs)
            {
                var billed = result.Charges.Single(c => c.LegIndex == leg.Index && c.ChargeKind.StartsWith("telephony:", StringComparison.Ordinal)).BilledSeconds;
                Assert.True(billed == result.Segments.Where(s => s.LegIndex == leg.Index).Sum(s => s.Seconds), $"seed {seed}, leg {leg.Kind}");
                Assert.True(result.Segments.Where(s => s.LegIndex == leg.Index).All(s => s.Seconds > 0), $"seed {seed}: empty segment");
            }

            var legCost = RecordedCost.Total(result.Charges.Where(c => c.LegIndex is not null).ToList());
            Assert.True(legCost == result.Segments.Sum(s => s.Cost), $"seed {seed}: segment costs {result.Segments.Sum(s => s.Cost)} ≠ leg costs {legCost}");
        }
    }

    [Fact]
    public void Customer_seconds_never_exceed_first_connect_to_last_disconnect()
    {
        foreach (var (seed, records) in Chains())
        {
            var result = DefaultRater.Rate(new Chain(records[0].ContactId, records));
            var customer = records.Where(LegBuilder.KeepsCustomer).ToList();
            var span = customer.Max(r => r.End).UnixSeconds - customer.Min(r => r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp).UnixSeconds;
            foreach (var leg in result.Legs.Where(l => l.Kind is LegKinds.CustomerInbound or LegKinds.CustomerOutbound))
            {
                Assert.True(leg.Seconds <= span, $"seed {seed}: leg {leg.Seconds} s > span {span} s");
                var billed = result.Charges.Single(c => c.LegIndex == leg.Index && c.ChargeKind.StartsWith("telephony:", StringComparison.Ordinal)).BilledSeconds;
                Assert.True(billed <= Math.Max(span, 60), $"seed {seed}: billed {billed} s > max(span {span}, minimum 60)");
            }
        }
    }

    [Fact]
    public void Adding_an_internal_conference_record_never_changes_the_bill()
    {
        var softOnly = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        foreach (var (seed, records) in Chains())
        {
            var root = records[0];
            var before = softOnly.Rate(new Chain(root.ContactId, records));
            var rng = new Random(seed + 10_000);
            var inside = root.ConnectedToSystemTimestamp ?? root.InitiationTimestamp;
            var length = Math.Max(1, root.End.UnixSeconds - inside.UnixSeconds);
            var confStart = inside.PlusSeconds(rng.NextInt64(0, length));
            var confEnd = confStart.PlusSeconds(rng.NextInt64(0, root.End.UnixSeconds - confStart.UnixSeconds + 1));
            var conference = root with
            {
                ContactId = root.ContactId + "-conf",
                InitialContactId = root.ContactId,
                PreviousContactId = root.ContactId,
                InitiationMethod = InitiationMethods.Transfer,
                InitiationTimestamp = confStart,
                ConnectedToSystemTimestamp = confStart,
                DisconnectTimestamp = confEnd,
                Queue = null,
                Agent = new AgentInfo { Username = "soft9", ConnectedToAgentTimestamp = confStart, AfterContactWorkStartTimestamp = confEnd, AgentInteractionDuration = 30 },
                ContactLensEnabled = false,
            };
            if (root.ConnectedToSystemTimestamp is null)
            {
                continue; // an unanswered outbound call has nobody to conference with
            }

            var after = softOnly.Rate(new Chain(root.ContactId, [.. records, conference]));
            Assert.True(
                before.Charges.Select(c => (c.ChargeKind, c.BilledSeconds, c.Cost)).SequenceEqual(after.Charges.Select(c => (c.ChargeKind, c.BilledSeconds, c.Cost))),
                $"seed {seed}: a conference inside the call changed the bill");
        }
    }

    [Fact]
    public void Permuting_input_order_never_changes_any_output()
    {
        var all = Enumerable.Range(0, 60).SelectMany(i => RandomChain(new Random(i), "c" + i)).ToList();
        var expected = ChainBuilder.Build(all).Select(DefaultRater.Rate).Select(Fingerprint).ToList();
        for (var shuffle = 0; shuffle < 20; shuffle++)
        {
            var permuted = all.OrderBy(_ => Random.Shared.Next()).ToList();
            var dedupe = new Deduplicator();
            foreach (var r in permuted)
            {
                dedupe.Offer(r);
            }

            var actual = ChainBuilder.Build(dedupe.Records).Select(DefaultRater.Rate).Select(Fingerprint).ToList();
            Assert.Equal(expected, actual);
        }
    }
}
