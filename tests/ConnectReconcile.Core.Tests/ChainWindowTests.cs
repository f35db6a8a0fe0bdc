using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

public sealed class ChainWindowTests
{
    private static readonly Instant Day1 = Instant.FromDate(new DateOnly(2026, 10, 1));
    private const long Hold = 6 * 3600;

    private static ContactRecord Call(string id, long start, long seconds, string? root = null, long? lastUpdate = null, string channel = Channels.Voice) => new()
    {
        ContactId = id,
        InitialContactId = root,
        Channel = channel,
        InitiationMethod = root is null ? InitiationMethods.Inbound : InitiationMethods.Transfer,
        InitiationTimestamp = Day1.PlusSeconds(start),
        DisconnectTimestamp = Day1.PlusSeconds(start + seconds),
        LastUpdateTimestamp = Day1.PlusSeconds(lastUpdate ?? start + seconds + 30),
    };

    private static string Id(int n) => new Guid(n, 0, 0, new byte[8]).ToString();

    [Fact]
    public void Chains_sort_into_output_order_by_start_then_root_id()
    {
        // Ids 5 and 2 start together: the root id decides; 9 starts first whatever its id.
        var chains = new[] { (5, 100L), (9, 50L), (2, 100L), (1, 400L), (7, 100L) }
            .Select(c => new Chain(Id(c.Item1), [Call(Id(c.Item1), c.Item2, 60)])).ToList();
        Chain.SortInOutputOrder(chains);
        Assert.Equal([Id(9), Id(2), Id(5), Id(7), Id(1)], chains.Select(c => c.RootId));
    }

    [Fact]
    public void A_chain_closes_once_the_watermark_is_hold_past_its_last_record_and_its_day_closes_with_it()
    {
        var window = new ChainWindow(Hold, _ => true);
        window.Offer(Call(Id(1), 3600, 300));
        window.Offer(Call(Id(2), 3900, 200, root: Id(1)));
        window.Offer(Call(Id(3), 23 * 3600, 600)); // 23:00, ends next day

        Assert.Empty(window.Advance(Day1.PlusSeconds(6 * 3600)));
        var closed = window.Advance(Day1.PlusSeconds(8 * 3600));
        var chain = Assert.Single(closed).Chain!;
        Assert.Equal(Id(1), chain.RootId);
        Assert.Equal(2, chain.Records.Count);
        Assert.Equal(1, window.OpenGroups);
        Assert.True(window.ClosedThrough < new DateOnly(2026, 10, 1)); // the 23:00 call is still open

        Assert.Single(window.Advance(Day1.PlusSeconds(31 * 3600)));
        Assert.Equal(new DateOnly(2026, 10, 1), window.ClosedThrough);
    }

    [Fact]
    public void A_record_stamped_months_ahead_closes_by_the_hour_it_arrived_in_so_its_day_is_handed_on()
    {
        // Read in the 01:00 arrival hour like the calls around it, but stamped 2027-01-01: it must not
        // hold 2026-10-01 (and every day after it) open until the input ends.
        var window = new ChainWindow(Hold, _ => true);
        var closedAt = new Dictionary<string, int>();
        void AdvanceTo(int hour)
        {
            foreach (var group in window.Advance(Day1.PlusSeconds(hour * 3600L)))
            {
                closedAt[group.Chain!.RootId] = hour;
            }
        }

        AdvanceTo(1);
        var future = Call(Id(9), 3600, 100, lastUpdate: 92 * 86_400);
        window.Offer(future);
        window.Offer(Call(Id(1), 3700, 60)); // stamped 01:02:40
        window.Offer(Call(Id(2), 7000, 100, lastUpdate: 7800)); // stamped 02:10 but read under 01:00 (Firehose's buffering)
        for (var hour = 2; hour <= 31; hour++) // to 2026-10-02 07:00
        {
            AdvanceTo(hour);
        }

        // Ordinary stamps keep their full hold; the bogus one counts as 03:00 (the next hour read, plus an hour's grace).
        Assert.Equal(8, closedAt.GetValueOrDefault(Id(1)));
        Assert.Equal(9, closedAt.GetValueOrDefault(Id(2)));
        Assert.Equal(9, closedAt.GetValueOrDefault(Id(9)));
        Assert.Equal(0, window.OpenGroups);
        Assert.Equal(new DateOnly(2026, 10, 1), window.ClosedThrough);

        // Dedupe still trusts the stamp: a later copy stamped earlier loses, whatever it says.
        window.Offer(future with { DisconnectTimestamp = Day1.PlusSeconds(3600 + 200), LastUpdateTimestamp = Day1.PlusSeconds(31 * 3600) });
        Assert.Equal(1, window.Superseded);
        Assert.Equal(0, window.LateCorrections);
    }

