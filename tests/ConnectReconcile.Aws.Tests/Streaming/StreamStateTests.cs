using System.Text;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Time;
using ConnectReconcile.Io.Decoding;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>The worker's pure parts: which days a batch touches, decoding Kinesis records, manifests, positions.</summary>
public class StreamStateTests
{
    private static readonly DateOnly Oct1 = new(2026, 10, 1);
    private static readonly DateOnly Oct2 = new(2026, 10, 2);

    [Fact]
    public void A_batch_touches_the_chain_day_and_a_late_root_moves_the_chain_to_its_own_day()
    {
        var state = new StreamState();
        // A transfer child started just after midnight arrives first: the chain is reported under Oct 2.
        var child = Voice("child", root: "root", start: At(Oct2, 0, 0, 30));
        Assert.Equal([Oct2], state.Apply([child]));

        // Its root started before midnight: the chain moves to Oct 1, and Oct 2 must be republished without it.
        var root = Voice("root", root: null, start: At(Oct1, 23, 59, 0));
        Assert.Equal([Oct1, Oct2], state.Apply([root]));

        var days = new SortedSet<DateOnly>();
        state.AddDays("root", days);
        Assert.Equal([Oct1], days);
    }

    [Fact]
    public void A_superseded_copy_touches_its_day_and_non_voice_records_count_by_their_own_day()
    {
        var state = new StreamState();
        var v1 = Voice("a", null, At(Oct1, 10, 0, 0), lastUpdate: At(Oct1, 10, 5, 0));
        Assert.Equal([Oct1], state.Apply([v1, Chat("chat-1", At(Oct2, 9, 0, 0))]).Where(d => d == Oct1));
        var older = Voice("a", null, At(Oct1, 10, 0, 0), lastUpdate: At(Oct1, 10, 1, 0));
        Assert.Equal([Oct1], state.Apply([older]));
        Assert.Equal(1, state.Dedupe.Superseded);
        Assert.Equal(2, state.Dedupe.Count);
        Assert.Equal([Oct2], state.Apply([Chat("chat-2", At(Oct2, 11, 0, 0))]));
    }

    [Fact]
    public void Quarantine_entries_count_once_and_come_back_in_shard_and_sequence_order()
    {
        var state = new StreamState();
        StreamQuarantineEntry Entry(string shard, string seq) =>
            new(shard, seq, new QuarantineEntry(new SourcePosition(KinesisRecordDecoder.SourceOf("s", shard, seq), 0, 0), QuarantineReasons.MissingContactId, "x"), Oct1);

        Assert.True(state.AddQuarantine(Entry("shardId-000000000001", "100")));
        Assert.True(state.AddQuarantine(Entry("shardId-000000000000", "99")));
        Assert.True(state.AddQuarantine(Entry("shardId-000000000000", "1000")));
        Assert.False(state.AddQuarantine(Entry("shardId-000000000000", "99"))); // re-read after a restart
        Assert.Equal(
            ["kinesis://s/shardId-000000000000/99", "kinesis://s/shardId-000000000000/1000", "kinesis://s/shardId-000000000001/100"],
            state.QuarantineFor(Oct1).Select(q => q.Position.Source));
        Assert.Empty(state.QuarantineFor(Oct2));
        var loaded = state.ForDay(Oct1);
        Assert.Equal(3, loaded.Quarantined.Count);
        Assert.Equal(3, loaded.Read);
    }

    [Fact]
    public void Sequence_numbers_compare_as_numbers_and_shard_end_is_last()
    {
        Assert.True(SequenceNumbers.Compare("9", "10") < 0);
        Assert.True(SequenceNumbers.Compare("49680693983735689371843070094636014615835269786534674434", "49680693983735689371843070094636014615835269786534674435") < 0);
        Assert.Equal(0, SequenceNumbers.Compare("007", "7"));
        Assert.True(SequenceNumbers.IsAfter("10", "9"));
        Assert.True(SequenceNumbers.IsAfter("1", null));
        Assert.False(SequenceNumbers.IsAfter(null, "1"));
        Assert.True(SequenceNumbers.IsAfter(CheckpointStore.ShardEnd, "99999"));
        Assert.False(SequenceNumbers.IsAfter("99999", CheckpointStore.ShardEnd));
        Assert.False(SequenceNumbers.IsAfter(CheckpointStore.ShardEnd, CheckpointStore.ShardEnd));
    }

