using System.Globalization;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;

namespace ConnectReconcile.Core.Estimation;

/// <summary>
/// Derives a <see cref="VolumeProfile"/> from rated chains (a replay's <see cref="ChainResult"/>s):
/// each chain is measured in exactly the terms <see cref="ChainSynthesizer"/> builds calls from
/// (IVR, queue, talk, external, ring … seconds taken from the rated legs, so they add up to each
/// leg), durations are kept as 100-slice empirical distributions, and the desk-phone and Contact
/// Lens shares are time-weighted (billed seconds ÷ the agent seconds the synthetic calls will
/// have), so that the linear part of an estimate from the derived profile equals the replay.
/// </summary>
public sealed class ProfileBuilder(BillingPolicy policy)
{
    private readonly List<long> _ivrOnly = [], _ivr = [], _queue = [], _abandon = [], _talk = [], _external = [];
    private readonly List<long> _outRing = [], _outTalk = [], _outNoAnswer = [], _cbQueue = [], _cbRing = [], _cbTalk = [];
    private readonly SortedDictionary<string, long> _outbound = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, decimal> _other = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _regions = new(StringComparer.Ordinal), _countries = new(StringComparer.Ordinal),
        _models = new(StringComparer.Ordinal), _externalCountries = new(StringComparer.Ordinal);
    private readonly SortedSet<DateOnly> _days = [];
    private long _did, _tollFree, _answered, _abandoned, _ivrOnlyCalls, _callbacks, _internal, _externalLegs, _outAnswered, _outTotal;
    private long _deskSeconds, _agentSeconds, _lensSeconds, _lensBase, _chains;
    private decimal _didDays, _tollFreeDays;
    private readonly Dictionary<string, (long Chains, decimal Cost)> _skipped = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _rows = new(StringComparer.Ordinal);

    /// <summary>Rate rows that priced the measured chains, with their cost (a profile keys outbound by country, not by a row's prefix).</summary>
    public IReadOnlyDictionary<string, decimal> RowsUsed => _rows;

    /// <summary>A day the source covers (every reported day counts, even one without calls).</summary>
    public void AddDay(DateOnly day) => _days.Add(day);

    /// <summary>A number-day or per-contact charge of the run.</summary>
    public void Add(Charge charge)
    {
        _days.Add(charge.Day);
        switch (charge.ChargeKind)
        {
            case ChargeKinds.NumberDaysDid:
                _didDays += charge.Quantity;
                break;
            case ChargeKinds.NumberDaysTollFree:
                _tollFreeDays += charge.Quantity;
                break;
            default:
                if (charge.Unit == Units.Unit)
                {
                    _other[charge.ChargeKind] = _other.GetValueOrDefault(charge.ChargeKind) + charge.Quantity;
                }

                break;
        }
    }

    public void Add(ChainResult result)
    {
        var chain = result.Chain;
        _days.Add(chain.Day);
        if (chain.IsOrphan)
        {
            Skip("orphan chains (a parent record is missing)", result);
            return;
        }

        _chains++;
        Vote(_regions, chain.Region);
        foreach (var charge in result.Charges)
        {
            Vote(_models, charge.PricingModel);
            if (charge.RateRowId is { } row)
            {
                _rows[row] = _rows.GetValueOrDefault(row) + (charge.Cost ?? 0);
            }
        }

        if (LegBuilder.IsOutboundChain(chain))
        {
            AddOutbound(result);
        }
        else
        {
            AddInbound(result);
        }
    }