    [Fact]
    public void Stamps_past_the_arrival_grace_are_counted_and_records_read_before_any_arrival_hour_keep_their_stamps()
    {
        var window = new ChainWindow(Hold, _ => true);
        window.Offer(Call(Id(5), 0, 60, lastUpdate: 3 * 86_400)); // input without an arrival hour is read first: nothing bounds it
        window.Advance(Day1.PlusSeconds(3600));
        window.Offer(Call(Id(9), 3600, 100, lastUpdate: 92 * 86_400));
        window.Offer(Call(Id(2), 7000, 100, lastUpdate: 7800)); // within the grace
        window.Advance(Day1.PlusSeconds(2 * 3600));

        Assert.Equal(1, window.StampedPastArrival);
        Assert.Equal(Id(9), window.FirstStampedPastArrival);
        var closed = window.Advance(Day1.PlusSeconds(2 * 86_400));
        Assert.Equal([Id(2), Id(9)], closed.Select(g => g.Chain!.RootId).Order(StringComparer.Ordinal));
        Assert.Equal(1, window.OpenGroups); // Id(5), until the watermark passes its stamp
        Assert.Equal(1, window.StampedPastArrival);
    }

    [Fact]
    public void Late_exact_copies_and_updates_that_only_move_LastUpdateTimestamp_change_nothing()
    {
        var window = new ChainWindow(Hold, _ => true);
        var call = Call(Id(1), 3600, 300);
        window.Offer(call);
        Assert.Single(window.Advance(Day1.PlusSeconds(2 * 86_400)));

        window.Offer(call);
        window.Offer(call with { LastUpdateTimestamp = Day1.PlusSeconds(4 * 86_400) });
        window.Offer(call with { LastUpdateTimestamp = Day1 }); // older: loses outright

        Assert.Equal(3, window.Superseded);
        Assert.Equal(0, window.LateCorrections);
        Assert.Empty(window.CloseAll());
    }

    [Fact]
    public void A_one_character_change_anywhere_in_the_billing_fields_is_seen_and_keys_match_for_any_id()
    {
        const string queueArn = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee0";
        var call = Call(Id(1), 3600, 300) with { Queue = new QueueInfo { Name = "Support", Arn = queueArn } };
        foreach (var changed in new[]
        {
            call with { Queue = new QueueInfo { Name = "Support", Arn = queueArn[..^1] + "1" } }, // last char of a long string
            call with { Queue = new QueueInfo { Name = "Support", Arn = "b" + queueArn[1..] } }, // its first char
            call with { Queue = new QueueInfo { Name = "Support", Arn = queueArn[..6] + "X" + queueArn[7..] } }, // its second eight bytes
            call with { Queue = new QueueInfo { Name = "Suppory", Arn = queueArn } },
            call with { Queue = new QueueInfo { Name = "Support", Arn = queueArn, Duration = 1 } },
            call with { InstanceArn = "x" },
        })
        {
            Assert.NotEqual(ChainWindow.KeyOf(call).Fingerprint, ChainWindow.KeyOf(changed).Fingerprint);
            var window = new ChainWindow(Hold, _ => true);
            window.Offer(call);
            window.Advance(Day1.PlusSeconds(2 * 86_400));
            window.Offer(changed with { LastUpdateTimestamp = Day1.PlusSeconds(3 * 86_400) });
            Assert.Equal(1, window.LateCorrections);
        }

        Assert.Equal(ChainWindow.KeyOf(call), ChainWindow.KeyOf(call with { LastUpdateTimestamp = Day1 }));
        Assert.True(ChainWindow.KeyOf(Call(Guid.Empty.ToString(), 0, 1)).IsGuid); // the all-zero GUID is still a GUID key
        Assert.False(ChainWindow.KeyOf(Call("not-a-guid", 0, 1)).IsGuid);
    }

