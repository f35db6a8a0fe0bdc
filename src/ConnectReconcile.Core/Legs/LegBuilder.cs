using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Legs;

/// <summary>What a chain used: its telephony legs and every metered usage (telephony, service, Contact Lens).</summary>
public sealed record ChainUsage(IReadOnlyList<Leg> Legs, IReadOnlyList<MeteredUsage> Usages);

/// <summary>
/// Rebuilds the legs of a chain (billing-model.md §2) and meters them under a policy (§4, §6).
/// Pure: the same chain, directory, inventory and policy always give the same legs.
/// </summary>
public sealed class LegBuilder
{
    private readonly AgentDirectory _agents;
    private readonly NumberInventory _numbers;
    private readonly BillingPolicy _policy;

    public LegBuilder(AgentDirectory agents, NumberInventory numbers, BillingPolicy policy)
    {
        _agents = agents;
        _numbers = numbers;
        _policy = policy;
    }

    public ChainUsage Build(Chain chain)
    {
        var legs = new List<Leg>();
        var usages = new List<MeteredUsage>();
        var calls = CallbackCalls.Of(chain);
        var customerSpan = AddCustomerLeg(chain, calls, legs, usages);
        AddCallbackLegs(chain, calls, legs, usages);
        AddThirdPartyLegs(chain, legs, usages);
        AddDeskPhoneLegs(chain, legs, usages);
        AddContactLens(chain, calls, customerSpan, legs, usages);
        return new ChainUsage(legs, usages);
    }

    /// <summary>Records that carry the customer: everything but external legs, callbacks and monitoring.</summary>
    public static bool KeepsCustomer(ContactRecord r) =>
        r.InitiationMethod is not (InitiationMethods.ExternalOutbound or InitiationMethods.Callback or InitiationMethods.Monitor);

    public static bool IsOutboundChain(Chain chain)
    {
        var head = chain.Root ?? chain.Records.FirstOrDefault(KeepsCustomer) ?? chain.Head;
        return head.InitiationMethod is InitiationMethods.Outbound or InitiationMethods.Api or InitiationMethods.CampaignPreview;
    }

    private static bool IsDialledByConnect(ContactRecord r) =>
        r.InitiationMethod is InitiationMethods.Outbound or InitiationMethods.Api or InitiationMethods.CampaignPreview;

    // Working lists of AddCustomerLeg, reused per thread: it runs for every chain of a month, and
    // nothing built from them keeps them (unions and shares are new lists).
    [ThreadStatic]
    private static (List<ContactRecord> Records, List<(string ContactId, Interval Interval)> Telephony, List<(string ContactId, Interval Interval)> Service)? t_customer;

    /// <summary>
    /// The customer's connected time on the chain's own call (the customer leg's intervals, overlaps once), what
    /// <c>contact-lens=customer-leg</c> meters; also for an in-app call, which has it but no telephony leg.
    /// Labelled as the customer's service charge is (its kind, number and country).
    /// </summary>
    private readonly record struct CustomerSpan(string Kind, string ContactId, string? Number, string Country, IReadOnlyList<Interval> Intervals);

