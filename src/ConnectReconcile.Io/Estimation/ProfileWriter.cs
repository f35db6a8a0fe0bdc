using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ConnectReconcile.Core.Estimation;

namespace ConnectReconcile.Io.Estimation;

/// <summary>
/// Writes a volume profile as commented YAML (or JSON) that <see cref="ProfileReader"/> reads back
/// to the same profile — so a derived profile can be edited and re-estimated.
/// </summary>
public static class ProfileWriter
{
    private sealed record Entry(string Key, object? Value, string? Comment = null);

    private sealed record Flow(IReadOnlyList<object> Items);

    public static string ToYaml(VolumeProfile profile)
    {
        var sb = new StringBuilder();
        sb.Append("# Amazon Connect volume profile (docs/estimate.md). Edit it and run: connect-reconcile estimate --profile THIS_FILE\n");
        WriteYaml(sb, Tree(profile), 0);
        return sb.ToString();
    }

    public static string ToJson(VolumeProfile profile)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(writer, Tree(profile));
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>By the file extension: .json → JSON, anything else → YAML.</summary>
    public static string ForPath(string path, VolumeProfile profile) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ToJson(profile) : ToYaml(profile);

    private static List<Entry> Tree(VolumeProfile p)
    {
        var top = new List<Entry> { new("format", VolumeProfile.FormatName) };
        if (p.Name is not null)
        {
            top.Add(new("name", p.Name));
        }

        top.Add(new("region", p.Region));
        if (p.Country is not null)
        {
            top.Add(new("country", p.Country, "numbers, desk phones and customers are in this country"));
        }

        if (p.PricingModel is not null)
        {
            top.Add(new("pricingModel", p.PricingModel, "per-feature or unlimited-ai"));
        }

        if (p.Month is { } month)
        {
            top.Add(new("month", month.Day == 1 && p.Days is null ? month.ToString("yyyy-MM", CultureInfo.InvariantCulture) : month.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        }

        if (p.Days is { } days)
        {
            top.Add(new("days", (decimal)days));
        }

        top.Add(new("callsPerDay", new List<Entry>
        {
            new("inboundDid", p.CallsPerDay.InboundDid),
            new("inboundTollFree", p.CallsPerDay.InboundTollFree),
            new("outbound", p.CallsPerDay.Outbound.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new Entry(kv.Key, kv.Value)).ToList(), "by destination country or E.164 prefix"),
            new("callbacks", p.CallsPerDay.Callbacks, "inbound calls (counted above) that left the queue for a callback"),
        }, "calls per day"));
        var i = p.Inbound;
        var inbound = new List<Entry>
        {
            new("ivrOnlyShare", i.IvrOnlyShare, "share of inbound calls that end in the IVR"),
            new("abandonedShare", i.AbandonedShare, "share that hang up while queued"),
            new("ivrOnlySeconds", Distribution(i.IvrOnlySeconds)),
            new("ivrSeconds", Distribution(i.IvrSeconds), "IVR before the queue"),
            new("queueSeconds", Distribution(i.QueueSeconds), "wait until an agent answers"),
            new("abandonSeconds", Distribution(i.AbandonSeconds), "wait of calls that hang up in queue"),
            new("talkSeconds", Distribution(i.TalkSeconds), "first agent's answer until the agents leave (transfers included, external party excluded)"),
            new("internalTransferShare", i.InternalTransferShare),
            new("externalTransferShare", i.ExternalTransferShare),
            new("externalSeconds", Distribution(i.ExternalSeconds), "the third-party leg"),
        };
        if (i.ExternalCountry is not null)
        {
            inbound.Add(new("externalCountry", i.ExternalCountry));
        }

        top.Add(new("inbound", inbound));
        top.Add(new("outbound", new List<Entry>
        {
            new("answeredShare", p.Outbound.AnsweredShare),
            new("ringSeconds", Distribution(p.Outbound.RingSeconds), "dialling until answer (service usage counts from dialling)"),
            new("talkSeconds", Distribution(p.Outbound.TalkSeconds)),
            new("noAnswerSeconds", Distribution(p.Outbound.NoAnswerSeconds), "dialling of unanswered calls"),
        }));
        top.Add(new("callbacks", new List<Entry>
        {
            new("queueSeconds", Distribution(p.Callbacks.QueueSeconds), "queue wait before choosing the callback"),
            new("ringSeconds", Distribution(p.Callbacks.RingSeconds), "agent accepts until the customer answers"),
            new("talkSeconds", Distribution(p.Callbacks.TalkSeconds), "the callback leg"),
        }));
        top.Add(new("agents", new List<Entry> { new("deskPhoneShare", p.DeskPhoneShare, "share of agent time on desk phones") }));
        top.Add(new("contactLens", p.ContactLensShare, "share of agent-handled calls with Contact Lens"));
        top.Add(new("numbers", new List<Entry> { new("did", p.Numbers.Did), new("tollFree", p.Numbers.TollFree) }, "numbers held all month"));
        if (p.OtherContactsPerDay.Count > 0)
        {
            top.Add(new("otherContactsPerDay", p.OtherContactsPerDay.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new Entry(kv.Key, kv.Value)).ToList()));
        }

        if (p.Notes.Count > 0)
        {
            top.Add(new("notes", new Flow(p.Notes.Cast<object>().ToList())));
        }

        return top;
    }

