namespace ConnectReconcile.Generator.Internals;

/// <summary>
/// The pattern deck and the random draws that turn a card into a <see cref="Story"/>.
/// Proportions are per 200 contacts, and the deck is dealt in shuffled runs of 200 cards, so every
/// pattern appears in every run of 200 consecutive contacts.
/// </summary>
internal static class StoryDraw
{
    public const int DeckSize = 200;

    public static readonly Card[] Cards =
    [
        new(Pattern.IvrOnly, false, false, 24),
        new(Pattern.Abandoned, false, false, 16),
        new(Pattern.InboundAgent, false, false, 52),
        new(Pattern.InboundAgent, false, true, 12),          // Contact Lens (s13)
        new(Pattern.InboundAgent, true, false, 8),           // desk-phone agent (s07)
        new(Pattern.InternalTransfer, false, false, 12),
        new(Pattern.InternalConference, false, false, 6),
        new(Pattern.ExternalTransferLeg, false, false, 5),
        new(Pattern.ExternalTransferRecordOnly, false, false, 5),
        new(Pattern.QueuedCallback, false, false, 6),
        new(Pattern.OutboundAnswered, false, false, 18),
        new(Pattern.OutboundAnswered, true, false, 3),       // desk-phone agent dials out (s08)
        new(Pattern.OutboundUnanswered, false, false, 7),
        new(Pattern.Chat, false, false, 20),
        new(Pattern.TransferChain, false, false, 4),
        new(Pattern.TransferChainExternal, false, false, 2),
    ];

