using ConnectReconcile.Generator.Tests.Support;

namespace ConnectReconcile.Generator.Tests;

public sealed class DeterminismAndOptionsTests
{
    [Fact]
    public void Same_options_give_byte_identical_output()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        // Several days: their blocks run in parallel, in whatever order the scheduler picks.
        var ra = SampleMonth.Generate(new GeneratorOptions(3000, 4, 7, a.Path));
        var rb = SampleMonth.Generate(new GeneratorOptions(3000, 4, 7, b.Path));
        Assert.Equal(ra.CtrRecords, rb.CtrRecords);
        Assert.Equal(ra.Bytes, rb.Bytes);
        var fa = Snapshot(a.Path);
        var fb = Snapshot(b.Path);
        Assert.Equal(fa.Keys, fb.Keys);
        Assert.All(fa, kv => Assert.True(kv.Value.AsSpan().SequenceEqual(fb[kv.Key]), $"{kv.Key} differs between runs"));
        Assert.True(fa.Count > 10);
    }

    [Fact]
    public void A_different_seed_gives_different_output()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        SampleMonth.Generate(new GeneratorOptions(300, 3, 7, a.Path));
        SampleMonth.Generate(new GeneratorOptions(300, 3, 8, b.Path));
        var fa = Snapshot(a.Path);
        var fb = Snapshot(b.Path);
        Assert.NotEqual(fa.Keys.Where(k => k.StartsWith("ctr", StringComparison.Ordinal)), fb.Keys.Where(k => k.StartsWith("ctr", StringComparison.Ordinal)));
        Assert.False(fa["agents.csv"].AsSpan().SequenceEqual(fb["agents.csv"]));
        Assert.False(fa["truth.json"].AsSpan().SequenceEqual(fb["truth.json"]));
    }

    [Fact]
    public void Existing_output_is_refused_unless_overwrite_is_set()
    {
        using var dir = new TempDir();
        var first = SampleMonth.Generate(new GeneratorOptions(50, 1, 1, dir.Path));
        Assert.Throws<IOException>(() => SampleMonth.Generate(new GeneratorOptions(50, 1, 2, dir.Path)));
        var again = SampleMonth.Generate(new GeneratorOptions(50, 1, 1, dir.Path) { Overwrite = true });
        Assert.Equal(first.Files, again.Files);
        Assert.Equal(first.Bytes, again.Bytes);
        Assert.Equal(first.Files, Directory.EnumerateFiles(Path.Combine(dir.Path, "ctr"), "*.gz", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void Overwrite_replaces_only_a_generated_month()
    {
        using var dir = new TempDir();
        var real = Path.Combine(dir.Path, "ctr", "2026", "09", "01", "00", "real-ctrs.json");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, "real");
        File.WriteAllText(Path.Combine(dir.Path, "numbers.csv"), "mine");

        Assert.Throws<IOException>(() => SampleMonth.Generate(new GeneratorOptions(50, 1, 2, dir.Path) { Overwrite = true }));
        Assert.Equal("real", File.ReadAllText(real));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir.Path, "numbers.csv")));
        Assert.False(SampleMonth.HoldsGeneratedMonth(dir.Path));
    }

    [Fact]
    public void A_stopped_generation_can_be_replaced_and_a_finished_one_leaves_no_marker()
    {
        using var dir = new TempDir();
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => SampleMonth.Generate(new GeneratorOptions(200, 2, 1, dir.Path), cts.Token));
        }

        // Stopped before truth.json: its agents.csv is there, and so is the marker that says whose it is.
        Assert.True(File.Exists(Path.Combine(dir.Path, "agents.csv")));
        Assert.True(SampleMonth.HoldsGeneratedMonth(dir.Path));
        var result = SampleMonth.Generate(new GeneratorOptions(200, 2, 1, dir.Path) { Overwrite = true });
        Assert.True(result.Files > 0);
        Assert.False(File.Exists(Path.Combine(dir.Path, SampleMonth.IncompleteMarker)));
        Assert.True(SampleMonth.HoldsGeneratedMonth(dir.Path));
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => SampleMonth.Generate(new GeneratorOptions(10, 1, 1, dir.Path) { Region = "eu-west-2" }));
        Assert.Throws<ArgumentException>(() => SampleMonth.Generate(new GeneratorOptions(10, 0, 1, dir.Path)));
        Assert.Throws<ArgumentException>(() => SampleMonth.Generate(new GeneratorOptions(-1, 1, 1, dir.Path)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void A_cancelled_generation_throws()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SampleMonth.Generate(new GeneratorOptions(1000, 2, 1, dir.Path), cts.Token));
    }

    [Fact]
    public void Without_bad_records_and_redeliveries_every_record_is_a_unique_ctr()
    {
        using var dir = new TempDir();
        var result = SampleMonth.Generate(new GeneratorOptions(400, 2, 3, dir.Path) { IncludeBadRecords = false, IncludeRedeliveries = false });
        Assert.Equal(0, result.Truth.Duplicates);
        Assert.Equal(0, result.Truth.Quarantined);
        Assert.Empty(result.Truth.QuarantinedByReason);
        var objects = OutputReader.Objects(OutputReader.ReadFiles(dir.Path));
        Assert.Equal(result.CtrRecords, objects.Count);
        Assert.All(objects, o => Assert.Null(OutputReader.Classify(o.Bytes, out _)));
        Assert.Equal(objects.Count, objects.Select(o => { OutputReader.Classify(o.Bytes, out var c); return c!.ContactId; }).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Contacts_are_spread_over_the_days_with_quieter_weekends()
    {
        var plan = SampleMonth.PlanBlocks(new GeneratorOptions(7000, 7, 1, "unused") { Start = new DateTime(2026, 10, 5, 0, 0, 0, DateTimeKind.Utc) }, 1_791_158_400, new Random(1));
        var perDay = plan.GroupBy(b => b.Day).Select(g => g.Sum(b => b.ChainCount)).ToArray();
        Assert.Equal(7000, perDay.Sum());
        Assert.Equal(7, perDay.Length);
        Assert.True(perDay[5] < perDay[0] && perDay[6] < perDay[0], "2026-10-10/11 is a weekend");
        Assert.Single(plan, b => b.First);
    }

    [Fact]
    public void A_busy_day_is_split_into_blocks_with_their_own_seeds()
    {
        var contacts = (2 * SampleMonth.BlockChains) + 5;
        var plan = SampleMonth.PlanBlocks(new GeneratorOptions(contacts, 1, 1, "unused"), 1_790_812_800, new Random(1));
        Assert.Equal(3, plan.Count);
        Assert.Equal(contacts, plan.Sum(b => b.ChainCount));
        Assert.All(plan, b => Assert.InRange(b.ChainCount, 1, SampleMonth.BlockChains));
        Assert.Equal(plan.Count, plan.Select(b => b.Seed).Distinct().Count());
        Assert.Equal([0, plan[0].ChainCount, plan[0].ChainCount + plan[1].ChainCount], plan.Select(b => b.FirstChain));
    }

    [Fact]
    public void The_tokyo_region_uses_japanese_numbers_and_arn()
    {
        using var dir = new TempDir();
        SampleMonth.Generate(new GeneratorOptions(200, 1, 5, dir.Path) { Region = "ap-northeast-1" });
        var objects = OutputReader.Objects(OutputReader.ReadFiles(dir.Path));
        var ctrs = objects.Select(o => OutputReader.Classify(o.Bytes, out var c) is null ? c : null).OfType<Ctr>().ToList();
        Assert.All(ctrs.Where(c => c.SystemEndpoint is not null), c => Assert.StartsWith("+81", c.SystemEndpoint!, StringComparison.Ordinal));
        Assert.Contains(objects, o => System.Text.Encoding.UTF8.GetString(o.Bytes).Contains("arn:aws:connect:ap-northeast-1:", StringComparison.Ordinal));
    }

    private static SortedDictionary<string, byte[]> Snapshot(string dir) => new(
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllBytes),
        StringComparer.Ordinal);
}
