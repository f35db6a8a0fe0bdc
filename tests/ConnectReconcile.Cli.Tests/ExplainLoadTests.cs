using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli.Tests;

/// <summary>explain holds the asked contact's chain, not the month, and finds what a load of the whole month finds.</summary>
public sealed class ExplainLoadTests(GeneratedMonth month) : IClassFixture<GeneratedMonth>
{
    [Fact]
    public async Task Explain_holds_only_the_asked_contacts_chain_and_finds_what_a_load_of_everything_finds()
    {
        var store = new LocalObjectStore(month.Ctr);
        // What explain loaded before: every record of the month, deduplicated.
        var full = await new RecordLoader(store, 2).LoadAsync(null, null, 0, null, CancellationToken.None);
        var records = full.Dedupe.Records.ToList();
        Assert.True(full.Dedupe.Superseded > 0); // the month has re-delivered copies, whose winner must not change

        var child = records.First(r => r.IsVoice && !r.IsRoot && records.Any(x => x.ContactId == r.RootId));
        var copies = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var decoded in new ObjectDecoder(store, 2).DecodeInOrderAsync(await new InputSelector().SelectAsync(store, null, null, 0, CancellationToken.None), CancellationToken.None))
        {
            foreach (var (r, _) in decoded.Records)
            {
                copies[r.ContactId] = copies.GetValueOrDefault(r.ContactId) + 1;
            }
        }

        var redelivered = records.First(r => r.IsVoice && copies[r.ContactId] > 1 && records.Count(x => x.RootId == r.RootId) > 1);
        var ids = new[]
        {
            child.RootId, child.ContactId, child.ContactId.ToUpperInvariant(), redelivered.ContactId, redelivered.RootId,
            records.First(r => !r.IsVoice).ContactId, records.First(r => r.IsVoice && records.Count(x => x.RootId == r.RootId) == 1).ContactId,
            full.Quarantined.First(q => q.ContactId is not null).ContactId!, "no-such-contact",
        };
        foreach (var id in ids)
        {
            // The old lookup, on everything.
            var asked = records.FirstOrDefault(r => r.ContactId == id) ?? records.FirstOrDefault(r => string.Equals(r.ContactId, id, StringComparison.OrdinalIgnoreCase));
            var rootId = asked?.RootId ?? id;
            var chain = asked is { IsVoice: false } ? [] : records.Where(r => r.RootId == rootId).ToList();

            var found = await new ContactLoader(store, 2).LoadAsync(id, null, CancellationToken.None);

            Assert.Equal(asked, found.Asked);
            Assert.Equal(rootId, found.RootId);
            Assert.Equal(chain, found.Chain);
            Assert.Equal(full.Read, found.Read);
            Assert.Equal(full.Quarantined, found.Quarantined);
            // Held: the asked contact's copies and its chain's (twice when a child sends it back for its root's), not the month's.
            var chainCopies = chain.Sum(r => copies[r.ContactId]) + (asked is null ? 0 : copies[asked.ContactId]);
            Assert.InRange(found.Held, 0, 2 * chainCopies);
        }

        Assert.True(full.Read > 3_000);
    }

    [Fact]
    public async Task Explain_reports_its_progress_reading_the_source()
    {
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("explain", "--source", month.Ctr, "--contact", "no-such-contact");
        Assert.Equal(1, exit);
        // Was silent while it read the whole source: a scheduled run's log gets the replay's progress lines.
        Assert.Contains(logs, l => l.StartsWith("Information: decode: ", StringComparison.Ordinal) && l.Contains(" objects, ", StringComparison.Ordinal));
    }
}