    private static List<Entry> Distribution(DurationDistribution d) => d.Shape switch
    {
        DurationShape.Fixed => [new("average", (decimal)d.Average), new("shape", "fixed")],
        DurationShape.Exponential => [new("average", Round(d.Average)), new("shape", "exponential")],
        DurationShape.LogNormal => [new("average", Round(d.Average)), new("shape", "lognormal"), new("sigma", Round(d.Sigma))],
        DurationShape.Buckets => [new("buckets", new Flow(d.Buckets.Select(b => (object)new Flow([Round(b.From), Round(b.UpTo), Round(b.Share)])).ToList()))],
        _ => [new("sample", new Flow(d.Sample.Select(v => (object)Round(v)).ToList()))],
    };

    private static decimal Round(double value) => Math.Round((decimal)value, 6, MidpointRounding.AwayFromZero);

    private static void WriteYaml(StringBuilder sb, List<Entry> entries, int indent)
    {
        var pad = new string(' ', indent);
        foreach (var e in entries)
        {
            if (e.Value is List<Entry> { Count: 0 })
            {
                sb.Append(pad).Append(Key(e.Key)).Append(": {}").Append(Comment(e.Comment)).Append('\n');
            }
            else if (e.Value is List<Entry> children)
            {
                sb.Append(pad).Append(Key(e.Key)).Append(':').Append(Comment(e.Comment)).Append('\n');
                WriteYaml(sb, children, indent + 2);
            }
            else if (e.Value is Flow strings && strings.Items.Count > 0 && strings.Items.All(x => x is string))
            {
                sb.Append(pad).Append(Key(e.Key)).Append(':').Append(Comment(e.Comment)).Append('\n');
                foreach (var item in strings.Items)
                {
                    sb.Append(pad).Append("  - ").Append(Scalar(item)).Append('\n');
                }
            }
            else if (e.Value is Flow { Items.Count: > 12 } flow && flow.Items.All(x => x is not Flow))
            {
                // Long lists (derived samples) wrap 20 values to a line.
                sb.Append(pad).Append(Key(e.Key)).Append(": [").Append(Comment(e.Comment)).Append('\n');
                for (var i = 0; i < flow.Items.Count; i += 20)
                {
                    sb.Append(pad).Append("  ").AppendJoin(", ", flow.Items.Skip(i).Take(20).Select(Scalar));
                    sb.Append(i + 20 < flow.Items.Count ? ",\n" : "\n");
                }

                sb.Append(pad).Append("]\n");
            }
            else
            {
                sb.Append(pad).Append(Key(e.Key)).Append(": ").Append(Scalar(e.Value)).Append(Comment(e.Comment)).Append('\n');
            }
        }
    }

    private static string Comment(string? comment) => comment is null ? "" : "  # " + comment;

    private static string Key(string key) => key.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_') && !char.IsAsciiDigit(key[0]) && key.Length > 2 ? key : Quote(key);

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        decimal d => d.ToString("0.######", CultureInfo.InvariantCulture),
        string s => Quote(s),
        Flow f => "[" + string.Join(", ", f.Items.Select(Scalar)) + "]",
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string Quote(string s) => JsonSerializer.Serialize(s, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static void WriteJson(Utf8JsonWriter w, List<Entry> entries)
    {
        w.WriteStartObject();
        foreach (var e in entries)
        {
            w.WritePropertyName(e.Key);
            WriteJsonValue(w, e.Value);
        }

        w.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case List<Entry> children:
                WriteJson(w, children);
                break;
            case Flow flow:
                w.WriteStartArray();
                foreach (var item in flow.Items)
                {
                    WriteJsonValue(w, item);
                }

                w.WriteEndArray();
                break;
            case decimal d:
                w.WriteRawValue(d.ToString("0.######", CultureInfo.InvariantCulture));
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
