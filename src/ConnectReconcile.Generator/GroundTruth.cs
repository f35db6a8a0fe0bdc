using System.Text.Json;

namespace ConnectReconcile.Generator;

/// <summary>
/// The true totals of a generated month, computed from the simulated calls (their durations), never
/// by re-reading the written records. Serialized as <c>truth.json</c> (pretty-printed, keys sorted).
/// Accounting identity: <c>Records = valid unique voice records + Duplicates + Quarantined + NonVoiceContacts</c>.
/// </summary>
public sealed class GroundTruth
{
    /// <summary>Charge kinds always present in <see cref="BilledSeconds"/> (zero when unused).</summary>
    public static IReadOnlyList<string> ChargeKinds { get; } =
        ["contact-lens", "service", "telephony:inbound-did", "telephony:inbound-tollfree", "telephony:outbound"];

    /// <summary>Leg kinds always present in <see cref="Legs"/> (zero when unused).</summary>
    public static IReadOnlyList<string> LegKinds { get; } =
        ["callback", "customer-inbound", "customer-outbound", "desk-phone", "third-party"];

    /// <summary>Reasons a planted bad record carries (only those planted appear in <see cref="QuarantinedByReason"/>).</summary>
    public static IReadOnlyList<string> QuarantineReasons { get; } =
        ["bad-timestamp", "disconnect-before-initiation", "malformed-json", "missing-contact-id", "not-a-ctr"];

    /// <summary>Every record written: unique voice + duplicates + quarantined + non-voice.</summary>
    public long Records { get; init; }

    /// <summary>Extra copies (re-deliveries); the first copy of a record is not a duplicate.</summary>
    public long Duplicates { get; init; }

    /// <summary>Planted bad records.</summary>
    public long Quarantined { get; init; }

    /// <summary>Unique non-voice (CHAT) records; every chat chain is one record.</summary>
    public long NonVoiceContacts { get; init; }

    /// <summary>Always 0: every parent is written.</summary>
    public long Orphans { get; init; }

    /// <summary>Customer interactions = <see cref="GeneratorOptions.Contacts"/> (chat chains included).</summary>
    public long Chains { get; init; }

    /// <summary>Billed seconds after minimums, per charge kind (see <see cref="ChargeKinds"/>).</summary>
    public IReadOnlyDictionary<string, long> BilledSeconds { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary><c>number-days:did</c> and <c>number-days:tollfree</c>.</summary>
    public IReadOnlyDictionary<string, long> NumberDays { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Number of telephony legs per leg kind (see <see cref="LegKinds"/>).</summary>
    public IReadOnlyDictionary<string, long> Legs { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Planted bad records per reason (reasons with zero records are omitted).</summary>
    public IReadOnlyDictionary<string, long> QuarantinedByReason { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Billed seconds of one kind, 0 when absent.</summary>
    public long Billed(string chargeKind) => BilledSeconds.TryGetValue(chargeKind, out var v) ? v : 0;

    /// <summary>Pretty-printed JSON with ordinally sorted keys and a final newline.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            w.WriteStartObject();
            WriteMap(w, "billedSeconds", BilledSeconds);
            w.WriteNumber("chains", Chains);
            w.WriteNumber("duplicates", Duplicates);
            WriteMap(w, "legs", Legs);
            w.WriteNumber("nonVoiceContacts", NonVoiceContacts);
            WriteMap(w, "numberDays", NumberDays);
            w.WriteNumber("orphans", Orphans);
            w.WriteNumber("quarantined", Quarantined);
            WriteMap(w, "quarantinedByReason", QuarantinedByReason);
            w.WriteNumber("records", Records);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote (unknown keys are ignored).</summary>
    public static GroundTruth FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        long Num(string name) => root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt64() : 0;
        SortedDictionary<string, long> Map(string name)
        {
            var map = new SortedDictionary<string, long>(StringComparer.Ordinal);
            if (root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    map[p.Name] = p.Value.GetInt64();
                }
            }

            return map;
        }

        return new GroundTruth
        {
            Records = Num("records"),
            Duplicates = Num("duplicates"),
            Quarantined = Num("quarantined"),
            NonVoiceContacts = Num("nonVoiceContacts"),
            Orphans = Num("orphans"),
            Chains = Num("chains"),
            BilledSeconds = Map("billedSeconds"),
            NumberDays = Map("numberDays"),
            Legs = Map("legs"),
            QuarantinedByReason = Map("quarantinedByReason"),
        };
    }

    /// <summary>Reads a <c>truth.json</c> file.</summary>
    public static GroundTruth Load(string path) => FromJson(File.ReadAllText(path));

    private static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, long> map)
    {
        w.WriteStartObject(name);
        foreach (var key in map.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            w.WriteNumber(key, map[key]);
        }

        w.WriteEndObject();
    }
}