    [Fact]
    public void A_kinesis_record_holds_one_ctr_and_anything_else_is_quarantined_with_its_position()
    {
        var decoder = new KinesisRecordDecoder();
        var ctr = """{"ContactId":"c-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-01T10:00:00Z","DisconnectTimestamp":"2026-10-01T10:05:00Z"}""";
        var ok = decoder.Decode("s", "shardId-000000000000", Record("1", ctr));
        Assert.Equal("c-1", Assert.Single(ok.Ctrs).Record.ContactId);
        Assert.Equal(ctr, Encoding.UTF8.GetString(ok.Ctrs[0].Json));
        Assert.Empty(ok.Quarantined);

        var agentEvent = decoder.Decode("s", "shardId-000000000000", Record("2", """{"AgentARN":"arn:aws:connect:us-east-1:1:instance/i/agent/a","EventType":"HEART_BEAT"}"""));
        var q = Assert.Single(agentEvent.Quarantined);
        Assert.Equal("kinesis://s/shardId-000000000000/2", q.Position.Source);
        Assert.Empty(agentEvent.Ctrs);

        Assert.Equal(QuarantineReasons.NotJson, Assert.Single(decoder.Decode("s", "shardId-000000000000", Record("3", "\u0001garbage")).Quarantined).Reason);
        Assert.Equal(QuarantineReasons.TruncatedRecord, Assert.Single(decoder.Decode("s", "shardId-000000000000", Record("4", """{"ContactId":"c-2",""")).Quarantined).Reason);
        Assert.Equal(QuarantineReasons.NotJson, Assert.Single(decoder.Decode("s", "shardId-000000000000", Record("5", "  ")).Quarantined).Reason);
        Assert.Equal(2, decoder.Decode("s", "shardId-000000000000", Record("6", ctr + ctr.Replace("c-1", "c-3", StringComparison.Ordinal))).Ctrs.Count);

        // A cut record with a whole one glued to it: as replay reads the same bytes, one malformed and one CTR (both were one truncated record).
        var glued = decoder.Decode("s", "shardId-000000000000", Record("7", ctr[..40] + ctr.Replace("c-1", "c-4", StringComparison.Ordinal)));
        Assert.Equal("c-4", Assert.Single(glued.Ctrs).Record.ContactId);
        Assert.Equal(QuarantineReasons.MalformedJson, Assert.Single(glued.Quarantined).Reason);
    }