    [Fact]
    public void Every_one_character_change_of_a_long_string_and_every_swap_of_its_words_changes_the_fingerprint()
    {
        // 135 characters: four-word blocks through the hash's four lanes, then leftover words and bytes.
        const string agentArn = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555/agent/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
        var call = Call(Id(1), 3600, 300) with { Agent = new AgentInfo { Username = "jdoe", Arn = agentArn } };
        var seen = new HashSet<ulong> { ChainWindow.KeyOf(call).Fingerprint };
        for (var i = 0; i < agentArn.Length; i++)
        {
            var arn = agentArn[..i] + (char)(agentArn[i] ^ 1) + agentArn[(i + 1)..];
            Assert.True(seen.Add(ChainWindow.KeyOf(call with { Agent = call.Agent! with { Arn = arn } }).Fingerprint), $"change at {i}");
        }

        // The same words in another order (four characters are one word): lanes are not interchangeable.
        for (var word = 1; word < agentArn.Length / 4; word++)
        {
            var arn = agentArn[(4 * word)..(4 * word + 4)] + agentArn[4..(4 * word)] + agentArn[..4] + agentArn[(4 * word + 4)..];
            Assert.True(arn == agentArn || seen.Add(ChainWindow.KeyOf(call with { Agent = call.Agent! with { Arn = arn } }).Fingerprint), $"swap of words 0 and {word}");
        }
    }

    [Fact]
    public void A_late_change_to_a_closed_reported_contact_is_a_late_correction_but_not_for_an_unreported_day()
    {
        var call = Call(Id(1), 3600, 300);
        var longer = call with { DisconnectTimestamp = Day1.PlusSeconds(3600 + 900), LastUpdateTimestamp = Day1.PlusSeconds(3 * 86_400) };

        var reported = new ChainWindow(Hold, _ => true);
        reported.Offer(call);
        reported.Advance(Day1.PlusSeconds(2 * 86_400));
        reported.Offer(longer);
        Assert.Equal(1, reported.LateCorrections);

        var unreported = new ChainWindow(Hold, day => day > new DateOnly(2026, 10, 1));
        unreported.Offer(call);
        unreported.Advance(Day1.PlusSeconds(2 * 86_400));
        unreported.Offer(longer);
        Assert.Equal(0, unreported.LateCorrections);
        Assert.Equal((0L, 1L), (unreported.Superseded, unreported.Absorbed)); // the copy is the unreported day's record
    }

    [Fact]
    public void A_copy_counts_with_the_day_of_the_record_it_lost_to_in_an_open_group_and_after_it_closed()
    {
        // Only 10-01 is reported. A call from 23:50 with a transfer child at 00:10 is 10-01's chain, child included;
        // a chat transferred across midnight is two records of two days; a call at 02:00 is 10-02's.
        var window = new ChainWindow(Hold, day => day == new DateOnly(2026, 10, 1));
        var call = Call(Id(1), 86_400 - 600, 300);
        var child = Call(Id(2), 86_400 + 600, 300, root: Id(1));
        var chat = Call(Id(3), 86_400 - 300, 200, channel: Channels.Chat);
        var chatChild = Call(Id(4), 86_400 + 300, 200, root: Id(3), channel: Channels.Chat);
        var next = Call(Id(5), 86_400 + 7200, 60);
        foreach (var record in new[] { call, child, chat, chatChild, next })
        {
            window.Offer(record);
            window.Offer(record with { LastUpdateTimestamp = record.LastUpdateTimestamp!.Value.PlusSeconds(60) }); // wins
            window.Offer(record); // loses
        }

        Assert.Equal((0L, 0L), (window.Superseded, window.Absorbed)); // open groups count their copies as they close
        var closed = window.Advance(Day1.PlusSeconds(3 * 86_400));
        Assert.Equal(3, closed.Count);
        Assert.Equal((6L, 4L), (window.Superseded, window.Absorbed)); // call, child, chat: 10-01; chat child, next: 10-02

        // Copies read after their groups closed count the same way.
        window.Offer(child);
        window.Offer(chatChild);
        window.Offer(next);
        Assert.Equal((7L, 6L, 0L), (window.Superseded, window.Absorbed, window.LateCorrections));
    }

    [Fact]
    public void A_late_record_joining_a_closed_chain_is_a_correction_when_reported_and_absorbed_otherwise()
    {
        var reported = new ChainWindow(Hold, _ => true);
        reported.Offer(Call(Id(1), 3600, 300));
        reported.Advance(Day1.PlusSeconds(2 * 86_400));
        reported.Offer(Call(Id(2), 3900, 200, root: Id(1)));
        Assert.Equal(1, reported.LateCorrections);

        // A window holding chains from the start of their day to the arrival hour it came in (and an hour more) meets it.
        Assert.Equal(2 * 86_400 + 3600, reported.HoldForCorrections);
        var longer = new ChainWindow(reported.HoldForCorrections, _ => true);
        longer.Offer(Call(Id(1), 3600, 300));
        Assert.Empty(longer.Advance(Day1.PlusSeconds(2 * 86_400)));
        longer.Offer(Call(Id(2), 3900, 200, root: Id(1)));
        Assert.Equal(0, longer.LateCorrections);
        Assert.Equal(2, Assert.Single(longer.CloseAll()).Chain!.Records.Count);

        var unreported = new ChainWindow(Hold, _ => false);
        unreported.Offer(Call(Id(1), 3600, 300));
        unreported.Advance(Day1.PlusSeconds(2 * 86_400));
        unreported.Offer(Call(Id(2), 3900, 200, root: Id(1)));
        Assert.Equal(0, unreported.LateCorrections);
        Assert.Equal(1, unreported.Absorbed);
    }