    private CustomerSpan? AddCustomerLeg(Chain chain, CallbackCalls calls, List<Leg> legs, List<MeteredUsage> usages)
    {
        // Loops rather than LINQ here and below: this runs for every chain of the month.
        var (customerRecords, telephony, service) = t_customer ??= ([], [], []);
        customerRecords.Clear();
        telephony.Clear();
        service.Clear();
        var onCallbacks = 0;
        var records = chain.RecordSpan;
        for (var i = 0; i < records.Length; i++)
        {
            // A transfer the callback's agent made is on the outbound call Connect placed for the
            // callback (its leg, below), not on the inbound call, which ended when the callback was created.
            if (calls.OnCustomerLeg(i))
            {
                customerRecords.Add(records[i]);
            }
            else if (KeepsCustomer(records[i]))
            {
                onCallbacks++;
            }
        }

        if (customerRecords.Count == 0)
        {
            return null;
        }

        var outbound = IsOutboundChain(chain);
        var head = chain.Root is { } root && KeepsCustomer(root) ? root : customerRecords[0];
        var kind = outbound ? LegKinds.CustomerOutbound : LegKinds.CustomerInbound;

        // Telephony: inbound from connection to Connect; outbound only once the customer answered.
        var answer = outbound && IsDialledByConnect(head) ? head.ConnectedToSystemTimestamp : null;
        foreach (var r in customerRecords)
        {
            telephony.Add((r.ContactId, outbound
                ? OnOutboundCall(r, answer)
                : new Interval(r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp, r.End)));
        }

        string? number;
        string country;
        string? numberType = null;
        if (outbound)
        {
            number = Dialled(head.CustomerEndpoint?.Address);
            country = CountryOf(number);
        }
        else
        {
            // Typed TELEPHONE_NUMBER yet no number ("Softphone"): the number dialled is unknown, as with no SystemEndpoint.
            number = head.SystemEndpoint is { IsTelephoneNumber: true } se ? PhoneNumbers.AsE164(se.Address) : null;
            country = number is null ? CountryOf(head.CustomerEndpoint?.Address) : _numbers.CountryOf(number);
            numberType = _numbers.TypeOf(number);
        }

        // In-app/web calls (WEBRTC_API) reach Connect without the telephone network: service only.
        var overPstn = head.InitiationMethod != InitiationMethods.WebRtcApi;
        int? legIndex = null;
        var (union, shares) = UnionWithShares(telephony);
        if (overPstn && union.Count > 0)
        {
            legIndex = legs.Count;
            legs.Add(new Leg
            {
                Index = legIndex.Value,
                Kind = kind,
                Direction = outbound ? Directions.Outbound : Directions.Inbound,
                Number = number,
                Country = country,
                NumberType = numberType,
                Intervals = union,
                Shares = shares,
                ContactId = head.ContactId,
                // No dialled number (a SystemEndpoint that is no telephone number): its type and country are guesses,
                // and a toll-free number priced as a DID is billed at a fifth of its rate, so the leg says so.
                Estimated = !outbound && number is null,
                Why = (outbound
                    ? "Connect dialled the customer; billed from answer to the customer's last disconnect, overlaps across records counted once"
                    : number is null
                        ? $"the number the customer called is unknown (SystemEndpoint is not a telephone number): estimated as a {numberType} in the caller's country ({country}); " +
                          "billed from connection to the customer's last disconnect, overlaps across records counted once"
                    : numberType == NumberTypes.TollFree
                        ? "the customer called a toll-free number; billed from connection to the customer's last disconnect, overlaps across records counted once"
                        : "the customer called a DID; billed from connection to the customer's last disconnect, overlaps across records counted once")
                    + (onCallbacks == 0 ? "" : $"; {onCallbacks} record(s) transferred on from a queued callback are on the callback's outbound call, not this one"),
            });
            usages.Add(Telephony(legs[^1]));
        }

        // Service: the same union for inbound; outbound starts at dialling by default (billing-model §6).
        foreach (var r in customerRecords)
        {
            service.Add((r.ContactId, ServiceInterval(r, outbound, answer)));
        }

        AddService(usages, service, kind, legIndex, head.ContactId, number, country,
            outbound && _policy.OutboundServiceStart == OutboundServiceStart.Dialling
                ? "Connect voice minutes of the customer, from dialling (InitiationTimestamp) to the last disconnect"
                : "Connect voice minutes of the customer leg");
        return new CustomerSpan(kind, head.ContactId, number, country, union);
    }

    private Interval ServiceInterval(ContactRecord r, bool outboundChain, Instant? answer)
    {
        if (!outboundChain)
        {
            return new Interval(r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp, r.End);
        }

        if (IsDialledByConnect(r) && _policy.OutboundServiceStart == OutboundServiceStart.Dialling)
        {
            return new Interval(r.InitiationTimestamp, r.End);
        }

        return OnOutboundCall(r, answer);
    }

