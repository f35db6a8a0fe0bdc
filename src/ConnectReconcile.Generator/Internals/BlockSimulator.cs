using System.IO.Compression;

namespace ConnectReconcile.Generator.Internals;

/// <summary>A unit of parallel work: a run of consecutive contacts starting on one day, with its own seed.</summary>
internal sealed record BlockPlan(int Day, long DayStart, int FirstChain, int ChainCount, int Seed, bool First);

internal sealed record BlockResult(long Records, long Files, long Bytes, TruthAccumulator Truth);

/// <summary>
/// Simulates one block: draws its chains, adds re-deliveries and bad records, sorts everything by
/// arrival time and writes Firehose-style objects (hour folder = arrival hour). Everything a block
/// writes depends only on (options, block plan), so blocks can run in parallel and the output is
/// byte-identical run to run.
/// </summary>
internal sealed class BlockSimulator(Instance inst, GeneratorOptions options, byte[] deck, int[] hourCum, string ctrRoot)
{
    public const double RedeliveryRate = 0.01;
    public const double BadRecordRate = 0.0005;
    public const int MinFileRecords = 1500;
    public const int MaxFileRecords = 2500;
    public const double NewlineFileRate = 0.05;

    private const int FlushBytes = 1 << 17;

    public BlockResult Run(BlockPlan plan, CancellationToken ct)
    {
        var r = new Random(plan.Seed);
        var truth = new TruthAccumulator();
        var recs = new List<SimRecord>((plan.ChainCount * 5 / 4) + 64);
        var seq = 0;

        for (var i = plan.FirstChain; i < plan.FirstChain + plan.ChainCount; i++)
        {
            if ((i & 1023) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }

            var story = StoryDraw.Draw(StoryDraw.Cards[deck[i]], r, inst, plan.DayStart, hourCum);
            StoryTruth.Add(story, inst, truth);
            foreach (var rec in ChainBuilder.Build(story, inst, r))
            {
                Deliver(rec, r);
                rec.Seq = seq++;
                recs.Add(rec);
            }
        }

        var unique = recs.Count;
        if (options.IncludeRedeliveries)
        {
            seq = Redeliver(recs, unique, r, plan, truth, seq);
        }

        if (options.IncludeBadRecords)
        {
            var expected = unique * BadRecordRate;
            var count = (int)expected + (r.NextDouble() < expected - (int)expected ? 1 : 0);
            var kinds = new List<BadKind>();
            if (plan.First)
            {
                // One of each, so that even a tiny month exercises every quarantine reason.
                kinds.AddRange([BadKind.AgentEvent, BadKind.EventBridge, BadKind.Malformed, BadKind.MissingContactId, BadKind.DisconnectBeforeInitiation, BadKind.BadTimestamp]);
            }

            for (var i = 0; i < count; i++)
            {
                kinds.Add((BadKind)r.Next((int)BadKind.AgentEvent, (int)BadKind.BadTimestamp + 1));
            }

            foreach (var kind in kinds)
            {
                var bad = MakeBad(kind, r, plan.DayStart);
                bad.Seq = seq++;
                recs.Add(bad);
                truth.AddQuarantined(kind);
            }
        }

        truth.Records = recs.Count;
        recs.Sort(static (a, b) => a.Arrival != b.Arrival ? a.Arrival.CompareTo(b.Arrival) : a.Seq.CompareTo(b.Seq));
        ct.ThrowIfCancellationRequested();
        var (files, bytes) = WriteFiles(recs, r, plan, ct);
        return new BlockResult(recs.Count, files, bytes, truth);
    }

    /// <summary>LastUpdate shortly after the end; arrival 30–180 s after disconnect or ACW end.</summary>
    private static void Deliver(SimRecord rec, Random r)
    {
        rec.AttrSeed = Rng.NextUInt64(r);
        var end = rec.End;
        rec.LastUpdate = end + r.Next(0, 21);
        rec.Arrival = end + r.Next(30, 181);
    }

