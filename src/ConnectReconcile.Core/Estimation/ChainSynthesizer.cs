using System.Globalization;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Estimation;

/// <summary>A synthetic chain and how many real calls in the month it stands for.</summary>
public sealed record SyntheticCall(Chain Chain, decimal Weight, string Group);

/// <summary>
/// Turns a <see cref="VolumeProfile"/> into contact records shaped like the CTRs Amazon Connect
/// writes, so that the estimate is rated by the same <c>Rater</c> (legs, minimums, segments) as a
/// replay. Each kind of call becomes <c>resolution</c> representative calls: every duration
/// distribution is cut into that many equally likely values, and the values of the different
/// parts of a call (IVR, queue, talk, …) are paired by a fixed pseudo-random permutation (a Latin
/// hypercube), so each part keeps its exact distribution while sums are spread realistically.
/// Yes/no properties (desk phone, Contact Lens, transfers) are not sampled: every combination is
/// rated with its probability as weight. Deterministic: the same profile gives the same calls.
/// A price change inside the month (a date given to the constructor) cuts it into periods, and the
/// whole set of representative calls is placed in each period, weighted by its share of the days:
/// each side of the date gets the same mix of durations, as every day of the real month would.
/// </summary>
public sealed class ChainSynthesizer
{
    public const string InstanceId = "estimate";
    private const string SoftAgent = "estimate-softphone-agent";
    private const string DeskAgent = "estimate-desk-phone-agent";
    private const string Telephone = "TELEPHONE_NUMBER";

    private readonly VolumeProfile _profile;
    private readonly int _days;
    private readonly int _n;
    private readonly string _arn;
    private readonly string _country;
    private readonly string _customer;
    private readonly string _third;
    private readonly string _deskNumber;
    private readonly List<Period> _periods;

    /// <param name="priceChanges">Days on which a price may change (a rate row or an instance's pricing model starts or ends);
    /// those inside the estimated days cut them into periods that each get every representative call.</param>
    public ChainSynthesizer(VolumeProfile profile, DateOnly start, int days, int resolution = 200, IEnumerable<DateOnly>? priceChanges = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resolution, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        _profile = profile;
        _days = days;
        _n = resolution;
        _periods = Periods(start, days, priceChanges ?? []);
        _country = profile.HomeCountry;
        _arn = $"arn:aws:connect:{profile.Region}:000000000000:instance/{InstanceId}";
        _customer = ExampleNumbers.For(_country, 1);
        _third = ExampleNumbers.For(profile.Inbound.ExternalCountry ?? _country, 3);
        _deskNumber = ExampleNumbers.For(_country, 4);
        DidNumber = ExampleNumbers.For(_country, 10);
        TollFreeNumber = ExampleNumbers.TollFreeFor(_country);
        Numbers = new NumberInventory(
        [
            new ClaimedNumber(DidNumber, NumberTypes.Did, _country, null, null, InstanceId),
            new ClaimedNumber(TollFreeNumber, NumberTypes.TollFree, _country, null, null, InstanceId),
        ]);
        Agents = new AgentDirectory(
        [
            new AgentPhoneEntry(SoftAgent, PhoneTypes.SoftPhone, null, null),
            new AgentPhoneEntry(DeskAgent, PhoneTypes.DeskPhone, _deskNumber, null),
        ]);
    }

    /// <summary>The two agents of the synthetic calls: one on a softphone, one on a desk phone.</summary>
    public AgentDirectory Agents { get; }

    /// <summary>The numbers the synthetic customers dial: one DID and one toll-free number of the home country.</summary>
    public NumberInventory Numbers { get; }

    public string DidNumber { get; }

    public string TollFreeNumber { get; }