    /// <summary>
    /// A record's time on an outbound chain's call (billing-model §2). The record Connect dialled counts only once
    /// answered. Any other record (a transfer) keeps the customer on that answered call: it counts from its own
    /// connection, or its initiation when it has none (as inbound and callback records do), never before the answer.
    /// </summary>
    private static Interval OnOutboundCall(ContactRecord r, Instant? answer) =>
        IsDialledByConnect(r) || answer is not { } answered
            ? (r.ConnectedToSystemTimestamp is { } connected ? new Interval(connected, r.End) : default)
            : new Interval(Instant.Max(answered, r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp), r.End);

    private void AddCallbackLegs(Chain chain, CallbackCalls calls, List<Leg> legs, List<MeteredUsage> usages)
    {
        var records = chain.RecordSpan;
        foreach (var r in records)
        {
            // A callback the customer never answered has no telephony and no service (nor do records after it).
            if (r.InitiationMethod != InitiationMethods.Callback || r.ConnectedToSystemTimestamp is not { } answered)
            {
                continue;
            }

            // The callback's agent may transfer the customer on (TRANSFER/QUEUE_TRANSFER/DISCONNECT records
            // whose parents lead back to this CALLBACK): the customer stays on the outbound call Connect placed,
            // so the leg is the union of the callback's [answer, disconnect) and those records' intervals, as
            // the customer leg unions its records; telephony and service over the union, once.
            List<(string ContactId, Interval Interval)>? parts = null;
            for (var i = 0; i < records.Length; i++)
            {
                var d = records[i];
                if (!ReferenceEquals(d, r) && calls.OnCallbackLeg(i, r.ContactId))
                {
                    parts ??= [(r.ContactId, new Interval(answered, r.End))];
                    // Not before the customer answered the callback: they were not on the line.
                    parts.Add((d.ContactId, new Interval(Instant.Max(answered, d.ConnectedToSystemTimestamp ?? d.InitiationTimestamp), d.End)));
                }
            }

            if (parts is null)
            {
                AddServedOutboundLeg(legs, usages, LegKinds.Callback, r, r.CustomerEndpoint?.Address, new Interval(answered, r.End),
                    "a queued callback: Connect called the customer back; billed from answer to disconnect",
                    "Connect voice minutes of the callback, from answer");
                continue;
            }

            var (union, shares) = UnionWithShares(parts);
            if (union.Count == 0)
            {
                continue;
            }

            var number = Dialled(r.CustomerEndpoint?.Address);
            var transfers = parts.Count - 1;
            var leg = new Leg
            {
                Index = legs.Count,
                Kind = LegKinds.Callback,
                Direction = Directions.Outbound,
                Number = number,
                Country = CountryOf(number),
                Intervals = union,
                Shares = shares,
                ContactId = r.ContactId,
                Why = $"a queued callback: Connect called the customer back, and the callback's agent transferred the customer on ({transfers} later record(s)) " +
                      "while they stayed on that outbound call; billed from answer to the customer's last disconnect, overlaps across records counted once",
            };
            legs.Add(leg);
            usages.Add(Telephony(leg));
            AddService(usages, parts, LegKinds.Callback, leg.Index, r.ContactId, number, leg.Country,
                "Connect voice minutes of the callback, from answer to the customer's last disconnect (its transfers included)");
        }
    }

