using System.Text.Json;

namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// Every option can come from appsettings.json (and the environment, read the same way): required and
/// repeatable ones too, and a command's own section wins over the top level. Each run from settings is
/// compared with the same run from flags.
/// </summary>
public sealed class SettingsTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    private static string Json(object settings) => JsonSerializer.Serialize(settings);

    private static async Task<(int Exit, string Out, string Err, IReadOnlyList<string> Logs)> WithSettings(TempDir dir, string json, params string[] args)
    {
        File.WriteAllText(dir.Sub("appsettings.json"), json);
        return await CliRunner.RunWithSettingsAsync(dir.Path, args);
    }

    [Fact]
    public async Task Required_options_come_from_settings_as_from_flags()
    {
        using var dir = new TempDir();
        var source = Fixture("scenarios", "s01-ivr-only");

        // nightly --date (required: it was refused before any setting was read)
        var (exit, fromFlags, err) = await CliRunner.RunAsync("nightly", "--date", "2026-10-14", "--source", source, "--out", dir.Sub("a"), "--summary", "json");
        Assert.True(exit == 0, err);
        var settings = await WithSettings(dir, Json(new Dictionary<string, object> { ["date"] = "2026-10-14", ["summary"] = "json" }), "nightly", "--source", source, "--out", dir.Sub("b"));
        Assert.True(settings.Exit == 0, settings.Err + string.Join('\n', settings.Logs));
        Assert.Equal(fromFlags, settings.Out);
        Assert.True(JsonDocument.Parse(settings.Out).RootElement.GetProperty("records").GetInt64() > 0);
        Assert.True(Directory.Exists(Path.Combine(dir.Sub("b"), "charges", "dt=2026-10-14")));

        // explain --contact and --json
        (exit, fromFlags, err) = await CliRunner.RunAsync("explain", "--source", source, "--contact", "9941a295-adcd-5df4-af2e-6de4ea0d72a4", "--json");
        Assert.True(exit == 0, err);
        settings = await WithSettings(dir, Json(new { explain = new { contact = "9941a295-adcd-5df4-af2e-6de4ea0d72a4", json = true } }), "explain", "--source", source);
        Assert.True(settings.Exit == 0, settings.Err);
        Assert.Equal(fromFlags, settings.Out);

        // audit-export --out from the settings; --unmask only on the command line (below)
        settings = await WithSettings(dir, Json(new Dictionary<string, object> { ["audit-export"] = new { @out = dir.Sub("audit.csv") } }), "audit-export", "--source", source, "--unmask");
        Assert.True(settings.Exit == 0, settings.Err + string.Join('\n', settings.Logs));
        Assert.Contains("+819011112222", File.ReadAllText(dir.Sub("audit.csv")), StringComparison.Ordinal);

        // Still required when neither the flag nor a setting gives it.
        settings = await WithSettings(dir, "{}", "nightly", "--source", source, "--out", dir.Sub("c"));
        Assert.Equal(2, settings.Exit);
        Assert.Contains("--date is required", settings.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_reads_its_options_from_its_section()
    {
        using var dir = new TempDir();
        var (exit, _, err) = await CliRunner.RunAsync("generate", "--out", dir.Sub("flags"), "--contacts", "20", "--days", "2", "--seed", "5");
        Assert.True(exit == 0, err);
        var settings = await WithSettings(dir, Json(new { generate = new { @out = dir.Sub("settings"), contacts = 20, days = 2, seed = 5 } }), "generate");
        Assert.True(settings.Exit == 0, settings.Err);
        Assert.Equal(File.ReadAllText(Path.Combine(dir.Sub("flags"), "truth.json")), File.ReadAllText(Path.Combine(dir.Sub("settings"), "truth.json")));
    }

    [Fact]
    public async Task A_repeatable_option_takes_a_list_and_the_commands_section_wins_over_the_top_level()
    {
        using var dir = new TempDir();
        var source = Fixture("scenarios");
        var (exit, fromFlags, err) = await CliRunner.RunAsync("whatif", "--source", source, "--scenario", "pricing-model=unlimited-ai", "--scenario", "policy:minimums=per-leg", "--json");
        Assert.True(exit == 0, err);
        var settings = await WithSettings(dir, """{ "json": false, "whatif": { "scenario": ["pricing-model=unlimited-ai", "policy:minimums=per-leg"], "json": true } }""", "whatif", "--source", source);
        Assert.True(settings.Exit == 0, settings.Err + string.Join('\n', settings.Logs));
        Assert.Equal(fromFlags, settings.Out);

        // One scenario only gives another answer: the list was read whole, not its first item.
        var one = await WithSettings(dir, """{ "whatif": { "scenario": ["pricing-model=unlimited-ai"], "json": true } }""", "whatif", "--source", source);
        Assert.Equal(0, one.Exit);
        Assert.NotEqual(fromFlags, one.Out);

        // Another command's section does not apply.
        var replay = await WithSettings(dir, Json(new { nightly = new { summary = "json" } }), "replay", "--source", source, "--out", dir.Sub("out"));
        Assert.Equal(0, replay.Exit);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(replay.Out));
    }

    [Fact]
    public async Task Settings_a_command_does_not_have_in_its_section_are_warned_about_and_lists_where_one_value_is_wanted_are_refused()
    {
        using var dir = new TempDir();
        var source = Fixture("scenarios", "s01-ivr-only");
        var (exit, _, err, logs) = await WithSettings(dir, Json(new { replay = new { contact = "x" } }), "replay", "--source", source, "--out", dir.Sub("out"));
        Assert.True(exit == 0, err);
        var warning = Assert.Single(logs, l => l.StartsWith("Warning: appsettings.json", StringComparison.Ordinal));
        Assert.Contains("\"replay:contact\" is not a setting of that command", warning, StringComparison.Ordinal);

        (exit, _, err, _) = await WithSettings(dir, """{ "replay": { "agents": ["a.csv", "b.csv"] } }""", "replay", "--source", source, "--out", dir.Sub("out2"));
        Assert.Equal(2, exit);
        Assert.Contains("\"replay:agents\" must be a single value", err, StringComparison.Ordinal);

        (exit, _, err, _) = await WithSettings(dir, Json(new { whatif = new { scenario = new { a = "b" } } }), "whatif", "--source", source);
        Assert.Equal(2, exit);
        Assert.Contains("must be a value or a list of values, not an object", err, StringComparison.Ordinal);

        // Empty: {} was ignored, [] read as the path "".
        foreach (var (json, why) in new[]
                 {
                     ("""{ "rate-card": {} }""", "\"rate-card\" is an empty object"),
                     ("""{ "rate-card": [] }""", "\"rate-card\" is an empty list"),
                     ("""{ "whatif": { "scenario": [] } }""", "\"whatif:scenario\" is an empty list"),
                     ("""{ "rate-card": "a.json", "rate_card": "b.json" }""", "gives one setting twice: \"rate-card\" and \"rate_card\""),
                 })
        {
            (exit, _, err, _) = await WithSettings(dir, json, "replay", "--source", source, "--out", dir.Sub("out3"));
            Assert.True(exit == 2, json + err);
            Assert.Contains(why, err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unmask_in_appsettings_is_ignored_with_a_warning_and_numbers_stay_masked()
    {
        using var dir = new TempDir();
        var source = Fixture("scenarios", "s01-ivr-only");

        // Was: a shared appsettings.json's "unmask": true wrote every customer number in full, without a word.
        foreach (var json in new[] { """{ "unmask": true }""", """{ "audit-export": { "unmask": true } }""" })
        {
            File.Delete(dir.Sub("audit.csv"));
            var (exit, _, err, logs) = await WithSettings(dir, json, "audit-export", "--source", source, "--out", dir.Sub("audit.csv"));
            Assert.True(exit == 0, err);
            var audit = File.ReadAllText(dir.Sub("audit.csv"));
            Assert.DoesNotContain("+819011112222", audit, StringComparison.Ordinal);
            Assert.Contains("+8190****2222", audit, StringComparison.Ordinal);
            var warning = Assert.Single(logs, l => l.Contains("is ignored: --unmask counts only on the command line", StringComparison.Ordinal));
            Assert.StartsWith(json.Contains("audit-export", StringComparison.Ordinal) ? "Warning: appsettings.json: \"audit-export:unmask\"" : "Warning: appsettings.json: \"unmask\"", warning, StringComparison.Ordinal);
        }

        // explain's too; the flag still counts.
        var outbound = Fixture("scenarios", "s10-short-outbound");
        var masked = await WithSettings(dir, """{ "explain": { "unmask": true } }""", "explain", "--source", outbound, "--contact", "66a931db-d070-53a5-84c3-1469d5d75d06");
        Assert.True(masked.Exit == 0, masked.Err);
        Assert.DoesNotContain("+12065550188", masked.Out, StringComparison.Ordinal);
        Assert.Contains(masked.Logs, l => l.StartsWith("Warning: appsettings.json: \"explain:unmask\" is ignored", StringComparison.Ordinal));
        var shown = await WithSettings(dir, "{}", "explain", "--source", outbound, "--contact", "66a931db-d070-53a5-84c3-1469d5d75d06", "--unmask");
        Assert.Contains("+12065550188", shown.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_number_with_a_comma_an_empty_value_and_a_folder_for_appsettings_are_usage_errors_not_other_values()
    {
        using var dir = new TempDir();
        var source = Fixture("scenarios", "s01-ivr-only");

        // Was 15 and 50: the comma read as a thousands separator, and a failing reconciliation passed (exit 0).
        foreach (var args in new[] { new[] { "--tolerance-pct", "1,5" }, ["--tolerance-abs", "0,50"] })
        {
            var (exit, _, err) = await CliRunner.RunAsync(["reconcile", "--cur", dir.Path, "--rated", dir.Path, "--month", "2026-10", .. args]);
            Assert.Equal(2, exit);
            Assert.Contains($"'{args[1]}' is not a number (digits, with a decimal point: 1.5)", err, StringComparison.Ordinal);
        }

        var (settingExit, _, settingErr, _) = await WithSettings(dir, Json(new { reconcile = new { tolerance_pct = "1,5" } }),
            "reconcile", "--cur", dir.Path, "--rated", dir.Path, "--month", "2026-10");
        Assert.Equal(2, settingExit);
        Assert.Contains("is not a number (digits, with a decimal point: 1.5): '1,5'", settingErr, StringComparison.Ordinal);

        // Was a TimeSpan's exception and a stack trace, exit 1.
        var (nanExit, _, nanErr) = await CliRunner.RunAsync("stream", "--stream", "s", "--out", dir.Sub("out"), "--batch-seconds", "NaN");
        Assert.Equal(2, nanExit);
        Assert.Contains("'NaN' is not a number", nanErr, StringComparison.Ordinal);

        // Was "The value cannot be an empty string", exit 1. An empty setting is one not given.
        var (emptyExit, _, emptyErr) = await CliRunner.RunAsync("replay", "--source", source, "--out", "");
        Assert.Equal(2, emptyExit);
        Assert.Contains("error: --out is empty", emptyErr, StringComparison.Ordinal);
        var (unsetExit, _, unsetErr, _) = await WithSettings(dir, Json(new { replay = new { @out = dir.Sub("out"), policy = "" } }), "replay", "--source", source);
        Assert.True(unsetExit == 0, unsetErr);

        // Was ignored without a word.
        File.Delete(dir.Sub("appsettings.json"));
        Directory.CreateDirectory(dir.Sub("appsettings.json"));
        var (folderExit, _, folderErr, logs) = await CliRunner.RunWithSettingsAsync(dir.Path, "replay", "--source", source, "--out", dir.Sub("out"));
        Assert.Equal(2, folderExit);
        Assert.Contains("appsettings.json is a folder, not a settings file.", folderErr, StringComparison.Ordinal);
        // Off a terminal the reason is in the JSON log too, for a pipeline that keeps only its lines.
        Assert.Contains(logs, l => l.StartsWith("Error: Usage error: ", StringComparison.Ordinal) && l.EndsWith("is a folder, not a settings file.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_variable_is_one_not_given_and_the_lookup_goes_on_to_the_next_place()
    {
        using var dir = new TempDir();
        var source = Fixture("scenarios");
        var (exit, fromFlags, err) = await CliRunner.RunAsync("replay", "--source", source, "--out", dir.Sub("flags"), "--summary", "json", "--look-ahead-hours", "5");
        Assert.True(exit == 0, err);

        // Was: the empty CONNECT_RECONCILE_SOURCE hid appsettings.json's "source", and replay rated the generated sample
        // month into its "out" (exit 0); the empty CONNECT_RECONCILE_OUT hid "out"; the empty section variable hid
        // the top-level one (6 h, the default, not 5). In-process a variable cannot be empty: a child process.
        File.WriteAllText(dir.Sub("appsettings.json"), Json(new Dictionary<string, object> { ["source"] = source, ["out"] = dir.Sub("out"), ["summary"] = "json", ["look-ahead-hours"] = 3 }));
        var temp = Directory.CreateDirectory(dir.Sub("tmp")).FullName;
        var run = await CliRunner.RunProcessAsync(new Dictionary<string, string>
        {
            ["CONNECT_RECONCILE_SOURCE"] = "",
            ["CONNECT_RECONCILE_OUT"] = "",
            ["CONNECT_RECONCILE_REPLAY__LOOK_AHEAD_HOURS"] = "",
            ["CONNECT_RECONCILE_LOOK_AHEAD_HOURS"] = "5",
            ["TMPDIR"] = temp,
        }, dir.Path, "replay");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Equal(fromFlags, run.Out);
        Assert.Equal(5, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Sub("out"), "run.json"))).RootElement.GetProperty("lookAheadHours").GetInt32());
        Assert.Empty(Directory.GetFileSystemEntries(temp, "connect-reconcile-sample"));

        // So in appsettings.json: an empty value in the command's section leaves the top level's (3 h).
        var inFile = await WithSettings(dir, """{ "look-ahead-hours": 3, "replay": { "look-ahead-hours": "" } }""", "replay", "--source", source, "--out", dir.Sub("file"));
        Assert.True(inFile.Exit == 0, inFile.Err);
        Assert.Equal(3, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Sub("file"), "run.json"))).RootElement.GetProperty("lookAheadHours").GetInt32());
    }

    [Fact]
    public async Task Replay_without_a_source_refuses_an_out_given_by_a_flag_or_a_setting_as_the_sample_month_goes_to_its_own_folder_only()
    {
        // Was: the generated sample month rated and published into that --out, exit 0.
        using var dir = new TempDir();
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--out", dir.Sub("out"));
        Assert.Equal(2, exit);
        Assert.Contains("error: --out is given but --source is not: give --source too.", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));

        var settings = await WithSettings(dir, Json(new { replay = new { @out = dir.Sub("out") } }), "replay");
        Assert.Equal(2, settings.Exit);
        Assert.Contains("error: --out is given (appsettings.json: \"replay:out\") but --source is not", settings.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public async Task A_blank_value_is_an_empty_one_a_usage_error_as_a_flag_and_none_given_as_a_setting()
    {
        // Was: a folder named ' ' in the working directory, published into (exit 0).
        using var dir = new TempDir();
        var source = Fixture("scenarios", "s01-ivr-only");
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", source, "--out", " ");
        Assert.Equal(2, exit);
        Assert.Contains("error: --out is blank: give a value, or leave the option out.", err, StringComparison.Ordinal);

        var settings = await WithSettings(dir, Json(new { @out = " ", replay = new { summary = "\t" } }), "replay", "--source", source);
        Assert.Equal(2, settings.Exit);
        Assert.Contains("error: --out is required", settings.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, " ")));
    }

    [Fact]
    public async Task A_wrong_encryption_setting_is_a_usage_error_for_every_command_that_reaches_s3_not_only_once_it_writes_there()
    {
        // Was exit 0 on every run with local paths: the first that wrote to S3 was the one to stop.
        using var dir = new TempDir();
        var source = Fixture("scenarios", "s01-ivr-only");
        foreach (var (json, why) in new[]
                 {
                     ("""{ "sse": "aes" }""", "error: appsettings.json: \"sse\": unknown server-side encryption 'aes' (none, s3 or kms)."),
                     ("""{ "SSE": "s3", "kms-key-id": "alias/billing" }""", "error: appsettings.json: \"SSE\" with appsettings.json: \"kms-key-id\": A KMS key id was given together with SSE-S3"),
                 })
        {
            var replay = await WithSettings(dir, json, "replay", "--source", source, "--out", dir.Sub("out"));
            Assert.True(replay.Exit == 2, json + replay.Err);
            Assert.Contains(why, replay.Err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir.Sub("out")));

            var explain = await WithSettings(dir, json, "explain", "--source", source, "--contact", "9941a295-adcd-5df4-af2e-6de4ea0d72a4");
            Assert.True(explain.Exit == 2, json + explain.Err);
            Assert.Contains(why, explain.Err, StringComparison.Ordinal);
        }
    }
}