    public IEnumerable<SyntheticCall> Calls()
    {
        var p = _profile;
        var inbound = new[] { ("did", DidNumber, p.CallsPerDay.InboundDid), ("tollfree", TollFreeNumber, p.CallsPerDay.InboundTollFree) };
        foreach (var (label, number, perDay) in inbound)
        {
            var month = perDay * _days;
            if (month <= 0)
            {
                continue;
            }

            foreach (var call in IvrOnly($"inbound-{label}-ivr-only", number, month * p.Inbound.IvrOnlyShare))
            {
                yield return call;
            }

            foreach (var call in Abandoned($"inbound-{label}-abandoned", number, month * p.Inbound.AbandonedShare))
            {
                yield return call;
            }

            foreach (var call in Callback($"inbound-{label}-callback", number, month * p.CallbackShare))
            {
                yield return call;
            }

            foreach (var call in Answered($"inbound-{label}-answered", number, month * p.AnsweredShare))
            {
                yield return call;
            }
        }

        foreach (var (destination, perDay) in p.CallsPerDay.Outbound.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var month = perDay * _days;
            var number = ExampleNumbers.For(destination, 2);
            foreach (var call in OutboundAnswered($"outbound-{destination}-answered", number, month * p.Outbound.AnsweredShare))
            {
                yield return call;
            }

            foreach (var call in OutboundUnanswered($"outbound-{destination}-unanswered", number, month * (1 - p.Outbound.AnsweredShare)))
            {
                yield return call;
            }
        }
    }

    private IEnumerable<SyntheticCall> IvrOnly(string group, string number, decimal calls)
    {
        if (calls <= 0)
        {
            yield break;
        }

        var ivr = Column(_profile.Inbound.IvrOnlySeconds, group, 0);
        foreach (var (i, t0, share, tag) in Slots())
        {
            var root = Record($"{group}-{i}{tag}", null, null, InitiationMethods.Inbound, t0, t0, t0.PlusSeconds(ivr[i]), number);
            yield return new SyntheticCall(new Chain(root.ContactId, [root]), calls / _n * share, group);
        }
    }

    private IEnumerable<SyntheticCall> Abandoned(string group, string number, decimal calls)
    {
        if (calls <= 0)
        {
            yield break;
        }

        var ivr = Column(_profile.Inbound.IvrSeconds, group, 0);
        var wait = Column(_profile.Inbound.AbandonSeconds, group, 1);
        foreach (var (i, t0, share, tag) in Slots())
        {
            var enqueued = t0.PlusSeconds(ivr[i]);
            var end = enqueued.PlusSeconds(wait[i]);
            var root = Record($"{group}-{i}{tag}", null, null, InitiationMethods.Inbound, t0, t0, end, number) with
            {
                Queue = Queue(enqueued, end),
            };
            yield return new SyntheticCall(new Chain(root.ContactId, [root]), calls / _n * share, group);
        }
    }

    private IEnumerable<SyntheticCall> Callback(string group, string number, decimal calls)
    {
        if (calls <= 0)
        {
            yield break;
        }

        var ivr = Column(_profile.Inbound.IvrSeconds, group, 0);
        var wait = Column(_profile.Callbacks.QueueSeconds, group, 1);
        var ring = Column(_profile.Callbacks.RingSeconds, group, 2);
        var talk = Column(_profile.Callbacks.TalkSeconds, group, 3);
        foreach (var (i, t0, share, tag) in Slots())
        {
            foreach (var (desk, pDesk) in Options(_profile.DeskPhoneShare))
            {
                var id = $"{group}-{i}{tag}-{(desk ? "desk" : "soft")}";
                var enqueued = t0.PlusSeconds(ivr[i]);
                var created = enqueued.PlusSeconds(wait[i]);
                var root = Record(id, null, null, InitiationMethods.Inbound, t0, t0, created, number) with { Queue = Queue(enqueued, created) };
                var accepted = created.PlusSeconds(60);
                var answered = accepted.PlusSeconds(ring[i]);
                var end = answered.PlusSeconds(talk[i]);
                var callback = Record(id + "-callback", id, id, InitiationMethods.Callback, created, answered, end, null) with
                {
                    Queue = Queue(created, accepted),
                    Agent = Agent(desk, accepted, end),
                };
                yield return new SyntheticCall(new Chain(id, [root, callback]), calls / _n * share * pDesk, group);
            }
        }
    }

