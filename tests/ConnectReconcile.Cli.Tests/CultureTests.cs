namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// The machine's culture never reaches names or contents. The build runs with invariant globalization, but
/// DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0 (set by some container images) turns ICU back on, and a Thai
/// locale's Buddhist calendar then named partitions dt=2569-10-14: only a child process can have that culture.
/// </summary>
public sealed class CultureTests
{
    [Fact]
    public async Task A_thai_locale_with_icu_on_names_partitions_and_runs_by_the_gregorian_day()
    {
        using var dir = new TempDir();
        var (exit, _, stderr) = await CliRunner.RunProcessAsync(new Dictionary<string, string>
        {
            ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "0",
            ["LANG"] = "th_TH.UTF-8",
            ["LC_ALL"] = "th_TH.UTF-8",
        }, null, "replay", "--source", Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios"), "--out", dir.Sub("out"), "--from", "2026-10-14", "--to", "2026-10-14");
        if (exit != 0 && stderr.Contains("ICU", StringComparison.Ordinal))
        {
            return; // a machine without ICU cannot have the culture at all
        }

        Assert.True(exit == 0, stderr);
        Assert.Equal(["dt=2026-10-14"], Directory.GetDirectories(dir.Sub("out/charges")).Select(Path.GetFileName));
        var manifest = Path.Combine(dir.Sub("out"), "_runs", "2026-10-14_2026-10-14", "run.json");
        Assert.True(File.Exists(manifest), string.Join(", ", Directory.GetDirectories(dir.Sub("out/_runs"))));
        Assert.Contains("\"from\":\"2026-10-14\"", (await File.ReadAllTextAsync(manifest)).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
