using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli;

/// <summary>
/// The sample month a replay without --source runs on: <c>ROOT/data</c>, shared by every such run with the same
/// temp folder. It is generated in a private folder beside it and renamed into place whole, so no run reads a
/// sample another is still writing or deleting; of two runs generating at once, the one whose rename comes second
/// uses the first one's folder and drops its own. A folder without the marker written last (one that an
/// interrupted generation, or a race between runs of earlier versions, left) is replaced, never used.
/// </summary>
internal static class SampleFolder
{
    /// <summary>Written last, holding what was generated: a sample of other options is not this one.</summary>
    public const string Marker = "sample-complete.txt";

    /// <summary>Renaming into place gives up after this many other runs' incomplete folders in the way.</summary>
    private const int Attempts = 3;

    /// <summary>The complete sample in <c>ROOT/data</c>, <paramref name="generate"/>d into a given empty folder when there is none.</summary>
    public static string Ensure(string root, string description, Action<string> generate, Action<string>? warn)
    {
        var data = Path.Combine(root, "data");
        if (IsComplete(data, description))
        {
            return data;
        }

        // Locked while this run lasts, removed when it ends, and by a later generation if this run is killed.
        Directory.CreateDirectory(root);
        using var staging = StagingDirectory.CreateInScratch(root, warn);
        var fresh = Path.Combine(staging.Folder, "data");
        generate(fresh);
        File.WriteAllText(Path.Combine(fresh, Marker), description + "\n");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Move(fresh, data);
                return data;
            }
            catch (IOException) when (attempt < Attempts && Path.Exists(data))
            {
            }

            if (IsComplete(data, description))
            {
                return data; // another run's, renamed into place first
            }

            try
            {
                // Incomplete: moved aside into this run's staging, which goes at the end, and ours takes its place.
                Directory.Move(data, Path.Combine(staging.Folder, $"incomplete-{attempt}"));
            }
            catch (DirectoryNotFoundException)
            {
                // Another run moved it aside first.
            }
        }
    }

    private static bool IsComplete(string data, string description)
    {
        try
        {
            return File.ReadAllText(Path.Combine(data, Marker)) == description + "\n";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
