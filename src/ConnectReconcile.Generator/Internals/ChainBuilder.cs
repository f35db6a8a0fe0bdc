namespace ConnectReconcile.Generator.Internals;

/// <summary>
/// Turns a <see cref="Story"/> into the contact records Amazon Connect would write for it, with the
/// shapes of the scenario fixtures (s01–s13). Ids come from <paramref name="ids"/>; LastUpdate and
/// arrival are set later by the block simulator. Records are returned root first, children in order.
/// </summary>
internal static class ChainBuilder
{
    public static List<SimRecord> Build(Story s, Instance inst, Random ids)
    {
        var list = new List<SimRecord>(4);
        switch (s.Pattern)
        {
            case Pattern.IvrOnly:
            {
                var r = Inbound(s, ids, list);
                r.Disc = s.Start + s.Ivr;
                r.Reason = s.Ivr % 3 == 0 ? DisconnectReason.Flow : DisconnectReason.Customer;
                break;
            }

            case Pattern.Abandoned:
            {
                var r = Inbound(s, ids, list);
                Enqueue(r, s.QueueIdx, s.Start + s.Ivr, s.Wait);
                r.Disc = r.Deq;
                break;
            }

            case Pattern.InboundAgent:
            case Pattern.InternalTransfer:
            case Pattern.TransferChain:
                AgentChain(s, ids, list, External.None);
                break;

            case Pattern.ExternalTransferLeg:
            case Pattern.TransferChainExternal:
                AgentChain(s, ids, list, External.LegRecord);
                break;

            case Pattern.ExternalTransferRecordOnly:
                AgentChain(s, ids, list, External.RecordOnly);
                break;

            case Pattern.InternalConference:
                Conference(s, ids, list);
                break;

            case Pattern.QueuedCallback:
                Callback(s, ids, list);
                break;

            case Pattern.OutboundAnswered:
            case Pattern.OutboundUnanswered:
            {
                var r = New(ids, list, Method.Outbound, s.Start);
                r.Customer = s.Customer;
                r.SystemNumber = s.Number;
                r.QueueKind = QueueKind.Outbound;
                SetAgent(r, s.Agents[0], s.Start);
                if (s.Pattern == Pattern.OutboundAnswered)
                {
                    r.ConnSys = s.Start + s.Ring;
                    r.Disc = r.ConnSys + s.Talk[0];
                    r.Reason = s.Talk[0] % 2 == 0 ? DisconnectReason.Agent : DisconnectReason.Customer;
                }
                else
                {
                    r.Disc = s.Start + s.Ring;
                    r.Reason = DisconnectReason.NotEstablished;
                }

                EndAgent(r, r.Disc, s.Acw[0]);
                if (s.Pattern == Pattern.OutboundUnanswered)
                {
                    r.Interaction = 0;
                }

                break;
            }

            case Pattern.Chat:
            {
                var r = New(ids, list, Method.Api, s.Start);
                r.Chat = true;
                r.ConnSys = s.Start;
                Enqueue(r, -2, s.Start + s.ChatBot, s.Wait);
                SetAgent(r, s.Agents[0], r.Deq);
                r.Disc = r.Deq + s.Talk[0];
                EndAgent(r, r.Disc, s.Acw[0]);
                break;
            }

            default:
                throw new InvalidOperationException($"unknown pattern {s.Pattern}");
        }

        return list;
    }

    private enum External
    {
        None,
        LegRecord,
        RecordOnly,
    }

    /// <summary>Inbound → queue → agent 0 [→ transfer to agent 1 → …] [→ external party].</summary>
    private static void AgentChain(Story s, Random ids, List<SimRecord> list, External external)
    {
        var root = Inbound(s, ids, list);
        Enqueue(root, s.QueueIdx, s.Start + s.Ivr, s.Wait);
        root.Lens = s.Lens;   // only drawn for single-agent calls
        var cur = root;
        var conn = root.Deq;
        var last = s.Agents.Length - 1;
        for (var k = 0; k <= last; k++)
        {
            SetAgent(cur, s.Agents[k], conn);
            if (k == 0)
            {
                cur.Hold = s.Hold;
                cur.Holds = s.Holds;
                cur.LongestHold = s.LongestHold;
            }

            if (k < last)
            {
                // The agent transfers (quick connect to a queue or to an agent); the initiator stays
                // until the next agent has been connected for Overlap seconds: TransferCompleted = ACW start.
                var x = conn + s.Talk[k];
                var child = New(ids, list, Method.Transfer, x);
                Link(root, cur, child);
                child.ConnSys = x;
                child.Customer = s.Customer;
                child.SystemNumber = s.Number;
                var nextConn = x + s.HopWait[k + 1];
                if (s.HopQueue[k + 1] >= 0)
                {
                    Enqueue(child, s.HopQueue[k + 1], x, s.HopWait[k + 1]);
                }
                else
                {
                    child.QueueKind = QueueKind.AgentQueue;
                    child.Queue = s.Agents[k + 1];
                    child.Enq = x;
                    child.Deq = nextConn;
                    child.QueueDuration = s.HopWait[k + 1];
                }

                var y = nextConn + s.Overlap;
                cur.Disc = y;
                cur.TransferCompleted = y;
                cur.Reason = DisconnectReason.Agent;
                EndAgent(cur, y, s.Acw[k]);
                cur = child;
                conn = nextConn;
                continue;
            }

            switch (external)
            {
                case External.None:
                {
                    cur.Disc = conn + s.Talk[k];
                    cur.Reason = s.Talk[k] % 2 == 0 ? DisconnectReason.Customer : DisconnectReason.Agent;
                    EndAgent(cur, cur.Disc, s.Acw[k]);
                    break;
                }

                case External.LegRecord:
                {
                    // EXTERNAL_OUTBOUND child (Agent null, CustomerEndpoint = third party); the agent
                    // drops Consult seconds after the third party answered; the call ends for both.
                    var dial = conn + s.Talk[k];
                    var answered = dial + s.Ring;
                    var y = answered + s.Consult;
                    var z = y + s.ThirdPartyTalk;
                    var ext = New(ids, list, Method.ExternalOutbound, dial);
                    Link(root, cur, ext);
                    ext.ConnSys = answered;
                    ext.Disc = z;
                    ext.Customer = s.ThirdParty;
                    ext.SystemNumber = s.Number;
                    ext.Reason = s.ThirdPartyTalk % 2 == 0 ? DisconnectReason.ThirdParty : DisconnectReason.Customer;
                    cur.TransferCompleted = y;
                    cur.Disc = z;
                    cur.Reason = DisconnectReason.Customer;
                    EndAgent(cur, y, s.Acw[k]);
                    break;
                }

                case External.RecordOnly:
                {
                    // Only the agent's record shows it: TransferredToEndpoint, TransferCompleted = ACW
                    // start, and the customer stays on the external call until DisconnectTimestamp.
                    var y = conn + s.Talk[k];
                    cur.TransferCompleted = y;
                    cur.TransferredTo = s.ThirdParty;
                    cur.Disc = y + s.ThirdPartyTalk;
                    cur.Reason = DisconnectReason.Customer;
                    EndAgent(cur, y, s.Acw[k]);
                    break;
                }
            }
        }
    }

