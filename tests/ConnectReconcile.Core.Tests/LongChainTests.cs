using System.Globalization;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Segments;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

/// <summary>
/// Long chains (thousands of transfers) are rated by indexes and sweeps, small ones by scans: both must give the
/// same answers, on any shape of chain, malformed ones included (a seeded generator; the failure names the seed).
/// </summary>
public sealed class LongChainTests
{
    private const int Cases = 400;
    private static readonly Instant T0 = Instant.Parse("2026-10-14T10:00:00Z");
    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/i-1";

    private static readonly string[] Methods =
    [
        InitiationMethods.Transfer, InitiationMethods.Transfer, InitiationMethods.QueueTransfer, InitiationMethods.Callback,
        InitiationMethods.Disconnect, InitiationMethods.ExternalOutbound, InitiationMethods.Monitor, InitiationMethods.Callback,
    ];

    /// <summary>
    /// A chain of 1–60 records of any method, overlapping or with gaps, whose parents may be any record (earlier or
    /// later), a missing one, themselves (loops) or none; some ContactIds twice (some whole records, with another agent);
    /// holds, queues and agents at random.
    /// </summary>
    private static Chain RandomChain(Random rng)
    {
        var count = rng.Next(1, 61);
        var outbound = rng.Next(4) == 0;
        var records = new List<ContactRecord>(count);
        var at = T0;
        for (var i = 0; i < count; i++)
        {
            at = at.PlusSeconds(rng.Next(-20, 60)); // overlaps, touches and gaps
            var length = rng.Next(0, 200);
            var connected = rng.Next(8) == 0 ? (Instant?)null : at.PlusSeconds(rng.Next(0, 15));
            var agentAt = at.PlusSeconds(rng.Next(0, Math.Max(1, length)));
            var end = at.PlusSeconds(length);
            var id = i > 0 && rng.Next(25) == 0 ? records[rng.Next(i)].ContactId : $"r{i:D3}";
            var parent = i == 0 ? null : rng.Next(12) switch
            {
                0 => "missing",
                1 => null,
                2 => id,
                3 => $"r{rng.Next(count):D3}", // maybe a later record: a loop
                _ => records[rng.Next(Math.Max(0, i - 3), i)].ContactId,
            };
            if (i > 0 && rng.Next(30) == 0)
            {
                // A second copy of a record, another agent and queue on it: equal marks, which the earlier record wins.
                var copy = records[rng.Next(i)];
                records.Add(copy with
                {
                    Agent = copy.Agent is null ? null : copy.Agent with { Username = "copy" },
                    Queue = copy.Queue is null ? null : copy.Queue with { Name = "copy" },
                });
                continue;
            }

            records.Add(new ContactRecord
            {
                ContactId = id,
                InitialContactId = i == 0 ? null : "r000",
                PreviousContactId = parent,
                Channel = Channels.Voice,
                InitiationMethod = i == 0 ? (outbound ? InitiationMethods.Outbound : rng.Next(6) == 0 ? InitiationMethods.WebRtcApi : InitiationMethods.Inbound)
                    : Methods[rng.Next(Methods.Length)],
                InitiationTimestamp = at,
                ConnectedToSystemTimestamp = connected,
                DisconnectTimestamp = end,
                SystemEndpoint = new Endpoint("+18005550100", "TELEPHONE_NUMBER"),
                CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
                TransferredToEndpoint = rng.Next(15) == 0 ? new Endpoint("+13125550142", "TELEPHONE_NUMBER") : null,
                Queue = rng.Next(3) == 0 ? null : new QueueInfo
                {
                    Name = "q" + rng.Next(3),
                    EnqueueTimestamp = at.PlusSeconds(rng.Next(0, 20)),
                    DequeueTimestamp = rng.Next(5) == 0 ? null : agentAt,
                },
                Agent = rng.Next(4) == 0 ? null : new AgentInfo
                {
                    Username = "a" + rng.Next(4),
                    ConnectedToAgentTimestamp = rng.Next(6) == 0 ? null : agentAt,
                    AfterContactWorkStartTimestamp = rng.Next(4) == 0 ? null : end.PlusSeconds(rng.Next(-30, 10)),
                    CustomerHoldDuration = rng.Next(3) == 0 ? rng.Next(0, 120) : 0,
                },
                ContactLensEnabled = rng.Next(3) == 0,
                InstanceArn = Instance,
            });
        }

        return new Chain("r000", records);
    }

