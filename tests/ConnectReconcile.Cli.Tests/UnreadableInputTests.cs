namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// Inputs that exist but cannot be read. The tests run as root, where a mode-000 file reads fine, so
/// unreadability is made otherwise: a CTR object is a link to nothing (listed, then failing to open, as
/// one without read permission does), a reference file is a folder, or a /proc/sys file that has no
/// read permission even for root.
/// </summary>
public sealed class UnreadableInputTests
{
    private const string S02Contact = "9275e71d-d24d-5e20-b9ec-629e5fa41ade";

    /// <summary>Written only by root, and read by no one (the kernel checks its mode for root too).</summary>
    private const string WriteOnly = "/proc/sys/vm/compact_memory";

    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>A CTR folder with one readable call (s02) and one object that cannot be opened.</summary>
    private static string SourceWithAnUnreadableObject(TempDir dir)
    {
        var ctr = Directory.CreateDirectory(dir.Sub("ctr")).FullName;
        File.Copy(Fixture("scenarios", "s02-ivr-queue-agent", "ctrs.json"), Path.Combine(ctr, "calls.json"));
        File.CreateSymbolicLink(Path.Combine(ctr, "zz-calls.json.gz"), dir.Sub("gone.json.gz"));
        return ctr;
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("audit-export")]
    [InlineData("whatif")]
    [InlineData("estimate")]
    [InlineData("explain")]
    public async Task Every_command_that_reads_ctrs_warns_once_of_an_object_it_could_not_read(string command)
    {
        // It was quarantined as one row and the run went on quietly: audit-export and whatif with totals short of
        // its records and not a word, replay with a row in its summary table only.
        using var dir = new TempDir();
        var ctr = SourceWithAnUnreadableObject(dir);
        string[] args = command switch
        {
            "replay" => ["replay", "--source", ctr, "--out", dir.Sub("out")],
            "audit-export" => ["audit-export", "--source", ctr, "--out", dir.Sub("audit.csv")],
            "whatif" => ["whatif", "--source", ctr, "--all-softphone"],
            "estimate" => ["estimate", "--from-ctrs", ctr],
            _ => ["explain", "--source", ctr, "--contact", S02Contact],
        };

        var (exit, _, logs) = await CliRunner.RunWithLogsAsync(args);

        Assert.Equal(0, exit);
        var warning = Assert.Single(logs, l => l.Contains("could not be read", StringComparison.Ordinal)); // whatif reads the source twice: one warning
        Assert.StartsWith("Warning: 1 input object(s) could not be read", warning, StringComparison.Ordinal);
        Assert.Contains("zz-calls.json.gz", warning, StringComparison.Ordinal);
        Assert.Contains("unreadable-object", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_estimate_from_a_source_none_of_which_could_be_read_says_so()
    {
        using var dir = new TempDir();
        var ctr = Directory.CreateDirectory(dir.Sub("ctr")).FullName;
        File.CreateSymbolicLink(Path.Combine(ctr, "calls.json.gz"), dir.Sub("gone.json.gz"));

        // Was "The source holds no contact records to derive a profile from.", as if it held none.
        var (exit, _, err) = await CliRunner.RunAsync("estimate", "--from-ctrs", ctr);

        Assert.Equal(2, exit);
        Assert.Contains("holds no contact records to derive a profile from that could be read: 1 input object(s) could not be", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_readable_source_gives_no_such_warning()
    {
        using var dir = new TempDir();
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", Fixture("scenarios", "s02-ivr-queue-agent"), "--out", dir.Sub("out"));
        Assert.Equal(0, exit);
        Assert.DoesNotContain(logs, l => l.Contains("could not be read", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Explain_of_a_contact_not_found_says_it_may_be_in_an_object_that_could_not_be_read()
    {
        // "error: no contact … in ctr" was false: the contact may well be in the object it could not read.
        using var dir = new TempDir();
        var ctr = SourceWithAnUnreadableObject(dir);

        var (exit, _, err) = await CliRunner.RunAsync("explain", "--source", ctr, "--contact", "no-such-contact");

        Assert.Equal(1, exit);
        Assert.Contains("error: no contact no-such-contact in what could be read of", err, StringComparison.Ordinal);
        Assert.Contains("1 object(s) could not be read", err, StringComparison.Ordinal);

        var (_, _, plain) = await CliRunner.RunAsync("explain", "--source", Fixture("scenarios", "s02-ivr-queue-agent"), "--contact", "no-such-contact");
        Assert.Contains("error: no contact no-such-contact in ", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be read", plain, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--agents", "agent directory")]
    [InlineData("--numbers", "number inventory")]
    [InlineData("--rate-card", "rate card")]
    public async Task A_folder_given_as_a_reference_file_is_named_a_folder(string option, string what)
    {
        // It was said not to exist.
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(dir.Sub("reference")).FullName;

        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios", "s02-ivr-queue-agent"), "--out", dir.Sub("out"), option, folder);

        Assert.Equal(2, exit);
        Assert.Contains($"The {what} file '{folder}' is a folder", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Theory]
    [InlineData("--agents", "agent directory")]
    [InlineData("--numbers", "number inventory")]
    [InlineData("--rate-card", "rate card")]
    public async Task A_reference_file_without_read_permission_is_a_usage_error_not_a_stack_trace(string option, string what)
    {
        // UnauthorizedAccessException is no IOException: it ended the run with exit 1 and a stack trace.
        if (!File.Exists(WriteOnly))
        {
            return; // no such file on this kernel: the folder tests above still cover the messages
        }

        using var dir = new TempDir();
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios", "s02-ivr-queue-agent"), "--out", dir.Sub("out"), option, WriteOnly);

        Assert.Equal(2, exit);
        Assert.Contains($"Cannot read the {what} file '{WriteOnly}'", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hash_key_file_setting_that_names_no_file_is_not_echoed_as_it_may_be_the_key()
    {
        // CONNECT_RECONCILE_HASH_KEY_FILE=<the key itself> printed the key twice in the "cannot be read" error.
        using var dir = new TempDir();
        const string Key = "7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e";

        var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios", "s02-ivr-queue-agent"), "--out", dir.Sub("audit.csv"),
            "--hash-numbers", "--hash-key-file", Key);

        Assert.Equal(2, exit);
        Assert.DoesNotContain(Key, err, StringComparison.Ordinal);
        Assert.Contains("The --hash-key-file path does not exist", err, StringComparison.Ordinal);
        Assert.Contains($"{Key.Length} characters", err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.Sub("audit.csv")));
    }

    [Fact]
    public async Task A_folder_given_as_the_hash_key_file_is_named_a_folder()
    {
        // It was "Access to the path … is denied".
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(dir.Sub("keys")).FullName;

        var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios", "s02-ivr-queue-agent"), "--out", dir.Sub("audit.csv"),
            "--hash-numbers", "--hash-key-file", folder);

        Assert.Equal(2, exit);
        Assert.Contains($"--hash-key-file '{folder}' is a folder", err, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", err, StringComparison.Ordinal);
    }
}