    private IEnumerable<SyntheticCall> Answered(string group, string number, decimal calls)
    {
        if (calls <= 0)
        {
            yield break;
        }

        var b = _profile.Inbound;
        var ivr = Column(b.IvrSeconds, group, 0);
        var queue = Column(b.QueueSeconds, group, 1);
        var talk = Column(b.TalkSeconds, group, 2);
        var external = Column(b.ExternalSeconds, group, 3);
        foreach (var (i, t0, share, tag) in Slots())
        {
            foreach (var (transfer, pTransfer) in Options(b.InternalTransferShare))
            foreach (var (ext, pExt) in Options(b.ExternalTransferShare))
            foreach (var (deskA, pA) in Options(_profile.DeskPhoneShare))
            foreach (var (deskB, pB) in transfer ? Options(_profile.DeskPhoneShare) : [(false, 1m)])
            foreach (var (lens, pLens) in Options(_profile.ContactLensShare))
            {
                var id = $"{group}-{i}{tag}-{(transfer ? "t" : "")}{(ext ? "x" : "")}{(deskA ? "A" : "a")}{(deskB ? "B" : "b")}{(lens ? "L" : "l")}";
                var enqueued = t0.PlusSeconds(ivr[i]);
                var connected = enqueued.PlusSeconds(queue[i]);
                var agentsLeave = connected.PlusSeconds(talk[i]);
                var end = ext ? agentsLeave.PlusSeconds(external[i]) : agentsLeave;
                var records = new List<ContactRecord>(2);
                var root = Record(id, null, null, InitiationMethods.Inbound, t0, t0, end, number) with
                {
                    Queue = Queue(enqueued, connected),
                    ContactLensEnabled = lens,
                };
                if (transfer)
                {
                    // The first agent hands over halfway through the talk time; the second stays to the end.
                    var handover = connected.PlusSeconds(talk[i] / 2);
                    root = root with { Agent = Agent(deskA, connected, handover), DisconnectTimestamp = handover, LastUpdateTimestamp = handover, TransferCompletedTimestamp = handover };
                    var child = Record(id + "-transfer", id, id, InitiationMethods.Transfer, handover, handover, end, number) with
                    {
                        Agent = Agent(deskB, handover, agentsLeave),
                        ContactLensEnabled = lens,
                    };
                    records.Add(root);
                    records.Add(ext ? External(child, agentsLeave) : child);
                }
                else
                {
                    root = root with { Agent = Agent(deskA, connected, agentsLeave) };
                    records.Add(ext ? External(root, agentsLeave) : root);
                }

                yield return new SyntheticCall(new Chain(id, records), calls / _n * share * pTransfer * pExt * pA * pB * pLens, group);
            }
        }
    }

    /// <summary>The agent transfers the customer to an external number when it leaves (a third-party leg with no leg record).</summary>
    private ContactRecord External(ContactRecord record, Instant agentLeaves) => record with
    {
        TransferredToEndpoint = new Endpoint(_third, Telephone),
        TransferCompletedTimestamp = agentLeaves,
    };

    private IEnumerable<SyntheticCall> OutboundAnswered(string group, string number, decimal calls)
    {
        if (calls <= 0)
        {
            yield break;
        }

        var ring = Column(_profile.Outbound.RingSeconds, group, 0);
        var talk = Column(_profile.Outbound.TalkSeconds, group, 1);
        foreach (var (i, t0, share, tag) in Slots())
        {
            foreach (var (desk, pDesk) in Options(_profile.DeskPhoneShare))
            foreach (var (lens, pLens) in Options(_profile.ContactLensShare))
            {
                var id = $"{group}-{i}{tag}-{(desk ? "A" : "a")}{(lens ? "L" : "l")}";
                var answered = t0.PlusSeconds(ring[i]);
                var end = answered.PlusSeconds(talk[i]);
                var root = Record(id, null, null, InitiationMethods.Outbound, t0, answered, end, DidNumber) with
                {
                    CustomerEndpoint = new Endpoint(number, Telephone),
                    Agent = Agent(desk, t0, end),
                    ContactLensEnabled = lens,
                };
                yield return new SyntheticCall(new Chain(id, [root]), calls / _n * share * pDesk * pLens, group);
            }
        }
    }

