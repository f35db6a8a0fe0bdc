using ConnectReconcile.Generator;

namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// The sample a replay without --source generates, shared by every such run in one temp folder. The races
/// are played in-process: a run's generation calls the other run whole, as if it had finished meanwhile.
/// </summary>
public sealed class SampleFolderTests
{
    private const string Description = "200 contacts, 2 days, seed 7";

    /// <summary>A small real sample, tagged with the run that generated it.</summary>
    private static Action<string> Generate(string run, List<string> runs, Action? meanwhile = null) => folder =>
    {
        runs.Add(run);
        SampleMonth.Generate(new GeneratorOptions(200, 2, 7, folder) { Overwrite = true });
        File.WriteAllText(Path.Combine(folder, "run.txt"), run);
        meanwhile?.Invoke();
    };

    private static int CtrFiles(string data) => Directory.GetFiles(Path.Combine(data, "ctr"), "*.gz", SearchOption.AllDirectories).Length;

    private static readonly int Complete = CountComplete();

    private static int CountComplete()
    {
        using var dir = new TempDir();
        return (int)SampleMonth.Generate(new GeneratorOptions(200, 2, 7, dir.Path)).Files;
    }

    [Fact]
    public void A_sample_an_interrupted_or_raced_generation_left_is_generated_again_not_used()
    {
        using var dir = new TempDir();
        // As two runs of earlier versions left it: truth.json written, most of ctr/ deleted by the other run.
        var data = Directory.CreateDirectory(dir.Sub("data/ctr/2026/10/16")).Parent!.Parent!.Parent!.Parent!.FullName;
        File.WriteAllText(Path.Combine(data, "truth.json"), "{}");
        File.WriteAllText(dir.Sub("data/ctr/2026/10/16/partial.gz"), "");
        var runs = new List<string>();

        Assert.Equal(data, SampleFolder.Ensure(dir.Path, Description, Generate("A", runs), warn: null));

        Assert.Equal(["A"], runs);
        Assert.Equal("A", File.ReadAllText(Path.Combine(data, "run.txt")));
        Assert.Equal(Complete, CtrFiles(data));
        Assert.False(File.Exists(dir.Sub("data/ctr/2026/10/16/partial.gz")));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName)); // the private folder and the old sample are gone

        // Complete now: the next run uses it as it is.
        Assert.Equal(data, SampleFolder.Ensure(dir.Path, Description, Generate("B", runs), warn: null));
        Assert.Equal(["A"], runs);

        // A sample of other options is not this one.
        Assert.Equal(data, SampleFolder.Ensure(dir.Path, "300 contacts, 2 days, seed 7", Generate("C", runs), warn: null));
        Assert.Equal(["A", "C"], runs);
    }

    [Fact]
    public void Of_two_runs_generating_at_once_the_one_finishing_second_uses_the_first_ones_sample_whole()
    {
        using var dir = new TempDir();
        var runs = new List<string>();
        string? winner = null;

        // A generates; meanwhile B starts, generates and renames its sample into place first.
        var data = SampleFolder.Ensure(dir.Path, Description,
            Generate("A", runs, meanwhile: () => winner = SampleFolder.Ensure(dir.Path, Description, Generate("B", runs), warn: null)), warn: null);

        Assert.Equal(["A", "B"], runs);
        Assert.Equal(winner, data);
        Assert.Equal("B", File.ReadAllText(Path.Combine(data, "run.txt")));
        Assert.Equal(Complete, CtrFiles(data));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName)); // A's own copy is gone
    }

    [Fact]
    public void An_incomplete_folder_in_the_way_of_the_rename_is_replaced()
    {
        using var dir = new TempDir();
        var runs = new List<string>();

        // Meanwhile an incomplete data/ appears (a run of an earlier version, killed while generating).
        var data = SampleFolder.Ensure(dir.Path, Description, Generate("A", runs, meanwhile: () =>
        {
            Directory.CreateDirectory(dir.Sub("data/ctr"));
            File.WriteAllText(dir.Sub("data/truth.json"), "{}");
        }), warn: null);

        Assert.Equal("A", File.ReadAllText(Path.Combine(data, "run.txt")));
        Assert.Equal(Complete, CtrFiles(data));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_killed_generations_private_folder_is_removed_by_the_next_generation()
    {
        using var dir = new TempDir();
        // As a killed run leaves it: its staging folder, lock file no longer held, a sample half-written.
        var killed = Directory.CreateDirectory(dir.Sub("connect-reconcile-" + Guid.NewGuid().ToString("N") + "/data/ctr")).Parent!.Parent!.FullName;
        File.WriteAllText(Path.Combine(killed, Io.Storage.StagingDirectory.LockFile), "");
        var warnings = new List<string>();

        SampleFolder.Ensure(dir.Path, Description, Generate("A", []), warnings.Add);

        Assert.False(Directory.Exists(killed));
        Assert.Single(warnings, w => w.Contains("Removed 1 staging folder(s)", StringComparison.Ordinal));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }
}
