using System.Text.Json;
using System.Text.RegularExpressions;
using ConnectReconcile.Generator.Tests.Support;

namespace ConnectReconcile.Generator.Tests;

/// <summary>Checks on one generated month of 2,000 contacts (us-east-1) and a small Tokyo month, read back from disk.</summary>
public sealed partial class GeneratedMonthTests(GeneratedMonth month, GeneratedTokyoMonth tokyo)
    : IClassFixture<GeneratedMonth>, IClassFixture<GeneratedTokyoMonth>
{
    private static readonly string[] UsTollFree = ["+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"];
    private static readonly string[] JpTollFree = ["+81120", "+81800"];
    private static readonly string[] TopLevel = ["agents.csv", "ctr", "numbers.csv", "truth.json"];
    private static readonly string[] PhoneTypes = ["SOFT_PHONE", "DESK_PHONE"];

    [Fact]
    public void Output_has_exactly_the_documented_layout()
    {
        var top = Directory.EnumerateFileSystemEntries(month.Dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(TopLevel, top);
        Assert.NotEmpty(month.Files);
        Assert.Equal(month.Result.Files, month.Files.Count);
        Assert.Equal(month.Result.Bytes, month.Files.Sum(f => new FileInfo(Path.Combine(month.Dir, f.Path)).Length));
        foreach (var f in month.Files)
        {
            // The object name carries the same hour as its folder (Firehose names by write time).
            Assert.Equal(f.FolderHour, new DateTime(f.NameTime.Year, f.NameTime.Month, f.NameTime.Day, f.NameTime.Hour, 0, 0, DateTimeKind.Utc));
        }

        // Several files per busy hour; file size capped like a Firehose buffer.
        Assert.All(month.Files, f => Assert.InRange(f.Objects.Count, 1, 2500));
    }

    [Fact]
    public void Csv_headers_and_inventory_are_as_documented()
    {
        foreach (var m in new[] { month, tokyo.Month })
        {
            var japan = m.Options.Region == "ap-northeast-1";
            var countryPrefix = japan ? "+81" : "+1";
            Assert.Equal("username,phone_type,desk_phone_number,as_of", m.AgentsCsv[0]);
            Assert.Equal("number,type,country,claimed_at,released_at", m.NumbersCsv[0]);

            var agents = m.AgentsCsv.Skip(1).Select(l => l.Split(',')).ToList();
            Assert.All(agents, a => Assert.Equal(4, a.Length));
            Assert.Equal(agents.Count, agents.Select(a => a[0]).Distinct(StringComparer.Ordinal).Count());
            var desk = agents.Where(a => a[1] == "DESK_PHONE").ToList();
            Assert.All(agents, a => Assert.Contains(a[1], PhoneTypes));
            Assert.InRange(desk.Count, 2, Math.Max(2, (agents.Count * 2) / 10));
            Assert.All(desk, a => Assert.Matches(@"^\+\d{10,13}$", a[2]));
            Assert.All(desk, a => Assert.StartsWith(countryPrefix, a[2], StringComparison.Ordinal));
            Assert.All(agents.Where(a => a[1] == "SOFT_PHONE"), a => Assert.Equal("", a[2]));
            Assert.All(agents, a => Assert.True(GeneratedMonth.ParseIso(a[3]) < m.Start));

            var numbers = m.NumbersCsv.Skip(1).Select(l => l.Split(',')).ToList();
            Assert.All(numbers, n => Assert.Equal(5, n.Length));
            Assert.Contains(numbers, n => n[1] == "DID");
            Assert.Contains(numbers, n => n[1] == "TOLL_FREE");
            var tollFree = japan ? JpTollFree : UsTollFree;
            foreach (var n in numbers)
            {
                Assert.Equal(japan ? "JP" : "US", n[2]);
                Assert.StartsWith(countryPrefix, n[0], StringComparison.Ordinal);
                Assert.Equal(n[1] == "TOLL_FREE", tollFree.Any(p => n[0].StartsWith(p, StringComparison.Ordinal)));
                Assert.True(GeneratedMonth.ParseIso(n[3]) < m.Start);
                Assert.Equal("", n[4]);
            }
        }
    }

    [Fact]
    public void Truth_json_is_pretty_sorted_and_shaped()
    {
        var text = File.ReadAllText(Path.Combine(month.Dir, "truth.json"));
        Assert.StartsWith("{\n  \"billedSeconds\": {\n    \"contact-lens\": ", text, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        AssertSorted(doc.RootElement);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["billedSeconds", "chains", "duplicates", "legs", "nonVoiceContacts", "numberDays", "orphans", "quarantined", "quarantinedByReason", "records"], keys);
        Assert.Equal(GroundTruth.ChargeKinds, doc.RootElement.GetProperty("billedSeconds").EnumerateObject().Select(p => p.Name));
        Assert.Equal(GroundTruth.LegKinds, doc.RootElement.GetProperty("legs").EnumerateObject().Select(p => p.Name));
        Assert.Equal(text, month.Truth.ToJson());
        Assert.Equal(text, month.Result.Truth.ToJson());

        static void AssertSorted(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            var names = e.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            foreach (var p in e.EnumerateObject())
            {
                AssertSorted(p.Value);
            }
        }
    }

    [Fact]
    public void Accounting_identity_holds_and_every_count_matches_the_files()
    {
        foreach (var m in new[] { month, tokyo.Month })
        {
            var t = m.Truth;
            Assert.Equal(m.Objects.Count, t.Records);
            Assert.Equal(m.Result.CtrRecords, t.Records);
            Assert.Equal(m.Quarantined.Values.Sum(), t.Quarantined);
            Assert.Equal(m.Quarantined.OrderBy(k => k.Key, StringComparer.Ordinal), t.QuarantinedByReason.OrderBy(k => k.Key, StringComparer.Ordinal));
            Assert.Equal(m.Valid.Count - m.Unique.Count, t.Duplicates);
            var nonVoice = m.Unique.Count(c => c.Channel != "VOICE");
            Assert.Equal(nonVoice, t.NonVoiceContacts);
            var uniqueVoice = m.Unique.Count - nonVoice;
            Assert.Equal(t.Records, uniqueVoice + t.Duplicates + t.Quarantined + t.NonVoiceContacts);

            Assert.Equal(m.Options.Contacts, t.Chains);
            Assert.Equal(t.Chains, m.Unique.Count(c => c.InitialContactId is null));
            Assert.Equal(0, t.Orphans);
            var ids = m.Unique.Select(c => c.ContactId).ToHashSet(StringComparer.Ordinal);
            Assert.All(m.Unique.Where(c => c.InitialContactId is not null), c =>
            {
                Assert.Contains(c.InitialContactId!, ids);
                Assert.Contains(c.PreviousContactId!, ids);
            });

            var dids = m.NumberTypes.Values.Count(v => v == "DID");
            var tollFree = m.NumberTypes.Values.Count(v => v == "TOLL_FREE");
            Assert.Equal(dids * (long)m.Options.Days, t.NumberDays["number-days:did"]);
            Assert.Equal(tollFree * (long)m.Options.Days, t.NumberDays["number-days:tollfree"]);

            // Every quarantine reason is exercised, at about the planned rate.
            Assert.Equal(GroundTruth.QuarantineReasons, t.QuarantinedByReason.Keys.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Truth_equals_an_independent_rating_of_the_written_records()
    {
        foreach (var m in new[] { month, tokyo.Month })
        {
            var rated = MiniRater.Rate(m.Unique, m.DeskAgents, m.NumberTypes);
            Assert.Empty(rated.Problems);
            Assert.Equal(0, rated.Orphans);
            Assert.Equal(m.Truth.Chains, rated.Chains);
            Assert.Equal(m.Truth.NonVoiceContacts, rated.NonVoice);
            foreach (var kind in GroundTruth.ChargeKinds)
            {
                Assert.True(m.Truth.Billed(kind) == rated.Billed[kind], $"{m.Options.Region} {kind}: truth {m.Truth.Billed(kind)}, records {rated.Billed[kind]}");
                Assert.True(m.Truth.Billed(kind) > 0, $"{kind} is never exercised");
            }

            foreach (var kind in GroundTruth.LegKinds)
            {
                Assert.True(m.Truth.Legs[kind] == rated.Legs[kind], $"{m.Options.Region} legs {kind}: truth {m.Truth.Legs[kind]}, records {rated.Legs[kind]}");
                Assert.True(m.Truth.Legs[kind] > 0, $"leg {kind} is never exercised");
            }
        }
    }

    [Fact]
    public void Every_call_pattern_appears_in_2000_contacts()
    {
        var chains = month.Unique.GroupBy(c => c.InitialContactId ?? c.ContactId).Select(g => g.OrderBy(c => c.InitialContactId is null ? 0 : 1).ThenBy(c => c.Init).ToList()).ToList();
        bool Single(List<Ctr> ch, Func<Ctr, bool> p) => ch.Count == 1 && p(ch[0]);
        bool Desk(Ctr c) => c.Agent is not null && month.DeskAgents.Contains(c.Agent);
        var patterns = new Dictionary<string, Func<List<Ctr>, bool>>
        {
            ["ivr-only"] = ch => Single(ch, c => c.Method == "INBOUND" && !c.HasQueue && c.Agent is null),
            ["abandoned-in-queue"] = ch => Single(ch, c => c.Method == "INBOUND" && c.HasQueue && c.Agent is null),
            ["inbound-agent"] = ch => Single(ch, c => c.Method == "INBOUND" && c.Agent is not null && c.TransferredTo is null && !Desk(c)),
            ["inbound-agent-with-hold"] = ch => Single(ch, c => c.Method == "INBOUND" && c.Agent is not null && c.Attributes.Length > 0) && HasHold(ch[0]),
            ["internal-transfer"] = ch => ch.Count == 2 && ch[1].Method == "TRANSFER" && ch[0].TransferCompleted == ch[0].AcwStart && ch[1].Disc > ch[0].Disc && ch[1].Init < ch[0].Disc,
            ["internal-conference"] = ch => ch.Count == 2 && ch[1].Method == "TRANSFER" && ch[1].Interaction > 2 && ch[1].Disc < ch[0].Disc && ch[0].TransferCompleted is null,
            ["external-transfer-leg"] = ch => ch.Count == 2 && ch[1].Method == "EXTERNAL_OUTBOUND" && ch[1].Agent is null && ch[0].TransferCompleted == ch[0].AcwStart,
            ["external-transfer-record-only"] = ch => Single(ch, c => c.TransferredTo is not null && c.TransferCompleted == c.AcwStart && c.Disc > c.TransferCompleted),
            ["queued-callback"] = ch => ch.Count == 2 && ch[0].Agent is null && ch[1].Method == "CALLBACK" && ch[1].ConnSys > ch[1].ConnAgent,
            ["outbound-answered"] = ch => Single(ch, c => c.Method == "OUTBOUND" && c.ConnSys is not null && !Desk(c)),
            ["outbound-unanswered"] = ch => Single(ch, c => c.Method == "OUTBOUND" && c.ConnSys is null),
            ["outbound-desk-phone"] = ch => Single(ch, c => c.Method == "OUTBOUND" && c.ConnSys is not null && Desk(c)),
            ["inbound-desk-phone"] = ch => Single(ch, c => c.Method == "INBOUND" && c.Agent is not null && Desk(c)),
            ["contact-lens"] = ch => Single(ch, c => c.Lens),
            ["chat"] = ch => Single(ch, c => c.Channel == "CHAT" && c.Method == "API"),
            ["three-record-chain"] = ch => ch.Count == 3,
            ["four-record-chain"] = ch => ch.Count == 4,
            ["inbound-did"] = ch => ch[0].Method == "INBOUND" && month.NumberTypes[ch[0].SystemEndpoint!] == "DID",
            ["inbound-tollfree"] = ch => ch[0].Method == "INBOUND" && month.NumberTypes[ch[0].SystemEndpoint!] == "TOLL_FREE",
        };
        var counts = patterns.ToDictionary(p => p.Key, p => chains.Count(p.Value));
        Assert.All(counts, kv => Assert.True(kv.Value > 0, $"pattern {kv.Key} never appears"));

        // Realistic proportions: agent-handled inbound dominates, chats ~10 %.
        Assert.InRange(counts["inbound-agent"], 400, 900);
        Assert.InRange(counts["chat"], 150, 250);

        // Contact Lens only on single-agent calls.
        Assert.All(chains.Where(ch => ch.Any(c => c.Lens)), ch => Assert.Single(ch));

        // Every number in the inventory takes calls; outbound goes to domestic mobiles and landlines.
        var dialled = chains.Where(ch => ch[0].Method == "INBOUND").Select(ch => ch[0].SystemEndpoint!).ToHashSet(StringComparer.Ordinal);
        Assert.All(month.NumberTypes.Keys, n => Assert.Contains(n, dialled));
        var jpOut = tokyo.Month.Unique.Where(c => c.Method == "OUTBOUND").Select(c => c.CustomerEndpoint!).ToList();
        Assert.Contains(jpOut, n => JpMobile().IsMatch(n));
        Assert.Contains(jpOut, n => n.StartsWith("+81", StringComparison.Ordinal) && !JpMobile().IsMatch(n));
        Assert.All(jpOut, n => Assert.StartsWith("+81", n, StringComparison.Ordinal));
        Assert.All(month.Unique.Where(c => c.Method == "OUTBOUND"), c => Assert.StartsWith("+1", c.CustomerEndpoint!, StringComparison.Ordinal));
    }

    [Fact]
    public void Gzip_objects_hold_concatenated_json_and_a_few_are_newline_delimited()
    {
        foreach (var f in month.Files)
        {
            Assert.Equal(0x1f, File.ReadAllBytes(Path.Combine(month.Dir, f.Path))[0]);
            if (f.NewlineDelimited)
            {
                // One object per line, each line ends with '\n'.
                var lines = System.Text.Encoding.UTF8.GetString(f.Json).Split('\n');
                Assert.Equal("", lines[^1]);
                Assert.Equal(f.Objects.Count, lines.Length - 1);
            }
            else
            {
                Assert.DoesNotContain((byte)'\n', f.Json);
                Assert.Equal(f.Objects.Sum(o => o.Length), f.Json.Length);
            }
        }

        Assert.Contains(month.Files, f => f.NewlineDelimited);
        Assert.Contains(month.Files, f => f.Concatenated && f.Objects.Count >= 2);
        Assert.InRange(month.Files.Count(f => f.NewlineDelimited), 1, month.Files.Count / 5);

        // Compact JSON with whole-second UTC timestamps; records average ~2–3 KB.
        var voice = month.Valid.Where(c => c.Channel == "VOICE").Select(c => c.Source.Bytes).ToList();
        Assert.InRange(voice.Average(b => b.Length), 2000, 3300);
        var sample = System.Text.Encoding.UTF8.GetString(voice[0]);
        Assert.DoesNotContain("\\u002B", sample, StringComparison.Ordinal);
        Assert.Contains("\"AWSContactTraceRecordFormatVersion\":\"2017-03-10\"", sample, StringComparison.Ordinal);
        Assert.Contains("\"aws:connect:instanceId\"", sample, StringComparison.Ordinal);
        Assert.Matches(@"""InstanceARN"":""arn:aws:connect:us-east-1:\d{12}:instance/[0-9a-f-]{36}""", sample);
    }

    [Fact]
    public void Records_sit_in_the_hour_folder_of_their_arrival_after_they_ended()
    {
        var firstSeen = new Dictionary<string, Ctr>(StringComparer.Ordinal);
        foreach (var c in month.Valid.OrderBy(c => c.Source.FolderHour).ThenBy(c => c.Source.NameTime).ThenBy(c => c.Source.File, StringComparer.Ordinal).ThenBy(c => c.Source.Ordinal))
        {
            var end = c.End;
            var endHour = new DateTime(end.Year, end.Month, end.Day, end.Hour, 0, 0, DateTimeKind.Utc);
            Assert.True(c.Source.FolderHour >= endHour, $"{c.ContactId} ended {end:O} but sits in {c.Source.File}");
            Assert.True(c.Source.NameTime >= end.AddSeconds(30), $"{c.ContactId} written before it ended + 30 s");
            if (firstSeen.TryGetValue(c.ContactId, out var original))
            {
                Assert.True(c.Source.FolderHour > original.Source.FolderHour, $"re-delivery of {c.ContactId} is not in a later hour");
            }
            else
            {
                firstSeen[c.ContactId] = c;
                Assert.True(c.Source.FolderHour <= end.AddSeconds(180), $"{c.ContactId} first arrives more than 180 s after it ended");
            }
        }

        // Chains straddle hours (and some days): a child can arrive in another hour than its root.
        var byId = month.Unique.ToDictionary(c => c.ContactId, StringComparer.Ordinal);
        Assert.Contains(month.Unique, c => c.InitialContactId is { } root && byId[root].Source.FolderHour != c.Source.FolderHour);
        Assert.Contains(month.Unique, c => c.InitialContactId is { } root && byId[root].Source.FolderHour.Date != c.Source.FolderHour.Date);
    }

    [Fact]
    public void Redeliveries_are_exact_copies_or_attribute_updates_in_a_later_hour()
    {
        var exact = 0;
        var updates = 0;
        var daysLater = 0;
        foreach (var group in month.Valid.GroupBy(c => c.ContactId).Where(g => g.Count() > 1))
        {
            var copies = group.OrderBy(c => c.Source.FolderHour).ToList();
            Assert.Equal(2, copies.Count);
            var (a, b) = (copies[0], copies[1]);
            if (a.Source.Bytes.AsSpan().SequenceEqual(b.Source.Bytes))
            {
                exact++;
            }
            else
            {
                updates++;
                Assert.True(b.LastUpdate > a.LastUpdate);
                Assert.NotEqual(a.Attributes, b.Attributes);
                Assert.Equal(Billing(a), Billing(b));
            }

            if ((b.Source.FolderHour - a.Source.FolderHour).TotalHours >= 24)
            {
                daysLater++;
            }
        }

        Assert.True(exact > 0 && updates > 0 && daysLater > 0, $"exact {exact}, updates {updates}, a day or more later {daysLater}");
        var rate = (double)(exact + updates) / month.Unique.Count;
        Assert.InRange(rate, 0.004, 0.025);

        static object Billing(Ctr c) => (c.Method, c.Channel, c.Init, c.ConnSys, c.Disc, c.TransferCompleted, c.SystemEndpoint, c.CustomerEndpoint,
            c.TransferredTo, c.Agent, c.ConnAgent, c.AcwStart, c.AcwEnd, c.Lens, c.InitialContactId, c.PreviousContactId, c.NextContactId);
    }

    [Fact]
    public void Bad_records_never_swallow_their_neighbours()
    {
        // Every object splits cleanly (the reader throws otherwise) and every bad one is an island:
        // the records around it are valid CTRs or other planted objects, never merged text.
        var bad = month.Objects.Where(o => OutputReader.Classify(o.Bytes, out _) is not null).ToList();
        Assert.Equal(month.Truth.Quarantined, bad.Count);
        Assert.All(bad, o => Assert.True(o.Bytes.Length < 2600, "a bad object is small; a large one would mean it swallowed a neighbour"));
        Assert.Contains(bad, o => System.Text.Encoding.UTF8.GetString(o.Bytes).Contains("\"EventType\"", StringComparison.Ordinal));
        Assert.Contains(bad, o => System.Text.Encoding.UTF8.GetString(o.Bytes).Contains("\"detail-type\"", StringComparison.Ordinal));
    }

    private static bool HasHold(Ctr c) => c.Source.Bytes.AsSpan().IndexOf("\"NumberOfHolds\":0"u8) < 0;

    [GeneratedRegex(@"^\+81[789]0")]
    private static partial Regex JpMobile();
}