    private void AddThirdPartyLegs(Chain chain, List<Leg> legs, List<MeteredUsage> usages)
    {
        foreach (var r in chain.RecordSpan)
        {
            if (r.InitiationMethod == InitiationMethods.ExternalOutbound)
            {
                // billing-model §2: from ConnectedToSystemTimestamp, else InitiationTimestamp; the why says which.
                AddServedOutboundLeg(legs, usages, LegKinds.ThirdParty, r, r.CustomerEndpoint?.Address,
                    new Interval(r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp, r.End),
                    r.ConnectedToSystemTimestamp is null
                        ? "an EXTERNAL_OUTBOUND record: Connect dialled a third party; billed from its initiation to its disconnect, as it has no ConnectedToSystemTimestamp"
                        : "an EXTERNAL_OUTBOUND record: Connect dialled a third party; billed from its connection to its disconnect",
                    "Connect voice minutes of the third-party leg");
            }
            else if (r.TransferredToEndpoint is { IsTelephoneNumber: true } target && !HasExternalLegRecord(chain, r, target.Address!))
            {
                // With neither a completed transfer nor an after-contact-work start (a flow's transfer, or an agent's
                // record without one), nothing says when the third party was dialled: from the call's connection
                // (else its initiation) is an upper bound, flagged, where no leg would hide it.
                var (start, why) = (r.TransferCompletedTimestamp, r.Agent?.AfterContactWorkStartTimestamp) switch
                {
                    ({ } completed, _) => (completed, "transferred to an external number with no leg record; billed from TransferCompletedTimestamp to the customer's disconnect"),
                    (null, { } acw) => (acw, "transferred to an external number with no leg record; start estimated from the agent's after-contact-work start"),
                    _ => (r.ConnectedToSystemTimestamp ?? r.InitiationTimestamp, UpperBoundWhy(r)),
                };
                AddServedOutboundLeg(legs, usages, LegKinds.ThirdParty, r, target.Address, OnRecord(r, start, r.End), why,
                    "Connect voice minutes of the third-party leg", estimated: r.TransferCompletedTimestamp is null);
            }
        }
    }

    /// <summary>The why of a third-party leg started at the call's connection: what was missing, and what was used.</summary>
    private static string UpperBoundWhy(ContactRecord r) =>
        "transferred to an external number with no leg record, no TransferCompletedTimestamp and "
        + (r.Agent is null ? "no agent" : "no after-contact-work start for its agent")
        + (r.ConnectedToSystemTimestamp is null
            ? "; start estimated as the call's initiation, as it has no ConnectedToSystemTimestamp (an upper bound)"
            : "; start estimated as the call's connection (an upper bound)");

    /// <summary>
    /// [start, end) kept within the record's own [Initiation, Disconnect): agent times (connected, after-contact
    /// work) and a completed transfer lie inside it in every real record, and one outside it (a clock's or an
    /// export's error, ACW a day late) would bill desk-phone, third-party and Contact Lens time the call never had.
    /// </summary>
    private static Interval OnRecord(ContactRecord r, Instant start, Instant end) => new Interval(start, end).Intersect(new Interval(r.InitiationTimestamp, r.End));

    /// <summary>A one-record outbound leg that carries telephony and service (callbacks, third parties).</summary>
    private void AddServedOutboundLeg(List<Leg> legs, List<MeteredUsage> usages, string kind, ContactRecord r, string? number,
        Interval interval, string why, string serviceWhy, bool estimated = false)
    {
        if (interval.IsEmpty)
        {
            return;
        }

        number = Dialled(number);
        var leg = AddLeg(legs, kind, Directions.Outbound, number, CountryOf(number), r.ContactId, interval, why, estimated);
        usages.Add(Telephony(leg));
        AddService(usages, [(r.ContactId, interval)], kind, leg.Index, r.ContactId, number, leg.Country, serviceWhy);
    }

    /// <summary>
    /// Whether an EXTERNAL_OUTBOUND child of <paramref name="r"/> is the leg to <paramref name="address"/>: the
    /// same number however it is written (18002430000 is +18002430000), or a child that names no number, which
    /// can only be that leg; likewise any child when the transfer names no number (<c>Softphone</c>), as nothing
    /// tells them apart. Else the transfer and its leg record were each billed as a third-party leg.
    /// </summary>
    private static bool HasExternalLegRecord(Chain chain, ContactRecord r, string address)
    {
        var number = PhoneNumbers.AsE164(address);
        return chain.ChildrenOf(r.ContactId).Any(c => c.InitiationMethod == InitiationMethods.ExternalOutbound
            && (number is null || c.CustomerEndpoint?.Address is not { Length: > 0 } child || Dialled(child) == number));
    }