    private IEnumerable<SyntheticCall> OutboundUnanswered(string group, string number, decimal calls)
    {
        if (calls <= 0)
        {
            yield break;
        }

        var dialling = Column(_profile.Outbound.NoAnswerSeconds, group, 0);
        foreach (var (i, t0, share, tag) in Slots())
        {
            foreach (var (desk, pDesk) in Options(_profile.DeskPhoneShare))
            {
                var id = $"{group}-{i}{tag}-{(desk ? "A" : "a")}";
                var end = t0.PlusSeconds(dialling[i]);
                var root = Record(id, null, null, InitiationMethods.Outbound, t0, null, end, DidNumber) with
                {
                    CustomerEndpoint = new Endpoint(number, Telephone),
                    Agent = Agent(desk, t0, end),
                };
                yield return new SyntheticCall(new Chain(id, [root]), calls / _n * share * pDesk, group);
            }
        }
    }

    /// <summary>The values of one part of a call for the N representative calls, in a fixed shuffled order.</summary>
    private int[] Column(DurationDistribution distribution, string group, int part)
    {
        var values = distribution.Quantize(_n);
        var seed = 17;
        foreach (var ch in group)
        {
            seed = unchecked(seed * 31 + ch);
        }

        new Random(unchecked(seed * 7 + part) & int.MaxValue).Shuffle(values);
        return values;
    }

    /// <summary>A yes/no property as weighted alternatives; an alternative of probability 0 is not rated at all.</summary>
    private static List<(bool Value, decimal Probability)> Options(decimal probability)
    {
        var list = new List<(bool, decimal)>(2);
        if (probability > 0)
        {
            list.Add((true, probability));
        }

        if (probability < 1)
        {
            list.Add((false, 1 - probability));
        }

        return list;
    }

    /// <summary>The periods between price changes; one (the whole range) when nothing changes inside it.</summary>
    private static List<Period> Periods(DateOnly start, int days, IEnumerable<DateOnly> changes)
    {
        var end = start.AddDays(days);
        var cuts = changes.Where(d => d > start && d < end).Distinct().Order().ToList();
        var periods = new List<Period>(cuts.Count + 1);
        var first = start;
        foreach (var cut in cuts.Append(end))
        {
            var length = cut.DayNumber - first.DayNumber;
            periods.Add(new Period(first, length, (decimal)length / days, cuts.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"@{first:yyyyMMdd}")));
            first = cut;
        }

        return periods;
    }

    /// <summary>
    /// Every representative call in every period: call i of a period starts at 03:00 UTC of a day spread evenly over
    /// that period (so rate-card dates apply), and stands for the period's share of the days.
    /// </summary>
    private IEnumerable<(int I, Instant Start, decimal Share, string Tag)> Slots()
    {
        foreach (var period in _periods)
        {
            for (var i = 0; i < _n; i++)
            {
                yield return (i, Instant.FromDate(period.First.AddDays((int)((long)i * period.Days / _n))).PlusSeconds(3 * 3600), period.Share, period.Tag);
            }
        }
    }

    private sealed record Period(DateOnly First, int Days, decimal Share, string Tag);

    private ContactRecord Record(string id, string? root, string? previous, string method, Instant initiated, Instant? connected, Instant end, string? system) => new()
    {
        ContactId = id,
        InitialContactId = root,
        PreviousContactId = previous,
        Channel = Channels.Voice,
        InitiationMethod = method,
        InitiationTimestamp = initiated,
        ConnectedToSystemTimestamp = connected,
        DisconnectTimestamp = end,
        LastUpdateTimestamp = end,
        CustomerEndpoint = new Endpoint(_customer, Telephone),
        SystemEndpoint = system is null ? null : new Endpoint(system, Telephone),
        InstanceArn = _arn,
    };

    private static QueueInfo Queue(Instant enqueued, Instant dequeued) => new()
    {
        Name = "estimate",
        EnqueueTimestamp = enqueued,
        DequeueTimestamp = dequeued,
        Duration = dequeued.UnixSeconds - enqueued.UnixSeconds,
    };

    private static AgentInfo Agent(bool desk, Instant connected, Instant leaves) => new()
    {
        Username = desk ? DeskAgent : SoftAgent,
        ConnectedToAgentTimestamp = connected,
        AfterContactWorkStartTimestamp = leaves,
        AgentInteractionDuration = leaves.UnixSeconds - connected.UnixSeconds,
    };
}
