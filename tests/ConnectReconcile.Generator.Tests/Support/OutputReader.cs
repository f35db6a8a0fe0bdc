using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ConnectReconcile.Generator.Tests.Support;

/// <summary>One object found in an output file, in file order.</summary>
internal sealed record OutputObject(string File, DateTime FolderHour, DateTime NameTime, int Ordinal, byte[] Bytes);

/// <summary>One gzip object of the output.</summary>
internal sealed record OutputFile(string Path, DateTime FolderHour, DateTime NameTime, byte[] Json, List<byte[]> Objects, bool NewlineDelimited, bool Concatenated);

/// <summary>A contact record as the tests read it back (test-side parser, independent of the generator and of Core).</summary>
internal sealed class Ctr
{
    public required string ContactId { get; init; }
    public string? InitialContactId { get; init; }
    public string? PreviousContactId { get; init; }
    public string? NextContactId { get; init; }
    public required string Channel { get; init; }
    public required string Method { get; init; }
    public required DateTime Init { get; init; }
    public DateTime? ConnSys { get; init; }
    public required DateTime Disc { get; init; }
    public required DateTime LastUpdate { get; init; }
    public DateTime? TransferCompleted { get; init; }
    public string? SystemEndpoint { get; init; }
    public string? CustomerEndpoint { get; init; }
    public string? TransferredTo { get; init; }
    public string? Agent { get; init; }
    public DateTime? ConnAgent { get; init; }
    public DateTime? AcwStart { get; init; }
    public DateTime? AcwEnd { get; init; }
    public int Interaction { get; init; }
    public bool Lens { get; init; }
    public bool HasQueue { get; init; }
    public DateTime? Enqueue { get; init; }
    public DateTime? Dequeue { get; init; }
    public required string Attributes { get; init; }
    public required OutputObject Source { get; init; }

    /// <summary>The end Firehose waits for: disconnect, or ACW end if later.</summary>
    public DateTime End => AcwEnd is { } e && e > Disc ? e : Disc;
}

internal static partial class OutputReader
{
    [GeneratedRegex(@"^ctr/(\d{4})/(\d{2})/(\d{2})/(\d{2})/connect-ctr-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$")]
    public static partial Regex FirehoseName();

    public static List<OutputFile> ReadFiles(string outDir)
    {
        var files = new List<OutputFile>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(outDir, "ctr"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(outDir, path).Replace('\\', '/');
            var m = FirehoseName().Match(rel);
            if (!m.Success)
            {
                throw new InvalidDataException($"not a Firehose-layout object: {rel}");
            }

            int G(int i) => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
            var folder = new DateTime(G(1), G(2), G(3), G(4), 0, 0, DateTimeKind.Utc);
            var name = new DateTime(G(5), G(6), G(7), G(8), G(9), G(10), DateTimeKind.Utc);
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            var json = ms.ToArray();
            var objects = Split(json, out var newlines, out var adjacent);
            files.Add(new OutputFile(rel, folder, name, json, objects, newlines, adjacent));
        }

        return files;
    }

    public static List<OutputObject> Objects(IEnumerable<OutputFile> files)
    {
        var list = new List<OutputObject>();
        foreach (var f in files)
        {
            for (var i = 0; i < f.Objects.Count; i++)
            {
                list.Add(new OutputObject(f.Path, f.FolderHour, f.NameTime, i, f.Objects[i]));
            }
        }

        return list;
    }