    /// <summary>
    /// A leg's number as rate cards and the inventory write it (E.164): CTRs do, but a hand-made or
    /// converted record may say <c>18002430000</c>, which must still meet the card's <c>+1800</c> prefix row
    /// and the inventory's <c>+1…</c> entry. What is no number (a SIP address, <c>anonymous</c>) is kept as written.
    /// </summary>
    private static string? Dialled(string? address) => PhoneNumbers.AsE164(address) ?? address;

    /// <summary>
    /// The country of what reads as a number, else ZZ: the digits of a SIP address or a name (<c>sip:alice123@…</c>)
    /// are no calling code and would price the call as some country's.
    /// </summary>
    private static string CountryOf(string? address) => PhoneNumbers.CountryOf(PhoneNumbers.AsE164(address));

    private void AddDeskPhoneLegs(Chain chain, List<Leg> legs, List<MeteredUsage> usages)
    {
        foreach (var r in chain.RecordSpan)
        {
            if (r.Agent is not { } agent)
            {
                continue;
            }

            var at = agent.ConnectedToAgentTimestamp ?? r.InitiationTimestamp;
            var entry = _agents.Lookup(agent.Username, agent.Arn, at);
            if (entry is null || entry.PhoneType != PhoneTypes.DeskPhone)
            {
                continue;
            }

            // Connect rings the desk phone before it dials out, so outbound desk legs start at initiation.
            var start = r.InitiationMethod == InitiationMethods.Outbound ? r.InitiationTimestamp : agent.ConnectedToAgentTimestamp;
            if (start is null)
            {
                continue;
            }

            var interval = OnRecord(r, start.Value, agent.AfterContactWorkStartTimestamp ?? r.End);
            if (interval.IsEmpty)
            {
                continue;
            }

            var leg = AddLeg(legs, LegKinds.DeskPhone, Directions.Outbound, entry.DeskPhoneNumber, PhoneNumbers.CountryOf(entry.DeskPhoneNumber), r.ContactId, interval,
                $"agent {agent.Username ?? agent.Arn} was on a desk phone ({entry.Describe()}); Connect called the desk phone" +
                (r.InitiationMethod == InitiationMethods.Outbound ? " from initiation, before dialling the customer" : " from agent connection to after-contact work"))
                with { Agent = agent.Username ?? agent.Arn };
            legs[^1] = leg;
            usages.Add(Telephony(leg));
            if (_policy.DeskPhoneCarriesService)
            {
                AddService(usages, [(r.ContactId, interval)], LegKinds.DeskPhone, leg.Index, r.ContactId, leg.Number, leg.Country,
                    "Connect voice minutes of the desk-phone leg (policy desk-service=yes)");
            }
        }
    }