    // Local-time hourly weights of contact starts (a contact-centre day).
    private static readonly int[] LocalHourWeights = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 20, 18, 19, 20, 19, 17, 14, 10, 7, 5, 3, 2, 1];

    private static readonly Dist IvrSelfService = new((5, 30, 25), (30, 120, 50), (120, 400, 25));
    private static readonly Dist Ivr = new((8, 30, 30), (30, 90, 45), (90, 240, 20), (240, 600, 5));
    private static readonly Dist QueueWait = new((1, 20, 35), (20, 90, 35), (90, 300, 20), (300, 1200, 10));
    private static readonly Dist AbandonWait = new((1, 30, 30), (30, 120, 40), (120, 600, 30));
    private static readonly Dist Talk = new((15, 60, 8), (60, 180, 30), (180, 420, 35), (420, 900, 20), (900, 2700, 7));
    private static readonly Dist Acw = new((0, 1, 10), (1, 30, 30), (30, 120, 45), (120, 400, 15));
    private static readonly Dist Ring = new((3, 10, 30), (10, 25, 55), (25, 40, 15));
    private static readonly Dist NoAnswer = new((5, 20, 30), (20, 45, 60), (45, 60, 10));
    private static readonly Dist HopWait = new((1, 15, 50), (15, 60, 40), (60, 180, 10));
    private static readonly Dist Overlap = new((1, 5, 30), (5, 30, 60), (30, 90, 10));
    private static readonly Dist Consult = new((1, 10, 40), (10, 60, 50), (60, 180, 10));
    private static readonly Dist ThirdPartyTalk = new((5, 60, 20), (60, 300, 45), (300, 1500, 35));
    private static readonly Dist ConfJoin = new((2, 10, 60), (10, 30, 40));
    private static readonly Dist ConfTalk = new((20, 120, 50), (120, 600, 50));
    private static readonly Dist Tail = new((5, 60, 50), (60, 400, 50));
    private static readonly Dist CallbackChoose = new((10, 60, 40), (60, 300, 60));
    private static readonly Dist CallbackDelay = new((15, 120, 60), (120, 600, 40));
    private static readonly Dist CallbackWait = new((5, 120, 40), (120, 900, 45), (900, 3600, 15));
    private static readonly Dist ChatBot = new((5, 60, 100));
    private static readonly Dist ChatWait = new((1, 60, 70), (60, 600, 30));
    private static readonly Dist ChatTalk = new((60, 300, 40), (300, 1800, 60));

    /// <summary>Pattern card indices for every contact: shuffled runs of <see cref="DeckSize"/>.</summary>
    public static byte[] Deal(Random r, int contacts)
    {
        var template = new byte[DeckSize];
        var at = 0;
        for (var c = 0; c < Cards.Length; c++)
        {
            for (var i = 0; i < Cards[c].PerDeck; i++)
            {
                template[at++] = (byte)c;
            }
        }

        if (at != DeckSize)
        {
            throw new InvalidOperationException("the deck must hold exactly DeckSize cards");
        }

        var deck = new byte[contacts];
        var run = new byte[DeckSize];
        for (var i = 0; i < contacts; i += DeckSize)
        {
            template.CopyTo(run, 0);
            r.Shuffle(run);
            Array.Copy(run, 0, deck, i, Math.Min(DeckSize, contacts - i));
        }

        return deck;
    }

    /// <summary>Cumulative weights of the 24 UTC hours of a day for the instance's time zone (fixed offset).</summary>
    public static int[] HourCumulative(bool japan)
    {
        var offset = japan ? 9 : -5;
        var cum = new int[24];
        var total = 0;
        for (var h = 0; h < 24; h++)
        {
            total += LocalHourWeights[((h + offset) % 24 + 24) % 24];
            cum[h] = total;
        }

        return cum;
    }

    public static Story Draw(Card card, Random r, Instance inst, long dayStart, int[] hourCum)
    {
        var x = r.Next(hourCum[^1]);
        var hour = 0;
        while (x >= hourCum[hour])
        {
            hour++;
        }

        var s = new Story
        {
            Pattern = card.Pattern,
            Lens = card.Lens,
            Start = dayStart + (hour * 3600L) + r.Next(3600),
        };
        var japan = inst.Japan;
        switch (card.Pattern)
        {
            case Pattern.Chat:
                s.ChatBot = ChatBot.Sample(r);
                s.Wait = ChatWait.Sample(r);
                s.Agents = [Rng.Pick(r, inst.SoftAgents)];
                s.Talk = [ChatTalk.Sample(r)];
                s.Acw = [Acw.Sample(r)];
                return s;

            case Pattern.OutboundAnswered:
            case Pattern.OutboundUnanswered:
                s.Number = Rng.Pick(r, inst.Dids);   // caller id
                s.Customer = Phones.Customer(r, japan, japan ? 55 : 50);
                s.Agents = [card.Desk ? Rng.Pick(r, inst.DeskAgents) : Rng.Pick(r, inst.SoftAgents)];
                if (card.Pattern == Pattern.OutboundAnswered)
                {
                    s.Ring = Ring.Sample(r);
                    s.Talk = [Talk.Sample(r)];
                }
                else
                {
                    s.Ring = NoAnswer.Sample(r);
                    s.Talk = [0];
                }

                s.Acw = [Acw.Sample(r)];
                return s;
        }

        // Inbound patterns.
        s.Number = r.Next(100) < 62 ? Rng.Pick(r, inst.Dids) : Rng.Pick(r, inst.TollFrees);
        s.Customer = Phones.Customer(r, japan, japan ? 70 : 50);
        s.QueueIdx = r.Next(inst.Queues.Length);
        switch (card.Pattern)
        {
            case Pattern.IvrOnly:
                s.Ivr = IvrSelfService.Sample(r);
                return s;

            case Pattern.Abandoned:
                s.Ivr = Ivr.Sample(r);
                s.Wait = AbandonWait.Sample(r);
                return s;

            case Pattern.QueuedCallback:
                s.Ivr = Ivr.Sample(r);
                s.Wait = CallbackChoose.Sample(r);
                s.CallbackDelay = CallbackDelay.Sample(r);
                s.Ring = Ring.Sample(r);
                s.CallbackCallerId = r.Next(2) == 0;
                s.Agents = [AnyAgent(r, inst, -1)];
                s.Talk = [Talk.Sample(r)];
                s.Acw = [Acw.Sample(r)];
                s.CallbackWait = CallbackWait.Sample(r);
                return s;

            case Pattern.InternalConference:
            {
                s.Ivr = Ivr.Sample(r);
                s.Wait = QueueWait.Sample(r);
                var a = Rng.Pick(r, inst.SoftAgents);
                s.Agents = [a, AnyAgent(r, inst, a)];
                s.Talk = [Math.Max(20, Talk.Sample(r) / 2)];
                s.Ring = ConfJoin.Sample(r);
                s.ConfTalk = ConfTalk.Sample(r);
                s.Tail = Tail.Sample(r);
                s.Acw = [Acw.Sample(r), Acw.Sample(r)];
                Holds(s, r);
                return s;
            }
        }

        var hops = card.Pattern switch
        {
            Pattern.InternalTransfer => 2,
            Pattern.TransferChain or Pattern.TransferChainExternal => 3,
            _ => 1,
        };
        s.Ivr = Ivr.Sample(r);
        s.Wait = QueueWait.Sample(r);
        s.Agents = new int[hops];
        s.Talk = new int[hops];
        s.HopWait = new int[hops];
        s.HopQueue = new int[hops];
        s.Acw = new int[hops];
        s.Overlap = Overlap.Sample(r);
        s.Agents[0] = card.Desk ? Rng.Pick(r, inst.DeskAgents) : Rng.Pick(r, inst.SoftAgents);
        for (var k = 0; k < hops; k++)
        {
            if (k > 0)
            {
                s.Agents[k] = AnyAgent(r, inst, s.Agents[k - 1]);
                s.HopWait[k] = HopWait.Sample(r);
                s.HopQueue[k] = r.Next(100) < 70 ? r.Next(inst.Queues.Length) : -1;
            }

            // Hops after the first are on the line for the overlap before the initiator drops.
            s.Talk[k] = hops > 1 && k < hops - 1 ? Math.Max(15, Talk.Sample(r) / 2) : Talk.Sample(r);
            if (k > 0)
            {
                s.Talk[k] += s.Overlap;
            }

            s.Acw[k] = Acw.Sample(r);
        }

        if (card.Pattern is Pattern.ExternalTransferLeg or Pattern.TransferChainExternal)
        {
            s.ThirdParty = Phones.Landline(r, japan);
            s.Ring = Ring.Sample(r);
            s.Consult = Consult.Sample(r);
            s.ThirdPartyTalk = ThirdPartyTalk.Sample(r);
        }
        else if (card.Pattern == Pattern.ExternalTransferRecordOnly)
        {
            s.ThirdParty = Phones.Landline(r, japan);
            s.ThirdPartyTalk = ThirdPartyTalk.Sample(r);
        }

        Holds(s, r);
        return s;
    }

    /// <summary>About 30 % of agent calls put the customer on hold (recorded on hop 0 only).</summary>
    private static void Holds(Story s, Random r)
    {
        if (r.Next(100) >= 30 || s.Talk[0] < 20)
        {
            return;
        }

        s.Holds = r.Next(1, 4);
        s.Hold = Math.Max(s.Holds, s.Talk[0] * r.Next(10, 50) / 100);
        var minLongest = (s.Hold + s.Holds - 1) / s.Holds;
        s.LongestHold = s.Holds == 1 ? s.Hold : r.Next(minLongest, s.Hold - s.Holds + 2);
    }

    /// <summary>Any agent other than <paramref name="except"/> (so ~10 % land on a desk phone).</summary>
    private static int AnyAgent(Random r, Instance inst, int except)
    {
        while (true)
        {
            var a = r.Next(inst.Agents.Length);
            if (a != except)
            {
                return a;
            }
        }
    }
}
