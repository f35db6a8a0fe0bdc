namespace ConnectReconcile.Generator.Tests.Support;

/// <summary>
/// A deliberately small, test-side re-rating of the written records with the default policy of
/// billing-model.md. It reads only what a replay would read (records, agents.csv, numbers.csv), so
/// comparing it with truth.json (computed by the generator from durations) checks that the records
/// really tell the story the truth was summed from.
/// </summary>
internal sealed class MiniRater
{
    public Dictionary<string, long> Billed { get; } = GroundTruth.ChargeKinds.ToDictionary(k => k, _ => 0L);
    public Dictionary<string, long> Legs { get; } = GroundTruth.LegKinds.ToDictionary(k => k, _ => 0L);
    public long Chains { get; private set; }
    public long NonVoice { get; private set; }
    public long Orphans { get; private set; }
    public List<string> Problems { get; } = [];

    public static MiniRater Rate(IEnumerable<Ctr> unique, ISet<string> deskAgents, IReadOnlyDictionary<string, string> numberTypes)
    {
        var rater = new MiniRater();
        foreach (var chain in unique.GroupBy(c => c.InitialContactId ?? c.ContactId))
        {
            rater.RateChain([.. chain], deskAgents, numberTypes);
        }

        return rater;
    }

    private void RateChain(List<Ctr> records, ISet<string> desk, IReadOnlyDictionary<string, string> numberTypes)
    {
        Chains++;
        var root = records.SingleOrDefault(r => r.InitialContactId is null);
        if (root is null)
        {
            Orphans++;
            return;
        }

        if (root.Channel != "VOICE")
        {
            NonVoice += records.Count;
            return;
        }

        if (root.Method == "INBOUND")
        {
            var customer = Union(records
                .Where(r => r.Method is "INBOUND" or "TRANSFER" or "QUEUE_TRANSFER" or "DISCONNECT")
                .Select(r => (r.ConnSys ?? r.Init, r.Disc)));
            var type = numberTypes[root.SystemEndpoint!];
            Leg("customer-inbound", type == "TOLL_FREE" ? "telephony:inbound-tollfree" : "telephony:inbound-did", customer, service: customer, root);
        }
        else if (root.Method == "OUTBOUND")
        {
            var service = (long)(root.Disc - root.Init).TotalSeconds;
            if (root.ConnSys is { } answered)
            {
                Leg("customer-outbound", "telephony:outbound", (long)(root.Disc - answered).TotalSeconds, service, root);
            }
            else
            {
                Positive(service, "unanswered outbound", root);
                Billed["service"] += Math.Max(10, service);
            }
        }
        else
        {
            Problems.Add($"unexpected root method {root.Method} in {root.ContactId}");
        }

        foreach (var r in records)
        {
            if (r.Method == "CALLBACK")
            {
                var s = (long)(r.Disc - r.ConnSys!.Value).TotalSeconds;
                Leg("callback", "telephony:outbound", s, s, r);
            }
            else if (r.Method == "EXTERNAL_OUTBOUND")
            {
                var s = (long)(r.Disc - (r.ConnSys ?? r.Init)).TotalSeconds;
                Leg("third-party", "telephony:outbound", s, s, r);
            }

            if (r.TransferredTo is { } to && !records.Any(x => x.Method == "EXTERNAL_OUTBOUND" && x.CustomerEndpoint == to))
            {
                var s = (long)(r.Disc - (r.TransferCompleted ?? r.AcwStart!.Value)).TotalSeconds;
                Leg("third-party", "telephony:outbound", s, s, r);
            }

            if (r.Agent is { } agent && desk.Contains(agent))
            {
                var from = r.Method == "OUTBOUND" ? r.Init : r.ConnAgent!.Value;
                var s = (long)((r.AcwStart ?? r.Disc) - from).TotalSeconds;
                Leg("desk-phone", "telephony:outbound", s, service: null, r);
            }

            if (r.Lens)
            {
                var s = (long)(r.AcwStart!.Value - r.ConnAgent!.Value).TotalSeconds;
                Positive(s, "contact lens", r);
                Billed["contact-lens"] += s;
            }
        }
    }

    private void Leg(string kind, string telephony, long seconds, long? service, Ctr r)
    {
        Positive(seconds, kind, r);
        Legs[kind]++;
        Billed[telephony] += Math.Max(60, seconds);
        if (service is { } s)
        {
            Billed["service"] += Math.Max(10, s);
        }
    }

    private void Positive(long seconds, string what, Ctr r)
    {
        if (seconds < 1)
        {
            Problems.Add($"{what} of {seconds} s in {r.ContactId}");
        }
    }

    /// <summary>Seconds covered by the union of [start, end) intervals.</summary>
    public static long Union(IEnumerable<(DateTime Start, DateTime End)> intervals)
    {
        long total = 0;
        DateTime? curStart = null, curEnd = null;
        foreach (var (s, e) in intervals.OrderBy(i => i.Start))
        {
            if (curEnd is null || s > curEnd)
            {
                if (curEnd is not null)
                {
                    total += (long)(curEnd.Value - curStart!.Value).TotalSeconds;
                }

                curStart = s;
                curEnd = e;
            }
            else if (e > curEnd)
            {
                curEnd = e;
            }
        }

        if (curEnd is not null)
        {
            total += (long)(curEnd.Value - curStart!.Value).TotalSeconds;
        }

        return total;
    }
}
