namespace ConnectReconcile.Generator.Internals;

/// <summary>Running totals of one block (or of the whole month once blocks are added together).</summary>
internal sealed class TruthAccumulator
{
    public const int TelephonyMinimum = 60;
    public const int ServiceMinimum = 10;

    public long Service;
    public long InboundDid;
    public long InboundTollFree;
    public long Outbound;
    public long ContactLens;

    public long LegCustomerInbound;
    public long LegCustomerOutbound;
    public long LegCallback;
    public long LegThirdParty;
    public long LegDesk;

    public long Chains;
    public long NonVoice;
    public long Records;
    public long Duplicates;
    public long Quarantined;

    /// <summary>Indexed like <see cref="GroundTruth.QuarantineReasons"/>.</summary>
    public long[] Reasons { get; } = new long[GroundTruth.QuarantineReasons.Count];

    public void Add(TruthAccumulator o)
    {
        Service += o.Service;
        InboundDid += o.InboundDid;
        InboundTollFree += o.InboundTollFree;
        Outbound += o.Outbound;
        ContactLens += o.ContactLens;
        LegCustomerInbound += o.LegCustomerInbound;
        LegCustomerOutbound += o.LegCustomerOutbound;
        LegCallback += o.LegCallback;
        LegThirdParty += o.LegThirdParty;
        LegDesk += o.LegDesk;
        Chains += o.Chains;
        NonVoice += o.NonVoice;
        Records += o.Records;
        Duplicates += o.Duplicates;
        Quarantined += o.Quarantined;
        for (var i = 0; i < Reasons.Length; i++)
        {
            Reasons[i] += o.Reasons[i];
        }
    }

    public void AddQuarantined(BadKind kind)
    {
        var reason = kind switch
        {
            BadKind.AgentEvent or BadKind.EventBridge => "not-a-ctr",
            BadKind.Malformed => "malformed-json",
            BadKind.MissingContactId => "missing-contact-id",
            BadKind.DisconnectBeforeInitiation => "disconnect-before-initiation",
            BadKind.BadTimestamp => "bad-timestamp",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        Quarantined++;
        Reasons[IndexOf(reason)]++;
    }

    public GroundTruth ToGroundTruth(long didNumberDays, long tollFreeNumberDays)
    {
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < Reasons.Length; i++)
        {
            if (Reasons[i] > 0)
            {
                reasons[GroundTruth.QuarantineReasons[i]] = Reasons[i];
            }
        }

        return new GroundTruth
        {
            Records = Records,
            Duplicates = Duplicates,
            Quarantined = Quarantined,
            NonVoiceContacts = NonVoice,
            Orphans = 0,
            Chains = Chains,
            BilledSeconds = new SortedDictionary<string, long>(StringComparer.Ordinal)
            {
                ["contact-lens"] = ContactLens,
                ["service"] = Service,
                ["telephony:inbound-did"] = InboundDid,
                ["telephony:inbound-tollfree"] = InboundTollFree,
                ["telephony:outbound"] = Outbound,
            },
            NumberDays = new SortedDictionary<string, long>(StringComparer.Ordinal)
            {
                ["number-days:did"] = didNumberDays,
                ["number-days:tollfree"] = tollFreeNumberDays,
            },
            Legs = new SortedDictionary<string, long>(StringComparer.Ordinal)
            {
                ["callback"] = LegCallback,
                ["customer-inbound"] = LegCustomerInbound,
                ["customer-outbound"] = LegCustomerOutbound,
                ["desk-phone"] = LegDesk,
                ["third-party"] = LegThirdParty,
            },
            QuarantinedByReason = reasons,
        };
    }

    private static int IndexOf(string reason)
    {
        for (var i = 0; i < GroundTruth.QuarantineReasons.Count; i++)
        {
            if (GroundTruth.QuarantineReasons[i] == reason)
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(reason));
    }
}

