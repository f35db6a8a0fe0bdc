using DuckDB.NET.Data;

namespace ConnectReconcile.Cli.Tests;

/// <summary>
/// A callback's SystemEndpoint can follow the agent's endpoint: when it is an agent's desk phone (per the agent
/// directory), it is the agent's number, personal data, not one the centre holds. It is masked wherever it is
/// written and gets no number-days; the centre's own numbers stay in full.
/// </summary>
public sealed class DeskPhoneSystemEndpointTests : IDisposable
{
    private const string DeskPhone = "+12065550147";
    private const string Did = "+12065550100";
    private const string Callback = "1f1d8a68-f2d5-5b59-bfa6-fafd3f0b03c0";
    private const string Inbound = "2a2d8a68-f2d5-5b59-bfa6-fafd3f0b03c0";
    private const string OnTheDeskPhone = "3b3d8a68-f2d5-5b59-bfa6-fafd3f0b03c0";
    private const string MissingInbound = "0cae2ff1-be64-50c2-a36c-87e7440481f4"; // the callback's chain, named by its root

    private readonly TempDir _dir = new();

    public DeskPhoneSystemEndpointTests()
    {
        Directory.CreateDirectory(_dir.Sub("ctr"));
        File.WriteAllText(Path.Combine(_dir.Sub("ctr"), "ctrs.json"), string.Join('\n',
            Ctr(Callback, "CALLBACK", "11:37", "11:45", "+12065550123", DeskPhone, MissingInbound), // an orphan: its inbound record is missing
            Ctr(Inbound, "INBOUND", "12:00", "12:05", "+12065550124", Did),
            Ctr(OnTheDeskPhone, "INBOUND", "13:00", "13:05", "+12065550125", DeskPhone)));
        File.WriteAllText(_dir.Sub("agents.csv"), $"username,phone_type,desk_phone_number,as_of\nsmith,DESK_PHONE,{DeskPhone.Insert(2, " (").Insert(7, ") ")},\n");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_agents_desk_phone_in_SystemEndpoint_is_masked_everywhere_and_charged_no_number_days()
    {
        // Was: contacts.system_number +12065550147, a number-day row for it (estimated, no --numbers) in full, and the
        // customer-inbound leg's number in full in legs, explain and audit-export.
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", _dir.Sub("ctr"), "--out", _dir.Sub("out"), "--agents", _dir.Sub("agents.csv"));
        Assert.True(exit == 0, err);
        using var db = new DuckDBConnection("DataSource=:memory:");
        db.Open();
        var contacts = Query(db, $"SELECT chain_id, system_number FROM read_parquet('{_dir.Sub("out")}/contacts/*/*.parquet') ORDER BY chain_id");
        Assert.Equal([$"{MissingInbound} +120****0147", $"{Inbound} {Did}", $"{OnTheDeskPhone} +120****0147"], contacts);
        var numberDays = Query(db, $"SELECT number, charge_kind FROM read_parquet('{_dir.Sub("out")}/charges/*/*.parquet') WHERE leg_kind = 'number'");
        Assert.Equal([$"{Did} number-days:did"], numberDays); // the centre's DID in full; none for the desk phone
        foreach (var table in new[] { "charges", "legs", "contacts" })
        {
            Assert.Empty(Query(db, $"SELECT * FROM read_parquet('{_dir.Sub("out")}/{table}/*/*.parquet') t WHERE strpos(CAST(t AS VARCHAR), '2065550147') > 0"));
        }

        Assert.Contains($"{Did}", string.Join(' ', Query(db, $"SELECT number FROM read_parquet('{_dir.Sub("out")}/legs/*/*.parquet')")), StringComparison.Ordinal);

        (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", _dir.Sub("ctr"), "--out", _dir.Sub("audit.csv"), "--agents", _dir.Sub("agents.csv"));
        Assert.True(exit == 0, err);
        var audit = await File.ReadAllTextAsync(_dir.Sub("audit.csv"));
        Assert.DoesNotContain("2065550147", audit, StringComparison.Ordinal);
        Assert.Contains(Did, audit, StringComparison.Ordinal);

        foreach (var contact in new[] { Callback, OnTheDeskPhone })
        {
            var (textExit, text, textErr) = await CliRunner.RunAsync("explain", "--source", _dir.Sub("ctr"), "--contact", contact, "--agents", _dir.Sub("agents.csv"));
            Assert.True(textExit == 0, textErr);
            Assert.DoesNotContain("2065550147", text, StringComparison.Ordinal);
            var (jsonExit, json, jsonErr) = await CliRunner.RunAsync("explain", "--source", _dir.Sub("ctr"), "--contact", contact, "--agents", _dir.Sub("agents.csv"), "--json");
            Assert.True(jsonExit == 0, jsonErr);
            Assert.DoesNotContain("2065550147", json, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("(206) 555-0147", true)]   // national form: read as +2065550147, a number in Egypt
    [InlineData("206-555-0147", true)]
    [InlineData("+1 (206) 555-0147", false)]
    [InlineData("001 206 555 0147", false)]
    [InlineData("'+12065550147", false)]   // a spreadsheet's guard
    public async Task A_desk_phone_without_a_country_code_is_warned_about_with_the_country_it_reads_as(string written, bool warned)
    {
        File.WriteAllText(_dir.Sub("national.csv"), $"username,phone_type,desk_phone_number,as_of\nsmith,DESK_PHONE,{written},\n");
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", _dir.Sub("ctr"), "--out", _dir.Sub("out"), "--agents", _dir.Sub("national.csv"));
        Assert.Equal(0, exit);
        var warning = logs.SingleOrDefault(m => m.StartsWith("Warning: 1 desk phone number(s) in the agent directory", StringComparison.Ordinal));
        Assert.Equal(warned, warning is not null);
        if (warning is not null)
        {
            Assert.Contains("smith's reads as +206****147 (EG)", warning, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(logs, m => m.Contains("5550147", StringComparison.Ordinal)); // the number masked in the warning too
    }

    [Theory]
    [InlineData("(206) 555-0100", true)]    // national form: read as +2065550100, Egypt's code, though its row says US
    [InlineData("+1 206 555 0100", false)]
    [InlineData("12065550100", false)]      // the country code in digits alone names the row's country
    public async Task An_inventory_number_without_a_country_code_is_warned_about(string written, bool warned)
    {
        File.WriteAllText(_dir.Sub("national-numbers.csv"), $"number,type,country,claimed_at,released_at\n{written},DID,US,,\n");
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", _dir.Sub("ctr"), "--out", _dir.Sub("out"), "--numbers", _dir.Sub("national-numbers.csv"));
        Assert.Equal(0, exit);
        var warning = logs.SingleOrDefault(m => m.StartsWith("Warning: 1 number(s) in the number inventory", StringComparison.Ordinal));
        Assert.Equal(warned, warning is not null);
        if (warning is not null)
        {
            Assert.Contains("the first reads as +206****100 (EG) where its row says US", warning, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_inventory_number_without_a_country_code_or_country_is_not_said_to_have_its_guessed_country_from_its_row()
    {
        // The country cell is empty: EG is the tool's reading of the digits, the very guess the warning is about.
        File.WriteAllText(_dir.Sub("no-country-numbers.csv"), "number,type,country,claimed_at,released_at\n(206) 555-0199,DID,,2025-01-01,\n");
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", _dir.Sub("ctr"), "--out", _dir.Sub("out"), "--numbers", _dir.Sub("no-country-numbers.csv"));
        Assert.Equal(0, exit);
        var warning = Assert.Single(logs, m => m.StartsWith("Warning: 1 number(s) in the number inventory", StringComparison.Ordinal));
        Assert.Contains("the first reads as +206****199 (EG) where its row gives no country.", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("its row says", warning, StringComparison.Ordinal);
    }

    private static List<string> Query(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read())
        {
            rows.Add(string.Join(' ', Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "null" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    private static string Ctr(string id, string method, string start, string end, string customer, string system, string? previous = null)
    {
        var parent = previous is null ? "null" : $"\"{previous}\"";
        return $$$"""
            {"AWSAccountId":"111122223333","AWSContactTraceRecordFormatVersion":"2017-03-10","Attributes":{},"Channel":"VOICE",
             "Agent":{"ARN":"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001/agent/fe7d3dec","Username":"smith","ConnectedToAgentTimestamp":"2026-10-14T{{{start}}}:30Z","AfterContactWorkStartTimestamp":"2026-10-14T{{{end}}}:00Z","AfterContactWorkEndTimestamp":"2026-10-14T{{{end}}}:00Z","AgentInteractionDuration":1,"RoutingProfile":{"ARN":"rp","Name":"Basic"}},
             "ContactId":"{{{id}}}","InitialContactId":{{{parent}}},"PreviousContactId":{{{parent}}},
             "InitiationMethod":"{{{method}}}","InitiationTimestamp":"2026-10-14T{{{start}}}:00Z","ConnectedToSystemTimestamp":"2026-10-14T{{{start}}}:10Z","DisconnectTimestamp":"2026-10-14T{{{end}}}:00Z",
             "LastUpdateTimestamp":"2026-10-14T{{{end}}}:00Z","CustomerEndpoint":{"Address":"{{{customer}}}","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"{{{system}}}","Type":"TELEPHONE_NUMBER"},
             "InstanceARN":"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001","NextContactId":null,"Queue":null,"TransferCompletedTimestamp":null,"TransferredToEndpoint":null}
            """.ReplaceLineEndings("");
    }
}