    /// <summary>
    /// ~1 % of records arrive again in a later hour: half exact copies (same LastUpdateTimestamp),
    /// half updates (later LastUpdateTimestamp, changed Attributes). Re-emissions come in a few
    /// batches per block (hours to days later), as attribute-update jobs and retries do.
    /// </summary>
    private static int Redeliver(List<SimRecord> recs, int unique, Random r, BlockPlan plan, TruthAccumulator truth, int seq)
    {
        var dayHour = plan.DayStart / 3600;
        long[] batches =
        [
            dayHour + r.Next(4, 13), dayHour + r.Next(13, 21), dayHour + r.Next(21, 28),
            dayHour + r.Next(28, 41), dayHour + r.Next(41, 61), dayHour + r.Next(72, 151),
        ];
        Span<long> eligible = stackalloc long[batches.Length];
        for (var i = 0; i < unique; i++)
        {
            if (r.NextDouble() >= RedeliveryRate)
            {
                continue;
            }

            var orig = recs[i];
            var hour = orig.Arrival / 3600;
            var n = 0;
            foreach (var b in batches)
            {
                if (b > hour)
                {
                    eligible[n++] = b;
                }
            }

            var at = n > 0 ? eligible[r.Next(n)] : hour + 1 + r.Next(0, 6);
            var copy = orig.Copy();
            copy.Arrival = (at * 3600) + r.Next(3600);
            copy.Seq = seq++;
            if (r.Next(2) == 1)
            {
                copy.Updated = true;
                copy.LastUpdate = copy.Arrival - r.Next(0, 6);
            }

            recs.Add(copy);
            truth.Duplicates++;
        }

        return seq;
    }

    private SimRecord MakeBad(BadKind kind, Random r, long dayStart)
    {
        var init = dayStart + r.Next(0, 86_400 - 900);
        var rec = new SimRecord
        {
            Bad = kind,
            ContactId = Rng.NewGuid(r),
            Method = Method.Inbound,
            Init = init,
            ConnSys = init,
            Disc = init + r.Next(20, 600),
            Customer = Phones.Customer(r, inst.Japan, 50),
            SystemNumber = Rng.Pick(r, inst.Dids),
            AttrSeed = Rng.NextUInt64(r),
            Agent = kind == BadKind.AgentEvent ? r.Next(inst.Agents.Length) : -1,
        };
        if (kind == BadKind.DisconnectBeforeInitiation)
        {
            rec.Disc = init - r.Next(60, 3600);
        }

        var end = Math.Max(rec.Init, rec.Disc);
        rec.LastUpdate = end + r.Next(0, 21);
        rec.Arrival = end + r.Next(30, 181);
        return rec;
    }

    private (long Files, long Bytes) WriteFiles(List<SimRecord> recs, Random r, BlockPlan plan, CancellationToken ct)
    {
        using var writer = new CtrWriter(inst);
        long files = 0, bytes = 0;
        var first = plan.First;
        var createdDirs = new HashSet<long>();
        var i = 0;
        while (i < recs.Count)
        {
            ct.ThrowIfCancellationRequested();
            var hour = recs[i].Arrival / 3600;
            var j = i;
            while (j < recs.Count && recs[j].Arrival / 3600 == hour)
            {
                j++;
            }

            var k = i;
            while (k < j)
            {
                var end = Math.Min(j, k + r.Next(MinFileRecords, MaxFileRecords + 1));
                var newline = first || r.NextDouble() < NewlineFileRate;
                first = false;
                var id = Rng.NewGuid(r);
                var dir = HourDirectory(recs[k].Arrival);
                if (createdDirs.Add(hour))
                {
                    Directory.CreateDirectory(dir);
                }

                bytes += WriteFile(writer, Path.Combine(dir, FileName(recs[end - 1].Arrival, id)), recs, k, end, newline);
                files++;
                k = end;
            }

            i = j;
        }

        return (files, bytes);
    }

    private static long WriteFile(CtrWriter writer, string path, List<SimRecord> recs, int from, int to, bool newline)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using (var gz = new GZipStream(fs, CompressionLevel.Optimal, leaveOpen: true))
        {
            writer.Clear();
            for (var i = from; i < to; i++)
            {
                writer.Write(recs[i]);
                if (newline)
                {
                    writer.NewLine();
                }

                if (writer.Length >= FlushBytes)
                {
                    gz.Write(writer.Written);
                    writer.Clear();
                }
            }

            gz.Write(writer.Written);
            writer.Clear();
        }

        return fs.Length;
    }

    private string HourDirectory(long t)
    {
        Ts.Split(t, out var y, out var mo, out var d, out var h, out _, out _);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return Path.Combine(ctrRoot, y.ToString("D4", inv), mo.ToString("D2", inv), d.ToString("D2", inv), h.ToString("D2", inv));
    }

    /// <summary>Firehose object name: <c>connect-ctr-1-yyyy-MM-dd-HH-mm-ss-&lt;uuid&gt;.gz</c>.</summary>
    internal static string FileName(long t, Guid id)
    {
        Ts.Split(t, out var y, out var mo, out var d, out var h, out var mi, out var s);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"connect-ctr-1-{y:D4}-{mo:D2}-{d:D2}-{h:D2}-{mi:D2}-{s:D2}-{id:D}.gz");
    }
}