    [Fact]
    public void Batch_manifests_round_trip()
    {
        var q = new StreamQuarantineEntry("shardId-000000000000", "12", new QuarantineEntry(new SourcePosition("kinesis://s/shardId-000000000000/12", 3, 1), "bad-timestamp", "…", "c-1"), Oct2);
        var m = new BatchManifest(7, "s", DateTimeOffset.Parse("2026-11-30T01:02:03Z", System.Globalization.CultureInfo.InvariantCulture), StreamArchive.ArchiveKey(7), 123, "abc", 10, 9,
            [new ShardRange("shardId-000000000000", "1", "12", 10, false), new ShardRange("shardId-000000000001", null, null, 0, true)],
            [Oct1], [Oct2], [q], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1));
        var back = BatchManifest.FromJson(Encoding.UTF8.GetBytes(m.ToJson()));
        Assert.Equal(m.ToJson(), back.ToJson());
        Assert.Equal("_stream/ctr/batch-0000000007.ndjson.gz", back.Archive);
        Assert.Equal("_stream/batches/batch-0000000007.json", StreamArchive.ManifestKey(7));
        Assert.Equal(q, back.Quarantine[0]);
    }

    [Fact]
    public void Start_positions_parse()
    {
        Assert.Equal(StreamStartPosition.TrimHorizon, StreamStartPosition.Parse(null));
        Assert.Equal(StreamStartPosition.Latest, StreamStartPosition.Parse("LATEST"));
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero), StreamStartPosition.Parse("timestamp", "2026-10-01T00:00:00Z").Timestamp);
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 12, 0, 0, TimeSpan.Zero), StreamStartPosition.Parse("2026-10-01T12:00:00Z").Timestamp);
        Assert.Throws<FormatException>(() => StreamStartPosition.Parse("timestamp"));
        Assert.Throws<FormatException>(() => StreamStartPosition.Parse("yesterday"));
    }

    [Fact]
    public void Partition_keys_are_the_contact_id_or_a_stable_hash()
    {
        Assert.Equal("c-9", StreamLoader.PartitionKey("""{"Agent":{"ContactId":"no"},"ContactId":"c-9"}"""u8));
        var a = StreamLoader.PartitionKey("""{"EventType":"HEART_BEAT"}"""u8);
        Assert.StartsWith("no-contact-id-", a, StringComparison.Ordinal);
        Assert.Equal(a, StreamLoader.PartitionKey("""{"EventType":"HEART_BEAT"}"""u8));
        Assert.StartsWith("no-contact-id-", StreamLoader.PartitionKey("""{"ContactId":"""u8), StringComparison.Ordinal);
    }

    [Fact]
    public void Only_a_dead_process_on_this_host_is_a_dead_owner()
    {
        Assert.False(ShardLeases.IsDeadLocalOwner($"{Environment.MachineName}:{Environment.ProcessId}"));
        Assert.False(ShardLeases.IsDeadLocalOwner("other-host:1"));
        Assert.False(ShardLeases.IsDeadLocalOwner("no-pid"));
        Assert.True(ShardLeases.IsDeadLocalOwner($"{Environment.MachineName}:{int.MaxValue - 7}"));
    }

    [Fact]
    public void A_day_closes_once_the_clock_is_past_it_by_the_retention_and_the_boundary_day_stays_open()
    {
        var retention = new StreamRetention();
        Assert.Null(retention.FirstOpenDay);
        Assert.False(retention.Advance(null, 2)); // nothing closes before the first batch

        // Oct 1 ended at Oct 2 00:00; two whole days later (Oct 4 00:00) it closes, not a second before.
        Assert.True(retention.Advance(new DateTimeOffset(2026, 10, 3, 23, 59, 59, TimeSpan.Zero), 2));
        Assert.Equal(Oct1, retention.FirstOpenDay); // Sep 30 closed, Oct 1 open

        Assert.False(retention.Advance(new DateTimeOffset(2026, 10, 3, 12, 0, 0, TimeSpan.Zero), 2)); // the clock never goes back
        Assert.True(retention.Advance(new DateTimeOffset(2026, 10, 4, 0, 0, 0, TimeSpan.Zero), 2));
        Assert.Equal(Oct2, retention.FirstOpenDay);
        Assert.False(retention.Advance(new DateTimeOffset(2026, 10, 4, 23, 0, 0, TimeSpan.Zero), 2)); // same day: nothing new closes
        Assert.Throws<ArgumentOutOfRangeException>(() => retention.Advance(null, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => retention.Advance(null, StreamRetention.MaxRetainDays + 1)); // was an overflow after the first batch
    }

    [Fact]
    public void A_closed_day_stays_closed_whatever_retention_a_later_run_is_given()
    {
        // An operator lowers --retain-days after a crash, or raises it: a day once closed had its partitions published as final.
        var retention = new StreamRetention();
        Assert.True(retention.Advance(new DateTimeOffset(2026, 10, 10, 8, 0, 0, TimeSpan.Zero), 5));
        Assert.Equal(new DateOnly(2026, 10, 5), retention.FirstOpenDay);
        Assert.False(retention.Advance(null, 14)); // larger: reopens nothing
        Assert.Equal(new DateOnly(2026, 10, 5), retention.FirstOpenDay);
        Assert.True(retention.Advance(null, 2)); // smaller: closes more at once, without a batch
        Assert.Equal(new DateOnly(2026, 10, 8), retention.FirstOpenDay);
        Assert.False(retention.Advance(new DateTimeOffset(2026, 10, 11, 8, 0, 0, TimeSpan.Zero), 14));
        Assert.Equal(new DateOnly(2026, 10, 8), retention.FirstOpenDay);
    }

    [Fact]
    public void The_retention_clock_is_arrival_capped_by_the_ctrs_own_last_update()
    {
        var call = Voice("a", null, At(Oct1, 10, 0, 0), lastUpdate: At(Oct1, 10, 5, 0));
        var loadedLater = new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 10, 5, 0, TimeSpan.Zero), StreamRetention.ClockOf(call, loadedLater)); // a backlog put today
        var live = new DateTimeOffset(2026, 10, 1, 10, 4, 0, TimeSpan.Zero);
        Assert.Equal(live, StreamRetention.ClockOf(call, live)); // stamped ahead of its arrival
    }

    [Fact]
    public void Eviction_drops_closed_chains_whole_with_their_copies_and_a_late_copy_of_a_cross_midnight_record_stays_out()
    {
        var state = new StreamState();
        var oct3 = new DateOnly(2026, 10, 3);
        state.Apply([
            Voice("root", null, At(Oct1, 23, 59, 0)),
            Voice("child", "root", At(Oct2, 0, 1, 0)),                             // across midnight: reported under Oct 1
            Voice("child", "root", At(Oct2, 0, 1, 0), lastUpdate: At(Oct2, 0, 9, 0)), // a newer copy
            Voice("b", null, At(Oct2, 10, 0, 0)),
            Chat("chat-1", At(Oct1, 9, 0, 0)),
            Chat("chat-2", At(oct3, 9, 0, 0)),
        ]);
        state.AddQuarantine(new StreamQuarantineEntry("shardId-000000000000", "1",
            new QuarantineEntry(new SourcePosition("kinesis://s/shardId-000000000000/1", 0, 0), QuarantineReasons.NotJson, "x"), Oct1));
        state.AddQuarantine(new StreamQuarantineEntry("shardId-000000000000", "2",
            new QuarantineEntry(new SourcePosition("kinesis://s/shardId-000000000000/2", 0, 0), QuarantineReasons.NotJson, "x"), Oct2));
        Assert.Equal((5, 1L), (state.Dedupe.Count, state.Dedupe.Superseded));

        Assert.Equal((3, 1), state.Evict(Oct2)); // root + child (the chain's day is Oct 1) + chat-1
        Assert.Equal((2, 0L), (state.Dedupe.Count, state.Dedupe.Superseded));
        Assert.True(state.Dedupe.TryGet("b", out _));
        Assert.Equal(1, state.QuarantineCount);
        Assert.Equal(state.Dedupe.Count + state.Dedupe.Superseded + 1, state.ForDay(Oct2).Read);

        // A re-delivered copy of the child started on open Oct 2, but its chain closed with Oct 1; a new call on Oct 2 is not late.
        Assert.True(state.IsLate(Voice("child", "root", At(Oct2, 0, 1, 0)), Oct2));
        Assert.Equal(Oct1, state.LateReportDay(Voice("child", "root", At(Oct2, 0, 1, 0)))); // the day it would change (the warning had named Oct 2)
        Assert.True(state.IsLate(Voice("c", null, At(Oct1, 8, 0, 0)), Oct2));
        Assert.Equal(Oct1, state.LateReportDay(Voice("c", null, At(Oct1, 8, 0, 0))));
        Assert.False(state.IsLate(Voice("d", null, At(Oct2, 8, 0, 0)), Oct2));
        Assert.False(state.IsLate(Voice("c", null, At(Oct1, 8, 0, 0)), null));

        // Once Oct 2 closes as well, nothing of the old chain is remembered.
        Assert.Equal((1, 1), state.Evict(oct3));
        Assert.False(state.IsLate(Voice("child", "root", At(oct3, 0, 1, 0)), oct3));
        Assert.Equal((1, 0L), (state.Dedupe.Count, state.Dedupe.Superseded));
    }

    internal static Instant At(DateOnly day, int h, int m, int s) => Instant.FromDateTime(day.ToDateTime(new TimeOnly(h, m, s), DateTimeKind.Utc));

    private static ContactRecord Voice(string id, string? root, Instant start, Instant? lastUpdate = null) => new()
    {
        ContactId = id,
        InitialContactId = root,
        PreviousContactId = root,
        Channel = Channels.Voice,
        InitiationMethod = root is null ? InitiationMethods.Inbound : "TRANSFER",
        InitiationTimestamp = start,
        DisconnectTimestamp = start.PlusSeconds(120),
        LastUpdateTimestamp = lastUpdate ?? start.PlusSeconds(180),
    };

    private static ContactRecord Chat(string id, Instant start) => new()
    {
        ContactId = id,
        Channel = Channels.Chat,
        InitiationMethod = "API",
        InitiationTimestamp = start,
        DisconnectTimestamp = start.PlusSeconds(60),
    };

    private static KinesisRecord Record(string seq, string data) =>
        new(seq, DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes(data), "k", null);
}