    private void AddInbound(ChainResult result)
    {
        var chain = result.Chain;
        var leg = result.Legs.FirstOrDefault(l => l.Kind == LegKinds.CustomerInbound);
        if (leg is null)
        {
            Skip("inbound chains without a telephone leg (in-app/web calls)", result);
            _chains--;
            return;
        }

        if (leg.NumberType == NumberTypes.TollFree)
        {
            _tollFree++;
        }
        else
        {
            _did++;
        }

        Vote(_countries, leg.Country);
        CountDeskAndLens(result);
        var root = chain.Root!;
        var length = leg.Seconds;
        var start = root.ConnectedToSystemTimestamp ?? root.InitiationTimestamp;
        var enqueued = root.Queue?.EnqueueTimestamp;
        var callbacks = result.Legs.Where(l => l.Kind == LegKinds.Callback).ToList();
        if (callbacks.Count > 0)
        {
            var ivr = enqueued is { } e ? Math.Clamp(e.UnixSeconds - start.UnixSeconds, 0, length) : length;
            _ivr.Add(ivr);
            _cbQueue.Add(length - ivr);
            foreach (var cb in callbacks)
            {
                var record = chain.Records.First(r => r.ContactId == cb.ContactId);
                var ring = record.Agent?.ConnectedToAgentTimestamp is { } accepted && record.ConnectedToSystemTimestamp is { } answered
                    ? Math.Max(0, answered.UnixSeconds - accepted.UnixSeconds)
                    : 0;
                _callbacks++;
                _cbRing.Add(ring);
                _cbTalk.Add(cb.Seconds);
                _agentSeconds += ring + cb.Seconds;
            }

            // The profile's external transfers are those of answered inbound calls (a share of them).
            SkipThirdPartyLegs("third-party legs of callback calls", result);
            return;
        }

        var customer = chain.Records.Where(LegBuilder.KeepsCustomer).ToList();
        var firstAgent = customer.Select(r => r.Agent?.ConnectedToAgentTimestamp).Where(t => t is not null).Min();
        if (firstAgent is { } agentAt)
        {
            _answered++;
            var ivr = Math.Clamp((enqueued ?? agentAt).UnixSeconds - start.UnixSeconds, 0, length);
            var queue = enqueued is { } e ? Math.Clamp(agentAt.UnixSeconds - e.UnixSeconds, 0, length - ivr) : 0;
            var thirdParty = result.Legs.Where(l => l.Kind == LegKinds.ThirdParty).ToList();
            foreach (var t in thirdParty)
            {
                _external.Add(t.Seconds);
                _externalLegs++;
                Vote(_externalCountries, t.Country);
            }

            var talk = Math.Max(0, length - ivr - queue - thirdParty.Sum(t => t.Seconds));
            if (customer.Count(r => r.Agent?.ConnectedToAgentTimestamp is not null) > 1)
            {
                _internal++;
            }

            _ivr.Add(ivr);
            _queue.Add(queue);
            _talk.Add(talk);
            _agentSeconds += talk;
            _lensBase += policy.ContactLensInterval == ContactLensInterval.AgentConnected ? talk : length;
        }
        else if (enqueued is { } e)
        {
            _abandoned++;
            var ivr = Math.Clamp(e.UnixSeconds - start.UnixSeconds, 0, length);
            _ivr.Add(ivr);
            _abandon.Add(length - ivr);
        }
        else
        {
            _ivrOnlyCalls++;
            _ivrOnly.Add(length);
        }
    }

    private void AddOutbound(ChainResult result)
    {
        var head = result.Chain.Head;
        var leg = result.Legs.FirstOrDefault(l => l.Kind == LegKinds.CustomerOutbound);
        var destination = leg?.Country ?? PhoneNumbers.CountryOf(head.CustomerEndpoint?.Address);
        _outbound[destination] = _outbound.GetValueOrDefault(destination) + 1;
        _outTotal++;
        CountDeskAndLens(result);
        SkipThirdPartyLegs("third-party legs of outbound calls", result);

        if (leg is not null && head.ConnectedToSystemTimestamp is { } answered)
        {
            _outAnswered++;
            var ring = Math.Max(0, answered.UnixSeconds - head.InitiationTimestamp.UnixSeconds);
            _outRing.Add(ring);
            _outTalk.Add(leg.Seconds);
            _agentSeconds += ring + leg.Seconds;
            _lensBase += policy.ContactLensInterval == ContactLensInterval.AgentConnected ? ring + leg.Seconds : leg.Seconds;
        }
        else
        {
            var dialling = Math.Max(0, head.End.UnixSeconds - head.InitiationTimestamp.UnixSeconds);
            _outNoAnswer.Add(dialling);
            _agentSeconds += dialling;
        }
    }

