using System.Text;
using System.Text.Json.Nodes;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Core.Tests;

public sealed class CtrParserTests
{
    public static TheoryData<string> RealFiles() =>
        [.. Directory.EnumerateFiles(Path.Combine(Fixtures.Root, "ctr", "real"), "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(RealFiles))]
    public void Parsing_in_place_takes_a_whole_object_exactly_as_parsing_it_alone_and_never_a_cut_one(string file)
    {
        var parser = new CtrParser();
        foreach (var value in Fixtures.SplitValues(File.ReadAllBytes(Path.Combine(Fixtures.Root, "ctr", "real", file))))
        {
            // Followed by the start of the next object, as in a read buffer.
            var buffered = value.Concat(Encoding.UTF8.GetBytes("{\"ContactId\":")).ToArray();
            Assert.Equal(LeadingParse.Parsed, parser.ParseLeading(buffered, out var length, out var outcome));
            Assert.Equal(value.Length, length);
            Assert.Equal(parser.Parse(value), outcome);

            // Cut anywhere (after a nested object closes, inside a string, between tokens): incomplete, never taken nor called malformed.
            for (var cut = 1; cut < value.Length; cut++)
            {
                Assert.True(parser.ParseLeading(value.AsSpan(0, cut), out _, out _) == LeadingParse.Incomplete, $"{file}: not incomplete when cut at {cut}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(RealFiles))]
    public void A_value_of_any_type_in_any_field_is_read_past_and_the_next_record_is_found(string file)
    {
        // An object in a duration (Queue.Duration: {}) once left the reader inside it: the object never
        // ended, and every later record of the file was lost without a word.
        var parser = new CtrParser();
        var next = """{"ContactId":"next"}"""u8.ToArray();
        foreach (var value in Fixtures.SplitValues(File.ReadAllBytes(Path.Combine(Fixtures.Root, "ctr", "real", file))))
        {
            foreach (var path in Paths(JsonNode.Parse(value)!.AsObject(), []).ToList())
            {
                foreach (var replacement in new[] { """{"a":{"b":[1]}}""", "[1,[2],{}]", "12", "\"text\"", "true", "null" })
                {
                    // A fresh copy each time, the field at the path replaced.
                    var mutated = JsonNode.Parse(value)!.AsObject();
                    var parent = path[..^1].Aggregate(mutated, (o, name) => o[name]!.AsObject());
                    parent[path[^1]] = JsonNode.Parse(replacement);
                    var bytes = Encoding.UTF8.GetBytes(mutated.ToJsonString());
                    var result = parser.ParseLeading([.. bytes, .. next], out var length, out _);
                    Assert.True(result == LeadingParse.Parsed && length == bytes.Length, $"{file}: {string.Join('.', path)} = {replacement}: {result}, {length} of {bytes.Length} bytes");
                }
            }
        }

        static IEnumerable<string[]> Paths(JsonObject o, string[] at)
        {
            foreach (var (name, child) in o)
            {
                yield return [.. at, name];
                if (child is JsonObject inner)
                {
                    foreach (var path in Paths(inner, [.. at, name]))
                    {
                        yield return path;
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("""{"ContactId":"a1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-02T05:00:00Z","DisconnectTimestamp":"2026-10-02T05:01:00Z","Queue":{"Duration":{"a":1}}}""")]
    [InlineData("""{"ContactId":"a1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-02T05:00:00Z","DisconnectTimestamp":"2026-10-02T05:01:00Z","Agent":{"AgentInteractionDuration":[1,2]}}""")]
    public void An_object_or_array_in_a_duration_is_read_past(string record)
    {
        var bytes = Encoding.UTF8.GetBytes(record);
        Assert.Equal(LeadingParse.Parsed, new CtrParser().ParseLeading([.. bytes, .. "{\"ContactId\":\"b2\"}"u8], out var length, out var outcome));
        Assert.Equal(bytes.Length, length);
        Assert.NotNull(outcome.Record);
    }

    [Fact]
    public void Parsing_in_place_says_malformed_json_is_invalid_and_how_far_it_was_well_formed()
    {
        var parser = new CtrParser();
        var malformed = """{"ContactId":"x","Channel":VOICE} {"ContactId":"y"}"""u8.ToArray();
        Assert.Equal(LeadingParse.Invalid, parser.ParseLeading(malformed, out var wellFormed, out var rejected));
        Assert.Equal("""{"ContactId":"x","Channel":""".Length, wellFormed);
        Assert.Equal(QuarantineReasons.MalformedJson, rejected.Reason);

        // A value of the wrong type in well-formed JSON is measured and rejected whole.
        var wrongType = """{"ContactId":5,"Channel":"VOICE"}{"ContactId":"y"}"""u8.ToArray();
        Assert.Equal(LeadingParse.Parsed, parser.ParseLeading(wrongType, out var length, out var outcome));
        Assert.Equal(wrongType.AsSpan().IndexOf("}{"u8) + 1, length);
        Assert.Equal(parser.Parse(wrongType.AsSpan(0, length)), outcome);
        Assert.NotNull(outcome.Reason);
        Assert.Equal(QuarantineReasons.MalformedJson, parser.Parse(malformed.AsSpan(0, malformed.AsSpan().IndexOf((byte)' '))).Reason);
    }

    public static TheoryData<string, string?> MalformedRecords() => new()
    {
        // the record (broken by a bare word, a bad escape or a cut), the ContactId its quarantine entry names
        { """{"AWSAccountId":"1","ContactId":"c-1","CustomerEndpoint":{"Address":+12065557365 x}}""", "c-1" },
        { """{"ContactId":"c-1","Queue":{"Name":"q\q"}}""", "c-1" },
        { """{"ContactId":"c-\u0031","Channel":VOICE}""", "c-1" }, // escaped, as a parse reads it
        { """{"ContactId":"c-1","ContactId":"c-2","Channel":VOICE}""", "c-2" }, // the last, as a parse keeps it
        { """{"Channel":VOICE,"ContactId":"c-1"}""", null }, // after the break
        { """{"ContactId":"c-1""", null }, // cut in the value: not whole
        { """{"Attributes":{"ContactId":"c-1"},"Channel":VOICE}""", null }, // an attribute, not the record's id
        { """{"Previous":{"ContactId":"c-1","Channel":"VOICE"},"Channel":VOICE}""", null },
        { """{"ContactId":"  ","Channel":VOICE}""", null }, // blank is no id
        { """{"ContactId":12065557368,"Channel":VOICE}""", null }, // a number is no id
        { """{"ContactId":"c-1","ContactId":null,"Channel":VOICE}""", null },
        { "{\"ContactId\":\"c-\xFF\",\"Channel\":VOICE}", null }, // not UTF-8 (a raw byte 0xFF)
    };

    [Theory]
    [MemberData(nameof(MalformedRecords))]
    public void A_malformed_record_is_named_by_the_ContactId_read_before_the_break(string json, string? contactId)
    {
        // Latin-1 keeps the test's '\xFF' one raw byte, as a damaged file has it; the rest is ASCII either way.
        var bytes = Encoding.Latin1.GetBytes(json);
        var parser = new CtrParser();
        var parsed = parser.Parse(bytes);
        Assert.Equal((QuarantineReasons.MalformedJson, contactId), (parsed.Reason, parsed.ContactId)); // was (malformed-json, null)

        // In place, followed by the next record in the buffer: never that record's id.
        var buffered = bytes.Concat("\n{\"ContactId\":\"next\",\"Channel\":\"VOICE\"}"u8.ToArray()).ToArray();
        Assert.Equal(LeadingParse.Invalid, parser.ParseLeading(buffered, out _, out var outcome));
        Assert.Equal((QuarantineReasons.MalformedJson, contactId), (outcome.Reason, outcome.ContactId));
    }

    [Fact]
    public void A_record_whose_other_id_is_not_UTF8_is_still_named_by_its_ContactId()
    {
        var parser = new CtrParser();
        var initialBad = Encoding.Latin1.GetBytes("{\"ContactId\":\"c-1\",\"InitialContactId\":\"r-\xFF\",\"Channel\":\"VOICE\"}");
        Assert.Equal((QuarantineReasons.MalformedJson, "c-1"), (parser.Parse(initialBad).Reason, parser.Parse(initialBad).ContactId)); // was null
        var ownBad = Encoding.Latin1.GetBytes("{\"ContactId\":\"c-\xFF\",\"PreviousContactId\":\"p-1\",\"Channel\":\"VOICE\"}");
        Assert.Equal((QuarantineReasons.MalformedJson, (string?)null), (parser.Parse(ownBad).Reason, parser.Parse(ownBad).ContactId));
    }

    [Fact]
    public void Values_an_export_wrote_as_text_read_as_what_they_say()
    {
        var parser = new CtrParser();
        var record = parser.Parse("""
            {"ContactId":"x","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:05:00Z",
             "Agent":{"Username":"a","ConnectedToAgentTimestamp":"2026-10-14T10:01:00Z","CustomerHoldDuration":" 30","AgentInteractionDuration":200.0},
             "ContactLens":{"ConversationalAnalytics":{"Configuration":{"Enabled":"True"}}}}
            """u8).Record!;
        Assert.Equal((30L, 200L), (record.Agent!.CustomerHoldDuration, record.Agent.AgentInteractionDuration)); // were 0: no hold segment
        Assert.True(record.ContactLensEnabled); // was false: no Contact Lens charge

        var notANumber = parser.Parse("""{"ContactId":"x","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:05:00Z","Agent":{"CustomerHoldDuration":"30s"},"ContactLens":{"ConversationalAnalytics":{"Configuration":{"Enabled":"yes"}}}}"""u8).Record!;
        Assert.Equal(0, notANumber.Agent!.CustomerHoldDuration);
        Assert.False(notANumber.ContactLensEnabled);
    }

    [Fact]
    public void An_event_that_names_a_contact_is_quarantined_under_that_contact()
    {
        var outcome = new CtrParser().Parse("""{"EventType":"DISCONNECTED","ContactId":"c-9","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z"}"""u8);
        Assert.Equal((QuarantineReasons.NotACtr, "c-9"), (outcome.Reason, outcome.ContactId));
    }

    [Theory]
    [InlineData("VOICE", "VOICE")]
    [InlineData("voice", "VOICE")] // a hand-edited record is still a call, not an unpriced channel "voice"
    [InlineData(" Voice ", "VOICE")]
    [InlineData("chat", "CHAT")]
    public void A_channel_is_read_in_connects_spelling(string written, string read)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"{{written}}","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""));
        Assert.Equal(read, outcome.Record?.Channel);
        Assert.Equal(read == "VOICE", outcome.Record?.IsVoice);
    }

    [Theory]
    [InlineData("\"Channel\":\"\",", "Channel is empty")]
    [InlineData("\"Channel\":\"  \",", "Channel is empty")]
    [InlineData("", "no Channel")]
    [InlineData("\"Channel\":null,", "no Channel")]
    public void A_record_without_a_channel_is_quarantined(string channel, string detail)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x",{{channel}}"InitiationTimestamp":"2026-10-14T10:00:00Z"}"""));
        Assert.Null(outcome.Record);
        Assert.Equal(QuarantineReasons.MissingChannel, outcome.Reason);
        Assert.Equal(detail, outcome.Detail);
    }

    [Theory]
    [InlineData("+15557770139")] // a phone number in the wrong field became charge kind "+15557770139", unmasked in every output
    [InlineData("VOICE CALL")]
    [InlineData("VOICE-2")]
    [InlineData("voıce")] // dotless i: upper-cases to VOICE, but it is not what Connect writes
    [InlineData("ÉMAIL")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG")] // 33 letters
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefg")]
    public void A_channel_that_is_not_a_plain_token_is_quarantined(string written)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"{{written}}","InitiationTimestamp":"2026-10-14T10:00:00Z"}"""));
        Assert.Null(outcome.Record);
        Assert.Equal(QuarantineReasons.BadChannel, outcome.Reason);
        Assert.Equal("x", outcome.ContactId);
    }

    [Theory]
    [InlineData("2000-01-01T00:00:00Z", "2026-10-14T10:00:45Z", false)] // a wrong year: was billed as 26 years
    [InlineData("2026-10-14T10:00:00Z", "9998-12-31T00:00:00Z", false)] // was about 88 M USD for one IVR call
    [InlineData("2026-10-14T10:00:00Z", "2026-10-21T10:00:01Z", false)]
    [InlineData("2026-10-14T10:00:00Z", "2026-10-21T10:00:00Z", true)]  // a week: still a call
    public void A_call_longer_than_a_week_is_a_bad_timestamp(string initiation, string disconnect, bool kept)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"VOICE","InitiationTimestamp":"{{initiation}}","DisconnectTimestamp":"{{disconnect}}"}"""));
        Assert.Equal(kept ? null : QuarantineReasons.BadTimestamp, outcome.Reason);
    }

    [Theory]
    [InlineData("2026-10-09T11:39:10Z", true)]  // asked for on the 1st, dialled on the 9th (delays and retries run to days): a 6-minute call
    [InlineData(null, true)]                    // never dialled (expired after days in queue): no leg to bill
    [InlineData("2026-10-01T11:38:00Z", false)] // dialled, then 8 days on the line
    [InlineData("2026-10-09T11:39:10Z", false, "2016-10-01T11:37:00Z")] // a wrong year in the request dated the whole chain 2016
    [InlineData(null, false, "2026-09-01T11:37:00Z")] // never dialled, but 38 days in queue
    public void A_queued_callback_is_measured_from_when_it_was_dialled(string? dialled, bool kept, string requested = "2026-10-01T11:37:00Z")
    {
        // Its InitiationTimestamp is when the customer asked for it: 8 days before its end was quarantined as
        // bad-timestamp, and a transfer from it then fell on the inbound call as inbound minutes. Its wait has a bound of its own.
        var connected = dialled is null ? "" : $",\"ConnectedToSystemTimestamp\":\"{dialled}\"";
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes(
            $$"""{"ContactId":"cb","Channel":"VOICE","InitiationMethod":"CALLBACK","InitiationTimestamp":"{{requested}}"{{connected}},"DisconnectTimestamp":"2026-10-09T11:45:00Z"}"""));
        Assert.Equal(kept ? null : QuarantineReasons.BadTimestamp, outcome.Reason);
        if (!kept)
        {
            Assert.Contains(requested == "2026-10-01T11:37:00Z" ? "more than 7 days after ConnectedToSystemTimestamp" : "a queued callback waits at most 30 days", outcome.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("12345", "Channel is not text (Number)")] // was "missing-channel: no Channel"
    [InlineData("{\"Type\":\"VOICE\"}", "Channel is not text (StartObject)")]
    [InlineData("[\"VOICE\"]", "Channel is not text (StartArray)")]
    [InlineData("true", "Channel is not text (True)")]
    public void A_channel_that_is_not_text_is_a_bad_channel_not_a_missing_one(string written, string detail)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":{{written}},"InitiationTimestamp":"2026-10-14T10:00:00Z"}"""));
        Assert.Equal((QuarantineReasons.BadChannel, detail), (outcome.Reason, outcome.Detail));
    }

    [Theory]
    [InlineData("SMS", "SMS")]
    [InlineData("web_call", "WEB_CALL")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF")] // 32 letters
    public void An_unknown_but_well_formed_channel_is_kept_as_a_channel_of_its_own(string written, string read)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"{{written}}","InitiationTimestamp":"2026-10-14T10:00:00Z"}"""));
        Assert.Equal(read, outcome.Record?.Channel);
    }

    [Theory]
    [InlineData("+819044445555")] // a phone number in the wrong field was written to contacts.initiation_method in full
    [InlineData("819044445555")] // without its '+': digits only, no letter first
    [InlineData("+81 90 4444 5555")]
    [InlineData("INBOUND CALL")]
    [InlineData("IN-BOUND")]
    [InlineData("ınbound")] // dotless i
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG")] // 33 characters
    [InlineData("INBOUND_819044445555")] // a letter first, then a number's digits: was rated, the number written in full
    [InlineData("inbound_4444555")]
    [InlineData(819044445555L)] // a JSON number: was read as UNKNOWN and rated (a Channel so written is bad-channel)
    [InlineData(true)]
    public void An_initiation_method_that_is_not_a_plain_token_is_quarantined_without_echoing_it(object written)
    {
        var value = written is string text ? $"\"{text}\"" : System.Text.Json.JsonSerializer.Serialize(written);
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"VOICE","InitiationMethod":{{value}},"InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""));
        Assert.Null(outcome.Record);
        Assert.Equal(QuarantineReasons.BadInitiationMethod, outcome.Reason);
        Assert.Equal("x", outcome.ContactId);
        Assert.DoesNotContain("4444", outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INBOUND", "INBOUND")]
    [InlineData("EXTERNAL_OUTBOUND", "EXTERNAL_OUTBOUND")]
    [InlineData("NEW_METHOD_2", "NEW_METHOD_2")] // the set is open
    [InlineData("METHOD_202612", "METHOD_202612")] // six digits in a row are no phone number
    [InlineData(" callback ", "CALLBACK")]
    [InlineData("", "UNKNOWN")]
    [InlineData("  ", "UNKNOWN")]
    public void A_well_formed_initiation_method_is_kept_in_connects_spelling(string written, string read)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"VOICE","InitiationMethod":"{{written}}","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""));
        Assert.Equal(read, outcome.Record?.InitiationMethod);
    }

    [Theory]
    [InlineData("\"InitiationTimestamp\":\"9999-12-31T23:00:00Z\"", "InitiationTimestamp 9999-12-31T23:00:00Z is outside the years 2000 to 9998")] // was a crash in number-days
    [InlineData("\"InitiationTimestamp\":\"1970-01-01T00:00:00Z\"", "InitiationTimestamp 1970-01-01T00:00:00Z is outside the years 2000 to 9998")]
    [InlineData("\"InitiationTimestamp\":\"2026-10-14T10:00:00Z\",\"ConnectedToSystemTimestamp\":\"2026-10-14T09:00:00Z\"", "ConnectedToSystemTimestamp 2026-10-14T09:00:00Z is before InitiationTimestamp")] // billed an hour that never happened
    [InlineData("\"InitiationTimestamp\":\"2026-10-14T10:00:00Z\",\"DisconnectTimestamp\":\"2026-10-14T10:05:00Z\",\"ConnectedToSystemTimestamp\":\"2026-10-14T10:06:00Z\"", "ConnectedToSystemTimestamp 2026-10-14T10:06:00Z is after DisconnectTimestamp")]
    [InlineData("\"InitiationTimestamp\":\"2026-10-14T10:00:00Z\",\"TransferCompletedTimestamp\":\"2026-10-14T08:00:00Z\"", "TransferCompletedTimestamp 2026-10-14T08:00:00Z is before InitiationTimestamp")]
    [InlineData("\"InitiationTimestamp\":\"2026-10-14T10:00:00Z\",\"Agent\":{\"ConnectedToAgentTimestamp\":\"9999-12-31T00:00:00Z\"}", "Agent.ConnectedToAgentTimestamp 9999-12-31T00:00:00Z is outside")]
    public void Timestamps_out_of_range_or_out_of_order_are_quarantined(string fields, string detail)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"x","Channel":"VOICE",{{fields}}}"""));
        Assert.Null(outcome.Record);
        Assert.Equal(QuarantineReasons.BadTimestamp, outcome.Reason);
        Assert.StartsWith(detail, outcome.Detail, StringComparison.Ordinal);
        Assert.Equal("x", outcome.ContactId); // the quarantine row names the contact
    }

    [Fact]
    public void A_blank_id_is_no_id()
    {
        var parser = new CtrParser();
        var call = parser.Parse("""{"ContactId":"a","InitialContactId":"","PreviousContactId":" ","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""u8).Record!;
        Assert.Null(call.InitialContactId); // "" joined every such call into one chain rooted at ""
        Assert.Null(call.PreviousContactId);
        Assert.Equal("a", call.RootId);
        Assert.Equal(QuarantineReasons.MissingContactId, parser.Parse("""{"ContactId":"  ","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z"}"""u8).Reason);
    }

    [Fact]
    public void An_id_that_is_not_valid_utf8_is_quarantined_not_decoded_into_another_calls_id()
    {
        var parser = new CtrParser();
        foreach (var bad in new byte[] { 0xFF, 0xFE })
        {
            // Both decoded to "id-\uFFFD", so the second call was dropped as a duplicate of the first.
            var json = "{\"ContactId\":\"id-"u8.ToArray().Append(bad).Concat("\",\"Channel\":\"VOICE\",\"InitiationTimestamp\":\"2026-10-14T10:00:00Z\"}"u8.ToArray()).ToArray();
            var outcome = parser.Parse(json);
            Assert.Equal(QuarantineReasons.MalformedJson, outcome.Reason);
            Assert.Equal("ContactId is not valid UTF-8", outcome.Detail);
        }
    }

    [Theory]
    [InlineData("ContactId", "+819012345678")]
    [InlineData("ContactId", "(206) 555-0147")]
    [InlineData("InitialContactId", "090-1234-5678")]
    [InlineData("PreviousContactId", "+44 20 7946 0958")]
    // Dressed so the whole-text match missed them (an explorer's list): brackets around the plus, a spreadsheet's
    // quote, a '#', a full-width plus, a zero-width space, a tel: scheme.
    [InlineData("ContactId", "(+44) 20 7946 0958")]
    [InlineData("ContactId", "'+14155550123")]
    [InlineData("ContactId", "#14155550123")]
    [InlineData("ContactId", "\uFF0B14155550123")]
    [InlineData("ContactId", "\u200B+14155550123")]
    [InlineData("InitialContactId", "tel:+14155550123")]
    public void An_id_that_reads_as_a_phone_number_is_quarantined_without_it(string field, string number)
    {
        // A customer's number in an id field was the contact's name in every table and log line, unmasked.
        var ids = field == "ContactId" ? $"\"ContactId\":\"{number}\"" : $"\"ContactId\":\"c-1\",\"{field}\":\"{number}\"";
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes(
            $$"""{{{ids}},"Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""));
        Assert.Null(outcome.Record);
        Assert.Equal(QuarantineReasons.BadContactId, outcome.Reason);
        Assert.Equal($"{field} reads as a phone number, not a contact id (not shown: personal data)", outcome.Detail);
        // The record's own ContactId names the row when it is another id field that reads as a number.
        Assert.Equal(field == "ContactId" ? null : "c-1", outcome.ContactId);

        // Nor is it the name of a record rejected for another reason.
        var broken = new CtrParser().Parse(Encoding.UTF8.GetBytes($$"""{"ContactId":"{{number}}","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"""));
        Assert.Equal((QuarantineReasons.MalformedJson, (string?)null), (broken.Reason, broken.ContactId));
    }

    [Theory]
    [InlineData("InitialContactId", "+819011118888")]
    [InlineData("PreviousContactId", "tel:+81-90-1111-8888")]
    public void A_good_contact_id_names_the_quarantine_row_when_another_id_field_reads_as_a_number(string field, string number)
    {
        // Was set aside without its ContactId: the quarantine row's contact_id was null and explain found nothing.
        const string id = "16161616-1616-1616-1616-161616161616";
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes(
            $$"""{"ContactId":"{{id}}","{{field}}":"{{number}}","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""));
        Assert.Equal((QuarantineReasons.BadContactId, id), (outcome.Reason, outcome.ContactId));
        Assert.DoesNotContain("8888", outcome.Detail, StringComparison.Ordinal);

        // Both fields numbers: neither names the row.
        var both = new CtrParser().Parse(Encoding.UTF8.GetBytes(
            $$"""{"ContactId":"+819022229999","{{field}}":"{{number}}","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z"}"""));
        Assert.Equal((QuarantineReasons.BadContactId, (string?)null), (both.Reason, both.ContactId));
    }

    [Theory]
    [InlineData("15a5cf14-3212-45a1-9f86-a8e97db8afaf")]
    [InlineData("12345678-1234-4234-8234-123456789012")] // a UUID of digits only: 32 of them, more than a number has
    [InlineData("c-1")]
    [InlineData("1000001")] // a short numeric id: 7 digits without a '+' read as a count, not a number
    public void Ids_that_do_not_read_as_phone_numbers_are_kept(string id)
    {
        var outcome = new CtrParser().Parse(Encoding.UTF8.GetBytes(
            $$"""{"ContactId":"{{id}}","InitialContactId":"{{id}}","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z"}"""));
        Assert.Equal(id, outcome.Record?.ContactId);
    }

    [Fact]
    public void A_phone_number_where_the_instance_arn_names_the_region_or_instance_is_written_as_unknown()
    {
        static ContactRecord Parse(string fields) => new CtrParser().Parse(Encoding.UTF8.GetBytes(
            $$"""{"ContactId":"c-1","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z",{{fields}}}""")).Record!;

        foreach (var (region, id) in new[] { ("+819012345678", "+819011112222"), ("(+44) 20 7946 0958", "'+14155550123") })
        {
            var phoneArn = Parse($"\"InstanceARN\":\"arn:aws:connect:{region}:111122223333:instance/{id}\"");
            Assert.Equal(("unknown", "unknown"), (phoneArn.Region, phoneArn.InstanceId)); // was contacts.region "+819012345678"
            var phoneTag = Parse($"\"InstanceARN\":\"arn:aws:connect:us-east-1:111122223333:instance/i-1\",\"Tags\":{{\"aws:connect:instanceId\":\"{id}\"}}");
            Assert.Equal(("us-east-1", "i-1"), (phoneTag.Region, phoneTag.InstanceId)); // the tag is passed over for the ARN's id
        }
    }
}