    /// <summary>A conferences B in after Talk[0]; B joins after Ring, stays ConfTalk, leaves first; A stays Tail more.</summary>
    private static void Conference(Story s, Random ids, List<SimRecord> list)
    {
        var root = Inbound(s, ids, list);
        Enqueue(root, s.QueueIdx, s.Start + s.Ivr, s.Wait);
        var c = root.Deq;
        SetAgent(root, s.Agents[0], c);
        root.Hold = s.Hold;
        root.Holds = s.Holds;
        root.LongestHold = s.LongestHold;
        var x = c + s.Talk[0];
        var join = x + s.Ring;
        var w = join + s.ConfTalk;
        var e = w + s.Tail;

        var child = New(ids, list, Method.Transfer, x);
        Link(root, root, child);
        child.ConnSys = x;
        child.Customer = s.Customer;
        child.SystemNumber = s.Number;
        SetAgent(child, s.Agents[1], join);
        child.Disc = w;
        child.Reason = DisconnectReason.Agent;
        EndAgent(child, w, s.Acw[1]);

        root.Disc = e;
        root.Reason = DisconnectReason.Customer;
        EndAgent(root, e, s.Acw[0]);
    }

    /// <summary>Inbound record ends when the flow creates the callback; the CALLBACK record queues
    /// (Duration counts from its creation), an agent is connected, then the customer is dialled.</summary>
    private static void Callback(Story s, Random ids, List<SimRecord> list)
    {
        var inbound = Inbound(s, ids, list);
        Enqueue(inbound, s.QueueIdx, s.Start + s.Ivr, s.Wait);
        var created = inbound.Deq;
        inbound.Disc = created;
        inbound.Reason = DisconnectReason.Flow;

        var cb = New(ids, list, Method.Callback, created);
        Link(inbound, inbound, cb);
        cb.Customer = s.Customer;
        cb.SystemNumber = s.CallbackCallerId ? s.Number : -1;
        cb.QueueKind = QueueKind.Named;
        cb.Queue = s.QueueIdx;
        cb.Enq = created + s.CallbackDelay;
        cb.Deq = cb.Enq + s.CallbackWait;
        cb.QueueDuration = (int)(cb.Deq - created);
        SetAgent(cb, s.Agents[0], cb.Deq);
        cb.ConnSys = cb.Deq + s.Ring;
        cb.Disc = cb.ConnSys + s.Talk[0];
        cb.Reason = s.Talk[0] % 2 == 0 ? DisconnectReason.Customer : DisconnectReason.Agent;
        EndAgent(cb, cb.Disc, s.Acw[0]);
    }

    private static SimRecord Inbound(Story s, Random ids, List<SimRecord> list)
    {
        var r = New(ids, list, Method.Inbound, s.Start);
        r.ConnSys = s.Start;
        r.Customer = s.Customer;
        r.SystemNumber = s.Number;
        return r;
    }

    private static SimRecord New(Random ids, List<SimRecord> list, Method method, long init)
    {
        var r = new SimRecord { ContactId = Rng.NewGuid(ids), Method = method, Init = init };
        list.Add(r);
        return r;
    }

    private static void Link(SimRecord root, SimRecord parent, SimRecord child)
    {
        child.InitialContactId = root.ContactId;
        child.PreviousContactId = parent.ContactId;
        parent.NextContactId = child.ContactId;   // only the last child, as Connect does
    }

    /// <summary>queue = -2: the chat queue.</summary>
    private static void Enqueue(SimRecord r, int queue, long enq, int wait)
    {
        r.QueueKind = QueueKind.Named;
        r.Queue = queue;
        r.Enq = enq;
        r.Deq = enq + wait;
        r.QueueDuration = wait;
    }

    private static void SetAgent(SimRecord r, int agent, long connected)
    {
        r.Agent = agent;
        r.ConnAgent = connected;
    }

    private static void EndAgent(SimRecord r, long acwStart, int acw)
    {
        r.AcwStart = acwStart;
        r.AcwEnd = acwStart + acw;
        r.Interaction = (int)Math.Max(0, acwStart - r.ConnAgent - r.Hold);
    }
}