    private void CountDeskAndLens(ChainResult result)
    {
        _deskSeconds += result.Legs.Where(l => l.Kind == LegKinds.DeskPhone).Sum(l => l.Seconds);
        _lensSeconds += result.Charges.Where(c => c.ChargeKind == ChargeKinds.ContactLens).Sum(c => c.ActualSeconds);
    }

    /// <summary>A chain's third-party legs where the profile has no place for them: named with their cost, not dropped silently.</summary>
    private void SkipThirdPartyLegs(string why, ChainResult result)
    {
        if (result.Legs.Any(l => l.Kind == LegKinds.ThirdParty))
        {
            var cost = result.Charges.Where(c => c.LegKind == LegKinds.ThirdParty).Sum(c => c.Cost ?? 0);
            var previous = _skipped.GetValueOrDefault(why);
            _skipped[why] = (previous.Chains + 1, previous.Cost + cost);
        }
    }

    private void Skip(string why, ChainResult result)
    {
        var previous = _skipped.GetValueOrDefault(why);
        _skipped[why] = (previous.Chains + 1, previous.Cost + result.Charges.Sum(c => c.Cost ?? 0));
    }

    /// <summary>
    /// The pricing models the measured charges were priced under, with their charge counts, most first. More than one
    /// (an instance switching model inside the measured days) cannot be carried by a profile's single model.
    /// </summary>
    public IReadOnlyList<(string Model, long Charges)> ModelsUsed =>
        _models.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();

    private static void Vote(Dictionary<string, long> votes, string key) => votes[key] = votes.GetValueOrDefault(key) + 1;

