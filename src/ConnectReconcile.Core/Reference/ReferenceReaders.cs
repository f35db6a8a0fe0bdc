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
    public static AgentDirectory ReadAgents(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            var agents = JsonValues(text).SelectMany(AgentsFromJson).ToList();
            return agents.Count > 0 ? new AgentDirectory(agents) : throw new FormatException("The JSON holds no user: expected `aws connect describe-user` output (one or many, or an array of them).");
        }

        var rows = Csv(text, "username", "phone_type", "desk_phone_number", "as_of");
        return new AgentDirectory(rows.Select(r => new AgentPhoneEntry(
            r["username"],
            NormalisePhoneType(r["phone_type"]),
            PhoneNumbers.E164(r["desk_phone_number"]),
            Empty(r["as_of"]) is { } asOf ? ParseTime(asOf, "as_of") : null,
            CountryAssumed(r["desk_phone_number"]))));
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
        return new NumberInventory(rows.Select(r =>
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
        }));
    }

    private static IEnumerable<AgentPhoneEntry> AgentsFromJson(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray().SelectMany(AgentsFromJson))
            {
                yield return item;
            }

            yield break;
        }

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
        // describe-user shows the current setting only; LastModifiedTime is the best as-of we have.
        var asOf = Str(user, "LastModifiedTime") is { } modified ? ParseTime(modified, "LastModifiedTime") : (Instant?)null;
        foreach (var key in new[] { Str(user, "Username"), Str(user, "Arn") })
        {
            if (!string.IsNullOrEmpty(key))
            {
                yield return new AgentPhoneEntry(key, type, Empty(desk), asOf, CountryAssumed(written));
            }
        }
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

    /// <summary>A small RFC 4180 reader: header row, quoted fields, required columns checked by name.</summary>
    private static List<Dictionary<string, string>> Csv(string text, params string[] required)
    {
        var lines = ParseCsv(text).Where(l => l.Count > 1 || (l.Count == 1 && l[0].Length > 0)).ToList();
        if (lines.Count == 0)
        {
            return [];
        }

        var header = lines[0].Select(h => h.Trim().ToLowerInvariant()).ToList();
        foreach (var column in required.Where(c => !header.Contains(c)))
        {
            throw new FormatException($"CSV header must contain '{column}' (found: {Quote(string.Join(',', header))}).");
        }

        return lines.Skip(1).Select(fields =>
        {
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Count; i++)
            {
                row[header[i]] = i < fields.Count ? fields[i].Trim() : string.Empty;
            }

            return row;
        }).ToList();
    }

    private static IEnumerable<List<string>> ParseCsv(string text)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }

            switch (c)
            {
                case '"': quoted = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return fields;
                    fields = [];
                    break;
                default: field.Append(c); break;
            }
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return fields;
        }
    }
}
