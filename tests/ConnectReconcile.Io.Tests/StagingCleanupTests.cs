using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// A killed run (SIGKILL, OOM, power) leaves its staging behind; the next run's staging removes it, but
/// never the staging of a run still alive (its lock held), nor anything not named as our staging.
/// A killed run is played here by a staging folder whose lock file nobody holds.
/// </summary>
public sealed class StagingCleanupTests : IDisposable
{
    private static readonly DateTime TwoDaysAgo = DateTime.UtcNow.AddDays(-2);

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Staging => Path.Combine(_dir.Sub("out"), LocalObjectStore.StagingFolder);

    [Fact]
    public async Task A_killed_runs_staging_is_removed_by_the_next_run_and_the_published_partitions_stay()
    {
        await RunAsync(Output());
        var published = Published();
        Assert.Contains(published.Keys, k => k.StartsWith("charges/dt=", StringComparison.Ordinal));

        var killed = Plant(Staging, Id(), 3_000, locked: true);
        var killedTrash = Plant(Staging, Path.GetFileName(killed) + "-replaced", 500, locked: false); // killed mid-publish
        var earlierVersion = Plant(Staging, Id(), 1_000, locked: false, lastWrite: TwoDaysAgo);
        var justCreated = Plant(Staging, Id(), 10, locked: false);
        var notOurs = Plant(Staging, "notes", 10, locked: false, lastWrite: TwoDaysAgo);

        // The next run is a nightly of another day: the day published above is not its to replace.
        var warnings = new List<string>();
        var day = DateOnly.ParseExact(published.Keys.First(k => k.StartsWith("charges/dt=", StringComparison.Ordinal))[11..21], "yyyy-MM-dd");
        await RunAsync(Output(), warnings.Add, day.AddDays(5));

        Assert.False(Directory.Exists(killed));
        Assert.False(Directory.Exists(killedTrash));
        Assert.False(Directory.Exists(earlierVersion));
        Assert.True(Directory.Exists(justCreated), "an unlocked folder that is not old may be a run's that has not locked it yet");
        Assert.True(Directory.Exists(notOurs));
        Assert.Equal(published.OrderBy(kv => kv.Key, StringComparer.Ordinal), Published().Where(kv => published.ContainsKey(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Single(warnings, w => w.Contains("Removed 3 staging folder(s)", StringComparison.Ordinal) && w.Contains("4,500 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_live_runs_staging_is_kept_while_the_next_run_completes_and_a_killed_ones_beside_it_goes()
    {
        // Unchanged for two days: only its lock says the run is alive.
        var live = Plant(Staging, Id(), 2_000, locked: true, lastWrite: TwoDaysAgo);
        var killed = Plant(Staging, Id(), 1_000, locked: true);
        var warnings = new List<string>();
        using (HoldLock(live))
        {
            await RunAsync(Output(), warnings.Add);

            Assert.True(File.Exists(Path.Combine(live, "charges", "dt=2026-01-01", "part-00000.parquet")));
            Assert.False(Directory.Exists(killed));
            Assert.Contains(Published().Keys, k => k.StartsWith("charges/dt=", StringComparison.Ordinal));
            Assert.Single(warnings, w => w.Contains("Removed 1 staging folder(s)", StringComparison.Ordinal) && w.Contains("1,000 bytes", StringComparison.Ordinal));
        }

        // Its run gone, the next run removes it, and _staging goes once empty.
        await RunAsync(Output());
        Assert.False(Directory.Exists(Staging));
    }

    [Fact]
    public async Task Staging_in_the_scratch_folder_for_a_remote_output_is_cleaned_up_the_same_way_and_nothing_else_there()
    {
        var scratch = _dir.Sub("scratch");
        var live = Plant(scratch, "connect-reconcile-" + Id(), 1_000, locked: true, lastWrite: TwoDaysAgo);
        var killed = Plant(scratch, "connect-reconcile-" + Id(), 1_000, locked: true);
        var kept = new[]
        {
            live,
            Plant(scratch, "connect-reconcile-sample", 1_000, locked: false, lastWrite: TwoDaysAgo), // replay --sample's data
            Plant(scratch, Id(), 1_000, locked: true), // a guid without our prefix: not ours
            Plant(scratch, "connect-reconcile-" + Id() + "-old", 1_000, locked: false, lastWrite: TwoDaysAgo),
        };
        File.WriteAllText(Path.Combine(scratch, "connect-reconcile-" + Id()), "a file, not a folder");

        var warnings = new List<string>();
        using (HoldLock(live))
        {
            await RunAsync(new ForwardingStore(Output()), warnings.Add, scratch: scratch); // seen as remote (as S3 is): it stages in the scratch folder
        }

        Assert.False(Directory.Exists(killed));
        Assert.Equal(kept.Order(StringComparer.Ordinal), Directory.GetDirectories(scratch).Order(StringComparer.Ordinal));
        Assert.Contains(Published().Keys, k => k.StartsWith("charges/dt=", StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains("Removed 1 staging folder(s)", StringComparison.Ordinal));
    }

    private static string Id() => Guid.NewGuid().ToString("N");

    /// <summary>A staging folder with a file of <paramref name="bytes"/>, its lock file (held by nobody) or none, and its times set.</summary>
    private static string Plant(string parent, string name, int bytes, bool locked, DateTime? lastWrite = null)
    {
        var folder = Path.Combine(parent, name);
        var partition = Directory.CreateDirectory(Path.Combine(folder, "charges", "dt=2026-01-01")).FullName;
        File.WriteAllBytes(Path.Combine(partition, "part-00000.parquet"), new byte[bytes]);
        if (locked)
        {
            File.WriteAllBytes(Path.Combine(folder, StagingDirectory.LockFile), []);
        }

        if (lastWrite is { } time)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Append(folder).OrderByDescending(e => e.Length))
            {
                // Deepest first: setting a child's time does not touch its folder's.
                if (Directory.Exists(entry))
                {
                    Directory.SetLastWriteTimeUtc(entry, time);
                }
                else
                {
                    File.SetLastWriteTimeUtc(entry, time);
                }
            }
        }

        return folder;
    }

    /// <summary>What a live run holds: its lock file open with FileShare.None (an flock on Linux).</summary>
    private static FileStream HoldLock(string folder) =>
        new(Path.Combine(folder, StagingDirectory.LockFile), FileMode.Open, FileAccess.ReadWrite, FileShare.None);

    private LocalObjectStore Output() => new(_dir.Sub("out"));

    /// <summary>Every file under --out but _staging, with its bytes and last write time.</summary>
    private Dictionary<string, (string Sha, DateTime Written)> Published()
    {
        var root = _dir.Sub("out");
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Key: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), Path: f))
            .Where(f => !f.Key.StartsWith(LocalObjectStore.StagingFolder + "/", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => (Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f.Path))), File.GetLastWriteTimeUtc(f.Path)));
    }

    /// <summary>A run of one scenario's CTRs (a flat folder, read whole), or the given day's nightly.</summary>
    private async Task RunAsync(IObjectStore output, Action<string>? warn = null, DateOnly? day = null, string? scratch = null)
    {
        var ctr = _dir.Sub("ctr");
        Directory.CreateDirectory(ctr);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "s02-ivr-queue-agent", "ctrs.json"), Path.Combine(ctr, "ctrs.json"), overwrite: true);
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(ctr),
            Output = output,
            From = day,
            To = day,
            Rater = rater,
            Numbers = NumberInventory.Missing,
            ScratchDirectory = scratch,
            Warn = warn,
        }).RunAsync(null, CancellationToken.None);
    }
}