    private static string? Winner(Dictionary<string, long> votes) =>
        votes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).FirstOrDefault();

    /// <summary>The profile: per-day volumes over the days seen, shares, and the empirical distributions.</summary>
    public VolumeProfile Build(string? name = null, string? fallbackRegion = null)
    {
        if (_days.Count == 0)
        {
            throw new InvalidOperationException("No days were seen: the source holds no contact records in the range.");
        }

        var c = CultureInfo.InvariantCulture;
        var days = _days.Count;
        var region = Winner(_regions) ?? fallbackRegion ?? BuiltInRateCards.Regions[0];
        var country = Winner(_countries) ?? VolumeProfile.CountryOfRegion(region) ?? "US";
        decimal PerDay(decimal count) => Math.Round(count / days, 6, MidpointRounding.AwayFromZero);
        decimal Share(long part, long whole) => whole == 0 ? 0 : Math.Round((decimal)part / whole, 6, MidpointRounding.AwayFromZero);
        DurationDistribution Dist(List<long> observed, DurationDistribution fallback) =>
            observed.Count == 0 ? fallback : DurationDistribution.FromObservations(observed);

        var defaults = new VolumeProfile { Region = region };
        var inbound = _did + _tollFree;
        var notes = new List<string>
        {
            string.Create(c, $"Derived from {_chains:#,0} chains over {days} days ({_days.Min:yyyy-MM-dd} to {_days.Max:yyyy-MM-dd}) under policy {policy}."),
        };
        if (_regions.Count > 1)
        {
            // A profile has one region: the others' calls are priced at its rates.
            var others = _regions.Where(kv => kv.Key != region).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal);
            notes.Add(string.Create(c, $"The CTRs span regions: priced as {region} ({_regions[region]:#,0} chains); {string.Join(", ", others.Select(kv => string.Create(c, $"{kv.Key} ({kv.Value:#,0} chains)")))} priced at {region}'s rates too. Estimate each region's CTRs on their own (--from-ctrs of that instance's folder) for its prices."));
        }

        if (_models.Count > 1)
        {
            // The profile has one pricing model: every day is estimated on it, while the replay priced each day on its own.
            var model = Winner(_models)!;
            notes.Add(string.Create(c, $"The measured charges were priced under several pricing models ({string.Join(", ", ModelsUsed.Select(m => string.Create(c, $"{m.Model}: {m.Charges:#,0} charges")))}): every day is estimated as {model}, so the estimate is not comparable with the replay."));
        }

        foreach (var (why, (chains, cost)) in _skipped.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            notes.Add(string.Create(c, $"Not modelled: {chains:#,0} {why}, rated at {cost:0.00} in the replay."));
        }

        var externalCountry = Winner(_externalCountries);
        var lensShare = _lensBase == 0 ? 0 : Math.Min(1, Math.Round((decimal)_lensSeconds / _lensBase, 6, MidpointRounding.AwayFromZero));
        var deskShare = _agentSeconds == 0 ? 0 : Math.Min(1, Math.Round((decimal)_deskSeconds / _agentSeconds, 6, MidpointRounding.AwayFromZero));
        return new VolumeProfile
        {
            Name = name,
            Region = region,
            Country = country,
            PricingModel = Winner(_models),
            Month = _days.Min,
            Days = days,
            CallsPerDay = new CallVolumes
            {
                InboundDid = PerDay(_did),
                InboundTollFree = PerDay(_tollFree),
                Outbound = _outbound.ToDictionary(kv => kv.Key, kv => PerDay(kv.Value), StringComparer.Ordinal),
                Callbacks = PerDay(_callbacks),
            },
            Inbound = new InboundBehaviour
            {
                IvrOnlyShare = Share(_ivrOnlyCalls, inbound),
                AbandonedShare = Share(_abandoned, inbound),
                IvrOnlySeconds = Dist(_ivrOnly, defaults.Inbound.IvrOnlySeconds),
                IvrSeconds = Dist(_ivr, defaults.Inbound.IvrSeconds),
                QueueSeconds = Dist(_queue, defaults.Inbound.QueueSeconds),
                AbandonSeconds = Dist(_abandon, defaults.Inbound.AbandonSeconds),
                TalkSeconds = Dist(_talk, defaults.Inbound.TalkSeconds),
                InternalTransferShare = Share(_internal, _answered),
                ExternalTransferShare = Math.Min(1, Share(_externalLegs, _answered)),
                ExternalSeconds = Dist(_external, defaults.Inbound.ExternalSeconds),
                ExternalCountry = externalCountry == country ? null : externalCountry,
            },
            Outbound = new OutboundBehaviour
            {
                AnsweredShare = _outTotal == 0 ? 1 : Share(_outAnswered, _outTotal),
                RingSeconds = Dist(_outRing, defaults.Outbound.RingSeconds),
                TalkSeconds = Dist(_outTalk, defaults.Outbound.TalkSeconds),
                NoAnswerSeconds = Dist(_outNoAnswer, defaults.Outbound.NoAnswerSeconds),
            },
            Callbacks = new CallbackBehaviour
            {
                QueueSeconds = Dist(_cbQueue, defaults.Callbacks.QueueSeconds),
                RingSeconds = Dist(_cbRing, defaults.Callbacks.RingSeconds),
                TalkSeconds = Dist(_cbTalk, defaults.Callbacks.TalkSeconds),
            },
            DeskPhoneShare = deskShare,
            ContactLensShare = lensShare,
            Numbers = new NumbersHeld { Did = PerDay(_didDays), TollFree = PerDay(_tollFreeDays) },
            OtherContactsPerDay = _other.ToDictionary(kv => kv.Key, kv => PerDay(kv.Value), StringComparer.Ordinal),
            Notes = notes,
        };
    }
}