    [Fact]
    public void Each_records_callback_resolved_once_for_the_chain_is_the_one_its_parents_lead_to()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            var chain = RandomChain(new Random(seed));
            var walked = CallbackCalls.Of(chain, indexed: false);
            var indexed = CallbackCalls.Of(chain, indexed: true);
            for (var i = 0; i < chain.Records.Count; i++)
            {
                Assert.True(ReferenceEquals(walked.CallbackOf(i), indexed.CallbackOf(i)),
                    $"seed {seed}, record {i}: walk {walked.CallbackOf(i)?.ContactId ?? "none"}, index {indexed.CallbackOf(i)?.ContactId ?? "none"}");
            }
        }
    }

    [Fact]
    public void A_loop_of_parents_through_a_callback_names_it_and_one_without_names_none()
    {
        static ContactRecord Record(string id, string method, string? parent) => new()
        {
            ContactId = id, InitialContactId = "a", PreviousContactId = parent, Channel = Channels.Voice, InitiationMethod = method,
            InitiationTimestamp = T0, DisconnectTimestamp = T0.PlusSeconds(60), InstanceArn = Instance,
        };

        // cb → t1 → t2 → cb, and t3 ↔ t4 beside them.
        var chain = new Chain("a", [
            Record("cb", InitiationMethods.Callback, "t2"), Record("t1", InitiationMethods.Transfer, "cb"), Record("t2", InitiationMethods.Transfer, "t1"),
            Record("t3", InitiationMethods.Transfer, "t4"), Record("t4", InitiationMethods.Transfer, "t3")]);
        foreach (var indexed in new[] { false, true })
        {
            var calls = CallbackCalls.Of(chain, indexed);
            var of = Enumerable.Range(0, chain.Records.Count).Select(i => calls.CallbackOf(i)?.ContactId ?? "-").ToList();
            Assert.Equal(["cb", "cb", "cb", "-", "-"], of);
        }
    }

    private static string Fingerprint(List<Segment> segments) => string.Join("\n", segments.Select(s =>
        $"{s.LegIndex} {s.Kind} {s.Seconds} {s.Interval} {s.ContactId} {s.Queue} {s.Agent} {s.RoutingProfile} {s.Cost.ToString(CultureInfo.InvariantCulture)}"));

    [Theory]
    [InlineData("")]
    [InlineData("contact-lens=customer-leg;service=per-record;outbound-start=answer")]
    public void A_leg_split_by_one_sweep_has_the_segments_a_scan_gives(string policy)
    {
        var builder = new LegBuilder(AgentDirectory.Empty, NumberInventory.Missing, policy.Length == 0 ? BillingPolicy.Default : BillingPolicy.Parse(policy));
        for (var seed = 0; seed < Cases; seed++)
        {
            var chain = RandomChain(new Random(seed));
            var usage = builder.Build(chain);
            // Priced at an awkward rate (a price per minute ÷ 60 repeats), each with a top-up, as the rater's are.
            var charges = usage.Usages.Where(u => u.LegIndex is not null)
                .Select(u => new LegCharge(u.LegIndex, (u.Seconds + 7) * 0.0137m / 60m, 7 * 0.0137m / 60m, u.Intervals)).ToList();
            foreach (var leg in usage.Legs)
            {
                var billed = Math.Max(60, leg.Seconds);
                List<Segment> scanned = [], swept = [];
                Segmenter.Split(chain, leg, billed, charges, scanned, indexed: false);
                Segmenter.Split(chain, leg, billed, charges, swept, indexed: true);
                Assert.True(Fingerprint(scanned) == Fingerprint(swept), $"seed {seed}, leg {leg.Index} ({leg.Kind}):\n{Fingerprint(scanned)}\n---\n{Fingerprint(swept)}");
            }
        }
    }

    /// <summary>INBOUND 10:00:00–10:00:30, a CALLBACK answered at 10:01:00, then <paramref name="transfers"/> transfers of 30 s, each from the one before.</summary>
    private static Chain CallbackChain(int transfers)
    {
        ContactRecord Record(int i, int start, string method, string? parent) => new()
        {
            ContactId = $"c{i:D5}",
            InitialContactId = i == 0 ? null : "c00000",
            PreviousContactId = parent,
            Channel = Channels.Voice,
            InitiationMethod = method,
            InitiationTimestamp = T0.PlusSeconds(start),
            ConnectedToSystemTimestamp = T0.PlusSeconds(start),
            DisconnectTimestamp = T0.PlusSeconds(start + 30),
            SystemEndpoint = new Endpoint("+18005550100", "TELEPHONE_NUMBER"),
            CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
            Queue = new QueueInfo { Name = "q", EnqueueTimestamp = T0.PlusSeconds(start), DequeueTimestamp = T0.PlusSeconds(start + 1) },
            Agent = new AgentInfo
            {
                Username = "a" + (i % 5), ConnectedToAgentTimestamp = T0.PlusSeconds(start + 1), AfterContactWorkStartTimestamp = T0.PlusSeconds(start + 30),
                CustomerHoldDuration = i % 2 == 0 ? 5 : 0,
            },
            ContactLensEnabled = i % 3 == 0,
            InstanceArn = Instance,
        };

        var records = new List<ContactRecord> { Record(0, 0, InitiationMethods.Inbound, null), Record(1, 60, InitiationMethods.Callback, "c00000") };
        for (var i = 2; i < transfers + 2; i++)
        {
            records.Add(Record(i, 30 * i + 30, InitiationMethods.Transfer, records[^1].ContactId));
        }

        return new Chain("c00000", records);
    }

    [Fact]
    public void A_callback_followed_by_thousands_of_transfers_rates_them_all_on_the_callback_leg()
    {
        // Walked record by record, each walk scanning the chain, this took half a minute (cubic); now one pass.
        var result = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing).Rate(CallbackChain(2_000));

        var customer = Assert.Single(result.Legs, l => l.Kind == LegKinds.CustomerInbound);
        Assert.Equal(30, customer.Seconds);
        var callback = Assert.Single(result.Legs, l => l.Kind == LegKinds.Callback);
        Assert.Equal(30 * 2_001, callback.Seconds); // 10:01:00 to the last transfer's end, one union
        var segments = result.Segments.Where(s => s.LegIndex == callback.Index).ToList();
        Assert.Equal(callback.Seconds, segments.Sum(s => s.Seconds));
        Assert.Equal(2_001, segments.Count(s => s.Kind == SegmentKinds.Agent)); // the callback's agent and one per transfer
        Assert.Equal(1_000 * 5, segments.Where(s => s.Kind == SegmentKinds.Hold).Sum(s => s.Seconds));
        Assert.Equal(result.Charges.Where(c => c.LegIndex == callback.Index).Sum(c => c.Cost ?? 0m), segments.Sum(s => s.Cost));
    }

    [Fact]
    public void In_a_long_chain_each_external_transfer_is_one_third_party_leg_with_or_without_its_leg_record()
    {
        // 40 transfers of 60 s; every 4th goes to an external number at its 30th second. Every 8th has its
        // EXTERNAL_OUTBOUND record (the number written without its +): that record is the leg. The others have none:
        // the transfer is, from TransferCompletedTimestamp to its disconnect.
        var records = new List<ContactRecord>();
        for (var i = 0; i <= 40; i++)
        {
            var start = T0.PlusSeconds(60 * i);
            var external = i > 0 && i % 4 == 0;
            records.Add(new ContactRecord
            {
                ContactId = $"t{i:D2}",
                InitialContactId = i == 0 ? null : "t00",
                PreviousContactId = i == 0 ? null : $"t{i - 1:D2}",
                Channel = Channels.Voice,
                InitiationMethod = i == 0 ? InitiationMethods.Inbound : InitiationMethods.Transfer,
                InitiationTimestamp = start,
                ConnectedToSystemTimestamp = start,
                DisconnectTimestamp = start.PlusSeconds(60),
                TransferCompletedTimestamp = external ? start.PlusSeconds(30) : null,
                TransferredToEndpoint = external ? new Endpoint("+13125550142", "TELEPHONE_NUMBER") : null,
                SystemEndpoint = new Endpoint("+18005550100", "TELEPHONE_NUMBER"),
                CustomerEndpoint = new Endpoint("+12065550166", "TELEPHONE_NUMBER"),
                InstanceArn = Instance,
            });
            if (i > 0 && i % 8 == 0)
            {
                records.Add(records[^1] with
                {
                    ContactId = $"x{i:D2}",
                    PreviousContactId = $"t{i:D2}",
                    InitiationMethod = InitiationMethods.ExternalOutbound,
                    InitiationTimestamp = start.PlusSeconds(30),
                    ConnectedToSystemTimestamp = start.PlusSeconds(35),
                    DisconnectTimestamp = start.PlusSeconds(60),
                    CustomerEndpoint = new Endpoint("13125550142", "TELEPHONE_NUMBER"),
                    TransferCompletedTimestamp = null,
                    TransferredToEndpoint = null,
                });
            }
        }

        var usage = new LegBuilder(AgentDirectory.Empty, NumberInventory.Missing, BillingPolicy.Default).Build(new Chain("t00", records));

        var thirdParty = usage.Legs.Where(l => l.Kind == LegKinds.ThirdParty).ToList();
        Assert.Equal(["t04", "t12", "t20", "t28", "t36", "x08", "x16", "x24", "x32", "x40"], thirdParty.Select(l => l.ContactId).Order(StringComparer.Ordinal));
        Assert.All(thirdParty, l => Assert.Equal(l.ContactId[0] == 'x' ? 25 : 30, l.Seconds));
    }
}