    [Fact]
    public void A_new_contact_of_a_closed_day_is_a_correction_and_an_orphans_late_root_is_too()
    {
        var window = new ChainWindow(Hold, _ => true);
        window.Offer(Call(Id(2), 3900, 200, root: Id(1))); // child first: its root has not arrived
        Assert.True(Assert.Single(window.Advance(Day1.PlusSeconds(2 * 86_400))).Chain!.IsOrphan);
        Assert.Equal(new DateOnly(2026, 10, 1), window.ClosedThrough);

        window.Offer(Call(Id(1), 3600, 300)); // the orphan's root, days late
        Assert.Equal(1, window.LateCorrections);
        window.Offer(Call(Id(3), 7200, 60)); // a brand-new contact of the closed day
        Assert.Equal(2, window.LateCorrections);
    }

    [Fact]
    public void A_group_of_a_thousand_records_closes_into_a_chain_of_exactly_them_with_each_key_in_its_place()
    {
        // Past 16 records a group's arrays grow by doubling (by one each was quadratic) and are trimmed at close.
        var window = new ChainWindow(Hold, _ => true);
        var records = Enumerable.Range(1, 1000).Select(n => Call(Id(n), 60 + 30L * n, 30, root: n == 1 ? null : Id(1))).ToList();
        records.ForEach(window.Offer);
        var newer = records[499] with { DisconnectTimestamp = records[499].DisconnectTimestamp!.Value.PlusSeconds(5), LastUpdateTimestamp = Day1.PlusSeconds(90_000) };
        window.Offer(newer);

        var chain = Assert.Single(window.CloseAll()).Chain!;
        Assert.Equal(1000, chain.Records.Count);
        Assert.All(chain.Records, r => Assert.NotNull(r));
        Assert.Equal(records.Select(r => r.ContactId).Order(StringComparer.Ordinal), chain.Records.Select(r => r.ContactId).Order(StringComparer.Ordinal));
        Assert.Same(newer, chain.Records.Single(r => r.ContactId == newer.ContactId));
        Assert.Equal(1, window.Superseded);

        // Each closed contact kept its own key: exact late copies change nothing, a changed one is a correction.
        window.Offer(records[699]);
        window.Offer(records[999]);
        window.Offer(newer);
        Assert.Equal(0, window.LateCorrections);
        window.Offer(records[10] with { DisconnectTimestamp = records[10].DisconnectTimestamp!.Value.PlusSeconds(7), LastUpdateTimestamp = Day1.PlusSeconds(90_000) });
        Assert.Equal(1, window.LateCorrections);
    }

    [Fact]
    public void Within_the_window_the_latest_copy_wins_and_ties_go_to_the_later_arrival()
    {
        var window = new ChainWindow(Hold, _ => true);
        var first = Call(Id(1), 3600, 300);
        var tie = first with { DisconnectTimestamp = Day1.PlusSeconds(3600 + 400) };
        var older = first with { DisconnectTimestamp = Day1.PlusSeconds(3600 + 500), LastUpdateTimestamp = Day1 };
        window.Offer(first);
        window.Offer(tie);
        window.Offer(older);
        var chain = Assert.Single(window.CloseAll()).Chain!;
        Assert.Equal(tie.DisconnectTimestamp, Assert.Single(chain.Records).DisconnectTimestamp);
        Assert.Equal(2, window.Superseded);
    }

    [Fact]
    public void Non_voice_records_leave_with_their_root_but_outside_its_chain()
    {
        var window = new ChainWindow(Hold, _ => true);
        window.Offer(Call("chat-1", 3600, 300, channel: Channels.Chat));
        window.Offer(Call("voice-1", 3700, 300));
        var closed = window.CloseAll();
        Assert.Contains(closed, g => g.Chain is null && g.NonVoice.Single().ContactId == "chat-1");
        Assert.Contains(closed, g => g.Chain?.RootId == "voice-1" && g.NonVoice.Count == 0);
    }
}