    /// <summary>
    /// Contact Lens (billing-model §4, §6): every record with conversational analytics enabled, whatever
    /// its initiation method (a CALLBACK's agent talks to the customer too), unioned over the chain so
    /// overlaps count once. Policy <c>agent</c>: each record's [agent connected, ACW start ?? disconnect);
    /// <c>customer-leg</c>: the whole customer leg the record belongs to — its own callback leg for a
    /// CALLBACK or a record on its call, the customer's connected time on the chain's own call for any other
    /// record (the customer leg's intervals; an in-app call has that time but no telephony leg).
    /// </summary>
    private void AddContactLens(Chain chain, CallbackCalls calls, CustomerSpan? customer, List<Leg> legs, List<MeteredUsage> usages)
    {
        var records = chain.RecordSpan;
        var first = -1;
        for (var i = 0; i < records.Length; i++)
        {
            if (records[i].ContactLensEnabled)
            {
                first = i;
                break;
            }
        }

        if (first < 0)
        {
            return; // most chains: no list built
        }

        Leg? customerLeg = null;
        foreach (var l in legs)
        {
            if (l.Kind is LegKinds.CustomerInbound or LegKinds.CustomerOutbound)
            {
                customerLeg = l;
                break;
            }
        }

        var parts = new List<(string, Interval)>();
        var agentPolicy = _policy.ContactLensInterval == ContactLensInterval.AgentConnected;
        var customerLegAdded = false;
        List<int>? callbacksAdded = null;
        for (var index = first; index < records.Length; index++)
        {
            var r = records[index];
            if (!r.ContactLensEnabled)
            {
                continue;
            }

            if (agentPolicy)
            {
                if (r.Agent is { ConnectedToAgentTimestamp: { } connected } agent)
                {
                    parts.Add((r.ContactId, OnRecord(r, connected, agent.AfterContactWorkStartTimestamp ?? r.End)));
                }
            }
            else if (calls.CallbackFor(index) is { } callbackRecord)
            {
                // A CALLBACK, or a record on its call (a transfer its agent made): the callback's leg, once.
                if (CallbackLegOf(legs, callbackRecord) is { } callback && !(callbacksAdded ??= []).Contains(callback.Index))
                {
                    callbacksAdded.Add(callback.Index);
                    foreach (var i in callback.Intervals)
                    {
                        parts.Add((callback.ContactId, i));
                    }
                }
            }
            else if (customer is { } span && !customerLegAdded)
            {
                customerLegAdded = true;
                foreach (var i in span.Intervals)
                {
                    parts.Add((span.ContactId, i));
                }
            }
        }

        var (union, shares) = UnionWithShares(parts);
        if (union.Count == 0)
        {
            return;
        }

        // Reported on the leg of the first analysed record: its callback's leg, else the customer leg. Without
        // one (an in-app call, an outbound call never answered) it is labelled as the customer's service charge is,
        // outbound when Connect dialled the customer.
        var leg = (calls.CallbackFor(first) is { } firstCallback ? CallbackLegOf(legs, firstCallback) : null) ?? customerLeg;
        usages.Add(new MeteredUsage
        {
            ChargeKind = ChargeKinds.ContactLens,
            LegKind = leg?.Kind ?? customer?.Kind ?? (IsOutboundChain(chain) ? LegKinds.CustomerOutbound : LegKinds.CustomerInbound),
            LegIndex = leg?.Index,
            Intervals = union,
            Shares = shares,
            ContactId = records[first].ContactId,
            Number = leg is null ? customer?.Number : leg.Number,
            Country = leg?.Country ?? customer?.Country ?? "ZZ",
            Why = agentPolicy
                ? "Contact Lens conversational analytics was enabled; counted from agent connection to after-contact work"
                : customerLegAdded && customerLeg is null
                    ? "Contact Lens conversational analytics was enabled; counted over the customer's connected time (policy; an in-app call has no telephony leg)"
                    : "Contact Lens conversational analytics was enabled; counted over the whole customer leg (policy)",
        });
    }

    /// <summary>The leg of a CALLBACK record (null when the customer never answered it).</summary>
    private static Leg? CallbackLegOf(List<Leg> legs, ContactRecord callback)
    {
        foreach (var l in legs)
        {
            if (l.Kind == LegKinds.Callback && l.ContactId == callback.ContactId)
            {
                return l;
            }
        }

        return null;
    }

