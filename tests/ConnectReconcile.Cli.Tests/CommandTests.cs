using System.Text.Json;

namespace ConnectReconcile.Cli.Tests;

public sealed class CommandTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    [Fact]
    public async Task Explain_tells_the_external_transfer_story_in_words_and_in_json()
    {
        var dir = Fixture("scenarios", "s06-external-transfer-record-only");
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", dir, "--contact", "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47");
        Assert.True(exit == 0, err);
        Assert.Contains("#0 customer-inbound: inbound, +18003335555, US, TOLL_FREE", text, StringComparison.Ordinal);
        Assert.Contains("= 2069 s", text, StringComparison.Ordinal);
        Assert.Contains("#1 third-party: outbound, +180****0000, US", text, StringComparison.Ordinal);
        Assert.Contains("= 1156 s", text, StringComparison.Ordinal);
        Assert.Contains("TransferCompletedTimestamp", text, StringComparison.Ordinal);
        Assert.Contains("× 0.012 USD/min ÷ 60", text, StringComparison.Ordinal);
        Assert.Contains("queue TCC Refrig AC LLA", text, StringComparison.Ordinal);
        Assert.DoesNotContain("+190011112222", text, StringComparison.Ordinal); // the customer's number stays masked

        var (jsonExit, json, _) = await CliRunner.RunAsync("explain", "--source", dir, "--contact", "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47", "--json");
        Assert.Equal(0, jsonExit);
        using var doc = JsonDocument.Parse(json);
        var charges = doc.RootElement.GetProperty("charges").EnumerateArray().ToList();
        Assert.Equal(3225, charges.Where(c => c.GetProperty("chargeKind").GetString() == "service").Sum(c => c.GetProperty("billedSeconds").GetInt64()));
        Assert.Equal(2, doc.RootElement.GetProperty("legs").GetArrayLength());
        Assert.Equal("VOICE", doc.RootElement.GetProperty("channel").GetString()); // was missing: only a chat's JSON had it

        // One cost is written one way: the total and segments came out as "0.030" beside charges of "0.012" (the exact sum's scale).
        var costs = charges.Select(c => c.GetProperty("cost").GetString()!)
            .Concat(doc.RootElement.GetProperty("segments").EnumerateArray().Select(s => s.GetProperty("cost").GetString()!))
            .Append(doc.RootElement.GetProperty("total").GetString()!).ToList();
        Assert.All(costs, c => Assert.False(c.Contains('.', StringComparison.Ordinal) && c.EndsWith('0'), $"{c} has trailing zeros"));
        Assert.All(charges, c => Assert.EndsWith($"= {c.GetProperty("cost").GetString()}", c.GetProperty("arithmetic").GetString(), StringComparison.Ordinal));

        // A call's JSON and a chat's have the same keys (docs/billing.md), so a script reads either.
        var (_, chatJson, _) = await CliRunner.RunAsync("explain", "--source", Fixture("scenarios", "s12-chat"), "--contact", "7a032154-5870-51d9-984e-6398e65c38c3", "--json");
        using var chat = JsonDocument.Parse(chatJson);
        Assert.Equal(chat.RootElement.EnumerateObject().Select(p => p.Name), doc.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task A_rate_is_written_without_the_trailing_zeros_its_card_wrote()
    {
        using var dir = new TempDir();
        var card = System.Text.Json.Nodes.JsonNode.Parse(Core.Rating.BuiltInRateCards.Default.ToJson())!;
        foreach (var row in card["rows"]!.AsArray())
        {
            row!["price"] = (string?)row["id"] switch
            {
                "use1-us-tollfree-in" => 0.0120m, // the card's own scale: read as 0.0120, not 0.012
                "use1-us-tollfree-number" => 0.060m,
                _ => row["price"]!.GetValue<decimal>(),
            };
        }

        File.WriteAllText(dir.Sub("card.json"), card.ToJsonString());
        Assert.Contains("\"price\":0.0120", await File.ReadAllTextAsync(dir.Sub("card.json")), StringComparison.Ordinal);
        var source = Fixture("scenarios", "s06-external-transfer-record-only");

        var (exit, json, err) = await CliRunner.RunAsync("explain", "--source", source, "--rate-card", dir.Sub("card.json"), "--contact", "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47", "--json");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(json);
        var tollFree = doc.RootElement.GetProperty("charges").EnumerateArray().Single(c => c.GetProperty("chargeKind").GetString() == "telephony:inbound-tollfree");
        // Was "0.0120" and "× 0.0120 USD/min" (docs/billing.md: amounts without trailing zeros).
        Assert.Equal("0.012", tollFree.GetProperty("rate").GetString());
        Assert.Contains("× 0.012 USD/min ÷ 60", tollFree.GetProperty("arithmetic").GetString(), StringComparison.Ordinal);

        // audit-export's CSV rate cell likewise (was 0.01200000 cut to 8 places keeping the card's 0.0120, and 0.060).
        var csv = dir.Sub("audit.csv");
        (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", source, "--rate-card", dir.Sub("card.json"), "--out", csv);
        Assert.True(exit == 0, err);
        var rows = (await File.ReadAllLinesAsync(csv)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal("0.012", rows.First(r => r[10] == "telephony:inbound-tollfree")[16]);
        Assert.Equal("0.06", rows.First(r => r[10] == "number-days:tollfree")[16]);
        Assert.All(rows, r => Assert.False(r[16].Contains('.', StringComparison.Ordinal) && r[16].EndsWith('0'), $"rate {r[16]} has trailing zeros"));
    }

    [Fact]
    public async Task Explain_of_a_quarantined_contact_gives_the_reason()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        await File.WriteAllTextAsync(dir.Sub("ctr/bad.json"),
            """{"ContactId":"q-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T09:00:00Z"}""");
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "q-1");
        Assert.True(exit == 0, err); // was "error: no contact q-1", exit 1
        Assert.Contains("Contact q-1 was not rated: its record in ", text, StringComparison.Ordinal);
        Assert.Contains("is in quarantine as disconnect-before-initiation: DisconnectTimestamp 2026-10-14T09:00:00Z is before", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_of_a_contact_quarantined_for_a_number_in_its_InitialContactId_gives_the_reason()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        const string id = "16161616-1616-1616-1616-161616161616";
        await File.WriteAllTextAsync(dir.Sub("ctr/bad.json"),
            $$"""{"ContactId":"{{id}}","InitialContactId":"+819011118888","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:05:00Z"}""");
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", id);
        Assert.True(exit == 0, err); // was "error: no contact 16161616-… in …", exit 1
        Assert.Contains($"Contact {id} was not rated: its record in ", text, StringComparison.Ordinal);
        Assert.Contains("is in quarantine as bad-contact-id: InitialContactId reads as a phone number", text, StringComparison.Ordinal);
        Assert.DoesNotContain("11118888", text + err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_of_a_phone_number_says_why_such_a_record_is_not_found_and_never_repeats_the_number()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        await File.WriteAllTextAsync(dir.Sub("ctr/number.json"),
            """{"ContactId":"+14155550123","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:05:00Z"}""");
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "+14155550123");
        Assert.Equal(1, exit); // not found, as before
        Assert.Equal("", text);
        // Was "error: no contact +14155550123 in …": as if the record were not there, and the number in clear.
        Assert.Contains("error: no contact +141****0123 in ", err, StringComparison.Ordinal);
        Assert.Contains("contact ids are UUIDs, and a record whose ContactId reads as a phone number is set aside as bad-contact-id (the quarantine table lists it, without the id)", err, StringComparison.Ordinal);
        Assert.DoesNotContain("14155550123", err, StringComparison.Ordinal);

        var (_, _, logs) = await CliRunner.RunWithLogsAsync("explain", "--source", dir.Sub("ctr"), "--contact", "+1 415 555 0123");
        Assert.Contains(logs, l => l.Contains("no contact +141****0123 in ", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains("555 0123", StringComparison.Ordinal) || l.Contains("5550123", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Explain_of_a_record_quarantined_as_malformed_JSON_names_it_by_its_ContactId()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        const string Good = """{"ContactId":"ok-1","Channel":"CHAT","InitiationMethod":"API","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}""";
        await File.WriteAllTextAsync(dir.Sub("ctr/bad.json"), Good + "\n" +
            """{"AWSAccountId":"1","Channel":"VOICE","ContactId":"q4-malformed","CustomerEndpoint":{"Address":+12065557365 x,"Type":"TELEPHONE_NUMBER"}}""" + "\n" + Good.Replace("ok-1", "ok-2", StringComparison.Ordinal) + "\n");
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "q4-malformed");
        Assert.True(exit == 0, err); // was "error: no contact q4-malformed", exit 1: the parse failed before the id was kept
        Assert.Contains("Contact q4-malformed was not rated: its record in ", text, StringComparison.Ordinal);
        Assert.Contains("is in quarantine as malformed-json: '+' is an invalid start of a value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("12065557365", text, StringComparison.Ordinal); // the reader's message names the byte, not the value

        var (jsonExit, json, _) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "q4-malformed", "--json");
        Assert.Equal(0, jsonExit);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("malformed-json", Assert.Single(doc.RootElement.GetProperty("quarantined").EnumerateArray()).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Explain_prints_text_from_the_CTRs_with_control_characters_as_visible_escapes()
    {
        // A queue name that, printed raw, erases the line, fakes a total and hides what follows; an agent name that
        // starts a line of its own; a routing profile with a tab, DEL, a C1 CSI and a line separator.
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        await File.WriteAllTextAsync(dir.Sub("ctr/esc.json"), """
            {"ContactId":"e-root","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z","ConnectedToSystemTimestamp":"2026-10-14T10:00:00Z",
             "DisconnectTimestamp":"2026-10-14T10:05:00Z","CustomerEndpoint":{"Address":"+12065557395","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+18005550100","Type":"TELEPHONE_NUMBER"},
             "Queue":{"Name":"sales\u001b[2K\rTotal: 0.00 USD\u001b[8m","EnqueueTimestamp":"2026-10-14T10:00:00Z","DequeueTimestamp":"2026-10-14T10:00:30Z"},
             "Agent":{"Username":"bob\nFAKE LINE","ConnectedToAgentTimestamp":"2026-10-14T10:00:30Z","RoutingProfile":{"Name":"tab\there\u007f\u009b2J\u2028x"}}}
            {"ContactId":"chat\u001b]0;t\u0007","Channel":"CHAT","InitiationMethod":"API","InitiationTimestamp":"2026-10-14T11:00:00Z","DisconnectTimestamp":"2026-10-14T11:01:00Z"}
            {"ContactId":"q\u001b[31m","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T09:00:00Z"}
            """);
        static bool Unsafe(char ch) => char.IsControl(ch) || ch is '\u2028' or '\u2029';

        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "e-root");
        Assert.True(exit == 0, err);
        Assert.DoesNotContain(text.Replace(Environment.NewLine, "", StringComparison.Ordinal), Unsafe); // line ends are the only control characters
        Assert.Contains(@"queue sales\u001B[2K\rTotal: 0.00 USD\u001B[8m  agent bob\nFAKE LINE", text, StringComparison.Ordinal);
        Assert.Contains(@"queue sales\u001B[2K\rTotal: 0.00 USD\u001B[8m, agent bob\nFAKE LINE, profile tab\there\u007F\u009B2J\u2028x  cost", text, StringComparison.Ordinal);
        Assert.Single(text.Split(Environment.NewLine), l => l.StartsWith("Total: ", StringComparison.Ordinal));

        // JSON escapes them itself, and keeps the names exact.
        var (jsonExit, json, _) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "e-root", "--json");
        Assert.Equal(0, jsonExit);
        Assert.DoesNotContain(json.Replace(Environment.NewLine, "", StringComparison.Ordinal), Unsafe);
        using var doc = JsonDocument.Parse(json);
        var agent = doc.RootElement.GetProperty("segments").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "agent");
        Assert.Equal(("sales\u001b[2K\rTotal: 0.00 USD\u001b[8m", "bob\nFAKE LINE", "tab\there\u007f\u009b2J\u2028x"),
            (agent.GetProperty("queue").GetString(), agent.GetProperty("agent").GetString(), agent.GetProperty("routingProfile").GetString()));

        // A chat's sentence, a quarantined record's and the error for an unknown id: escaped the same way.
        var (chatExit, chat, chatErr) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "chat\u001b]0;t\u0007");
        Assert.True(chatExit == 0, chatErr);
        Assert.StartsWith(@"Contact chat\u001B]0;t\u0007 is a CHAT contact", chat, StringComparison.Ordinal);
        var (quarantinedExit, quarantined, quarantinedErr) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "q\u001b[31m");
        Assert.True(quarantinedExit == 0, quarantinedErr);
        Assert.StartsWith(@"Contact q\u001B[31m was not rated", quarantined, StringComparison.Ordinal);
        var (_, _, unknown) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--contact", "no\rsuch");
        Assert.Contains(@"error: no contact no\rsuch in ", unknown, StringComparison.Ordinal);
        Assert.DoesNotContain(string.Concat(chat, quarantined, unknown).Replace(Environment.NewLine, "", StringComparison.Ordinal), Unsafe);
    }

    [Fact]
    public async Task Explain_of_a_chat_contact_answers_in_json_when_asked()
    {
        var (exit, json, err) = await CliRunner.RunAsync("explain", "--source", Fixture("scenarios", "s12-chat"), "--contact", " 7A032154-5870-51D9-984E-6398E65C38C3", "--json"); // pasted in upper case, with a space
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(json); // was a sentence of text
        Assert.Equal("CHAT", doc.RootElement.GetProperty("channel").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("legs").GetArrayLength());
        Assert.Equal("chat", doc.RootElement.GetProperty("charges")[0].GetProperty("chargeKind").GetString());
    }

    [Fact]
    public async Task Explain_of_a_chat_or_task_record_in_a_chain_explains_that_contact_not_the_chains_first()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        const string Instance = "\"InstanceARN\":\"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001\"";
        await File.WriteAllLinesAsync(dir.Sub("ctr/ctrs.json"),
        [
            // A call, a chat it was transferred to and a task made from it; and a chat transferred twice.
            $$"""{"ContactId":"call-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-15T09:00:00Z","ConnectedToSystemTimestamp":"2026-10-15T09:00:00Z","DisconnectTimestamp":"2026-10-15T09:03:00Z","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"},{{Instance}}}""",
            $$"""{"ContactId":"chat-1","Channel":"CHAT","InitiationMethod":"TRANSFER","InitialContactId":"call-1","PreviousContactId":"call-1","InitiationTimestamp":"2026-10-15T09:03:00Z","DisconnectTimestamp":"2026-10-15T09:10:00Z",{{Instance}}}""",
            $$"""{"ContactId":"task-1","Channel":"TASK","InitiationMethod":"API","InitialContactId":"call-1","PreviousContactId":"call-1","InitiationTimestamp":"2026-10-15T09:04:00Z","DisconnectTimestamp":"2026-10-15T09:30:00Z",{{Instance}}}""",
            $$"""{"ContactId":"c-1","Channel":"CHAT","InitiationMethod":"API","InitiationTimestamp":"2026-10-16T09:00:00Z","DisconnectTimestamp":"2026-10-16T09:05:00Z",{{Instance}}}""",
            $$"""{"ContactId":"c-2","Channel":"CHAT","InitiationMethod":"TRANSFER","InitialContactId":"c-1","PreviousContactId":"c-1","InitiationTimestamp":"2026-10-16T09:05:00Z","DisconnectTimestamp":"2026-10-16T09:15:00Z",{{Instance}}}""",
            $$"""{"ContactId":"c-3","Channel":"CHAT","InitiationMethod":"TRANSFER","InitialContactId":"c-1","PreviousContactId":"c-2","InitiationTimestamp":"2026-10-16T09:15:00Z","DisconnectTimestamp":"2026-10-16T09:25:00Z",{{Instance}}}""",
        ]);
        var card = System.Text.Json.Nodes.JsonNode.Parse(Core.Rating.BuiltInRateCards.Default.ToJson())!;
        card["rows"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse(
            """{"id":"use1-chat","region":"us-east-1","chargeKind":"chat","usageType":"{REGION}-chat-message","unit":"unit","price":0.004,"effectiveFrom":"2018-01-01","source":"test"}"""));
        File.WriteAllText(dir.Sub("card.json"), card.ToJsonString());

        async Task<JsonElement> Json(string contact)
        {
            var (exit, json, err) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--rate-card", dir.Sub("card.json"), "--contact", contact, "--json");
            Assert.True(exit == 0, err);
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }

        // Was the call (chat-1, task-1) or the first chat (c-3): docs/billing.md says a non-voice contact is a contact of its own.
        foreach (var (contact, channel, previous, total) in new[] { ("chat-1", "CHAT", "call-1", "0.004"), ("task-1", "TASK", "call-1", "0"), ("c-3", "CHAT", "c-2", "0.004"), ("c-1", "CHAT", null, "0.004") })
        {
            var e = await Json(contact);
            Assert.Equal((contact, channel, total), (e.GetProperty("chainId").GetString(), e.GetProperty("channel").GetString(), e.GetProperty("total").GetString()));
            var record = Assert.Single(e.GetProperty("records").EnumerateArray());
            Assert.Equal((contact, previous), (record.GetProperty("contactId").GetString(), record.GetProperty("previousContactId").GetString()));
            Assert.Equal(["non-voice"], e.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        }

        // The call itself is still the call: its voice record only, no chat or task unit among its charges.
        var callJson = await Json("call-1");
        Assert.Equal(("call-1", "VOICE"), (callJson.GetProperty("chainId").GetString(), callJson.GetProperty("channel").GetString()));
        Assert.Equal(["call-1"], callJson.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("contactId").GetString()));
        Assert.DoesNotContain(callJson.GetProperty("charges").EnumerateArray(), c => c.GetProperty("chargeKind").GetString() is "chat" or "task");

        var (textExit, text, textErr) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--rate-card", dir.Sub("card.json"), "--contact", "chat-1");
        Assert.True(textExit == 0, textErr);
        Assert.Equal("Contact chat-1 is a CHAT contact: no telephony and no voice minutes. 1 unit × 0.004 USD = 0.004. It follows contact call-1 in a chain, and is billed as a contact of its own." + Environment.NewLine, text);
        (textExit, text, textErr) = await CliRunner.RunAsync("explain", "--source", dir.Sub("ctr"), "--rate-card", dir.Sub("card.json"), "--contact", "C-3");
        Assert.True(textExit == 0, textErr);
        Assert.StartsWith("Contact C-3 is a CHAT contact: no telephony and no voice minutes. 1 unit × 0.004 USD = 0.004. It follows contact c-1 in a chain", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_of_a_desk_phone_call_uses_the_agent_directory()
    {
        using var tmp = new TempDir();
        var agents = tmp.Sub("agents.csv");
        await File.WriteAllTextAsync(agents, "username,phone_type,desk_phone_number,as_of\ntanaka,DESK_PHONE,+81355550001,2026-10-01T00:00:00Z\n");
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", Fixture("scenarios", "s08-desk-phone-outbound"), "--contact", "b595e48d-44ed-5903-85fb-c1365b7739af", "--agents", agents);
        Assert.True(exit == 0, err);
        Assert.Contains("desk-phone", text, StringComparison.Ordinal);
        Assert.Contains("= 255 s", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-20T00:00:00Z", "dated after the call")] // a dump taken after the month: was no desk-phone leg at all
    [InlineData("2026-09-20T00:00:00Z", "(directory as of 2026-09-20T00:00:00Z)")]
    public async Task Explain_of_a_desk_phone_call_takes_a_describe_user_phone_type_dated_after_the_call(string lastModified, string reason)
    {
        using var tmp = new TempDir();
        var agents = tmp.Sub("agents.json");
        await File.WriteAllTextAsync(agents, $$$"""
            {"User":{"Arn":"arn:aws:connect:xx:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001/agent/9fd5a375-2114-567b-8801-8f9fca7d9c09","Username":"tanaka","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+81355550001"},"LastModifiedTime":"{{{lastModified}}}"}}
            """);
        var (exit, text, err) = await CliRunner.RunAsync("explain", "--source", Fixture("scenarios", "s08-desk-phone-outbound"), "--contact", "b595e48d-44ed-5903-85fb-c1365b7739af", "--agents", agents);
        Assert.True(exit == 0, err);
        Assert.Contains("= 255 s", text, StringComparison.Ordinal);
        Assert.Contains(reason, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--agents", "username,phone_type,desk_phone_number,as_of\n\"alice,SOFT_PHONE,,\nbob,DESK_PHONE,+819099998888,\n", "agent directory", "line 2: ")]
    [InlineData("--numbers", "number,type,country,claimed_at,released_at\n+12065550100,DID,US,,,us-east-1\n", "number inventory", "line 2 has 6 fields")]
    public async Task A_malformed_reference_csv_is_a_usage_error_naming_the_file_and_line(string option, string csv, string what, string line)
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.Sub("ref.csv"), csv);
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--out", tmp.Sub("out"), option, tmp.Sub("ref.csv"));
        Assert.Equal(2, exit);
        Assert.Contains($"The {what} '{tmp.Sub("ref.csv")}' is not valid: {line}", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tmp.Sub("out")));
    }

    [Fact]
    public async Task An_audit_export_to_a_file_another_export_is_writing_fails_and_leaves_that_exports_partial_file_alone()
    {
        using var tmp = new TempDir();
        var csv = tmp.Sub("audit.csv");
        await File.WriteAllTextAsync(csv, "the previous export\r\n");

        // The other run: its partial file open and locked, half written.
        using (var other = new FileStream(csv + ".partial", FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            other.Write("half an export"u8);
            other.Flush();
            var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios"), "--out", csv);
            Assert.Equal(1, exit);
            Assert.Contains("Another audit-export to", err, StringComparison.Ordinal);
            Assert.True(File.Exists(csv + ".partial"), "the other run's partial file was deleted");
            Assert.Equal(14, other.Length);
        }

        Assert.Equal("the previous export\r\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task Audit_export_masks_numbers_by_default_and_is_safe_to_open_in_a_spreadsheet()
    {
        using var tmp = new TempDir();
        var csv = tmp.Sub("audit.csv");
        var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios"), "--out", csv);
        Assert.True(exit == 0, err);
        var lines = await File.ReadAllLinesAsync(csv);
        Assert.StartsWith("chain_id,contact_id,day,leg_index,leg_kind", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",rate_card_version,policy,instance_id,region", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.EndsWith(",aaaaaaaa-0000-4000-8000-000000000001,us-east-1", StringComparison.Ordinal)); // the chain's instance and region
        var raw = await File.ReadAllTextAsync(csv);
        Assert.EndsWith("\r\n", raw, StringComparison.Ordinal); // RFC 4180: every record ends with CRLF, none with a bare LF
        Assert.Equal(raw.Split("\r\n").Length - 1, raw.Count(ch => ch == '\n'));
        Assert.Contains(lines, l => l.Contains("'+8190****2222", StringComparison.Ordinal)); // s01 customer, masked and formula-guarded
        Assert.DoesNotContain(lines, l => l.Contains("+819011112222", StringComparison.Ordinal));
        Assert.DoesNotContain(lines.Skip(1), l => l.Split(',').Any(cell => cell.Length > 0 && cell[0] is '=' or '+' or '@'));

        var again = tmp.Sub("again.csv");
        Assert.Equal(0, (await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios"), "--out", again)).Exit);
        Assert.Equal(await File.ReadAllBytesAsync(csv), await File.ReadAllBytesAsync(again));

        var unmasked = tmp.Sub("unmasked.csv");
        Assert.Equal(0, (await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios"), "--out", unmasked, "--unmask")).Exit);
        Assert.Contains("'+819011112222", await File.ReadAllTextAsync(unmasked), StringComparison.Ordinal);

        var hashed = tmp.Sub("hashed.parquet");
        var key = tmp.Sub("pseudonym.key");
        await File.WriteAllTextAsync(key, "0123456789abcdef0123456789abcdef\n");
        Assert.Equal(0, (await CliRunner.RunAsync("audit-export", "--source", Fixture("scenarios"), "--out", hashed, "--hash-numbers", "--hash-key-file", key)).Exit);
        Assert.False(File.Exists(hashed + ".partial"));

        // The Parquet export holds the same charges as the CSV (DuckDB reading both), numbers pseudonymised
        // under the key (the s01 customer's digits; the key file's trailing newline is not part of the key).
        var s01Pseudonym = "hmac:" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("0123456789abcdef0123456789abcdef"u8, "819011112222"u8))[..16];
        using var db = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"""
            SELECT (SELECT count(*) FROM read_parquet('{hashed}')), (SELECT count(*) FROM read_csv('{csv}', all_varchar = true)),
                   (SELECT sum(billed_seconds)::VARCHAR || ' ' || sum(cost)::VARCHAR || ' ' || sum(quantity)::VARCHAR FROM read_parquet('{hashed}')),
                   (SELECT sum(billed_seconds::BIGINT)::VARCHAR || ' ' || sum(cost::DECIMAL(24,12))::VARCHAR || ' ' || sum(quantity::DECIMAL(18,6))::VARCHAR FROM read_csv('{csv}', all_varchar = true)),
                   (SELECT count(*) FROM read_parquet('{hashed}') WHERE customer_number = '{s01Pseudonym}')
            """;
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(lines.Length - 1, Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(r.GetValue(1), r.GetValue(0));
        Assert.Equal(r.GetString(3), r.GetString(2));
        Assert.True(Convert.ToInt64(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Theory]
    [InlineData("--from (2026-10-05) is after --to (2026-10-01)", "replay", "--from", "2026-10-05", "--to", "2026-10-01", "--source", ".", "--out", "../x")]
    [InlineData("--summary must be 'table' or 'json'", "replay", "--summary", "xml", "--source", ".", "--out", "../x")]
    [InlineData("minimums", "replay", "--policy", "minimums=sometimes", "--source", ".", "--out", "../x")]
    [InlineData("--date is required", "nightly", "--source", ".")]
    [InlineData("Unrecognized command or argument 'no-such-command'", "no-such-command")]
    [InlineData("--out must end in .csv or .parquet", "audit-export", "--source", ".", "--out", "../x.txt")]
    [InlineData("--source 'no-such-folder' does not exist", "replay", "--source", "no-such-folder", "--out", "x")]
    [InlineData("--source 'no-such-folder' does not exist", "replay", "--source", "no-such-folder", "--out", "no-such-folder/out")]
    [InlineData("--source 'no-such-folder' does not exist", "nightly", "--date", "2026-10-01", "--source", "no-such-folder", "--out", "x")]
    [InlineData("--source 'no-such-folder' does not exist", "explain", "--source", "no-such-folder", "--contact", "c")]
    [InlineData("--source 'no-such-folder' does not exist", "audit-export", "--source", "no-such-folder", "--out", "x.csv")]
    [InlineData("--from (2026-10-05) is after --to (2026-10-01)", "audit-export", "--source", ".", "--out", "../x.csv", "--from", "2026-10-05", "--to", "2026-10-01")]
    [InlineData("--from (2026-10-05) is after --to (2026-10-01)", "whatif", "--source", ".", "--from", "2026-10-05", "--to", "2026-10-01", "--all-softphone")]
    [InlineData("--from (2026-10-05) is after --to (2026-10-01)", "estimate", "--from-ctrs", ".", "--from", "2026-10-05", "--to", "2026-10-01")]
    [InlineData("--get-records-limit must be 1 to 10000", "stream", "--stream", "s", "--out", "../x", "--get-records-limit", "20000")]
    [InlineData("--health-seconds must be positive", "stream", "--stream", "s", "--out", "../x", "--health-seconds", "0")]
    [InlineData("--retain-days must be 1 to 3650, got 0", "stream", "--stream", "s", "--out", "../x", "--retain-days", "0")]
    [InlineData("--retain-days must be 1 to 3650, got 1000000", "stream", "--stream", "s", "--out", "../x", "--retain-days", "1000000")] // was an overflow after the first batch
    [InlineData("--days 1 to 366", "generate", "--out", "../g", "--days", "400")]
    [InlineData("give 9998-12-31 to 9999-01-01: the days must lie from 1970 to 9998", "generate", "--out", "../g", "--start", "9998-12-31", "--days", "2")]
    [InlineData("give 1969-12-31 to 1969-12-31", "generate", "--out", "../g", "--start", "1969-12-31", "--days", "1")]
    [InlineData("--cur-format must be parquet or legacy-csv", "generate", "--out", "../g", "--cur-format", "xml")]
    [InlineData("has no prices for region 'mars-1'", "estimate", "--from-ctrs", ".", "--region", "mars-1")]
    [InlineData("--out '..' is a folder", "audit-export", "--source", ".", "--out", "..")]
    [InlineData("--out '..' is a folder", "ratecard", "derive", "--cur", ".", "--month", "2026-10", "--out", "..")]
    [InlineData("--parallelism must be at least 1 (got 0)", "replay", "--source", ".", "--out", "../x", "--parallelism", "0")]
    [InlineData("--look-ahead-hours must be at least 0 (got -1)", "nightly", "--date", "2026-10-01", "--source", ".", "--out", "../x", "--look-ahead-hours", "-1")]
    [InlineData("--hour-pattern '(' is not a regular expression", "replay", "--source", ".", "--out", "../x", "--hour-pattern", "(")]
    [InlineData("lacks the named group(s) d", "replay", "--source", ".", "--out", "../x", "--hour-pattern", @"(?<y>\d{4})/(?<m>\d{2})/")]
    [InlineData("--date (9999-12-31) must be a day from 1970 to 9998", "nightly", "--date", "9999-12-31", "--source", ".", "--out", "../x")]
    [InlineData("--to (9999-12-31) must be a day from 1970 to 9998", "replay", "--to", "9999-12-31", "--source", ".", "--out", "../x")]
    // Each a day and a look-ahead within their limits whose end passes the calendar's: was an exception, exit 1.
    [InlineData("--date (9998-12-31) is too late for a look-ahead of 8784 h (--look-ahead-hours): the run would read past the calendar's last day, 9999-12-31. With that look-ahead the last day is 9998-12-29.",
        "nightly", "--date", "9998-12-31", "--look-ahead-hours", "8784", "--source", ".", "--out", "../x")]
    [InlineData("--to (9998-12-31) is too late for a look-ahead of 8784 h", "replay", "--to", "9998-12-31", "--look-ahead-hours", "8784", "--source", ".", "--out", "../x")]
    [InlineData("--to (9998-12-30) is too late for a look-ahead of 8784 h", "audit-export", "--to", "9998-12-30", "--look-ahead-hours", "8784", "--source", ".", "--out", "../x.csv")]
    [InlineData("--to (9998-12-31) is too late for a look-ahead of 8784 h", "load", "--to", "9998-12-31", "--look-ahead-hours", "8784", "--source", ".", "--stream", "s", "--endpoint-url", "http://127.0.0.1:9")]
    [InlineData("--month's last day (9998-12-31) is too late for a look-ahead of 8784 h", "reconcile", "--cur", ".", "--rated", ".", "--month", "9998-12", "--calibrate", "--source", ".", "--look-ahead-hours", "8784")]
    [InlineData("--month must be 9998-12 or earlier, got '9999-12'", "reconcile", "--cur", ".", "--rated", ".", "--month", "9999-12")]
    [InlineData("--month must be 9998-12 or earlier, got '9999-12'", "ratecard", "derive", "--cur", ".", "--month", "9999-12", "--out", "../card.json")]
    [InlineData("--look-ahead-hours must be at most 8784", "replay", "--source", ".", "--out", "../x", "--look-ahead-hours", "2000000000")]
    [InlineData("--parallelism must be at most 1024", "replay", "--source", ".", "--out", "../x", "--parallelism", "2000000000")]
    [InlineData("--tolerance-pct must be from 0 to 100", "reconcile", "--cur", ".", "--rated", ".", "--month", "2026-10", "--tolerance-pct", "99999999999999999999")]
    [InlineData("--batch-records: '99999999999' is not a whole number up to 2147483647.", "stream", "--stream", "s", "--out", "../x", "--batch-records", "99999999999")]
    [InlineData("--from: '2026-13-01' is not a date (YYYY-MM-DD).", "replay", "--from", "2026-13-01")]
    [InlineData("--date: '02.10.2026' is not a date (YYYY-MM-DD).", "nightly", "--date", "02.10.2026", "--source", ".")] // was read as 2026-02-10
    [InlineData("--to: '10/02/2026' is not a date (YYYY-MM-DD).", "audit-export", "--source", ".", "--out", "../x.csv", "--to", "10/02/2026")]
    [InlineData("--from-timestamp goes with --from timestamp, not with --from latest", "stream", "--stream", "s", "--out", "../x", "--from", "latest", "--from-timestamp", "2026-10-01T00:00:00Z")]
    [InlineData("--records-per-second must be positive", "load", "--source", ".", "--stream", "s", "--records-per-second", "0")]
    [InlineData("--hash-numbers needs --hash-key-file", "audit-export", "--source", ".", "--out", "../x.csv", "--hash-numbers")]
    [InlineData("--version is blank: give a value", "ratecard", "derive", "--cur", ".", "--out", "../card.json", "--version", " ")]
    [InlineData("--contact is blank: give a value", "explain", "--source", ".", "--contact", " ")]
    [InlineData("--out 's3://b/audit.csv' must be a local path", "audit-export", "--source", ".", "--out", "s3://b/audit.csv")] // was written to ./s3:/b/
    [InlineData("--out 's3://b/card.json' must be a local path", "ratecard", "derive", "--cur", ".", "--out", "s3://b/card.json")]
    [InlineData("--out 's3://b/g/' must be a local path", "generate", "--out", "s3://b/g/")]
    [InlineData("--profile 's3://b/p.yaml' must be a local path", "estimate", "--profile", "s3://b/p.yaml")]
    [InlineData("--save-profile 's3://b/p.yaml' must be a local path", "estimate", "--from-ctrs", ".", "--save-profile", "s3://b/p.yaml")]
    [InlineData("--checkpoint-file 's3://b/cp.json' must be a local path", "stream", "--stream", "s", "--out", "../x", "--endpoint-url", "http://127.0.0.1:9", "--checkpoint-file", "s3://b/cp.json")] // was kept in ./s3:/b/
    public async Task Usage_errors_exit_with_2_and_say_why(string why, params string[] args)
    {
        var (exit, _, err) = await CliRunner.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Contains(why, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_that_does_not_exist_is_named_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", dir.Sub("typo"), "--out", dir.Sub("out"));
        Assert.Equal(2, exit);
        Assert.Contains("--source", err);
        Assert.Contains("does not exist", err);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Theory]
    [InlineData("replay", "out")]
    [InlineData("replay", ".")]
    [InlineData("audit-export", "audit.csv")]
    public async Task An_output_inside_the_source_is_a_usage_error_as_later_runs_would_read_it_as_ctrs(string command, string inside)
    {
        using var dir = new TempDir();
        var source = dir.Sub("ctr");
        File.Copy(Fixture("scenarios", "s01-ivr-only", "ctrs.json"), Path.Combine(Directory.CreateDirectory(source).FullName, "ctrs.json"));
        var (exit, _, err) = await CliRunner.RunAsync(command, "--source", source, "--out", Path.Combine(source, inside));
        Assert.Equal(2, exit);
        Assert.Contains("is inside --source", err, StringComparison.Ordinal);
        Assert.Equal(["ctrs.json"], Directory.GetFileSystemEntries(source).Select(Path.GetFileName));

        // Beside the source, not inside it (a sibling whose name starts the same is not inside).
        (exit, _, err) = await CliRunner.RunAsync(command, "--source", source, "--out", dir.Sub(command == "replay" ? "ctr-out" : "ctr-audit.csv"));
        Assert.True(exit == 0, err);
    }

    [Theory]
    [InlineData("replay", "out-through-link")]
    [InlineData("replay", "source-through-link")]
    [InlineData("replay", "parent-through-relative-link")]
    [InlineData("audit-export", "out-through-link")]
    [InlineData("audit-export", "source-through-link")]
    public async Task An_output_inside_the_source_through_a_symbolic_link_is_refused_too(string command, string how)
    {
        using var dir = new TempDir();
        var source = dir.Sub("ctr");
        File.Copy(Fixture("scenarios", "s01-ivr-only", "ctrs.json"), Path.Combine(Directory.CreateDirectory(source).FullName, "ctrs.json"));
        Directory.CreateDirectory(dir.Sub("w"));
        var file = command == "replay" ? "out" : "audit.csv";
        var (sourceArg, outArg) = how switch
        {
            // ln -s …/ctr w/link: the same folder under another name, on either side.
            "out-through-link" => (source, Path.Combine(Link(dir.Sub("w/link"), source), file)),
            "source-through-link" => (Link(dir.Sub("w/link"), source), Path.Combine(source, file)),
            // ln -s ../.. w/up (relative, to the TempDir): w/up/ctr/out is ctr/out.
            _ => (source, Path.Combine(Link(dir.Sub("w/up"), "../"), "ctr", file)),
        };

        var (exit, _, err) = await CliRunner.RunAsync(command, "--source", sourceArg, "--out", outArg);

        Assert.Equal(2, exit);
        Assert.Contains("is inside --source", err, StringComparison.Ordinal);
        Assert.Contains("through a symbolic link", err, StringComparison.Ordinal);
        Assert.Equal(["ctrs.json"], Directory.GetFileSystemEntries(source).Select(Path.GetFileName));

        static string Link(string link, string target) => File.CreateSymbolicLink(link, target).FullName;
    }

    [Fact]
    public async Task An_output_beside_the_source_through_a_symbolic_link_is_no_output_inside_it()
    {
        using var dir = new TempDir();
        var source = dir.Sub("ctr");
        File.Copy(Fixture("scenarios", "s01-ivr-only", "ctrs.json"), Path.Combine(Directory.CreateDirectory(source).FullName, "ctrs.json"));
        var results = Directory.CreateDirectory(dir.Sub("results")).FullName;
        File.CreateSymbolicLink(dir.Sub("ctr-results"), results); // named as the source starts, pointing beside it

        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", source, "--out", Path.Combine(dir.Sub("ctr-results"), "out"));
        Assert.True(exit == 0, err);
        Assert.True(File.Exists(Path.Combine(results, "out", "run.json")));
    }

    [Theory]
    [InlineData("s3://bucket/ctr/results/", "s3://bucket/ctr/", true)]
    [InlineData("s3://bucket/ctr", "s3://bucket/ctr/", true)]
    [InlineData("s3://bucket/results/", "s3://bucket/", true)]
    [InlineData("s3://bucket/ctr-results/", "s3://bucket/ctr", false)]
    [InlineData("s3://other/ctr/results/", "s3://bucket/ctr/", false)]
    [InlineData("/tmp/out", "s3://bucket/", false)]
    public void An_S3_output_is_inside_an_S3_source_only_under_its_prefix(string output, string source, bool inside)
    {
        var error = Record.Exception(() => Inputs.OutsideSource(output, source));
        Assert.Equal(inside, error is UsageException);
    }

    [Fact]
    public async Task An_invalid_rate_card_or_a_file_as_output_is_a_usage_error_naming_it()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("card.json"), "{not json");
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"), "--rate-card", dir.Sub("card.json"));
        Assert.Equal(2, exit);
        Assert.Contains($"The rate card '{dir.Sub("card.json")}' is not valid", err);

        File.WriteAllText(dir.Sub("a-file"), "");
        (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("a-file"));
        Assert.Equal(2, exit);
        Assert.Contains("is a file", err);
    }

    [Theory]
    [InlineData("replay", "a-file/sub")]
    [InlineData("nightly", "a-file/sub/deeper")]
    [InlineData("audit-export", "a-file/audit.csv")]
    [InlineData("generate", "a-file/month")]
    public async Task An_output_under_a_file_is_a_usage_error_naming_the_file_before_anything_is_read(string command, string under)
    {
        // It failed with exit 1 and a DirectoryNotFoundException's stack trace, after the whole source was read and rated.
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("a-file"), "");
        var output = Path.Combine(dir.Path, under);
        string[] args = command switch
        {
            "nightly" => [command, "--source", Fixture("scenarios"), "--out", output, "--date", "2026-10-01"],
            "generate" => [command, "--contacts", "10", "--days", "1", "--out", output],
            _ => [command, "--source", Fixture("scenarios"), "--out", output],
        };

        var (exit, _, err) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains($"--out '{output}' lies under '{dir.Sub("a-file")}', which is a file", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_json_tells_two_cards_of_one_version_apart_and_says_whether_an_agent_directory_was_given()
    {
        using var dir = new TempDir();
        var card = System.Text.Json.Nodes.JsonNode.Parse(Core.Rating.BuiltInRateCards.Default.ToJson())!;
        var row = card["rows"]!.AsArray()[0]!;
        row["price"] = row["price"]!.GetValue<decimal>() + 0.001m; // the same version, one price edited
        File.WriteAllText(dir.Sub("card.json"), card.ToJsonString());
        File.WriteAllText(dir.Sub("agents.csv"), "username,phone_type,desk_phone_number,as_of\n");

        Assert.Equal(0, (await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("builtin"))).Exit);
        Assert.Equal(0, (await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("edited"), "--rate-card", dir.Sub("card.json"), "--agents", dir.Sub("agents.csv"))).Exit);
        using var builtin = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Sub("builtin"), "run.json")));
        using var edited = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Sub("edited"), "run.json")));
        Assert.Equal(builtin.RootElement.GetProperty("rateCardVersion").GetString(), edited.RootElement.GetProperty("rateCardVersion").GetString());
        Assert.Matches("^[0-9a-f]{64}$", builtin.RootElement.GetProperty("rateCardSha256").GetString());
        Assert.NotEqual(builtin.RootElement.GetProperty("rateCardSha256").GetString(), edited.RootElement.GetProperty("rateCardSha256").GetString());
        Assert.False(builtin.RootElement.GetProperty("agentDirectoryProvided").GetBoolean());
        Assert.True(edited.RootElement.GetProperty("agentDirectoryProvided").GetBoolean()); // an empty directory is still one given
    }

    [Fact]
    public async Task A_whole_replay_into_an_out_holding_other_days_says_which_days_it_left()
    {
        using var dir = new TempDir();
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.DoesNotContain(logs, l => l.Contains("were not written by this run", StringComparison.Ordinal));

        // A day an earlier run wrote (another month's source, say).
        var day = Directory.GetDirectories(Path.Combine(dir.Sub("out"), "charges"))[0];
        Directory.CreateDirectory(Path.Combine(dir.Sub("out"), "charges", "dt=2020-01-01"));
        File.Copy(Directory.GetFiles(day)[0], Path.Combine(dir.Sub("out"), "charges", "dt=2020-01-01", "part-00000.parquet"));

        (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.True(exit == 0, string.Join('\n', logs));
        var warning = Assert.Single(logs, l => l.Contains("were not written by this run", StringComparison.Ordinal));
        Assert.StartsWith("Warning: 1 day(s)", warning, StringComparison.Ordinal);
        Assert.Contains("(2020-01-01)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_inventory_a_number_written_two_ways_is_one_number_and_anonymous_is_none()
    {
        using var dir = new TempDir();
        var s01 = File.ReadAllLines(Fixture("scenarios", "s01-ivr-only", "ctrs.json")).First(l => l.Contains("\"ContactId\"", StringComparison.Ordinal));
        Assert.Contains("\"SystemEndpoint\":{\"Address\":\"+81312340001\"", s01, StringComparison.Ordinal);
        string Call(string id, string address) => s01.Replace("9941a295-adcd-5df4-af2e-6de4ea0d72a4", id, StringComparison.Ordinal)
            .Replace("\"Address\":\"+81312340001\"", $"\"Address\":\"{address}\"", StringComparison.Ordinal);
        Directory.CreateDirectory(dir.Sub("ctr"));
        File.WriteAllLines(dir.Sub("ctr/calls.json"), [Call("c-1", "+81312340001"), Call("c-2", "+81 3 1234 0001"), Call("c-3", "anonymous"), Call("c-4", "Softphone")]);

        var (exit, json, err) = await CliRunner.RunAsync("replay", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"), "--summary", "json");
        Assert.True(exit == 0, err);
        using var summary = JsonDocument.Parse(json);
        Assert.Equal(4, summary.RootElement.GetProperty("rated").GetInt64());
        // One number-day for the one number; none unrated for "anonymous" or "Softphone" (they were each a ZZ number, every day).
        Assert.Equal("1", summary.RootElement.GetProperty("quantity").GetProperty("number-days:did").GetString());
        Assert.False(summary.RootElement.TryGetProperty("unratedCharges", out var unrated) && unrated.TryGetProperty("number-days:did", out _));
    }

    [Fact]
    public async Task Quarantine_from_a_folder_without_arrival_times_files_under_the_runs_first_day()
    {
        using var dir = new TempDir();
        // The scenario folders are flat, and each holds an expected.json, which is not a CTR.
        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.True(exit == 0, err);
        var first = Directory.GetDirectories(Path.Combine(dir.Sub("out"), "charges")).Select(Path.GetFileName).Order(StringComparer.Ordinal).First();
        var quarantineDays = Directory.GetDirectories(Path.Combine(dir.Sub("out"), "quarantine")).Select(Path.GetFileName).ToList();
        Assert.Contains(first, quarantineDays);
        Assert.DoesNotContain("dt=1970-01-01", quarantineDays); // where it was, outside any query over the run's days
    }

    [Fact]
    public async Task Off_a_terminal_progress_is_logged_with_the_rate_and_what_is_left()
    {
        using var dir = new TempDir();
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"), "--summary", "json");
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Information: decode: (\d+)/\1 objects, \d+ records \(\d+/s\), 100 % done, about 0 s left$"));
    }

    [Fact]
    public async Task Audit_export_logs_progress_as_the_replay_does_and_writes_nothing_to_stdout()
    {
        // 16 s at 1 M CTRs without a line: the docs promise progress every 2 s for long runs.
        using var dir = new TempDir();
        var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync("audit-export", "--source", Fixture("scenarios"), "--out", dir.Sub("audit.csv"));
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Information: decode: (\d+)/\1 objects, \d+ records \(\d+/s\), 100 % done, about 0 s left$"));
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Audit_export_accounts_for_every_record_it_read_as_the_replay_does_and_warns_of_those_it_quarantined()
    {
        // Was only "Wrote N charges": the records set aside (the fixtures' README and expected.json files, a broken
        // record) and those of other days were not mentioned, and the export lacked them without a word.
        using var dir = new TempDir();
        string[] range = ["--source", Fixture("scenarios"), "--from", "2026-10-14", "--to", "2026-10-14"];
        var (exit, json, err) = await CliRunner.RunAsync(["replay", .. range, "--out", dir.Sub("out"), "--summary", "json"]);
        Assert.True(exit == 0, err);
        var replay = JsonDocument.Parse(json).RootElement;
        long Count(string name) => replay.GetProperty(name).GetInt64();
        Assert.True(Count("quarantined") > 0 && Count("outOfRange") > 0, json);

        var (auditExit, stdout, logs) = await CliRunner.RunWithLogsAsync(["audit-export", .. range, "--out", dir.Sub("audit.csv")]);
        Assert.True(auditExit == 0, string.Join('\n', logs));
        Assert.Equal("", stdout);
        var reasons = string.Join(", ", replay.GetProperty("quarantinedByReason").EnumerateObject().Select(r => $"{r.Name} {r.Value.GetInt64()}"));
        Assert.Contains($"Information: Records: {Count("records")} read = {Count("rated")} rated (voice, unique) + {Count("duplicates")} superseded duplicates + " +
            $"{Count("quarantined")} quarantined ({reasons}) + {Count("nonVoiceContacts")} non-voice contacts + {Count("outOfRange")} other days (look-ahead)", logs);
        var warning = Assert.Single(logs, l => l.Contains("were quarantined", StringComparison.Ordinal));
        Assert.StartsWith($"Warning: {Count("quarantined")} record(s) could not be used and were quarantined, so the export lacks them ({reasons}); the first: ", warning, StringComparison.Ordinal);
        Assert.Contains("replay (or nightly) of the same source and days writes each to the quarantine table", warning, StringComparison.Ordinal);

        // The last line accounts for every row of the file: the calls' charges, the chat contact's and the numbers' (it counted calls only).
        var wrote = Assert.Single(logs, l => l.StartsWith("Information: Wrote ", StringComparison.Ordinal));
        var parts = System.Text.RegularExpressions.Regex.Match(wrote, @"^Information: Wrote (\d+) charges to .+: (\d+) of (\d+) calls, (\d+) of chat, task and email contacts, (\d+) number-days$");
        Assert.True(parts.Success, wrote);
        long Part(int i) => long.Parse(parts.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(File.ReadLines(dir.Sub("audit.csv")).Count() - 1, Part(1));
        Assert.Equal(Part(1), Part(2) + Part(4) + Part(5));
        Assert.Equal((Count("chains"), Count("nonVoiceContacts")), (Part(3), Part(4)));
        Assert.True(Part(5) > 0, wrote);
    }

    [Fact]
    public async Task A_day_whose_look_ahead_has_not_passed_is_rated_with_a_warning_that_it_is_incomplete()
    {
        using var dir = new TempDir();
        var (_, _, logs) = await CliRunner.RunWithLogsAsync("nightly", "--date", "2026-10-14", "--source", Fixture("scenarios"), "--out", dir.Sub("past"));
        Assert.DoesNotContain(logs, l => l.Contains("is not complete until", StringComparison.Ordinal));

        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (exit, _, current) = await CliRunner.RunWithLogsAsync("nightly", "--date", today, "--source", Fixture("scenarios"), "--out", dir.Sub("today"));
        Assert.True(exit == 0, string.Join('\n', current));
        Assert.Contains(current, l => l.StartsWith($"Warning: {today} is not complete until ", StringComparison.Ordinal) && l.Contains("06:00 UTC", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pseudonym_is_one_per_number_however_written_and_values_that_are_no_number_keep_apart()
    {
        // Hashing a value's digits alone gave 001… and +1… two pseudonyms, and every value without digits one.
        using var tmp = new TempDir();
        var s01 = await File.ReadAllTextAsync(Fixture("scenarios", "s01-ivr-only", "ctrs.json"));
        string[] customers = ["+1 206-555-7314", "0012065557314", "anonymous", "sip:alice@example.com"];
        var records = customers.Select((number, i) => s01
            .Replace("9941a295-adcd-5df4-af2e-6de4ea0d72a4", $"9941a295-adcd-5df4-af2e-6de4ea0d72a{i}", StringComparison.Ordinal)
            .Replace("\"+819011112222\"", $"\"{number}\"", StringComparison.Ordinal));
        Directory.CreateDirectory(tmp.Sub("ctr"));
        await File.WriteAllTextAsync(Path.Combine(tmp.Sub("ctr"), "calls.json"), string.Join('\n', records));
        await File.WriteAllTextAsync(tmp.Sub("key"), "0123456789abcdef0123456789abcdef");
        var csv = tmp.Sub("hashed.csv");
        var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", tmp.Sub("ctr"), "--out", csv, "--hash-numbers", "--hash-key-file", tmp.Sub("key"));
        Assert.True(exit == 0, err);

        var lines = await File.ReadAllLinesAsync(csv);
        var header = lines[0].Split(',');
        var (contact, customer) = (Array.IndexOf(header, "contact_id"), Array.IndexOf(header, "customer_number"));
        var byContact = lines.Skip(1).Select(l => l.Split(',')).Where(f => f[contact].Length > 0).GroupBy(f => f[contact][^1]).ToDictionary(g => g.Key, g => g.Select(f => f[customer]).Distinct().Single());
        Assert.Equal(byContact['0'], byContact['1']);
        var empty = "hmac:" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("0123456789abcdef0123456789abcdef"u8, ""u8))[..16];
        Assert.Equal(4, new[] { byContact['0'], byContact['2'], byContact['3'], empty }.Distinct().Count());
    }

    [Fact]
    public async Task A_tel_uri_gets_the_pseudonym_of_the_number_it_names()
    {
        // tel:+81… masked as the number but hashed as written: one customer, two pseudonyms.
        using var tmp = new TempDir();
        var s01 = await File.ReadAllTextAsync(Fixture("scenarios", "s01-ivr-only", "ctrs.json"));
        string[] customers = ["+819012345678", "+81 90 1234 5678", "0081-90-1234-5678", "tel:+819012345678", "TEL:+81-90-1234-5678;ext=101"];
        var records = customers.Select((number, i) => s01
            .Replace("9941a295-adcd-5df4-af2e-6de4ea0d72a4", $"9941a295-adcd-5df4-af2e-6de4ea0d72a{i}", StringComparison.Ordinal)
            .Replace("\"+819011112222\"", $"\"{number}\"", StringComparison.Ordinal));
        Directory.CreateDirectory(tmp.Sub("ctr"));
        await File.WriteAllTextAsync(Path.Combine(tmp.Sub("ctr"), "calls.json"), string.Join('\n', records));
        await File.WriteAllTextAsync(tmp.Sub("key"), "0123456789abcdef0123456789abcdef");

        async Task<Dictionary<char, string>> CustomerByContact(params string[] how)
        {
            var csv = tmp.Sub($"{how.Length}.csv");
            var (exit, _, err) = await CliRunner.RunAsync(["audit-export", "--source", tmp.Sub("ctr"), "--out", csv, .. how]);
            Assert.True(exit == 0, err);
            var lines = await File.ReadAllLinesAsync(csv);
            var header = lines[0].Split(',');
            var (contact, customer) = (Array.IndexOf(header, "contact_id"), Array.IndexOf(header, "customer_number"));
            return lines.Skip(1).Select(l => l.Split(',')).Where(f => f[contact].Length > 0).GroupBy(f => f[contact][^1])
                .ToDictionary(g => g.Key, g => g.Select(f => f[customer]).Distinct().Single());
        }

        // The masked export shows the bare tel: URI as that number; so is its pseudonym.
        var masked = await CustomerByContact();
        Assert.All(masked.Values.Take(4), m => Assert.EndsWith("8190****5678", m, StringComparison.Ordinal));
        var hashed = await CustomerByContact("--hash-numbers", "--hash-key-file", tmp.Sub("key"));
        var number = "hmac:" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("0123456789abcdef0123456789abcdef"u8, "819012345678"u8))[..16];
        Assert.Equal(Enumerable.Repeat(number, customers.Length), "01234".Select(i => hashed[i]));
    }

    [Fact]
    public async Task Whatif_shows_a_queue_name_with_control_characters_escaped()
    {
        // A queue name is CTR text: raw, "\u001b[2K\r" erased the line on a terminal and printed what followed in its place.
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        var s02 = await File.ReadAllTextAsync(Fixture("scenarios", "s02-ivr-queue-agent", "ctrs.json"));
        await File.WriteAllTextAsync(Path.Combine(dir.Sub("ctr"), "calls.json"), s02.Replace("\"Name\":\"support\"", "\"Name\":\"support\\u001b[2K\\rTotal: 0.00\"", StringComparison.Ordinal));
        var (exit, stdout, err) = await CliRunner.RunAsync("whatif", "--source", dir.Sub("ctr"), "--all-softphone");
        Assert.True(exit == 0, err);
        Assert.DoesNotContain('\u001b', stdout);
        Assert.DoesNotContain('\r', stdout);
        Assert.Contains("support\\u001B[2K\\rTotal: 0.00", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_arriving_after_its_days_look_ahead_is_named_by_the_night_that_reads_it_with_the_look_ahead_that_takes_it_in()
    {
        // A call from 23:50 to 02:50: its transfer child arrives in the look-ahead, its root (delivered late) two nights on.
        using var dir = new TempDir();
        const string instance = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001";
        static string Record(string id, string? previous, string method, string init, string disconnect)
        {
            var parent = previous is null ? "null" : $"\"{previous}\"";
            return $$$"""{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"{{{id}}}","InitialContactId":{{{parent}}},"PreviousContactId":{{{parent}}},"Channel":"VOICE","InitiationMethod":"{{{method}}}","InitiationTimestamp":"{{{init}}}","ConnectedToSystemTimestamp":"{{{init}}}","DisconnectTimestamp":"{{{disconnect}}}","LastUpdateTimestamp":"{{{disconnect}}}","InstanceARN":"{{{instance}}}","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"}}""";
        }

        const string root = "2be51ae2-75ac-43dd-8e2e-8243a6dd658f", child = "7c1f0d3e-9a55-4b8e-a0c4-5f3a2d1e6b70";
        void Put(string hour, string json) => File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Sub("ctr/" + hour)).FullName, "part"), json);
        Put("2026/10/15/00", Record(child, root, "TRANSFER", "2026-10-14T23:58:00Z", "2026-10-15T02:50:00Z"));
        Put("2026/10/16/03", Record(root, null, "INBOUND", "2026-10-14T23:50:00Z", "2026-10-14T23:58:00Z"));

        async Task<(long Seconds, IReadOnlyList<string> Logs)> Night(string date, params string[] extra)
        {
            var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync(["nightly", "--date", date, "--source", dir.Sub("ctr"), "--out", dir.Sub("out"), "--summary", "json", .. extra]);
            Assert.True(exit == 0, string.Join('\n', logs));
            using var summary = JsonDocument.Parse(stdout);
            return (summary.RootElement.GetProperty("billedSeconds").TryGetProperty("telephony:inbound-did", out var s) ? s.GetInt64() : 0, logs);
        }

        Assert.Equal(10_320, (await Night("2026-10-14")).Seconds); // the child alone (23:58 to 02:50), as an orphan
        var (_, logs) = await Night("2026-10-16");
        Assert.Contains(logs, l => l.StartsWith("Warning: 1 record(s) of calls on 2026-10-14 arrived more than 6 h (this run's look-ahead) after that day", StringComparison.Ordinal)
            && l.EndsWith("run it again: nightly --date 2026-10-14 --look-ahead-hours 28", StringComparison.Ordinal));
        using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(dir.Sub("out/_runs/2026-10-16_2026-10-16/run.json"))))
        {
            var late = Assert.Single(manifest.RootElement.GetProperty("lateArrivals").EnumerateArray());
            Assert.Equal(("2026-10-14", 1L, 28), (late.GetProperty("day").GetString(), late.GetProperty("records").GetInt64(), late.GetProperty("lookAheadHours").GetInt32()));
        }

        Assert.Equal(10_800, (await Night("2026-10-14", "--look-ahead-hours", "28")).Seconds); // the whole leg, 23:50 to 02:50
        Assert.Equal(10_320, (await Night("2026-10-14", "--look-ahead-hours", "27")).Seconds);
        // Night 15 reads the child inside 14's look-ahead (not late) and the root in its own look-ahead hours,
        // which are night 16's to name: each late record is named once, so the nights' counts add up.
        Assert.DoesNotContain((await Night("2026-10-15")).Logs, l => l.Contains("did not read them", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_late_for_many_days_gets_five_warnings_and_one_line_for_the_rest()
    {
        // A record names every day its call spanned: one warning per day once flooded the log (a call stamped
        // years early, since quarantined, wrote 9,783 lines). A week-long call, the longest kept, names seven.
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Sub("ctr/2026/10/14/12")).FullName, "part"),
            """{"ContactId":"c-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-07T12:00:00Z","DisconnectTimestamp":"2026-10-14T11:00:00Z","SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"}}""");
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("nightly", "--date", "2026-10-14", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"));
        Assert.Equal(0, exit);
        var late = logs.Where(l => l.Contains("arrived more than 6 h", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, late.Count);
        Assert.StartsWith("Warning: 1 record(s) of calls on 2026-10-07 arrived", late[0], StringComparison.Ordinal);
        Assert.Contains("Warning: 2 more earlier day(s), 2026-10-12 to 2026-10-13, have 2 record(s) that arrived after their look-ahead too: " +
            "replay --from 2026-10-12 --to 2026-10-13 --look-ahead-hours 37 reads them all (run.json's lateArrivals lists each day with the --look-ahead-hours a run of it needs)", logs);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(dir.Sub("out/_runs/2026-10-14_2026-10-14/run.json")));
        Assert.Equal(7, manifest.RootElement.GetProperty("lateArrivals").GetArrayLength());
        Assert.Contains(manifest.RootElement.GetProperty("lateArrivals").EnumerateArray(), d => d.GetProperty("day").GetString() == "2026-10-12" && d.GetProperty("lookAheadHours").GetInt32() == 37);

        // audit-export writes no run.json: its folded line had pointed to one, and the days' look-ahead was lost.
        var (auditExit, _, auditLogs) = await CliRunner.RunWithLogsAsync("audit-export", "--from", "2026-10-14", "--to", "2026-10-14", "--source", dir.Sub("ctr"), "--out", dir.Sub("audit.csv"));
        Assert.Equal(0, auditExit);
        Assert.Contains("Warning: 2 more earlier day(s), 2026-10-12 to 2026-10-13, have 2 record(s) that arrived after their look-ahead too: " +
            "replay --from 2026-10-12 --to 2026-10-13 --look-ahead-hours 37 reads them all", auditLogs);
    }

    [Theory]
    [InlineData("2026-10-08T09", "holding chains open 34 h (the look-ahead is 6 h)")] // the next morning: a longer hold meets it
    [InlineData("2026-10-12T09", "holding every record")] // days late
    public async Task A_record_that_changes_a_written_day_says_how_the_range_was_read_again(string dialledHour, string how)
    {
        using var dir = new TempDir();
        QueuedCallback.Write(dir.Sub("ctr"), dialledHour);
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"));
        Assert.Equal(0, exit);
        Assert.Contains("Information: A late or changed record made the run read the range again, " + how, logs);
    }

    [Fact]
    public async Task A_root_read_after_its_child_with_no_look_ahead_ends_in_a_held_read_not_a_loop()
    {
        // The root (Oct 3, 23:50) joins its child's group, opened on Oct 4 in the same hour: the group's day becomes Oct 3,
        // already written, with no late record counted. The windowed re-read then had no hold to grow and read for ever.
        using var dir = new TempDir();
        static string Call(string id, string method, string start, string end, string? root = null) =>
            $$$"""{"ContactId":"{{{id}}}",{{{(root is null ? "" : $"\"InitialContactId\":\"{root}\",\"PreviousContactId\":\"{root}\",")}}}"Channel":"VOICE","InitiationMethod":"{{{method}}}","InitiationTimestamp":"{{{start}}}","ConnectedToSystemTimestamp":"{{{start}}}","DisconnectTimestamp":"{{{end}}}","CustomerEndpoint":{"Address":"+13125550111","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"}}""";
        void Put(string hour, string name, string json) => File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Sub("ctr/" + hour)).FullName, name), json);
        Put("2026/10/03/22", "a", Call("c-1", "INBOUND", "2026-10-03T22:00:00Z", "2026-10-03T22:10:00Z"));
        Put("2026/10/04/00", "a-child", Call("x-2", "TRANSFER", "2026-10-04T00:05:00Z", "2026-10-04T00:20:00Z", root: "x-1"));
        Put("2026/10/04/00", "b-root", Call("x-1", "INBOUND", "2026-10-03T23:50:00Z", "2026-10-04T00:05:00Z"));
        Put("2026/10/04/05", "c", Call("c-2", "INBOUND", "2026-10-04T05:00:00Z", "2026-10-04T05:10:00Z"));

        var run = CliRunner.RunWithLogsAsync("replay", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"), "--look-ahead-hours", "0", "--summary", "json");
        var (exit, json, logs) = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, exit);
        using var summary = JsonDocument.Parse(json);
        Assert.Equal(3, summary.RootElement.GetProperty("chains").GetInt32());
        Assert.Contains("Information: A late or changed record made the run read the range again, holding every record", logs);
    }

    [Fact]
    public async Task A_callback_dialled_days_after_it_was_asked_for_is_late_for_its_chains_day_only()
    {
        // Its InitiationTimestamp is the request's (10-12), its call the 22nd's: the nightly of the 22nd named every day it
        // waited in queue (10-12 to 10-21), ten days to run again where one has records of the chain.
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Sub("ctr/2026/10/22/10")).FullName, "part"),
            """{"ContactId":"cb-1","InitialContactId":"in-1","PreviousContactId":"in-1","Channel":"VOICE","InitiationMethod":"CALLBACK","InitiationTimestamp":"2026-10-12T09:01:00Z","ConnectedToSystemTimestamp":"2026-10-22T10:00:00Z","DisconnectTimestamp":"2026-10-22T10:05:00Z","CustomerEndpoint":{"Address":"+13125550111","Type":"TELEPHONE_NUMBER"}}""");
        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("nightly", "--date", "2026-10-22", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"));
        Assert.Equal(0, exit);
        var late = Assert.Single(logs, l => l.Contains("arrived more than 6 h", StringComparison.Ordinal));
        Assert.StartsWith("Warning: 1 record(s) of calls on 2026-10-12 arrived", late, StringComparison.Ordinal);
        Assert.EndsWith("nightly --date 2026-10-12 --look-ahead-hours 227", late, StringComparison.Ordinal);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(dir.Sub("out/_runs/2026-10-22_2026-10-22/run.json")));
        Assert.Equal(["2026-10-12"], manifest.RootElement.GetProperty("lateArrivals").EnumerateArray().Select(d => d.GetProperty("day").GetString()));
    }

    [Theory]
    // A transfer after midnight of a call that began before it, delivered after that day's look-ahead: it is late for its chain's day.
    [InlineData("late-child", "2026-11-01", "2026-10-31:8")]
    // The same transfer starting after midnight, its parent not in the night's hours: the night knows the chain from the
    // earlier day's published contacts, not by reading the parent; rated there as an orphan it was billed twice.
    [InlineData("late-child-after-midnight", "2026-11-01", "2026-10-31:9")]
    // A parent delivered two nights late, whose child (after midnight, on time) its night rated alone as an orphan:
    // late for its own day, and for each day its call spanned, whose run rated such children.
    [InlineData("late-parent", "2026-11-03", "2026-10-31:61,2026-11-01:37")]
    public async Task A_late_record_names_every_night_it_changes_and_running_them_again_as_told_bills_the_chain_once(string kind, string reading, string named)
    {
        using var dir = new TempDir();
        const string root = "2be51ae2-75ac-43dd-8e2e-8243a6dd658f", child = "7c1f0d3e-9a55-4b8e-a0c4-5f3a2d1e6b70";
        static string Record(string id, string? previous, string method, string init, string disconnect) =>
            $$$"""{"ContactId":"{{{id}}}","InitialContactId":{{{(previous is null ? "null" : $"\"{previous}\"")}}},"PreviousContactId":{{{(previous is null ? "null" : $"\"{previous}\"")}}},"Channel":"VOICE","InitiationMethod":"{{{method}}}","InitiationTimestamp":"{{{init}}}","ConnectedToSystemTimestamp":"{{{init}}}","DisconnectTimestamp":"{{{disconnect}}}","LastUpdateTimestamp":"{{{disconnect}}}","InstanceARN":"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"}}""";
        void Put(string hour, string json) => File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir.Sub("ctr/" + hour)).FullName, "part"), json);
        long whole;
        if (kind == "late-child")
        {
            Put("2026/11/01/00", Record(root, null, "INBOUND", "2026-10-31T23:50:00Z", "2026-11-01T00:10:00Z"));
            Put("2026/11/01/07", Record(child, root, "TRANSFER", "2026-11-01T00:10:00Z", "2026-11-01T07:00:00Z"));
            whole = 25_800; // 23:50 to 07:00
        }
        else if (kind == "late-child-after-midnight")
        {
            Put("2026/10/31/23", Record(root, null, "INBOUND", "2026-10-31T23:40:00Z", "2026-10-31T23:59:00Z"));
            Put("2026/11/01/08", Record(child, root, "TRANSFER", "2026-11-01T00:05:00Z", "2026-11-01T00:30:00Z"));
            whole = 2_640; // 23:40 to 23:59 and 00:05 to 00:30
        }
        else
        {
            Put("2026/11/01/00", Record(child, root, "TRANSFER", "2026-11-01T00:01:00Z", "2026-11-01T00:05:00Z"));
            Put("2026/11/03/12", Record(root, null, "INBOUND", "2026-10-31T23:50:00Z", "2026-11-01T00:01:00Z"));
            whole = 900; // 23:50 to 00:05
        }

        async Task<(long Seconds, IReadOnlyList<string> Logs)> Night(string date, params string[] extra)
        {
            var (exit, stdout, logs) = await CliRunner.RunWithLogsAsync(["nightly", "--date", date, "--source", dir.Sub("ctr"), "--out", dir.Sub("out"), "--summary", "json", .. extra]);
            Assert.True(exit == 0, string.Join('\n', logs));
            using var summary = JsonDocument.Parse(stdout);
            return (summary.RootElement.GetProperty("billedSeconds").TryGetProperty("telephony:inbound-did", out var s) ? s.GetInt64() : 0, logs);
        }

        // Billed seconds by day and charge kind: a chain billed on the wrong day, or a leg billed twice, shows in some kind.
        string Published(string folder = "out")
        {
            using var db = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"SELECT string_agg(CAST(day AS VARCHAR) || ' ' || charge_kind || ' ' || CAST(s AS VARCHAR), ', ' ORDER BY day, charge_kind) FROM " +
                $"(SELECT day, charge_kind, sum(billed_seconds) AS s FROM read_parquet('{dir.Sub(folder)}/charges/*/*.parquet') WHERE billed_seconds > 0 GROUP BY ALL)";
            return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }

        var (replayed, json, _) = await CliRunner.RunWithLogsAsync("replay", "--source", dir.Sub("ctr"), "--out", dir.Sub("whole"), "--summary", "json");
        Assert.Equal(0, replayed);
        Assert.Equal(whole, JsonDocument.Parse(json).RootElement.GetProperty("billedSeconds").GetProperty("telephony:inbound-did").GetInt64());
        foreach (var day in new[] { "2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03" })
        {
            await Night(day);
        }

        Assert.Contains("2026-10-31 telephony:inbound-did", Published("whole"), StringComparison.Ordinal);
        Assert.NotEqual(Published("whole"), Published()); // the nights alone lose the late child, or bill the orphan child besides nothing or on its own day
        var (_, logs) = await Night(reading);
        var told = named.Split(',').Select(n => n.Split(':')).ToList();
        foreach (var n in told)
        {
            Assert.Contains(logs, l => l.Contains($" record(s) of calls on {n[0]} arrived more than 6 h", StringComparison.Ordinal)
                && l.EndsWith($"run it again: nightly --date {n[0]} --look-ahead-hours {n[1]}", StringComparison.Ordinal));
        }

        Assert.Equal(told.Count, logs.Count(l => l.Contains("run it again: nightly", StringComparison.Ordinal)));
        foreach (var n in told)
        {
            await Night(n[0], "--look-ahead-hours", n[1]);
        }

        Assert.Equal(Published("whole"), Published()); // once, on 2026-10-31, as a replay of the month bills it
    }

    [Fact]
    public async Task A_chain_whose_records_name_two_instances_is_warned_about()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        static string Record(string id, string? root, string method, string instance, string start, string end) =>
            $$$"""{"ContactId":"{{{id}}}","InitialContactId":{{{(root is null ? "null" : $"\"{root}\"")}}},"PreviousContactId":{{{(root is null ? "null" : $"\"{root}\"")}}},"Channel":"VOICE","InitiationMethod":"{{{method}}}","InitiationTimestamp":"{{{start}}}","ConnectedToSystemTimestamp":"{{{start}}}","DisconnectTimestamp":"{{{end}}}","InstanceARN":"{{{instance}}}","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"}}""";
        await File.WriteAllTextAsync(dir.Sub("ctr/calls.json"), string.Join('\n',
            Record("c0ffee00-0000-4000-8000-000000000001", null, "INBOUND", "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001", "2026-10-14T10:00:00Z", "2026-10-14T10:05:00Z"),
            Record("c0ffee00-0000-4000-8000-000000000002", "c0ffee00-0000-4000-8000-000000000001", "TRANSFER", "arn:aws:connect:ap-northeast-1:111122223333:instance/bbbbbbbb-0000-4000-8000-000000000002", "2026-10-14T10:05:00Z", "2026-10-14T10:09:00Z"),
            Record("c0ffee00-0000-4000-8000-000000000003", null, "INBOUND", "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001", "2026-10-14T11:00:00Z", "2026-10-14T11:05:00Z")));

        var (exit, _, logs) = await CliRunner.RunWithLogsAsync("replay", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"));

        // Was billed wholly in the first record's instance and region, without a word.
        Assert.True(exit == 0, string.Join('\n', logs));
        var warning = Assert.Single(logs, l => l.Contains("more than one instance", StringComparison.Ordinal));
        Assert.StartsWith("Warning: 1 chain(s) hold records of more than one instance (the first: root c0ffee00-0000-4000-8000-000000000001)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_holding_no_objects_is_a_usage_error_for_every_command_that_reads_ctrs_and_what_was_published_stays()
    {
        using var dir = new TempDir();
        var empty = Directory.CreateDirectory(dir.Sub("typo")).FullName;
        var (exit, _, err) = await CliRunner.RunAsync("nightly", "--date", "2026-10-14", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.True(exit == 0, err);
        var published = Tree(dir.Sub("out"));
        Assert.Contains(published.Keys, k => k.StartsWith("charges/dt=2026-10-14/", StringComparison.Ordinal));

        // Was exit 0 with a warning; the nightly and the replay published empty partitions over the day's.
        string[][] runs =
        [
            ["nightly", "--date", "2026-10-14", "--source", empty, "--out", dir.Sub("out")],
            ["replay", "--source", empty, "--out", dir.Sub("out")],
            ["replay", "--source", empty, "--out", dir.Sub("out"), "--hour-pattern", @"ctr-(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})", "--from", "2026-10-14", "--to", "2026-10-14"],
            ["audit-export", "--source", empty, "--out", dir.Sub("audit.csv")],
            ["whatif", "--source", empty, "--all-softphone"],
            ["explain", "--source", empty, "--contact", "c-1"],
            ["estimate", "--from-ctrs", empty],
        ];
        foreach (var args in runs)
        {
            (exit, _, err) = await CliRunner.RunAsync(args);
            Assert.True(exit == 2, $"{string.Join(' ', args)}: exit {exit}\n{err}");
            Assert.Contains($"error: The source {empty} holds no objects", err, StringComparison.Ordinal);
        }

        Assert.Equal(published, Tree(dir.Sub("out")));
        Assert.False(File.Exists(dir.Sub("audit.csv")));
    }

    [Fact]
    public async Task A_quiet_range_of_a_source_that_holds_objects_succeeds_with_a_warning()
    {
        // CTRs in Firehose's hour layout, none of them in the range: a day without calls, not a mistake.
        using var dir = new TempDir();
        var hour = Directory.CreateDirectory(dir.Sub(Path.Combine("ctr", "2026", "10", "14", "10"))).FullName;
        File.Copy(Fixture("scenarios", "s01-ivr-only", "ctrs.json"), Path.Combine(hour, "ctrs.json"));
        var (exit, json, logs) = await CliRunner.RunWithLogsAsync("nightly", "--date", "2026-11-20", "--source", dir.Sub("ctr"), "--out", dir.Sub("out"), "--summary", "json");
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.Equal(0, JsonDocument.Parse(json).RootElement.GetProperty("records").GetInt64());
        Assert.Contains(logs, l => l.StartsWith("Warning: No CTRs were read from", StringComparison.Ordinal));

        // The commands that rate a range say so too.
        (exit, _, logs) = await CliRunner.RunWithLogsAsync("audit-export", "--source", dir.Sub("ctr"), "--from", "2026-11-20", "--to", "2026-11-20", "--out", dir.Sub("audit.csv"));
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.Contains(logs, l => l.StartsWith("Warning: No CTRs were read from", StringComparison.Ordinal));
        Assert.Contains($"Information: Wrote 0 charges to {dir.Sub("audit.csv")}: 0 of 0 calls, 0 of chat, task and email contacts, 0 number-days", logs); // a log line (JSON off a terminal), not plain text
        (exit, _, logs) = await CliRunner.RunWithLogsAsync("whatif", "--source", dir.Sub("ctr"), "--from", "2026-11-20", "--to", "2026-11-20", "--all-softphone");
        Assert.True(exit == 0, string.Join('\n', logs));
        Assert.Contains(logs, l => l.StartsWith("Warning: No CTRs were read from", StringComparison.Ordinal));
    }

    private static SortedDictionary<string, string> Tree(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'), f => Convert.ToHexString(File.ReadAllBytes(f))), StringComparer.Ordinal);

    [Fact]
    public async Task Settings_from_appsettings_json_apply_and_a_setting_no_command_reads_is_warned_about()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("appsettings.json"), """{ "summary": "json", "look_ahead_hours": 6, "ConnectReconcile": { "Agents": "agents.csv" } }""");
        var (exit, json, err, logs) = await CliRunner.RunWithSettingsAsync(dir.Path, "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.True(exit == 0, err + string.Join('\n', logs));
        Assert.True(JsonDocument.Parse(json).RootElement.GetProperty("records").GetInt64() > 0); // "summary" applied
        var warning = Assert.Single(logs, l => l.StartsWith("Warning: appsettings.json", StringComparison.Ordinal));
        Assert.Contains("\"ConnectReconcile\" is not a setting and is ignored", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "agents": "agents.csv", """, "appsettings.json is not valid")]
    [InlineData("""{ "agents": { "path": "agents.csv" } }""", "appsettings.json: \"agents\" must be a single value, not an object or array.")]
    [InlineData("""{ "from": "10/02/2026" }""", "error: appsettings.json: \"from\" is not a date (YYYY-MM-DD): '10/02/2026'.")]
    [InlineData("""{ "parallelism": "99999999999" }""", "error: appsettings.json: \"parallelism\" is not a whole number up to 2147483647")] // was an OverflowException
    public Task An_appsettings_json_that_does_not_parse_or_holds_a_setting_as_an_object_is_a_usage_error_and_nothing_is_written(string json, string why) =>
        ReplayRefusesSettings(json, why);

    [Theory]
    [InlineData("""{ "summary": "xml" }""", "error: appsettings.json: \"summary\" must be 'table' or 'json'.")]
    [InlineData("""{ "replay": { "look_ahead_hours": -1 } }""", "error: appsettings.json: \"replay:look_ahead_hours\" must be at least 0 (got -1).")]
    [InlineData("""{ "parallelism": 0 }""", "error: appsettings.json: \"parallelism\" must be at least 1 (got 0).")]
    [InlineData("""{ "to": "9999-12-31" }""", "error: appsettings.json: \"to\" (9999-12-31) must be a day from 1970 to 9998.")]
    [InlineData("""{ "from": "2026-10-02", "to": "2026-10-01" }""", "error: appsettings.json: \"from\" (2026-10-02) is after appsettings.json: \"to\" (2026-10-01).")]
    [InlineData("""{ "hour_pattern": "(?<y>\\d{4})/" }""", "error: appsettings.json: \"hour_pattern\" '(?<y>\\d{4})/' lacks the named group(s) m, d")]
    public Task A_setting_of_the_right_type_but_a_wrong_value_is_refused_naming_the_key_that_gave_it(string json, string why) =>
        ReplayRefusesSettings(json, why); // the error named the flag (--summary must be …), which the user had not typed

    /// <summary>A replay with <paramref name="json"/> as its appsettings.json is a usage error saying <paramref name="why"/>, and writes nothing.</summary>
    private static async Task ReplayRefusesSettings(string json, string why)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("appsettings.json"), json);
        var (exit, _, err, _) = await CliRunner.RunWithSettingsAsync(dir.Path, "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.Equal(2, exit);
        Assert.Contains(why, err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Theory]
    [InlineData("""{ "retain_days": 0 }""", "stream --stream s --out ../x", "error: appsettings.json: \"retain_days\" must be 1 to")]
    [InlineData("""{ "get_records_limit": 20000 }""", "stream --stream s --out ../x", "error: appsettings.json: \"get_records_limit\" must be 1 to 10000")]
    [InlineData("""{ "reconcile": { "top": -1 } }""", "reconcile --cur . --rated . --month 2026-10", "error: appsettings.json: \"reconcile:top\" must be 0 or more")]
    [InlineData("""{ "account": "123" }""", "reconcile --cur . --rated . --month 2026-10", "error: appsettings.json: \"account\" must be a 12-digit AWS account id, got '123'.")]
    [InlineData("""{ "month": "2026-13" }""", "reconcile --cur . --rated .", "error: appsettings.json: \"month\" must be YYYY-MM, got '2026-13'.")]
    [InlineData("""{ "generate": { "region": "mars-1" } }""", "generate --out ../x", "error: appsettings.json: \"generate:region\" must be one of")]
    [InlineData("""{ "audit-export": { "out": "../x.txt" } }""", "audit-export --source .", "error: appsettings.json: \"audit-export:out\" must end in .csv or .parquet.")]
    [InlineData("""{ "estimate": { "month": "Oct" } }""", "estimate --from-ctrs {s01}", "error: appsettings.json: \"estimate:month\" must be YYYY-MM, found 'Oct'.")]
    public async Task A_wrong_value_for_another_command_is_refused_naming_the_key_that_gave_it(string json, string command, string why)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("appsettings.json"), json);
        var args = command.Split(' ').Select(a => a == "{s01}" ? Fixture("scenarios", "s01-ivr-only") : a).ToArray();
        var (exit, _, err, _) = await CliRunner.RunWithSettingsAsync(dir.Path, args);
        Assert.Equal(2, exit);
        Assert.Contains(why, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_value_from_the_environment_names_the_variable_and_one_from_a_flag_the_flag()
    {
        using var dir = new TempDir();
        var cwd = Directory.CreateDirectory(dir.Sub("cwd")).FullName;
        var summary = await CliRunner.RunProcessAsync(new Dictionary<string, string> { ["CONNECT_RECONCILE_SUMMARY"] = "xml" }, cwd,
            "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.Equal(2, summary.Exit);
        Assert.Contains("error: CONNECT_RECONCILE_SUMMARY must be 'table' or 'json'.", summary.Err, StringComparison.Ordinal);

        var nightly = await CliRunner.RunProcessAsync(new Dictionary<string, string> { ["CONNECT_RECONCILE_NIGHTLY__LOOK_AHEAD_HOURS"] = "-1" }, cwd,
            "nightly", "--date", "2026-10-01", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.Equal(2, nightly.Exit);
        Assert.Contains("error: CONNECT_RECONCILE_NIGHTLY__LOOK_AHEAD_HOURS must be at least 0 (got -1).", nightly.Err, StringComparison.Ordinal);

        // The flag wins over the variable, and is what the error names.
        var flag = await CliRunner.RunProcessAsync(new Dictionary<string, string> { ["CONNECT_RECONCILE_SUMMARY"] = "json" }, cwd,
            "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"), "--summary", "xml");
        Assert.Equal(2, flag.Exit);
        Assert.Contains("error: --summary must be 'table' or 'json'.", flag.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public async Task A_top_level_setting_another_command_reads_differently_says_which_section_to_put_it_in()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("appsettings.json"), """{ "cur": "invoice/cur.csv" }"""); // reconcile's file, read by generate as its switch
        var (exit, _, err, _) = await CliRunner.RunWithSettingsAsync(dir.Path, "generate", "--out", dir.Sub("out"), "--contacts", "10");
        Assert.Equal(2, exit);
        Assert.Contains("appsettings.json: \"cur\" is not true or false: 'invoice/cur.csv'. A top-level setting applies to every command with --cur; " +
            "one meant for reconcile or ratecard derive goes in that command's section: { \"reconcile\": { \"cur\": … } } (CONNECT_RECONCILE_RECONCILE__CUR).", err, StringComparison.Ordinal);

        // In generate's own section the same value needs no hint.
        File.WriteAllText(dir.Sub("appsettings.json"), """{ "generate": { "cur": "invoice/cur.csv" } }""");
        (exit, _, err, _) = await CliRunner.RunWithSettingsAsync(dir.Path, "generate", "--out", dir.Sub("out"), "--contacts", "10");
        Assert.Equal(2, exit);
        Assert.DoesNotContain("top-level", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setting_wrong_for_every_command_names_where_it_was_set_and_is_not_sent_to_another_section()
    {
        // Was "Setting 'look-ahead-hours' from the environment or appsettings.json …", then told to move the value to
        // nightly's section, where 'six' is no number either.
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("appsettings.json"), """{ "look_ahead_hours": "six" }""");
        var (exit, _, err, _) = await CliRunner.RunWithSettingsAsync(dir.Path, "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.Equal(2, exit);
        Assert.Contains("error: appsettings.json: \"look_ahead_hours\" is not a whole number up to 2147483647: 'six'.", err, StringComparison.Ordinal);
        Assert.DoesNotContain("section", err, StringComparison.Ordinal);

        var variable = await CliRunner.RunProcessAsync(new Dictionary<string, string> { ["CONNECT_RECONCILE_LOOK_AHEAD_HOURS"] = "six" }, Directory.CreateDirectory(dir.Sub("cwd")).FullName,
            "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.Equal(2, variable.Exit);
        Assert.Contains("error: CONNECT_RECONCILE_LOOK_AHEAD_HOURS is not a whole number up to 2147483647: 'six'.", variable.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("section", variable.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));

        // Two variables that differ only in case: one value would win silently.
        variable = await CliRunner.RunProcessAsync(new Dictionary<string, string> { ["CONNECT_RECONCILE_LOOK_AHEAD_HOURS"] = "6", ["connect_reconcile_look_ahead_hours"] = "48" },
            Directory.CreateDirectory(dir.Sub("cwd")).FullName, "replay", "--source", Fixture("scenarios"), "--out", dir.Sub("out"));
        Assert.Equal(2, variable.Exit);
        Assert.Contains("error: The environment gives one setting twice: CONNECT_RECONCILE_LOOK_AHEAD_HOURS and connect_reconcile_look_ahead_hours.", variable.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public async Task Generate_again_replaces_the_whole_month_invoice_included()
    {
        using var dir = new TempDir();
        Assert.Equal(0, (await CliRunner.RunAsync("generate", "--out", dir.Path, "--contacts", "50", "--days", "2", "--cur", "--inject", "missing-hour,desk-agent-missing")).Exit);
        Assert.True(Directory.Exists(dir.Sub("cur")));
        Assert.True(Directory.Exists(dir.Sub("withheld")));
        File.WriteAllText(dir.Sub("notes.txt"), "mine");

        // The old invoice would not match the new CTRs (it was left there, and reconcile read it);
        // the old month's withheld originals were left too, with no cur-planted.json to explain them.
        Assert.Equal(0, (await CliRunner.RunAsync("generate", "--out", dir.Path, "--contacts", "60", "--days", "2", "--seed", "7")).Exit);
        Assert.False(Directory.Exists(dir.Sub("cur")));
        Assert.False(File.Exists(dir.Sub("cur-planted.json")));
        Assert.False(Directory.Exists(dir.Sub("withheld")));
        Assert.Equal("mine", File.ReadAllText(dir.Sub("notes.txt"))); // what generate did not write stays
    }

    [Fact]
    public async Task A_rate_card_giving_a_key_twice_is_a_usage_error_naming_it()
    {
        using var dir = new TempDir();
        var card = Core.Rating.BuiltInRateCards.Default.ToJson();
        var first = card.IndexOf("\"price\":", StringComparison.Ordinal);
        Assert.True(first > 0);
        // The second price was taken silently: the row priced at 200 a minute.
        File.WriteAllText(dir.Sub("card.json"), card.Insert(first, "\"price\": 200, "));

        var (exit, _, err) = await CliRunner.RunAsync("replay", "--source", Fixture("scenarios"), "--rate-card", dir.Sub("card.json"), "--out", dir.Sub("out"));

        Assert.Equal(2, exit);
        Assert.Contains($"The rate card '{dir.Sub("card.json")}' is not valid: Rate card: the key 'price' is given twice at $.rows[0].price", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Fact]
    public async Task Generate_refuses_a_folder_holding_ctrs_it_did_not_write_and_deletes_nothing()
    {
        using var dir = new TempDir();
        var real = dir.Sub(Path.Combine("ctr", "2026", "09", "01", "00", "real-ctrs.json"));
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, "{\"ContactId\":\"real\"}");
        Directory.CreateDirectory(dir.Sub(Path.Combine("ctr", "foo")));
        File.WriteAllText(dir.Sub(Path.Combine("ctr", "foo", "keep.txt")), "keep");
        File.WriteAllText(dir.Sub("numbers.csv"), "number,type\n+16125550100,DID\n");

        var (exit, _, err) = await CliRunner.RunAsync("generate", "--contacts", "50", "--days", "1", "--seed", "2", "--out", dir.Path);

        Assert.Equal(2, exit);
        Assert.Contains("ctr/, numbers.csv but no truth.json", err, StringComparison.Ordinal);
        Assert.Contains(dir.Path, err, StringComparison.Ordinal);
        Assert.Equal("{\"ContactId\":\"real\"}", File.ReadAllText(real));
        Assert.Equal("keep", File.ReadAllText(dir.Sub(Path.Combine("ctr", "foo", "keep.txt"))));
        Assert.Equal("number,type\n+16125550100,DID\n", File.ReadAllText(dir.Sub("numbers.csv")));
        Assert.False(File.Exists(dir.Sub("agents.csv")));
        Assert.False(File.Exists(dir.Sub("truth.json")));
    }

    [Fact]
    public async Task Generate_stops_before_writing_a_month_that_cannot_fit_on_the_disk()
    {
        using var dir = new TempDir();
        // Twice what is free, so other tests freeing space meanwhile cannot let a huge month start.
        var contacts = Math.Min(int.MaxValue, 2 * (new DriveInfo(dir.Path).AvailableFreeSpace / 640));
        if (contacts * 640 < new DriveInfo(dir.Path).AvailableFreeSpace * 3 / 2)
        {
            return; // over 1.3 TB free: no --contacts is too big here
        }

        var (exit, _, err) = await CliRunner.RunAsync("generate", "--out", dir.Sub("g"), "--contacts", contacts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, exit);
        Assert.Contains(" GB of CTR files, but ", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("g")));
    }

    [Fact]
    public async Task An_invoice_option_alone_asks_for_the_invoice()
    {
        using var dir = new TempDir();
        var (exit, _, err) = await CliRunner.RunAsync("generate", "--out", dir.Path, "--contacts", "50", "--days", "1", "--cur-format", "legacy-csv");
        Assert.True(exit == 0, err);
        Assert.NotEmpty(Directory.GetFiles(dir.Sub("cur"), "*.csv.gz", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Help_documents_every_command_and_the_exit_codes()
    {
        var (exit, text, _) = await CliRunnerConsole.RunWithConsoleAsync("--help");
        Assert.Equal(0, exit);
        foreach (var command in new[] { "replay", "nightly", "explain", "audit-export", "generate" })
        {
            Assert.Contains(command, text, StringComparison.Ordinal);
        }

        Assert.Contains("3 reconciliation variance", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stream")]
    [InlineData("load")]
    public async Task Help_names_both_environment_variables_a_Kinesis_endpoint_is_read_from(string command)
    {
        // docs/stream.md: --endpoint-url, then AWS_ENDPOINT_URL_KINESIS, then AWS_ENDPOINT_URL.
        var (exit, text, _) = await CliRunnerConsole.RunWithConsoleAsync(command, "--help");
        Assert.Equal(0, exit);
        Assert.Contains("AWS_ENDPOINT_URL_KINESIS, then AWS_ENDPOINT_URL", string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}

/// <summary>--help writes through System.CommandLine's own console: capture Console.Out for it.</summary>
internal static class CliRunnerConsole
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<(int, string, string)> RunWithConsoleAsync(params string[] args)
    {
        await Gate.WaitAsync();
        var original = Console.Out;
        try
        {
            var capture = new StringWriter();
            Console.SetOut(capture);
            var (exit, _, err) = await CliRunner.RunAsync(args);
            return (exit, capture.ToString(), err);
        }
        finally
        {
            Console.SetOut(original);
            Gate.Release();
        }
    }
}
