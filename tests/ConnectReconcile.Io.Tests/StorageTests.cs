using System.Text;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

public sealed class StorageTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string Root => _dir.Path;

    public void Dispose() => _dir.Dispose();

    private void Write(string key, string text = "{}")
    {
        var path = Path.Combine(Root, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>Records every LIST prefix, to prove which prefixes a dated run touches.</summary>
    private sealed class CountingStore(IObjectStore inner) : ForwardingStore(inner)
    {
        public List<string> Listed { get; } = [];

        public override IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken)
        {
            Listed.Add(prefix);
            return base.ListAsync(prefix, cancellationToken);
        }
    }

    [Fact]
    public async Task A_dated_run_lists_only_the_hour_prefixes_of_its_days_plus_look_ahead()
    {
        foreach (var day in new[] { "13", "14", "15", "16" })
        {
            foreach (var hour in new[] { "00", "05", "23" })
            {
                Write($"2026/10/{day}/{hour}/ctr-{day}-{hour}.gz");
            }
        }

        var store = new CountingStore(new LocalObjectStore(Root));
        var day14 = new DateOnly(2026, 10, 14);
        var selected = await new InputSelector().SelectAsync(store, day14, day14, 6, CancellationToken.None);

        string[] expected = ["2026/10/14/00/ctr-14-00.gz", "2026/10/14/05/ctr-14-05.gz", "2026/10/14/23/ctr-14-23.gz", "2026/10/15/00/ctr-15-00.gz", "2026/10/15/05/ctr-15-05.gz"];
        Assert.Equal(expected, selected.Select(o => o.Key));
        Assert.Equal(30, store.Listed.Count); // 24 hours of the day + 6 hours of look-ahead
        Assert.All(store.Listed, p => Assert.Matches(@"^2026/10/1[45]/\d\d/$", p));
        Assert.DoesNotContain(store.Listed, p => p.StartsWith("2026/10/15/06", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_undated_run_reads_every_object_and_a_quiet_day_reads_none()
    {
        Write("2026/10/13/05/a.gz");
        Write("2026/10/14/05/b.gz");
        var store = new CountingStore(new LocalObjectStore(Root));
        var all = await new InputSelector().SelectAsync(store, null, null, 6, CancellationToken.None);
        Assert.Equal(["2026/10/13/05/a.gz", "2026/10/14/05/b.gz"], all.Select(o => o.Key));

        var quiet = new DateOnly(2026, 11, 20);
        store.Listed.Clear();
        Assert.Empty(await new InputSelector().SelectAsync(store, quiet, quiet, 6, CancellationToken.None));
        Assert.Equal(31, store.Listed.Count); // 30 hour prefixes + one page of the root to see the layout
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_source_holding_no_objects_is_refused_naming_it_and_costs_no_listing_more(bool dated)
    {
        var empty = Directory.CreateDirectory(Path.Combine(Root, "typo")).FullName;
        var store = new CountingStore(new LocalObjectStore(empty));
        DateOnly? day = dated ? new DateOnly(2026, 10, 14) : null;

        // Was an empty selection: the nightly then published empty partitions over the day's.
        var e = await Assert.ThrowsAsync<NothingToReadException>(() => new InputSelector().SelectAsync(store, day, day, 6, CancellationToken.None));

        Assert.Equal($"The source {empty} holds no objects, so there is nothing to read (a typo in the path, bucket or prefix?).", e.Message);
        // Told by the listings a quiet day makes anyway: 30 hour prefixes and one root page (dated), or the one root listing.
        Assert.Equal(dated ? 31 : 1, store.Listed.Count);
        Assert.Single(store.Listed, p => p.Length == 0);
    }

    [Fact]
    public async Task A_quiet_range_of_a_source_that_holds_objects_is_not_refused_whatever_its_layout()
    {
        Write("2026/10/13/05/a.gz");
        Write("daily/ctr-2026-10-13.json");
        var quiet = new DateOnly(2026, 11, 20);
        Assert.Empty(await new InputSelector().SelectAsync(new LocalObjectStore(Root), quiet, quiet, 6, CancellationToken.None));
        Assert.Empty(await new InputSelector(@"ctr-(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})").SelectAsync(new LocalObjectStore(Path.Combine(Root, "daily")), quiet, quiet, 6, CancellationToken.None));
    }

    [Fact]
    public async Task A_source_above_the_hour_folders_is_listed_whole_and_filtered_not_taken_for_a_quiet_range()
    {
        // A bucket's root above Firehose's prefix: its own hour prefixes hold nothing.
        Write("ctr/2026/10/13/05/a.gz");
        Write("ctr/2026/10/14/05/b.gz");
        Write("ctr/2026/10/15/05/c.gz");
        Write("ctr/2026/10/15/06/d.gz");
        var day14 = new DateOnly(2026, 10, 14);

        // Was empty, a quiet day: the nightly published empty tables over the day's.
        var selected = await new InputSelector().SelectAsync(new LocalObjectStore(Root), day14, day14, 6, CancellationToken.None);

        Assert.Equal(["ctr/2026/10/14/05/b.gz", "ctr/2026/10/15/05/c.gz"], selected.Select(o => o.Key));
    }

    [Fact]
    public async Task A_source_without_the_hour_layout_is_read_whole()
    {
        Write("flat/a.json");
        Write("flat/b.json.gz");
        var selected = await new InputSelector().SelectAsync(new LocalObjectStore(Root), new DateOnly(2026, 10, 14), new DateOnly(2026, 10, 14), 6, CancellationToken.None);
        Assert.Equal(["flat/a.json", "flat/b.json.gz"], selected.Select(o => o.Key));
    }

    [Fact]
    public async Task A_single_file_source_is_selected_once_for_a_dated_run()
    {
        Write("ctrs.json");
        var selected = await new InputSelector().SelectAsync(new LocalObjectStore(Path.Combine(Root, "ctrs.json")), new DateOnly(2026, 10, 14), new DateOnly(2026, 10, 16), 6, CancellationToken.None);
        Assert.Single(selected); // was once per hour prefix: 78 times
    }

    [Fact]
    public async Task A_publish_waits_for_another_runs_publish_into_the_same_folder()
    {
        // A nightly swapping its day's tables in while a replay swapped its own left a day made of both runs.
        var store = new LocalObjectStore(Root);
        Write("charges/dt=2026-10-01/part-00000.parquet", "old-1");
        using var staging = store.CreateStaging();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(staging.Folder, "charges", "dt=2026-10-01")).FullName, "part-00000.parquet"), "new-1");
        File.WriteAllText(Path.Combine(staging.Folder, "run.json"), "{}");

        Task publish;
        using (new FileStream(Path.Combine(Root, LocalObjectStore.PublishLock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) // another run, publishing
        {
            publish = store.PublishAsync(new PublishPlan(staging.Folder, ["charges/dt=2026-10-01/"], ["charges/dt=2026-10-01/part-00000.parquet"], "run.json"), CancellationToken.None);
            await Task.Delay(700);
            Assert.False(publish.IsCompleted);
            Assert.Equal("old-1", File.ReadAllText(Path.Combine(Root, "charges", "dt=2026-10-01", "part-00000.parquet")));
        }

        await publish.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("new-1", File.ReadAllText(Path.Combine(Root, "charges", "dt=2026-10-01", "part-00000.parquet")));
        await foreach (var o in store.ListAsync("", CancellationToken.None))
        {
            Assert.NotEqual(LocalObjectStore.PublishLock, o.Key); // not an object of the store
        }
    }

    [Fact]
    public async Task Publishing_replaces_named_partitions_whole_and_writes_the_manifest_last()
    {
        var store = new LocalObjectStore(Root);
        Write("charges/dt=2026-10-01/part-00000.parquet", "old-1");
        Write("charges/dt=2026-10-01/stale.parquet", "stale");
        Write("charges/dt=2026-10-02/part-00000.parquet", "keep-2");

        using (var staging = store.CreateStaging())
        {
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(staging.Folder, "charges", "dt=2026-10-01")).FullName, "part-00000.parquet"), "new-1");
            File.WriteAllText(Path.Combine(staging.Folder, "run.json"), "{}");
            await store.PublishAsync(new PublishPlan(staging.Folder, ["charges/dt=2026-10-01/"], ["charges/dt=2026-10-01/part-00000.parquet"], "run.json"), CancellationToken.None);
        }


        Assert.Equal("new-1", File.ReadAllText(Path.Combine(Root, "charges", "dt=2026-10-01", "part-00000.parquet")));
        Assert.False(File.Exists(Path.Combine(Root, "charges", "dt=2026-10-01", "stale.parquet")));
        Assert.Equal("keep-2", File.ReadAllText(Path.Combine(Root, "charges", "dt=2026-10-02", "part-00000.parquet")));
        Assert.True(File.Exists(Path.Combine(Root, "run.json")));
        Assert.False(Directory.Exists(Path.Combine(Root, LocalObjectStore.StagingFolder)));
    }

    [Fact]
    public void On_Linux_a_partition_is_swapped_in_one_step_so_it_is_never_missing()
    {
        Write("live/part.parquet", "old");
        Write("fresh/part.parquet", "new");
        var swapped = AtomicSwap.TryExchange(Path.Combine(Root, "fresh"), Path.Combine(Root, "live"));
        Assert.Equal(OperatingSystem.IsLinux(), swapped);
        if (swapped)
        {
            Assert.Equal(("new", "old"), (File.ReadAllText(Path.Combine(Root, "live", "part.parquet")), File.ReadAllText(Path.Combine(Root, "fresh", "part.parquet"))));
        }
    }

    [Fact]
    public async Task A_prefixed_view_lists_and_reads_under_its_prefix_only()
    {
        Write("_stream/ctr/batch-1.json", "one");
        Write("charges/x.parquet", "other");
        var view = new PrefixedObjectStore(new LocalObjectStore(Root), "_stream/ctr");
        var keys = new List<string>();
        await foreach (var o in view.ListAsync("", CancellationToken.None))
        {
            keys.Add(o.Key);
        }

        Assert.Equal(["batch-1.json"], keys);
        await using var s = await view.OpenReadAsync("batch-1.json", CancellationToken.None);
        Assert.Equal("one", await new StreamReader(s).ReadToEndAsync());
    }

    [Fact]
    public async Task Linked_folders_are_walked_once_and_a_link_to_a_parent_does_not_loop()
    {
        Write("ctr/2026/10/01/00/a.json");
        Write("elsewhere/b.json");
        Directory.CreateSymbolicLink(Path.Combine(Root, "ctr", "2026", "10", "01", "00", "up"), Path.Combine(Root, "ctr")); // a loop
        Directory.CreateSymbolicLink(Path.Combine(Root, "ctr", "linked"), Path.Combine(Root, "elsewhere"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "ctr", "linked-again"), Path.Combine(Root, "elsewhere"));

        var keys = new List<string>();
        await foreach (var o in new LocalObjectStore(Path.Combine(Root, "ctr")).ListAsync("", CancellationToken.None))
        {
            keys.Add(o.Key);
        }

        Assert.Equal(["2026/10/01/00/a.json", "linked/b.json"], keys); // the first of the two links to one folder, by name
    }

    [Fact]
    public async Task A_folder_that_cannot_be_entered_is_one_unreadable_object_not_the_end_of_the_run()
    {
        // Its UnauthorizedAccessException ended the listing, and the run with exit 1, where a file without read
        // permission beside it cost one quarantine row. Root enters any folder, so the refusal is stood in.
        Write("ctr/a.json");
        Write("ctr/locked/b.json");
        Write("ctr/z.json");
        var locked = Path.Combine(Root, "ctr", "locked");
        var store = new LocalObjectStore(Path.Combine(Root, "ctr"), folder =>
            folder == locked ? throw new UnauthorizedAccessException($"Access to the path '{folder}' is denied.") : LocalObjectStore.ReadFolder(folder));

        var listed = new List<StoredObject>();
        await foreach (var o in store.ListAsync("", CancellationToken.None))
        {
            listed.Add(o);
        }

        Assert.Equal(["a.json", "locked/", "z.json"], listed.Select(o => o.Key));
        var decoded = new List<DecodedObject>();
        await foreach (var d in new ObjectDecoder(store, 2).DecodeInOrderAsync(listed, CancellationToken.None))
        {
            decoded.Add(d);
        }

        var row = Assert.Single(decoded.SelectMany(d => d.Quarantined), q => q.Reason == ConnectReconcile.Core.Ctr.QuarantineReasons.UnreadableObject);
        Assert.Equal(locked + Path.DirectorySeparatorChar, row.Position.Source);
        Assert.Contains("is denied", row.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_hands_over_each_objects_raw_bytes()
    {
        var text = """{"a":1} {"b":"}{"}""" + "\n" + """[{"c":[1,{"d":2}]}]""";
        var values = new List<string>();
        var sink = new DecoderTests.Collector();
        new CtrDecoder().Split(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t", (json, _) => values.Add(Encoding.UTF8.GetString(json)), sink);
        Assert.Equal(["""{"a":1}""", """{"b":"}{"}""", """{"c":[1,{"d":2}]}"""], values);
        Assert.Empty(sink.Quarantined);
    }
}
