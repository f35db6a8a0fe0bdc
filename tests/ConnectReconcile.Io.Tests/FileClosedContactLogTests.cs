using ConnectReconcile.Core.Chains;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

public sealed class FileClosedContactLogTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ClosedContact Contact(int n) =>
        new() { Id = new Guid(n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), Fingerprint = (ulong)n << 20, Stamp = -n, Day = (ushort)n };

    [Fact]
    public void Entries_read_back_as_written_from_the_file_and_from_the_unwritten_tail()
    {
        using var log = new FileClosedContactLog(_dir.Path);
        const int count = 5_000; // the tail holds 2,048: most are on disk, the last ones are not
        for (var i = 0; i < count; i++)
        {
            log.Append(Contact(i));
        }

        Assert.Equal(count, log.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Contact(i), log.Read(i));
        }

        // Rewritten in place, on disk (0, 1,000) and in the tail (the last one).
        foreach (var i in new[] { 0, 1_000, count - 1 })
        {
            log.Write(i, Contact(i + 100_000));
        }

        log.Append(Contact(count)); // appends after a rewrite still go to the end
        Assert.Equal(Contact(100_000), log.Read(0));
        Assert.Equal(Contact(101_000), log.Read(1_000));
        Assert.Equal(Contact(count - 1 + 100_000), log.Read(count - 1));
        Assert.Equal(Contact(1), log.Read(1));
        Assert.Equal(Contact(count), log.Read(count));
    }

    [Fact]
    public void The_file_is_gone_from_its_folder_while_in_use_and_after()
    {
        using (var log = new FileClosedContactLog(_dir.Path))
        {
            log.Append(Contact(1));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Empty(Directory.GetFiles(_dir.Path)); // unlinked at once: a killed run leaves nothing
            }
        }

        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void A_window_on_the_file_log_closes_the_same_chains_as_one_in_memory()
    {
        // The same arrivals through both logs: same chains, same count of copies (absorbed: no day is reported, so
        // they are other days' records).
        var records = Enumerable.Range(0, 3_000).Select(i => Record(i)).ToList();
        var copies = records.Where((_, i) => i % 7 == 0).ToList(); // late copies of closed contacts
        using var file = new FileClosedContactLog(_dir.Path);
        var results = new[] { new ChainWindow(3600, _ => false, file), new ChainWindow(3600, _ => false) }.Select(window =>
        {
            var roots = new List<string>();
            foreach (var record in records.Concat(copies))
            {
                window.Offer(record);
                roots.AddRange(window.Advance(record.InitiationTimestamp.PlusSeconds(7200)).Select(g => g.Chain!.RootId));
            }

            roots.AddRange(window.CloseAll().Select(g => g.Chain!.RootId));
            return (roots, Copies: window.Superseded + window.Absorbed, window.LateCorrections);
        }).ToList();

        Assert.Equal(records.Count, results[0].roots.Count);
        Assert.Equal(copies.Count, results[0].Copies);
        Assert.Equal(results[1], results[0], (a, b) => a.roots.SequenceEqual(b.roots) && a.Copies == b.Copies && a.LateCorrections == b.LateCorrections);
    }

    private static Core.Ctr.ContactRecord Record(int i) => new()
    {
        ContactId = new Guid(i, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8).ToString(),
        Channel = "VOICE",
        InitiationMethod = "INBOUND",
        InitiationTimestamp = Core.Time.Instant.FromDate(new DateOnly(2026, 10, 1)).PlusSeconds(i * 60L),
        DisconnectTimestamp = Core.Time.Instant.FromDate(new DateOnly(2026, 10, 1)).PlusSeconds(i * 60L + 30),
    };
}
