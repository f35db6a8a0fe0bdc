using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// Bad input never crashes a run and never goes missing. The records of every scenario and real CTR
/// are damaged at random: fields removed, nulled or given another type, odd timestamps, numbers and
/// phone numbers, chain links turned into cycles, self-references and dangling ids, contact ids
/// repeated, bytes cut, inserted or doubled, gzip cut short; then spread over arrival hours and run
/// through the whole job. Each run must finish, its counts must add up, every quarantined record must
/// say why, and a second run must write the same bytes. Seeded: a failure names the input to replay.
/// </summary>
public sealed class MutatedInputTests
{
    private const int InputsPerSeed = 25;

    private static readonly Lazy<List<JsonObject>> Seeds = new(LoadSeeds);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Damaged_records_never_crash_a_run_and_every_record_is_accounted_for(int seed)
    {
        long rated = 0, quarantined = 0;
        for (var i = 0; i < InputsPerSeed; i++)
        {
            var input = $"seed {seed}, input {i}";
            using var tmp = new TempDir();
            WriteDamagedInput(new Random((seed * 1_000) + i), tmp.Sub("ctr"));

            var first = await RunAsync(tmp.Sub("ctr"), tmp.Sub("out1"));
            Assert.True(first.Counts.AddsUp, $"{input}: counts do not add up: {JsonSerializer.Serialize(first.Counts)}");
            (rated, quarantined) = (rated + first.Counts.Rated, quarantined + first.Counts.Quarantined);
            Assert.All(first.Quarantined, q => Assert.False(string.IsNullOrWhiteSpace(q.Reason) || string.IsNullOrWhiteSpace(q.Detail), input));

            await RunAsync(tmp.Sub("ctr"), tmp.Sub("out2"));
            foreach (var file in Directory.EnumerateFiles(tmp.Sub("out1"), "*", SearchOption.AllDirectories))
            {
                var again = Path.Combine(tmp.Sub("out2"), Path.GetRelativePath(tmp.Sub("out1"), file));
                Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(again)), $"{input}: {file} differs between two runs");
            }
        }

        // The damage is neither so light that nothing is quarantined nor so heavy that nothing is rated.
        Assert.True(rated > 0 && quarantined > 0, $"rated {rated}, quarantined {quarantined}");
    }

    private static Task<JobResult> RunAsync(string ctr, string output)
    {
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        return new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(ctr),
            Output = new LocalObjectStore(output),
            Rater = rater,
            Numbers = NumberInventory.Missing,
        }).RunAsync(null, CancellationToken.None);
    }

    /// <summary>1 to 11 damaged records in one to three Firehose-style hour folders, plain JSON or gzip.</summary>
    private static void WriteDamagedInput(Random rng, string root)
    {
        var records = Enumerable.Range(0, rng.Next(1, 12)).Select(_ => (JsonObject)Seeds.Value[rng.Next(Seeds.Value.Count)].DeepClone()).ToList();
        var ids = records.Select(r => r["ContactId"]?.ToString() ?? "").ToList();
        var texts = new List<string>();
        foreach (var record in records)
        {
            for (var m = rng.Next(0, 5); m > 0; m--)
            {
                Damage(record, rng);
            }

            if (rng.Next(3) == 0)
            {
                Relink(record, ids, rng);
            }

            var text = record.ToJsonString();
            texts.Add(rng.Next(8) == 0 ? DamageBytes(text, rng) : text);
        }

        var files = rng.Next(1, 4);
        for (var f = 0; f < files; f++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, "2026", "10", $"{1 + rng.Next(3):D2}", $"{rng.Next(24):D2}")).FullName;
            var share = f == files - 1 ? texts : texts.Take(texts.Count / (files - f)).ToList();
            var bytes = Encoding.UTF8.GetBytes(string.Join(rng.Next(3) switch { 0 => "", 1 => "\n", _ => " " }, share));
            texts = texts.Skip(share.Count).ToList();
            if (rng.Next(3) == 0)
            {
                bytes = DecoderTests.Gzip(bytes);
                bytes = rng.Next(4) == 0 ? bytes[..rng.Next(bytes.Length)] : bytes;
                File.WriteAllBytes(Path.Combine(dir, $"part-{f}.json.gz"), bytes);
            }
            else
            {
                File.WriteAllBytes(Path.Combine(dir, $"part-{f}.json"), bytes);
            }
        }
    }

    /// <summary>One field anywhere in the record removed, nulled, retyped or given an odd value.</summary>
    private static void Damage(JsonObject record, Random rng)
    {
        var fields = new List<(JsonObject Parent, string Name)>();
        Walk(record);
        if (fields.Count == 0)
        {
            return;
        }

        var (parent, name) = fields[rng.Next(fields.Count)];
        var kind = rng.Next(13);
        if (kind == 12)
        {
            parent.Remove(name);
            return;
        }

        parent[name] = kind switch
        {
            0 => null,
            1 => rng.Next(3) switch { 0 => 0, 1 => -1, _ => long.MaxValue },
            2 => "",
            3 => new JsonArray(1, "x"),
            4 => new JsonObject { ["a"] = 1 },
            5 => true,
            6 => new[] { "2026-10-01T12:00:00Z", "2026-10-01T12:00:00.123456789+05:30", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "2026-10-01 12:00:00" }[rng.Next(6)],
            7 => new[] { "+819011112222", "+1", "sip:x@y", "+" + new string('9', 40) }[rng.Next(4)],
            8 => 1e308,
            9 => "\u0000\uD800x",
            10 => new[] { "VOICE", "CHAT", "TASK", "INBOUND", "OUTBOUND", "TRANSFER", "CALLBACK", "QUEUE_TRANSFER" }[rng.Next(8)],
            _ => parent[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() + "x" : "x",
        };

        void Walk(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, child) in o.ToList())
                {
                    fields.Add((o, key));
                    Walk(child);
                }
            }
            else if (node is JsonArray a)
            {
                foreach (var item in a)
                {
                    Walk(item);
                }
            }
        }
    }

    /// <summary>Chain links pointed at this input's other records (cycles, itself) or at contacts never seen.</summary>
    private static void Relink(JsonObject record, List<string> ids, Random rng)
    {
        foreach (var link in new[] { "PreviousContactId", "InitialContactId", "NextContactId", "RelatedContactId" })
        {
            if (rng.Next(2) == 0)
            {
                record[link] = rng.Next(4) == 0 ? $"00000000-0000-4000-8000-{rng.Next():D12}" : ids[rng.Next(ids.Count)];
            }
        }

        if (rng.Next(3) == 0)
        {
            record["ContactId"] = ids[rng.Next(ids.Count)];
        }
    }

    /// <summary>The serialized record cut short, with a structural character inserted or removed, or with part of it doubled.</summary>
    private static string DamageBytes(string text, Random rng) => rng.Next(4) switch
    {
        0 => text[..rng.Next(text.Length)],
        1 => text.Insert(rng.Next(text.Length), "{}[],:\"\\x"[rng.Next(9)].ToString()),
        2 => text.Remove(rng.Next(text.Length), 1),
        _ => text + text[..rng.Next(text.Length)],
    };

    private static List<JsonObject> LoadSeeds()
    {
        var seeds = new List<JsonObject>();
        var fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
        foreach (var file in Directory.EnumerateFiles(fixtures, "*.json", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "expected.json").Order(StringComparer.Ordinal))
        {
            var reader = new Utf8JsonReader(File.ReadAllBytes(file), new JsonReaderOptions { AllowMultipleValues = true });
            while (reader.Read())
            {
                switch (JsonNode.Parse(ref reader))
                {
                    case JsonObject o:
                        seeds.Add(o);
                        break;
                    case JsonArray a:
                        seeds.AddRange(a.OfType<JsonObject>());
                        break;
                }
            }
        }

        Assert.True(seeds.Count >= 20, $"{seeds.Count} seed records in the fixtures");
        return seeds;
    }
}
