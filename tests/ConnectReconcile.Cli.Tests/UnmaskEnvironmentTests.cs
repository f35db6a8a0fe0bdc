namespace ConnectReconcile.Cli.Tests;

/// <summary>Sets a CONNECT_RECONCILE_ variable for the whole process: run alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class UnmaskEnvironmentTests
{
    [Fact]
    public async Task Unmask_in_the_environment_is_ignored_with_a_warning_naming_the_variable()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "s10-short-outbound");
        using var dir = new TempDir();
        var saved = Environment.GetEnvironmentVariable("CONNECT_RECONCILE_UNMASK");
        Environment.SetEnvironmentVariable("CONNECT_RECONCILE_UNMASK", "true");
        try
        {
            // Was: the customer's number in full, as with --unmask, and no word of it.
            var (exit, text, err, logs) = await CliRunner.RunWithSettingsAsync(dir.Path, "explain", "--source", source, "--contact", "66a931db-d070-53a5-84c3-1469d5d75d06");
            Assert.True(exit == 0, err);
            Assert.DoesNotContain("+12065550188", text, StringComparison.Ordinal);
            Assert.Contains("+120****0188", text, StringComparison.Ordinal);
            Assert.Contains(logs, l => l.StartsWith("Warning: CONNECT_RECONCILE_UNMASK is ignored: --unmask counts only on the command line", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONNECT_RECONCILE_UNMASK", saved);
        }
    }
}
