using System.IO.Compression;
using System.Text;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;

namespace ConnectReconcile.Io.Tests;

public sealed class DecoderTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    private static string Ctr(string id, string lastUpdate = "2026-10-14T10:00:45Z", string extra = "") =>
        $$"""{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"{{id}}","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:00:45Z","LastUpdateTimestamp":"{{lastUpdate}}","Attributes":{"note":"braces } and { and \"quotes\" inside strings"}{{extra}}}""";

    internal sealed class Collector : IDecodeSink
    {
        public List<(ContactRecord Record, SourcePosition Position)> Records { get; } = [];
        public List<QuarantineEntry> Quarantined { get; } = [];
        public void OnRecord(ContactRecord record, SourcePosition position) => Records.Add((record, position));
        public void OnQuarantine(QuarantineEntry entry) => Quarantined.Add(entry);
    }

    internal static Collector Decode(byte[] bytes, bool seekable = true)
    {
        var sink = new Collector();
        Stream stream = seekable ? new MemoryStream(bytes) : new ForwardOnlyStream(bytes);
        new CtrDecoder().Decode(stream, "test", sink);
        return sink;
    }

    /// <summary>Gzip of the bytes; with <paramref name="flushOnly"/>, flushed but never finished (no final block, no trailer: a cut file).</summary>
    internal static byte[] Gzip(byte[] bytes, bool flushOnly = false)
    {
        using var buffer = new MemoryStream();
        var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true);
        gz.Write(bytes);
        if (flushOnly)
        {
            gz.Flush();
        }
        else
        {
            gz.Dispose();
        }

        return buffer.ToArray();
    }

    [Fact]
    public void An_object_with_a_string_far_over_the_record_limit_is_quarantined_without_holding_it()
    {
        // 40 MB inside one string, then a good record: the buffer stopped growing only once the scan
        // left the string, so this took ~128 MB of buffers (a 600 KB gzip of a 629 MB one took 1.7 GB); now the
        // buffer stops at twice the limit.
        var huge = Encoding.UTF8.GetBytes(Ctr("big", extra: ",\"x\":\"" + new string('x', 5 * CtrDecoder.MaxRecordBytes) + "\"") + Ctr("after"));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sink = Decode(huge);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(QuarantineReasons.RecordTooLarge, Assert.Single(sink.Quarantined).Reason);
        Assert.Equal("after", Assert.Single(sink.Records).Record.ContactId);
        Assert.True(allocated < 5L * CtrDecoder.MaxRecordBytes, $"{allocated:N0} bytes allocated");
    }

    public static TheoryData<string, string> Framings() => new()
    {
        { "single object", Ctr("a") },
        { "concatenated, no delimiter", Ctr("a") + Ctr("b") + Ctr("c") },
        { "newline-delimited", Ctr("a") + "\n" + Ctr("b") + "\r\n" + Ctr("c") + "\n" },
        { "JSON array", "[" + Ctr("a") + ",\n " + Ctr("b") + "," + Ctr("c") + "]" },
        { "newline-delimited after a UTF-8 byte-order mark (a file saved by a Windows editor or PowerShell)", "\uFEFF" + Ctr("a") + "\r\n" + Ctr("b") + "\r\n" },
        { "pretty-printed, one after another", "{\n  \"ContactId\": \"a\",\n  \"Channel\": \"VOICE\",\n  \"InitiationMethod\": \"INBOUND\",\n  \"InitiationTimestamp\": \"2026-10-14T10:00:00Z\",\n  \"DisconnectTimestamp\": \"2026-10-14T10:01:00Z\"\n}\n{\n  \"ContactId\": \"b\", \"Channel\": \"VOICE\", \"InitiationTimestamp\": \"2026-10-14T10:00:00Z\", \"DisconnectTimestamp\": \"2026-10-14T10:01:00Z\"\n}" },
    };

    [Theory]
    [MemberData(nameof(Framings))]
    public void Every_framing_decodes_plain_and_gzipped_and_from_forward_only_streams(string framing, string text)
    {
        var expected = text.Split("\"ContactId\"").Length - 1;
        foreach (var (bytes, seekable) in new[] { (Encoding.UTF8.GetBytes(text), true), (Gzip(Encoding.UTF8.GetBytes(text)), true), (Gzip(Encoding.UTF8.GetBytes(text)), false) })
        {
            var sink = Decode(bytes, seekable);
            Assert.True(expected == sink.Records.Count, $"{framing}: expected {expected}, got {sink.Records.Count}");
            Assert.Empty(sink.Quarantined);
        }
    }

    [Fact]
    public void UTF_16_text_with_its_byte_order_mark_is_read_as_UTF_8_plain_or_gzipped()
    {
        // What Windows PowerShell's > and Out-File write: UTF-16LE with a byte-order mark (BE is rarer).
        var text = "\uFEFF" + Ctr("a", extra: ",\"Note\":\"café ☎\"") + "\r\n" + Ctr("b") + "\r\n{\"ContactId\":";
        var utf8 = Encoding.UTF8.GetBytes(text);
        foreach (var encoding in new[] { Encoding.Unicode, Encoding.BigEndianUnicode })
        {
            var bytes = encoding.GetBytes(text);
            foreach (var (input, seekable) in new[] { (bytes, true), (bytes, false), (Gzip(bytes), true), (Gzip(bytes), false) })
            {
                var sink = Decode(input, seekable);
                Assert.Equal(["a", "b"], sink.Records.Select(r => r.Record.ContactId));
                // Positions are offsets in the UTF-8 text, as for any other file.
                Assert.Equal(3, sink.Records[0].Position.Offset); // after the mark
                var truncated = Assert.Single(sink.Quarantined);
                Assert.Equal(QuarantineReasons.TruncatedRecord, truncated.Reason);
                Assert.Equal(utf8.Length - "{\"ContactId\":".Length, truncated.Position.Offset);
            }

            // Whole, gzipped: nothing to report (the gzip trailer counts UTF-16 bytes, not the UTF-8 read).
            var whole = Decode(Gzip(encoding.GetBytes(text[..text.LastIndexOf('{')])));
            Assert.Equal(["a", "b"], whole.Records.Select(r => r.Record.ContactId));
            Assert.Empty(whole.Quarantined);
        }
    }

    private static byte[] Zip(params (string Name, byte[] Body)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, body) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(body);
            }
        }

        return buffer.ToArray();
    }

    private static byte[] StoredZip(byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("part-0001", CompressionLevel.NoCompression).Open();
            entry.Write(body);
        }

        return buffer.ToArray();
    }

    private static byte[] Snappy(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var snappy = new Snappier.SnappyStream(buffer, CompressionMode.Compress, leaveOpen: true))
        {
            snappy.Write(bytes);
        }

        return buffer.ToArray();
    }

    [Fact]
    public void Firehose_ZIP_and_Snappy_objects_decode_like_gzip_ones_and_damage_is_reported()
    {
        // Firehose compresses with gzip, ZIP or Snappy (framing format); each used to be quarantined whole as not JSON.
        var text = Encoding.UTF8.GetBytes(Ctr("a") + Ctr("b") + "\n" + Ctr("c"));
        var inputs = new[]
        {
            ("ZIP", Zip(("part-0001", text))),
            ("ZIP of two files and a folder", Zip(("1", Encoding.UTF8.GetBytes(Ctr("a"))), ("dir/", []), ("2", Encoding.UTF8.GetBytes(Ctr("b") + "\n" + Ctr("c"))))),
            ("Snappy", Snappy(text)),
            ("ZIP whose first file does not end its last line and holds no JSON", Zip(("a", Encoding.UTF8.GetBytes(Ctr("a"))), ("b.png", [0x89, (byte)'P', (byte)'N', (byte)'G']), ("c", Encoding.UTF8.GetBytes(Ctr("b") + "\n" + Ctr("c"))))),
        };
        foreach (var (name, bytes) in inputs)
        {
            foreach (var seekable in new[] { true, false })
            {
                var sink = Decode(bytes, seekable);
                Assert.True(sink.Records.Select(r => r.Record.ContactId).SequenceEqual(["a", "b", "c"]), $"{name}: {string.Join(", ", sink.Quarantined.Select(q => q.Reason))}");
                Assert.Equal(name.Contains("PNG", StringComparison.Ordinal) || name.Contains("no JSON", StringComparison.Ordinal) ? 1 : 0, sink.Quarantined.Count);
            }
        }

        // Damaged: one entry saying so, never "not JSON"; a stored file's changed byte too (its CRC-32).
        // (Cut short, a ZIP keeps its records before the cut: A_ZIP_cut_short_keeps_the_files_and_records_before_the_cut.)
        var zip = Zip(("part-0001", text));
        Assert.Contains(Assert.Single(Decode(zip[..(zip.Length / 2)]).Quarantined).Reason, new[] { QuarantineReasons.CorruptCompression, QuarantineReasons.TruncatedRecord });
        var stored = StoredZip(text);
        Assert.Equal(3, Decode(stored).Records.Count);
        var at = stored.AsSpan().IndexOf("10:00:45Z"u8);
        stored[at + 1] = (byte)'9'; // a call of 9 hours, still valid JSON
        var changed = Decode(stored);
        Assert.Contains(Assert.Single(changed.Quarantined).Reason, new[] { QuarantineReasons.CorruptCompression, QuarantineReasons.TruncatedRecord }); // the check comes at the file's end
        Assert.Contains("CRC-32", changed.Quarantined[0].Detail, StringComparison.Ordinal);

        // An archive of no files: nothing, and nothing to report (it was "not JSON").
        Assert.Empty(Decode(Zip()).Quarantined);
        var snappy = Snappy(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 300).Select(i => Ctr("id-" + i)))));
        var cut = Decode(snappy[..(snappy.Length * 2 / 3)]);
        Assert.InRange(cut.Records.Count, 1, 299);
        Assert.Contains(Assert.Single(cut.Quarantined).Reason, new[] { QuarantineReasons.CorruptCompression, QuarantineReasons.TruncatedRecord });
    }

    /// <summary>
    /// A ZIP as ZipArchive writes it: a file's parts are flushed one by one (the compressed bytes up to
    /// each part's end inflate that far), and the archive's length after each flush is returned. Written
    /// as a stream (<paramref name="streamed"/>), each file's sizes and CRC-32 follow its data (flag bit 3).
    /// </summary>
    private static (byte[] Zip, List<int> Flushed) CuttableZip(bool streamed, params (string Name, CompressionLevel Level, string[] Parts)[] files)
    {
        var flushed = new List<int>();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(streamed ? new WriteOnlyStream(buffer) : buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, level, parts) in files)
            {
                using var entry = zip.CreateEntry(name, level).Open();
                foreach (var part in parts)
                {
                    entry.Write(Encoding.UTF8.GetBytes(part));
                    entry.Flush();
                    flushed.Add((int)buffer.Length);
                }
            }
        }

        return (buffer.ToArray(), flushed);
    }

    /// <summary>Write-only, no seeking: ZipArchive writes each file's sizes after its data, as a streaming writer does.</summary>
    private sealed class WriteOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }

    [Fact]
    public void A_ZIP_cut_short_keeps_the_files_and_records_before_the_cut()
    {
        // Its directory is at its end, so a cut loses it: the files are read from their local headers instead.
        string[] t1 = [Ctr("a") + "\n" + Ctr("b") + "\n"], t2 = [Ctr("c") + "\n", Ctr("d")[..120], Ctr("d")[120..] + "\n"], t3 = [Ctr("e") + "\n" + Ctr("f")];
        var (text1, text2) = (string.Concat(t1) + "\n", string.Concat(t2) + "\n"); // the text read: each file ends a line
        foreach (var streamed in new[] { false, true })
        {
            var (zip, flushed) = CuttableZip(streamed,
                ("part-1", CompressionLevel.Optimal, t1), ("part-2", CompressionLevel.Optimal, t2), ("dir/", CompressionLevel.NoCompression, []), ("part-3", CompressionLevel.NoCompression, t3));
            var part2 = zip.AsSpan().IndexOf("part-2"u8) + "part-2".Length;
            var part3 = zip.AsSpan().IndexOf("part-3"u8) - 30;
            var inF = zip.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Ctr("f"))) + 99;
            var directory = zip.AsSpan().IndexOf("PK\u0001\u0002"u8);
            var cuts = new (string Where, int At, string[] Kept, string Reason, long Offset, string Stop)[]
            {
                ("inside the second file's data, between two records", flushed[1], ["a", "b", "c"], QuarantineReasons.CorruptCompression, text1.Length + Ctr("c").Length + 1,
                    $"1 whole, then at byte {flushed[1]} of {flushed[1]} the bytes end inside file 'part-2', {Ctr("c").Length + 1} bytes of its text read"),
                ("inside the second file's data, inside a record", flushed[2], ["a", "b", "c"], QuarantineReasons.TruncatedRecord, text1.Length + Ctr("c").Length + 1,
                    $"1 whole, then at byte {flushed[2]} of {flushed[2]} the bytes end inside file 'part-2', {Ctr("c").Length + 1 + 120} bytes of its text read"),
                ("right after the second file's local header", part2, ["a", "b"], QuarantineReasons.CorruptCompression, text1.Length,
                    $"1 whole, then at byte {part2} of {part2} the bytes end inside file 'part-2', 0 bytes of its text read"),
                ("inside the third file's local header", part3 + 10, ["a", "b", "c", "d"], QuarantineReasons.CorruptCompression, text1.Length + text2.Length,
                    $"2 whole, then at byte {part3} of {part3 + 10} the bytes end inside a header"),
                ("inside the third (stored) file's data, inside a record", inF, ["a", "b", "c", "d", "e"], QuarantineReasons.TruncatedRecord, text1.Length + text2.Length + Ctr("e").Length + 1,
                    $"2 whole, then at byte {inF} of {inF} the bytes end inside file 'part-3', {Ctr("e").Length + 1 + 99} bytes of its text read"),
                ("inside the directory", directory + 20, ["a", "b", "c", "d", "e", "f"], QuarantineReasons.CorruptCompression, text1.Length + text2.Length + t3[0].Length + 1,
                    $"3 whole, then at byte {directory} of {directory + 20} its directory begins, but cannot be read"),
            };
            foreach (var (where, at, kept, reason, offset, stop) in cuts)
            {
                foreach (var seekable in new[] { true, false })
                {
                    var sink = Decode(zip[..at], seekable);
                    var name = $"{(streamed ? "streamed" : "sized")}, cut {where}";
                    Assert.True(sink.Records.Select(r => r.Record.ContactId).SequenceEqual(kept), $"{name}: {string.Join(", ", sink.Records.Select(r => r.Record.ContactId))}");
                    var cut = Assert.Single(sink.Quarantined);
                    Assert.True((reason, offset) == (cut.Reason, cut.Position.Offset), $"{name}: {cut}");
                    var says = (reason == QuarantineReasons.TruncatedRecord ? "the compressed bytes stop inside the object: " : "")
                        + $"the ZIP archive has no readable directory, so its files were read from their local headers: {stop}; the object was cut short";
                    Assert.True(cut.Detail.StartsWith(says, StringComparison.Ordinal), $"{name}: '{cut.Detail}' does not start '{says}'");
                }
            }

            // Split hands on the same records, as they came.
            var objects = new List<string>();
            var split = new Collector();
            new CtrDecoder().Split(new MemoryStream(zip[..flushed[2]]), "test", (json, _) => objects.Add(Encoding.UTF8.GetString(json)), split);
            Assert.Equal([Ctr("a"), Ctr("b"), Ctr("c")], objects);
            Assert.Equal(QuarantineReasons.TruncatedRecord, Assert.Single(split.Quarantined).Reason);
        }
    }

    [Fact]
    public void A_damaged_ZIP_without_its_directory_keeps_the_records_before_the_damage_and_says_so_once()
    {
        var text = Ctr("a") + "\n" + Ctr("b");
        foreach (var streamed in new[] { false, true })
        {
            var (zip, _) = CuttableZip(streamed, ("part-1", CompressionLevel.NoCompression, [text]), ("part-2", CompressionLevel.Optimal, [Ctr("c")]), ("part-3", CompressionLevel.NoCompression, [Ctr("d")]));
            var directory = zip.AsSpan().IndexOf("PK\u0001\u0002"u8);
            var cut = zip[..(directory + 20)];
            var part2 = zip.AsSpan().IndexOf("part-2"u8) - 30; // its local header

            // A changed digit in the first (stored) file, still valid JSON: its records were read, its CRC-32 does not match, and reading stops there.
            var changed = cut.ToArray();
            changed[changed.AsSpan().IndexOf("10:00:45Z"u8) + 1] ^= 0x08; // '0' to '8'
            var sink = Decode(changed);
            Assert.True(sink.Records.Select(r => r.Record.ContactId).SequenceEqual(["a", "b"]), string.Join(" | ", sink.Quarantined));
            var damage = Assert.Single(sink.Quarantined);
            Assert.Equal(QuarantineReasons.CorruptCompression, damage.Reason);
            Assert.Contains($"at byte 0 of {cut.Length} file 'part-1' begins, and is damaged: it does not match its CRC-32", damage.Detail, StringComparison.Ordinal);
            Assert.Contains("no readable directory", damage.Detail, StringComparison.Ordinal);

            // A flipped bit in the second file's header signature: the first file's records, and one entry for the rest.
            var header = cut.ToArray();
            header[part2] ^= 0x01;
            sink = Decode(header);
            Assert.Equal(["a", "b"], sink.Records.Select(r => r.Record.ContactId));
            damage = Assert.Single(sink.Quarantined);
            Assert.Equal(QuarantineReasons.CorruptCompression, damage.Reason);
            Assert.Contains($"1 whole, then at byte {part2} of {cut.Length} come bytes that are neither a file nor its directory", damage.Detail, StringComparison.Ordinal);

            // A flipped bit in the second file's deflated data: the first file's records, and the damage once.
            var deflated = cut.ToArray();
            deflated[part2 + 30 + "part-2".Length + 40] ^= 0x10;
            sink = Decode(deflated);
            Assert.True(sink.Records.Select(r => r.Record.ContactId).SequenceEqual(["a", "b"]), string.Join(" | ", sink.Quarantined));
            damage = Assert.Single(sink.Quarantined);
            Assert.Equal((QuarantineReasons.CorruptCompression, (long)text.Length + 1), (damage.Reason, damage.Position.Offset));
            Assert.Contains($"1 whole, then at byte {part2} of {cut.Length} file 'part-2' begins, and is damaged: ", damage.Detail, StringComparison.Ordinal);

            // Whole, but a flipped bit in its directory: every record, and one entry (reading the directory threw out of the decoder).
            var whole = zip.ToArray();
            whole[directory] ^= 0x01;
            sink = Decode(whole);
            Assert.Equal(["a", "b", "c", "d"], sink.Records.Select(r => r.Record.ContactId));
            damage = Assert.Single(sink.Quarantined);
            Assert.Equal((QuarantineReasons.CorruptCompression, (long)text.Length + Ctr("c").Length + Ctr("d").Length + 3), (damage.Reason, damage.Position.Offset));
            Assert.Contains($"3 whole, then at byte {directory} of {zip.Length} come bytes that are neither a file nor its directory", damage.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Gzip_is_recognised_by_magic_bytes_and_concatenated_members_are_all_read()
    {
        var twoMembers = Gzip(Encoding.UTF8.GetBytes(Ctr("a"))).Concat(Gzip(Encoding.UTF8.GetBytes(Ctr("b")))).ToArray();
        var sink = Decode(twoMembers);
        Assert.Equal(["a", "b"], sink.Records.Select(r => r.Record.ContactId));
        Assert.Empty(sink.Quarantined); // the trailer checked at the end is the last member's
    }

    [Fact]
    public void Real_records_decode_and_the_fragment_is_quarantined_as_not_a_ctr()
    {
        var dir = Fixture("ctr", "real");
        var results = Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).ToDictionary(f => Path.GetFileName(f), f => Decode(File.ReadAllBytes(f)));
        Assert.Equal(6, results.Count);
        Assert.Equal(5, results.Values.Sum(r => r.Records.Count));
        var fragment = Assert.Single(results["fragment_recordings_issue10.json"].Quarantined);
        Assert.Equal(QuarantineReasons.NotACtr, fragment.Reason);

        var mongo = Assert.Single(results["voice_inbound_agent_recording_2020_mongo_export.json"].Records).Record;
        Assert.Equal("INBOUND", mongo.InitiationMethod);
        Assert.NotNull(mongo.Agent?.ConnectedToAgentTimestamp);

        var transfer = Assert.Single(results["voice_external_transfer_v1.json"].Records).Record;
        Assert.Equal("+18002430000", transfer.TransferredToEndpoint?.Address);
        Assert.Equal("2022-01-05T17:28:12Z", transfer.TransferCompletedTimestamp.ToString());
        Assert.Equal(221, transfer.Agent?.CustomerHoldDuration);
        Assert.Equal("TCC Refrig AC LLA", transfer.Queue?.Name);
    }

    public static TheoryData<string, bool> RealRecordFiles() => new()
    {
        { "voice_external_transfer_v1.json", false },
        { "voice_external_transfer_v1.json", true },
        { "voice_inbound_agent_recording_2022.json", false },
        { "voice_inbound_agent_recording_2022.json", true },
        { "voice_inbound_agent_recording_2020_mongo_export.json", false },
    };

    [Theory]
    [MemberData(nameof(RealRecordFiles))]
    public void A_record_cut_across_two_files_costs_one_entry_in_each(string file, bool pretty)
    {
        // Firehose never cuts a record, but a copy or a hand-made split can: the tail's nested objects
        // (an endpoint, a queue, the agent) are not records, and each had cost a not-a-ctr and a not-json entry.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Fixture("ctr", "real", file)))!;
        var record = json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = pretty });
        var neighbour = Ctr("next");
        var worst = (Cut: 0, Head: 0, Tail: 0);
        for (var cut = 1; cut < record.Length - 1; cut++)
        {
            var head = Decode(Encoding.UTF8.GetBytes(Ctr("before") + record[..cut]));
            var tail = Decode(Encoding.UTF8.GetBytes(record[cut..] + neighbour));
            Assert.Equal(["before"], head.Records.Select(r => r.Record.ContactId));
            Assert.Equal(["next"], tail.Records.Select(r => r.Record.ContactId));
            var split = new List<string>();
            new CtrDecoder().Split(new MemoryStream(Encoding.UTF8.GetBytes(record[cut..] + neighbour)), "t", (bytes, _) => split.Add(Encoding.UTF8.GetString(bytes)), new Collector());
            Assert.Equal(neighbour, split[^1]); // what load puts on a stream: the record after the tail, whole
            if (head.Quarantined.Count + tail.Quarantined.Count > worst.Head + worst.Tail)
            {
                worst = (cut, head.Quarantined.Count, tail.Quarantined.Count);
            }
        }

        Assert.True(worst.Head <= 1 && worst.Tail <= 2, $"cut at {worst.Cut}: {worst.Head} entries for the head, {worst.Tail} for the tail");
    }

    [Fact]
    public void The_three_real_redeliveries_dedupe_to_the_latest_one()
    {
        var dedupe = new Deduplicator();
        foreach (var name in new[] { "voice_external_transfer_v1.json", "voice_external_transfer_v3_reemitted.json", "voice_external_transfer_v2_reemitted.json" })
        {
            foreach (var (record, _) in Decode(File.ReadAllBytes(Fixture("ctr", "real", name))).Records)
            {
                dedupe.Offer(record);
            }
        }

        Assert.Equal(1, dedupe.Count);
        Assert.Equal(2, dedupe.Superseded);
        Assert.Equal("2022-01-11T04:09:47Z", dedupe.Records.Single().LastUpdateTimestamp.ToString());
    }

    [Fact]
    public void On_a_tie_the_later_arrived_copy_wins()
    {
        var dedupe = new Deduplicator();
        var first = Decode(Encoding.UTF8.GetBytes(Ctr("a"))).Records[0].Record;
        var second = first with { Queue = new QueueInfo { Name = "later" } };
        dedupe.Offer(first);
        dedupe.Offer(second);
        Assert.Equal("later", dedupe.Records.Single().Queue?.Name);
        Assert.Equal(1, dedupe.Superseded);
    }

    public static TheoryData<string> ScenarioFiles() => new(Directory.GetDirectories(Fixture("scenarios")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(ScenarioFiles))]
    public void Every_scenario_file_decodes_completely(string scenario)
    {
        var bytes = File.ReadAllBytes(Fixture("scenarios", scenario, "ctrs.json"));
        var sink = Decode(bytes);
        Assert.Empty(sink.Quarantined);
        Assert.Equal(Encoding.UTF8.GetString(bytes).Split("\"ContactId\":").Length - 1, sink.Records.Count);
        Assert.NotEmpty(sink.Records);
    }

    [Fact]
    public void Bad_records_are_quarantined_with_position_and_reason_and_neighbours_survive()
    {
        var agentEvent = """{"AgentARN":"arn:x","EventType":"STATE_CHANGE","EventTimestamp":"2026-10-14T10:00:00.000Z"}""";
        var malformed = """{"ContactId": "x", "Channel": VOICE}""";
        var noId = """{"AWSContactTraceRecordFormatVersion":"2017-03-10","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z"}""";
        var badTime = Ctr("t").Replace("\"InitiationTimestamp\":\"2026-10-14T10:00:00Z\"", "\"InitiationTimestamp\":\"yesterday\"", StringComparison.Ordinal);
        var backwards = Ctr("z").Replace("\"DisconnectTimestamp\":\"2026-10-14T10:00:45Z\"", "\"DisconnectTimestamp\":\"2026-10-14T09:00:00Z\"", StringComparison.Ordinal);
        var text = Ctr("a") + agentEvent + "GARBAGE!!" + Ctr("b") + malformed + noId + badTime + backwards + Ctr("c");
        var sink = Decode(Encoding.UTF8.GetBytes(text));

        Assert.Equal(["a", "b", "c"], sink.Records.Select(r => r.Record.ContactId));
        Assert.Equal(
            [QuarantineReasons.NotACtr, QuarantineReasons.NotJson, QuarantineReasons.MalformedJson, QuarantineReasons.MissingContactId, QuarantineReasons.BadTimestamp, QuarantineReasons.DisconnectBeforeInitiation],
            sink.Quarantined.Select(q => q.Reason));
        var garbage = sink.Quarantined[1];
        Assert.Equal(text.IndexOf("GARBAGE", StringComparison.Ordinal), garbage.Position.Offset);
        Assert.All(sink.Quarantined, q => Assert.Equal("test", q.Position.Source));
        // Positions are strictly increasing record indexes: every value is accounted for once.
        var indexes = sink.Records.Select(r => r.Position.Index).Concat(sink.Quarantined.Select(q => q.Position.Index)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), indexes);
    }

    public static TheoryData<string, string, string> DamagedRecords() => new()
    {
        // name, the damaged record (its ContactId "bad" aside), the framing between records
        { "cut inside a string, newline-delimited", Ctr("bad")[..70], "\n" },
        { "its closing brace missing, newline-delimited", Ctr("bad")[..^1], "\n" },
        { "an unescaped quote in an attribute, newline-delimited", Ctr("bad").Replace("braces }", "O\"Brien }", StringComparison.Ordinal), "\n" },
        { "its closing brace missing, concatenated", Ctr("bad")[..^1], "" },
        { "an unescaped quote, concatenated", Ctr("bad").Replace("braces }", "O\"Brien }", StringComparison.Ordinal), "" },
        { "cut inside a string, concatenated (the next record glued to it)", Ctr("bad")[..70], "" },
        { "its closing brace missing, in a JSON array", Ctr("bad")[..^1], ",\n" },
        { "a bare word for a value, pretty-printed", "{\n  \"ContactId\": \"bad\",\n  \"Agent\": {\n    \"Username\": x\n  },\n  \"Queue\": {\n    \"Name\": \"q\"\n  }\n}", "\n" },
    };

    [Theory]
    [MemberData(nameof(DamagedRecords))]
    public void A_record_that_is_not_well_formed_JSON_costs_one_entry_and_never_the_records_after_it(string damage, string bad, string between)
    {
        // A damaged record's end cannot be known (a brace or quote missing): the scan once took the rest of the object for it.
        var before = Enumerable.Range(0, 3).Select(i => Ctr("before-" + i));
        var after = Enumerable.Range(0, 100).Select(i => Ctr("after-" + i));
        var text = string.Join(between, before.Append(bad).Concat(after));
        var offset = string.Join(between, before).Length + between.Length;
        foreach (var (bytes, seekable) in new[] { (Encoding.UTF8.GetBytes(text), true), (Gzip(Encoding.UTF8.GetBytes(text)), false) })
        {
            var sink = Decode(bytes, seekable);
            Assert.True(103 == sink.Records.Count, $"{damage}: {sink.Records.Count} records, quarantined {string.Join("; ", sink.Quarantined.Select(q => q.Reason + ": " + q.Detail))}");
            var entry = Assert.Single(sink.Quarantined);
            Assert.Equal(QuarantineReasons.MalformedJson, entry.Reason);
            Assert.Equal((offset, 3L), (entry.Position.Offset, entry.Position.Index));
            Assert.Contains("set aside, up to the next record", entry.Detail, StringComparison.Ordinal);
            Assert.Equal("bad", entry.ContactId); // read before the break, so explain and the quarantine table name it (was null)
            Assert.Equal(Enumerable.Range(0, 104).Where(i => i != 3).Select(i => (long)i), sink.Records.Select(r => r.Position.Index));
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("")]
    public void Split_hands_a_malformed_records_bytes_on_as_one_object_and_never_the_records_after_it(string between)
    {
        // What load puts on a stream: the stream then quarantines the malformed one as replay does, and the records after it
        // were swallowed with it (one "truncated record", not loaded).
        var bad = Ctr("bad")[..70];
        var text = string.Join(between, [Ctr("a"), bad, Ctr("b"), Ctr("c")]);
        var objects = new List<(string Json, long Offset)>();
        var sink = new Collector();
        new CtrDecoder().Split(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t", (json, position) => objects.Add((Encoding.UTF8.GetString(json), position.Offset)), sink);

        Assert.Empty(sink.Quarantined);
        Assert.Equal([Ctr("a"), bad + between, Ctr("b"), Ctr("c")], objects.Select(o => o.Json));
        Assert.Equal(Ctr("a").Length + between.Length, objects[1].Offset);
        var parser = new CtrParser();
        Assert.Equal(QuarantineReasons.MalformedJson, parser.Parse(Encoding.UTF8.GetBytes(objects[1].Json)).Reason);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("")]
    public void After_a_malformed_record_whose_braces_close_the_next_object_counts_whatever_it_holds(string between)
    {
        // The generator's malformed records (a bare word, a trailing comma) balance their braces: the object after one is
        // the next value, even an event that is not a CTR or another malformed record. Each was once set aside with it.
        var agentEvent = """{"AgentARN":"arn:x","EventType":"STATE_CHANGE","EventTimestamp":"2026-10-14T10:00:00.000Z"}""";
        var bareWord = """{"ContactId":"m1","Channel":VOICE,"Attributes":{"note":"a } and a \" inside"}}""";
        var trailingComma = """{"ContactId":"m2","Channel":"VOICE",}""";
        var text = string.Join(between, [Ctr("a"), bareWord, agentEvent, trailingComma, bareWord.Replace("m1", "m3", StringComparison.Ordinal), Ctr("b")]);
        foreach (var bytes in new[] { Encoding.UTF8.GetBytes(text), Gzip(Encoding.UTF8.GetBytes(text)) })
        {
            var sink = Decode(bytes);
            Assert.Equal(["a", "b"], sink.Records.Select(r => r.Record.ContactId));
            Assert.Equal([QuarantineReasons.MalformedJson, QuarantineReasons.NotACtr, QuarantineReasons.MalformedJson, QuarantineReasons.MalformedJson],
                sink.Quarantined.Select(q => q.Reason));
            Assert.Equal([1L, 2, 3, 4], sink.Quarantined.Select(q => q.Position.Index));
            Assert.Equal(text.IndexOf(trailingComma, StringComparison.Ordinal), sink.Quarantined[2].Position.Offset);
            Assert.Contains($"({bareWord.Length + between.Length} bytes set aside, up to the next record)", sink.Quarantined[0].Detail, StringComparison.Ordinal);
        }

        // load and the stream frame the same objects.
        var objects = new List<string>();
        new CtrDecoder().Split(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t", (json, _) => objects.Add(Encoding.UTF8.GetString(json).TrimEnd('\n')), new Collector());
        Assert.Equal(6, objects.Count);
        Assert.Equal(agentEvent, objects[2]);
    }

    [Fact]
    public void A_damaged_last_record_is_set_aside_to_the_end_and_a_long_one_read_in_short_reads_is_parsed_whole()
    {
        var sink = Decode(Encoding.UTF8.GetBytes(Ctr("a") + "\n" + Ctr("bad").Replace("braces }", "O\"Brien }", StringComparison.Ordinal) + "\n  "));
        Assert.Equal(["a"], sink.Records.Select(r => r.Record.ContactId));
        Assert.Contains("to the end: no record follows it", Assert.Single(sink.Quarantined).Detail, StringComparison.Ordinal);

        // Well-formed as far as it goes: cut short, not malformed.
        var cut = Decode(Encoding.UTF8.GetBytes(Ctr("a") + "\n" + Ctr("bad")[..^1] + "\n  "));
        Assert.Equal(QuarantineReasons.TruncatedRecord, Assert.Single(cut.Quarantined).Reason);

        // 3 MB records arriving 7,777 bytes a read: each is parsed again only when the buffer is full.
        var big = Ctr("big", extra: ",\"Padding\":\"" + new string('x', 3 << 20) + "\"");
        var many = Decode(Encoding.UTF8.GetBytes(big + "\n" + Ctr("bad")[..^1] + "\n" + big.Replace("\"big\"", "\"big2\"", StringComparison.Ordinal)), seekable: false);
        Assert.Equal(["big", "big2"], many.Records.Select(r => r.Record.ContactId));
        Assert.Equal(QuarantineReasons.MalformedJson, Assert.Single(many.Quarantined).Reason);
    }

    [Fact]
    public void A_record_with_a_comment_is_not_JSON_and_is_quarantined_as_malformed()
    {
        var commented = Ctr("k").Replace("\"Channel\"", "/* why */ \"Channel\"", StringComparison.Ordinal);
        Assert.Contains("/* why */", commented, StringComparison.Ordinal);
        var sink = Decode(Encoding.UTF8.GetBytes(Ctr("a") + commented + Ctr("b")));
        Assert.Equal(["a", "b"], sink.Records.Select(r => r.Record.ContactId));
        Assert.Equal(QuarantineReasons.MalformedJson, Assert.Single(sink.Quarantined).Reason);
    }

    [Fact]
    public void A_truncated_gzip_keeps_the_records_before_the_damage()
    {
        var text = string.Concat(Enumerable.Range(0, 200).Select(i => Ctr("id-" + i)));
        var gz = Gzip(Encoding.UTF8.GetBytes(text));
        var cut = gz[..(gz.Length * 2 / 3)];
        var sink = Decode(cut);
        Assert.InRange(sink.Records.Count, 50, 199);
        Assert.Equal(Enumerable.Range(0, sink.Records.Count).Select(i => "id-" + i), sink.Records.Select(r => r.Record.ContactId));
        var damage = Assert.Single(sink.Quarantined);
        Assert.Contains(damage.Reason, new[] { QuarantineReasons.TruncatedRecord, QuarantineReasons.CorruptCompression });
        Assert.Contains("cut short", damage.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_object_cut_between_two_records_is_reported_not_silently_shortened()
    {
        // Everything compressed up to a flush point: record a inflates whole, then the bytes stop (no
        // final block, no trailer), which GZipStream itself takes for a normal end.
        var cut = Gzip(Encoding.UTF8.GetBytes(Ctr("a")), flushOnly: true);

        foreach (var seekable in new[] { true, false })
        {
            var sink = Decode(cut, seekable);
            Assert.Equal(["a"], sink.Records.Select(r => r.Record.ContactId));
            var damage = Assert.Single(sink.Quarantined);
            Assert.Equal(QuarantineReasons.CorruptCompression, damage.Reason);
            Assert.Equal(Ctr("a").Length, damage.Position.Offset);
            Assert.Contains("cut short", damage.Detail, StringComparison.Ordinal);
        }

        // Bytes that are not gzip after a whole member: GZipStream ignores them, the trailer check does not.
        var junk = Decode([.. Gzip(Encoding.UTF8.GetBytes(Ctr("a"))), .. "JUNK-JUNK"u8]);
        Assert.Equal(["a"], junk.Records.Select(r => r.Record.ContactId));
        Assert.Equal(QuarantineReasons.CorruptCompression, Assert.Single(junk.Quarantined).Reason);

        // Nothing missing: no report.
        Assert.Empty(Decode(Gzip(Encoding.UTF8.GetBytes(Ctr("a")))).Quarantined);
        Assert.Empty(Decode(Gzip([])).Quarantined);
    }

    [Fact]
    public void A_truncated_plain_file_reports_the_unfinished_record()
    {
        var text = Ctr("a") + Ctr("b")[..40];
        var sink = Decode(Encoding.UTF8.GetBytes(text));
        Assert.Single(sink.Records);
        var q = Assert.Single(sink.Quarantined);
        Assert.Equal(QuarantineReasons.TruncatedRecord, q.Reason);
        Assert.Equal(Ctr("a").Length, q.Position.Offset);
    }

    [Fact]
    public void Records_cut_by_the_read_buffers_end_decode_with_the_same_positions_as_the_rest()
    {
        // ~4 MB of records of varied length (the parser reads whole ones in place, the framing scan takes
        // the ones cut by the 1 MiB buffer's end), with a malformed one now and then.
        var parts = Enumerable.Range(0, 1_500).Select(i => i % 97 == 5
            ? "{\"ContactId\":\"bad-" + i + "\",\"Pad\":[" + new string('1', i) + "}"
            : Ctr("id-" + i, extra: ",\"Pad\":{\"a\":[\"" + new string('y', i * 7 % 5_000) + "\\\"\"]}")).ToList();
        var text = string.Join("\n", parts);
        var offsets = parts.Select((_, i) => (long)parts.Take(i).Sum(p => p.Length + 1)).ToList();
        foreach (var (bytes, seekable) in new[] { (Encoding.UTF8.GetBytes(text), true), (Gzip(Encoding.UTF8.GetBytes(text)), false) })
        {
            var sink = Decode(bytes, seekable);
            var good = Enumerable.Range(0, parts.Count).Where(i => i % 97 != 5).ToList();
            Assert.Equal(good.Select(i => "id-" + i), sink.Records.Select(r => r.Record.ContactId));
            Assert.Equal(good.Select(i => (offsets[i], (long)i)), sink.Records.Select(r => (r.Position.Offset, r.Position.Index)));
            var bad = Enumerable.Range(0, parts.Count).Where(i => i % 97 == 5).ToList();
            Assert.Equal(bad.Select(i => (offsets[i], (long)i, QuarantineReasons.MalformedJson)), sink.Quarantined.Select(q => (q.Position.Offset, q.Position.Index, q.Reason)));
        }
    }

    [Fact]
    public void Records_larger_than_the_read_buffer_stream_through()
    {
        var big = Ctr("big", extra: ",\"Padding\":\"" + new string('x', 3 << 20) + "\"");
        var sink = Decode(Encoding.UTF8.GetBytes(Ctr("a") + big + Ctr("b")), seekable: false);
        Assert.Equal(["a", "big", "b"], sink.Records.Select(r => r.Record.ContactId));
    }

    [Fact]
    public void Unknown_fields_nulls_and_enum_values_do_not_break_parsing()
    {
        var text = """{"ContactId":"u","Channel":"VOICE","InitiationMethod":"HOLOGRAM","InitiationTimestamp":"2026-10-14T10:00:00.123Z","Agent":null,"Queue":null,"SystemEndpoint":null,"NewThing":{"Nested":[1,2,{"x":null}]},"Tags":{"aws:connect:instanceId":"i-1"},"DisconnectTimestamp":null}""";
        var record = Assert.Single(Decode(Encoding.UTF8.GetBytes(text.Replace("\"DisconnectTimestamp\":null", "\"DisconnectTimestamp\":\"2026-10-14T10:00:45Z\"", StringComparison.Ordinal))).Records).Record;
        Assert.Equal("HOLOGRAM", record.InitiationMethod);
        Assert.Equal("i-1", record.InstanceId);
        Assert.Equal("2026-10-14T10:00:00Z", record.InitiationTimestamp.ToString());

        // A call without its end cannot be billed: set aside, not rated as free. A chat's end is not needed.
        var open = Decode(Encoding.UTF8.GetBytes(text));
        Assert.Empty(open.Records);
        var entry = Assert.Single(open.Quarantined);
        Assert.Equal((QuarantineReasons.BadTimestamp, "u"), (entry.Reason, entry.ContactId));
        Assert.Contains("DisconnectTimestamp missing", entry.Detail, StringComparison.Ordinal);
        var chat = Assert.Single(Decode(Encoding.UTF8.GetBytes(text.Replace("\"VOICE\"", "\"CHAT\"", StringComparison.Ordinal))).Records).Record;
        Assert.Null(chat.DisconnectTimestamp);
    }

    /// <summary>Like an HTTP body: no seeking, short reads.</summary>
    internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 7777), bytes.Length - _pos);
            Array.Copy(bytes, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