    private void AddService(List<MeteredUsage> usages, IReadOnlyList<(string ContactId, Interval Interval)> parts, string legKind,
        int? legIndex, string contactId, string? number, string country, string why)
    {
        IReadOnlyList<Interval> union;
        IReadOnlyList<RecordShare> shares;
        if (_policy.ServiceMetering == ServiceMetering.PerRecord)
        {
            // The AWS Athena sample's reading: every record meters its own time, overlaps included.
            union = Intervals.Union(parts.Select(p => p.Interval));
            shares = parts.Where(p => !p.Interval.IsEmpty).Select(p => new RecordShare(p.ContactId, p.Interval.Seconds)).ToList();
        }
        else
        {
            (union, shares) = UnionWithShares(parts);
        }

        if (union.Count == 0)
        {
            return;
        }

        usages.Add(new MeteredUsage
        {
            ChargeKind = ChargeKinds.Service,
            LegKind = legKind,
            LegIndex = legIndex,
            Intervals = union,
            Shares = shares,
            ContactId = contactId,
            Number = number,
            Country = country,
            Why = why,
        });
    }

    private static Leg AddLeg(List<Leg> legs, string kind, string direction, string? number, string country, string contactId,
        Interval interval, string why, bool estimated = false)
    {
        var leg = new Leg
        {
            Index = legs.Count,
            Kind = kind,
            Direction = direction,
            Number = number,
            Country = country,
            Intervals = [interval],
            Shares = [new RecordShare(contactId, interval.Seconds)],
            ContactId = contactId,
            Why = why,
            Estimated = estimated,
        };
        legs.Add(leg);
        return leg;
    }

    private static MeteredUsage Telephony(Leg leg) => new()
    {
        ChargeKind = ChargeKinds.TelephonyFor(leg),
        LegKind = leg.Kind,
        LegIndex = leg.Index,
        Intervals = leg.Intervals,
        Shares = leg.Shares,
        ContactId = leg.ContactId,
        Number = leg.Number,
        Country = leg.Country,
        Why = TelephonyWhy.GetOrAdd(leg.Kind, static kind => "telephony for the " + kind + " leg"),
    };

    // One string per leg kind, not one per charge.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> TelephonyWhy = new(StringComparer.Ordinal);

    /// <summary>
    /// The union of the parts, and how many seconds each part adds to it: parts are taken in start
    /// order, so the earliest record owns any overlap. The shares sum to the union exactly.
    /// </summary>
    public static (IReadOnlyList<Interval> Union, IReadOnlyList<RecordShare> Shares) UnionWithShares(
        IReadOnlyList<(string ContactId, Interval Interval)> parts)
    {
        if (parts.Count == 1)
        {
            // Most legs are one record: its interval is the union and its share is all of it.
            var (id, single) = parts[0];
            return single.IsEmpty ? ([], []) : ([single], [new RecordShare(id, single.Seconds)]);
        }

        var ordered = new List<(string ContactId, Interval Interval, int Order)>(parts.Count);
        for (var i = 0; i < parts.Count; i++)
        {
            if (!parts[i].Interval.IsEmpty)
            {
                ordered.Add((parts[i].ContactId, parts[i].Interval, ordered.Count));
            }
        }

        // Start, then ContactId, then input order (a stable sort, as the earliest record owns an overlap).
        ordered.Sort(static (a, b) => a.Interval.Start != b.Interval.Start ? a.Interval.Start.CompareTo(b.Interval.Start)
            : string.CompareOrdinal(a.ContactId, b.ContactId) is var byId and not 0 ? byId : a.Order.CompareTo(b.Order));
        var shares = new List<RecordShare>(ordered.Count);
        Instant? coveredTo = null;
        foreach (var (contactId, interval, _) in ordered)
        {
            var from = coveredTo is { } c && c > interval.Start ? c : interval.Start;
            var added = interval.End > from ? interval.End.UnixSeconds - from.UnixSeconds : 0;
            shares.Add(new RecordShare(contactId, added));
            coveredTo = coveredTo is { } prev ? Instant.Max(prev, interval.End) : interval.End;
        }

        var spans = new List<Interval>(ordered.Count);
        foreach (var part in ordered)
        {
            spans.Add(part.Interval);
        }

        return (Intervals.Union(spans), shares);
    }
}