/// <summary>
/// The billed truth of one chain, summed from the story's durations (the default policy of
/// billing-model.md): a customer leg is the whole time the customer was connected (transfers and
/// conferences never add to it), telephony max(60, s) per leg, service max(10, s) for customer,
/// callback and third-party legs (outbound from dialling, callback from the answer), desk-phone legs
/// telephony only, Contact Lens over the agent-connected time without minimum.
/// </summary>
internal static class StoryTruth
{
    public static void Add(Story s, Instance inst, TruthAccumulator t)
    {
        t.Chains++;
        switch (s.Pattern)
        {
            case Pattern.Chat:
                t.NonVoice++;
                return;

            case Pattern.IvrOnly:
                CustomerInbound(s, inst, t, s.Ivr);
                return;

            case Pattern.Abandoned:
                CustomerInbound(s, inst, t, s.Ivr + s.Wait);
                return;

            case Pattern.InboundAgent:
            case Pattern.InternalTransfer:
            case Pattern.TransferChain:
            case Pattern.ExternalTransferLeg:
            case Pattern.TransferChainExternal:
            case Pattern.ExternalTransferRecordOnly:
            {
                var last = s.Agents.Length - 1;
                var legRecord = s.Pattern is Pattern.ExternalTransferLeg or Pattern.TransferChainExternal;
                var recordOnly = s.Pattern == Pattern.ExternalTransferRecordOnly;
                long customer = s.Ivr + s.Wait;
                for (var k = 0; k <= last; k++)
                {
                    customer += s.Talk[k];
                    if (k >= 1)
                    {
                        customer += s.HopWait[k];
                    }

                    // Agent k is connected from its answer until it enters ACW.
                    long agentSeconds = k < last
                        ? s.Talk[k] + s.HopWait[k + 1] + s.Overlap
                        : s.Talk[k] + (legRecord ? s.Ring + s.Consult : 0);
                    Desk(s.Agents[k], inst, t, agentSeconds);
                }

                if (legRecord)
                {
                    customer += s.Ring + s.Consult + s.ThirdPartyTalk;
                    ThirdParty(t, s.Consult + s.ThirdPartyTalk);
                }
                else if (recordOnly)
                {
                    customer += s.ThirdPartyTalk;
                    ThirdParty(t, s.ThirdPartyTalk);
                }

                CustomerInbound(s, inst, t, customer);
                if (s.Lens)
                {
                    if (last != 0 || legRecord || recordOnly)
                    {
                        throw new InvalidOperationException("Contact Lens is only simulated on single-agent calls");
                    }

                    t.ContactLens += s.Talk[0];
                }

                return;
            }

            case Pattern.InternalConference:
                CustomerInbound(s, inst, t, s.Ivr + s.Wait + s.Talk[0] + s.Ring + s.ConfTalk + s.Tail);
                Desk(s.Agents[0], inst, t, s.Talk[0] + s.Ring + s.ConfTalk + s.Tail);
                Desk(s.Agents[1], inst, t, s.ConfTalk);
                return;

            case Pattern.QueuedCallback:
                CustomerInbound(s, inst, t, s.Ivr + s.Wait);
                t.LegCallback++;
                t.Outbound += Math.Max(TruthAccumulator.TelephonyMinimum, s.Talk[0]);
                t.Service += Math.Max(TruthAccumulator.ServiceMinimum, s.Talk[0]);
                Desk(s.Agents[0], inst, t, s.Ring + s.Talk[0]);
                return;

            case Pattern.OutboundAnswered:
                t.LegCustomerOutbound++;
                t.Outbound += Math.Max(TruthAccumulator.TelephonyMinimum, s.Talk[0]);
                t.Service += Math.Max(TruthAccumulator.ServiceMinimum, s.Ring + s.Talk[0]);
                Desk(s.Agents[0], inst, t, s.Ring + s.Talk[0]);   // Connect rings the desk phone from initiation
                return;

            case Pattern.OutboundUnanswered:
                t.Service += Math.Max(TruthAccumulator.ServiceMinimum, s.Ring);
                Desk(s.Agents[0], inst, t, s.Ring);
                return;

            default:
                throw new InvalidOperationException($"unknown pattern {s.Pattern}");
        }
    }

    private static void CustomerInbound(Story s, Instance inst, TruthAccumulator t, long seconds)
    {
        t.LegCustomerInbound++;
        var billed = Math.Max(TruthAccumulator.TelephonyMinimum, seconds);
        if (inst.Numbers[s.Number].TollFree)
        {
            t.InboundTollFree += billed;
        }
        else
        {
            t.InboundDid += billed;
        }

        t.Service += Math.Max(TruthAccumulator.ServiceMinimum, seconds);
    }

    private static void ThirdParty(TruthAccumulator t, long seconds)
    {
        t.LegThirdParty++;
        t.Outbound += Math.Max(TruthAccumulator.TelephonyMinimum, seconds);
        t.Service += Math.Max(TruthAccumulator.ServiceMinimum, seconds);
    }

    private static void Desk(int agent, Instance inst, TruthAccumulator t, long seconds)
    {
        if (!inst.Agents[agent].Desk)
        {
            return;
        }

        t.LegDesk++;
        t.Outbound += Math.Max(TruthAccumulator.TelephonyMinimum, seconds);
    }
}