    /// <summary>
    /// Splits concatenated (or newline-delimited) JSON objects by tracking braces outside strings;
    /// only whitespace may stand between objects. Reports whether newlines or direct <c>}{</c>
    /// adjacency were seen.
    /// </summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> data, out bool sawNewlines, out bool sawAdjacent)
    {
        var result = new List<byte[]>();
        sawNewlines = false;
        sawAdjacent = false;
        var i = 0;
        var prevEnd = -1;
        while (i < data.Length)
        {
            var c = data[i];
            if (c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                if (c == (byte)'\n')
                {
                    sawNewlines = true;
                }

                i++;
                continue;
            }

            if (c != (byte)'{')
            {
                throw new InvalidDataException($"unexpected byte '{(char)c}' at {i} between objects");
            }

            if (prevEnd == i)
            {
                sawAdjacent = true;
            }

            var start = i;
            var depth = 0;
            var inString = false;
            for (; i < data.Length; i++)
            {
                var b = data[i];
                if (inString)
                {
                    if (b == (byte)'\\')
                    {
                        i++;
                    }
                    else if (b == (byte)'"')
                    {
                        inString = false;
                    }

                    continue;
                }

                if (b == (byte)'"')
                {
                    inString = true;
                }
                else if (b == (byte)'{')
                {
                    depth++;
                }
                else if (b == (byte)'}' && --depth == 0)
                {
                    i++;
                    break;
                }
            }

            if (depth != 0 || inString)
            {
                throw new InvalidDataException("unbalanced object at end of data");
            }

            result.Add(data[start..i].ToArray());
            prevEnd = i;
        }

        return result;
    }

    /// <summary>Test-side quarantine reason, or null for a valid CTR.</summary>
    public static string? Classify(byte[] bytes, out Ctr? ctr, OutputObject? source = null)
    {
        ctr = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return "malformed-json";
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.TryGetProperty("EventType", out _) || root.TryGetProperty("eventType", out _) || root.TryGetProperty("detail-type", out _))
            {
                return "not-a-ctr";
            }

            if (!root.TryGetProperty("ContactId", out var id) || id.ValueKind != JsonValueKind.String)
            {
                return "missing-contact-id";
            }

            var init = Time(root, "InitiationTimestamp");
            if (init is null)
            {
                return "bad-timestamp";
            }

            var disc = Time(root, "DisconnectTimestamp")!.Value;
            if (disc < init)
            {
                return "disconnect-before-initiation";
            }

            var agent = root.GetProperty("Agent");
            var hasAgent = agent.ValueKind == JsonValueKind.Object;
            var queue = root.GetProperty("Queue");
            ctr = new Ctr
            {
                ContactId = id.GetString()!,
                InitialContactId = Str(root, "InitialContactId"),
                PreviousContactId = Str(root, "PreviousContactId"),
                NextContactId = Str(root, "NextContactId"),
                Channel = root.GetProperty("Channel").GetString()!,
                Method = root.GetProperty("InitiationMethod").GetString()!,
                Init = init.Value,
                ConnSys = Time(root, "ConnectedToSystemTimestamp"),
                Disc = disc,
                LastUpdate = Time(root, "LastUpdateTimestamp")!.Value,
                TransferCompleted = Time(root, "TransferCompletedTimestamp"),
                SystemEndpoint = Address(root, "SystemEndpoint"),
                CustomerEndpoint = Address(root, "CustomerEndpoint"),
                TransferredTo = Address(root, "TransferredToEndpoint"),
                Agent = hasAgent ? agent.GetProperty("Username").GetString() : null,
                ConnAgent = hasAgent ? Time(agent, "ConnectedToAgentTimestamp") : null,
                AcwStart = hasAgent ? Time(agent, "AfterContactWorkStartTimestamp") : null,
                AcwEnd = hasAgent ? Time(agent, "AfterContactWorkEndTimestamp") : null,
                Interaction = hasAgent ? agent.GetProperty("AgentInteractionDuration").GetInt32() : 0,
                Lens = root.TryGetProperty("ContactLens", out var lens)
                    && lens.TryGetProperty("ConversationalAnalytics", out var ca)
                    && ca.TryGetProperty("Configuration", out var cfg)
                    && cfg.TryGetProperty("Enabled", out var en) && en.ValueKind == JsonValueKind.True,
                HasQueue = queue.ValueKind == JsonValueKind.Object,
                Enqueue = queue.ValueKind == JsonValueKind.Object ? Time(queue, "EnqueueTimestamp") : null,
                Dequeue = queue.ValueKind == JsonValueKind.Object ? Time(queue, "DequeueTimestamp") : null,
                Attributes = root.GetProperty("Attributes").GetRawText(),
                Source = source ?? new OutputObject("", default, default, 0, bytes),
            };
            return null;
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Address(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v.GetProperty("Address").GetString() : null;

    public static DateTime? Time(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        return DateTime.TryParseExact(v.GetString(), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }
}
