using System.Text.Json;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Reference;

/// <summary>
/// Reads the agent directory and number inventory from the text users have: our CSVs, or the JSON
/// that <c>aws connect describe-user</c> / <c>list-phone-numbers-v2</c> print. The format is
/// recognised from the content, not the file name.
/// </summary>
public static class ReferenceReaders
{
    /// <summary>CSV <c>username,phone_type,desk_phone_number,as_of</c>, or describe-user JSON (one or many objects, or an array).</summary>
    /// <exception cref="FormatException">A malformed file, or one agent given two phone settings as of one time.</exception>
    public static AgentDirectory ReadAgents(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            var users = JsonValues(text).SelectMany(UsersOf).Select((user, i) => AgentFromJson(user, i + 1)).OfType<AgentRow>().ToList();
            return users.Count > 0 ? DirectoryOf(users) : throw new FormatException("The JSON holds no user: expected `aws connect describe-user` output (one or many, or an array of them).");
        }

        var rows = Csv(text, "username", "phone_type", "desk_phone_number", "as_of");
        return DirectoryOf(rows.Select(r => Row(r, cells => new AgentRow($"line {r.Line}", new AgentPhoneEntry(
            cells["username"],
            NormalisePhoneType(cells["phone_type"]),
            PhoneNumbers.E164(cells["desk_phone_number"]),
            Empty(cells["as_of"]) is { } asOf ? ParseTime(asOf, "as_of") : null,
            CountryAssumed(cells["desk_phone_number"]))))));
    }

    /// <summary>
    /// CSV <c>number,type,country,claimed_at,released_at</c> (optionally <c>instance_id</c> and <c>region</c>),
    /// or list-phone-numbers-v2 JSON.
    /// </summary>
    public static NumberInventory ReadNumbers(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            var numbers = JsonValues(text).SelectMany(NumbersFromJson).ToList();
            return numbers.Count > 0 ? new NumberInventory(numbers) : throw new FormatException("The JSON holds no phone number: expected `aws connect list-phone-numbers-v2` (or `list-phone-numbers`) output.");
        }

        var rows = Csv(text, "number", "type", "country", "claimed_at", "released_at");
        return new NumberInventory(rows.Select(row => Row(row, r =>
        {
            var number = PhoneNumbers.E164(r["number"]) ?? throw new FormatException("Column number: a row has no number.");
            var country = Empty(r["country"]);
            var national = NationalForm(r["number"], number, country);
            return new ClaimedNumber(
                number,
                NormaliseNumberType(r["type"]),
                country ?? PhoneNumbers.CountryOf(number),
                Empty(r["claimed_at"]) is { } c ? ParseTime(c, "claimed_at") : null,
                Empty(r["released_at"]) is { } rel ? ParseTime(rel, "released_at") : null,
                Empty(r.GetValueOrDefault("instance_id")),
                Empty(r.GetValueOrDefault("region")),
                national,
                national && country is null);
        })));
    }

    /// <summary>
    /// One agent's row as read, where it was read (for a message) and, for describe-user output keyed by its ARN,
    /// the username it is also found by.
    /// </summary>
    private sealed record AgentRow(string Where, AgentPhoneEntry Entry, string? AlsoKnownAs = null);

    /// <summary>
    /// The directory, refusing two rows of one agent as of one time (both undated too) that differ in phone type or
    /// desk phone: which one applied would depend on their order in the file. The same row twice is read as one.
    /// </summary>
    private static AgentDirectory DirectoryOf(IEnumerable<AgentRow> rows)
    {
        var first = new Dictionary<(string Key, Instant? AsOf), AgentRow>();
        var entries = new List<AgentPhoneEntry>();
        foreach (var row in rows)
        {
            var e = row.Entry;
            if (first.TryGetValue((e.Key, e.AsOf), out var earlier))
            {
                if (earlier.Entry.PhoneType == e.PhoneType && earlier.Entry.DeskPhoneNumber == e.DeskPhoneNumber)
                {
                    continue;
                }

                throw new FormatException($"{earlier.Where} and {row.Where} give agent '{Quote(e.Key)}' two phone settings " +
                    $"{(e.AsOf is { } asOf ? $"as of {asOf}" : "without a date")} ({Setting(earlier.Entry)}, then {Setting(e)}): " +
                    "which applies cannot depend on the order of the rows. Keep the one that is right, or date them apart.");
            }

            first.Add((e.Key, e.AsOf), row);
            entries.Add(e);
            if (row.AlsoKnownAs is { } username)
            {
                entries.Add(e with { Key = username });
            }
        }

        return new AgentDirectory(entries);

        // The desk phone masked: it is the agent's own number.
        static string Setting(AgentPhoneEntry e) => e.DeskPhoneNumber is { } desk ? $"{e.PhoneType} {PhoneNumbers.Mask(desk)}" : e.PhoneType;
    }

    /// <summary>The user objects of describe-user output, arrays of them flattened.</summary>
    private static IEnumerable<JsonElement> UsersOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(UsersOf) : [e];

    /// <param name="ordinal">Which user of the file it is (1-based), to name it in a message.</param>
    private static AgentRow? AgentFromJson(JsonElement e, int ordinal)
    {
        var output = Object(e, "describe-user output");
        var user = output.TryGetProperty("User", out var u) ? Object(u, "User") : output;
        if (!user.TryGetProperty("PhoneConfig", out var config))
        {
            // Reading another shape as "no agents" would silently rate every desk-phone agent as a softphone one.
            throw new FormatException(output.TryGetProperty("UserSummaryList", out _)
                ? "This is `aws connect list-users` output, which has no phone settings: give `aws connect describe-user` output for each user."
                : $"Expected `aws connect describe-user` output (a User with its PhoneConfig), found {Quote(output.GetRawText())}.");
        }

        var phone = Object(config, "PhoneConfig");
        var type = NormalisePhoneType(Str(phone, "PhoneType") ?? PhoneTypes.SoftPhone);
        var written = Str(phone, "DeskPhoneNumber");
        var desk = PhoneNumbers.E164(written);
        // describe-user shows the current setting only, and LastModifiedTime moves on any edit of the user: it is
        // when this setting was last seen to start, not when it did (AsOfIsLastEdit lets the earliest apply before).
        var asOf = Str(user, "LastModifiedTime") is { } modified ? ParseTime(modified, "LastModifiedTime") : (Instant?)null;
        var username = Empty(Str(user, "Username"));
        var arn = Empty(Str(user, "Arn"));
        if ((arn ?? username) is not { } key)
        {
            return null;
        }

        // Keyed by the ARN, which names one agent everywhere; the username (unique within an instance) finds it too.
        var entry = new AgentPhoneEntry(key, type, Empty(desk), asOf, CountryAssumed(written), AsOfIsLastEdit: true);
        return new AgentRow($"user {ordinal} of the JSON", entry, arn is null ? null : username);
    }

    private static IEnumerable<ClaimedNumber> NumbersFromJson(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray().SelectMany(NumbersFromJson))
            {
                yield return item;
            }

            yield break;
        }

        // list-phone-numbers-v2 names its list ListPhoneNumbersSummaryList, the older list-phone-numbers
        // PhoneNumberSummaryList; their items carry the same PhoneNumber, PhoneNumberType and country code.
        var output = Object(e, "list-phone-numbers-v2 output or phone number");
        if (output.TryGetProperty("ListPhoneNumbersSummaryList", out var list) || output.TryGetProperty("PhoneNumberSummaryList", out list))
        {
            foreach (var item in NumbersFromJson(list))
            {
                yield return item;
            }

            yield break;
        }

        if (PhoneNumbers.E164(Str(e, "PhoneNumber")) is not { } number)
        {
            throw new FormatException($"Expected `aws connect list-phone-numbers-v2` output or a phone number object (with a PhoneNumber), found {Quote(e.GetRawText())}.");
        }

        // Where the number is claimed: v2 names the instance (InstanceId, TargetArn) and its own ARN the region;
        // the older form's Arn is the instance's (arn:aws:connect:REGION:ACCOUNT:instance/ID/phone-number/ID).
        var target = ArnOf(Str(e, "TargetArn"));
        var own = ArnOf(Str(e, "PhoneNumberArn") ?? Str(e, "Arn"));
        var country = Str(e, "PhoneNumberCountryCode");
        var national = NationalForm(Str(e, "PhoneNumber"), number, country);
        yield return new ClaimedNumber(
            number,
            NormaliseNumberType(Str(e, "PhoneNumberType") ?? NumberTypes.Did),
            country ?? PhoneNumbers.CountryOf(number),
            null,
            null,
            Empty(Str(e, "InstanceId")) ?? target.InstanceId ?? own.InstanceId,
            target.Region ?? own.Region,
            national,
            national && country is null);
    }

    /// <summary>The region and instance id an ARN names (<c>arn:aws:connect:REGION:ACCOUNT:instance/ID…</c>); null where it names none.</summary>
    private static (string? Region, string? InstanceId) ArnOf(string? arn)
    {
        var fields = arn?.Split(':', 6);
        if (fields is not { Length: 6 } || fields[0] != "arn")
        {
            return (null, null);
        }

        var resource = fields[5].Split('/');
        var instance = resource.Length > 1 && resource[0] == "instance" ? Empty(resource[1]) : null;
        return (Empty(fields[3]), instance);
    }

    private static string NormalisePhoneType(string value) =>
        value.Trim().ToUpperInvariant() switch
        {
            "DESK_PHONE" or "DESK" => PhoneTypes.DeskPhone,
            "SOFT_PHONE" or "SOFT" or "" => PhoneTypes.SoftPhone,
            var other => throw new FormatException($"Unknown phone_type '{Quote(other)}' (SOFT_PHONE or DESK_PHONE)."),
        };

    /// <summary>Connect's number types mapped onto the two telephony kinds that are priced differently.</summary>
    private static string NormaliseNumberType(string value) =>
        value.Trim().ToUpperInvariant() switch
        {
            "TOLL_FREE" or "TOLLFREE" or "TOLL-FREE" or "UIFN" or "THIRD_PARTY_TF" => NumberTypes.TollFree,
            "DID" or "SHARED" or "THIRD_PARTY_DID" or "SHORT_CODE" => NumberTypes.Did,
            var other => throw new FormatException($"Unknown number type '{Quote(other)}' (DID or TOLL_FREE)."),
        };

    private static Instant ParseTime(string text, string column) =>
        Instant.TryParse(System.Text.Encoding.UTF8.GetBytes(text.Trim()), out var v)
            ? v : throw new FormatException($"Column {column}: '{Quote(text)}' is not an ISO-8601 time.");

    /// <summary>The element, when it is an object; a file of another shape is refused, not read as empty.</summary>
    private static JsonElement Object(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new FormatException($"Expected {what} to be a JSON object, found {e.ValueKind}: {Quote(e.GetRawText())}.");

    /// <summary>
    /// An inventory number written without its country code, with no country beside it or one its first digits do not
    /// name (<c>(646) 856-0587</c> for US reads as New Zealand's +64…): a country code in digits alone (4420… for GB) is fine.
    /// </summary>
    private static bool NationalForm(string? written, string number, string? country) =>
        CountryAssumed(written) && (country is null || !string.Equals(country.Trim(), PhoneNumbers.CountryOf(number), StringComparison.OrdinalIgnoreCase));

    /// <summary>A number read as E.164 although written without its country code marked: its first digits were taken as one.</summary>
    private static bool CountryAssumed(string? written) =>
        written is not null && PhoneNumbers.AsE164(written) is not null && !PhoneNumbers.MarksItsCountryCode(written);

    /// <summary>File content quoted in a message, clipped, any phone number in it masked (an agent's desk phone is personal data).</summary>
    private static string Quote(string text) => QuotedInput.Of(text);

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Empty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static IEnumerable<JsonElement> JsonValues(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        var values = new List<JsonElement>();
        while (reader.Read())
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            values.Add(doc.RootElement.Clone());
        }

        return values;
    }

    /// <summary>A CSV record: the line it starts on (the header is line 1) and its cells by column name.</summary>
    private sealed record CsvRow(int Line, Dictionary<string, string> Cells);

    /// <summary>A row read into its value; a value the row cannot give is refused naming the row's line.</summary>
    private static T Row<T>(CsvRow row, Func<Dictionary<string, string>, T> read)
    {
        try
        {
            return read(row.Cells);
        }
        catch (FormatException e)
        {
            throw new FormatException($"line {row.Line}: {e.Message}", e);
        }
    }

    /// <summary>
    /// A small RFC 4180 reader: header row, quoted fields, required columns checked by name. A row with fewer fields
    /// than the header reads its missing trailing cells as empty; one with a value past the header's columns is
    /// refused, as that value would otherwise be dropped or read in another's column.
    /// </summary>
    private static List<CsvRow> Csv(string text, params string[] required)
    {
        var records = ParseCsv(text).Where(r => r.Fields.Count > 1 || (r.Fields.Count == 1 && r.Fields[0].Length > 0)).ToList();
        if (records.Count == 0)
        {
            return [];
        }

        var header = records[0].Fields.Select(h => h.Trim().ToLowerInvariant()).ToList();
        foreach (var column in required.Where(c => !header.Contains(c)))
        {
            throw new FormatException($"CSV header must contain '{column}' (found: {Quote(string.Join(',', header))}).");
        }

        return records.Skip(1).Select(record =>
        {
            // Empty cells past the header are a spreadsheet's trailing commas, not values.
            if (record.Fields.Count > header.Count && record.Fields.Skip(header.Count).Any(f => f.Trim().Length > 0))
            {
                throw new FormatException($"line {record.Line} has {record.Fields.Count} fields where the header has {header.Count} " +
                    "(a comma too many, or a value with a comma not in double quotes).");
            }

            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Count; i++)
            {
                row[header[i]] = i < record.Fields.Count ? record.Fields[i].Trim() : string.Empty;
            }

            return new CsvRow(record.Line, row);
        }).ToList();
    }

    /// <summary>The records with the line each starts on. A quoted field never closed is refused: it would take in every line after it.</summary>
    private static IEnumerable<(int Line, List<string> Fields)> ParseCsv(string text)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        var line = 1;
        var recordLine = 1;
        var quoteLine = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"': quoted = true; quoteLine = line; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return (recordLine, fields);
                    fields = [];
                    line++;
                    recordLine = line;
                    break;
                default: field.Append(c); break;
            }
        }

        if (quoted)
        {
            throw new FormatException($"line {quoteLine}: a field opens a double quote that is never closed, so every line after it " +
                "would be read as part of that field. Close the quote, or double a quote meant inside a value (\"\").");
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return (recordLine, fields);
        }
    }
}
