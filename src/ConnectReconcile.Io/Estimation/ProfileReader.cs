using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Estimation;
using ConnectReconcile.Core.Legs;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ConnectReconcile.Io.Estimation;

/// <summary>
/// Reads a volume profile (<c>connect-reconcile/profile@1</c>, docs/estimate.md) from YAML or JSON;
/// the format is recognised from the content. Unknown keys are errors (a typo must not silently
/// fall back to a default), and every error names the key it is about.
/// </summary>
public static class ProfileReader
{
    public static VolumeProfile Read(string text)
    {
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        var root = trimmed.StartsWith('{') ? FromJson(text) : FromYaml(text);
        if (root is not Map map)
        {
            throw new FormatException("A profile must be a mapping of settings (see docs/estimate.md).");
        }

        return new Parser().Profile(map);
    }

    private sealed record Scalar(string Text);

    private sealed class Map(string path)
    {
        public string Path { get; } = path;
        public List<KeyValuePair<string, object?>> Entries { get; } = [];
    }

    private static object? FromJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return Convert(doc.RootElement, "");
        }
        catch (JsonException e)
        {
            throw new FormatException($"The profile is not valid JSON: {e.Message}");
        }

        static object? Convert(JsonElement e, string path) => e.ValueKind switch
        {
            JsonValueKind.Object => ToMap(e, path),
            JsonValueKind.Array => e.EnumerateArray().Select((item, i) => Convert(item, $"{path}[{i}]")).ToList(),
            JsonValueKind.String => new Scalar(e.GetString()!),
            JsonValueKind.Number => new Scalar(e.GetRawText()),
            JsonValueKind.True => new Scalar("true"),
            JsonValueKind.False => new Scalar("false"),
            _ => null,
        };

        static Map ToMap(JsonElement e, string path)
        {
            var map = new Map(path);
            foreach (var p in e.EnumerateObject())
            {
                map.Entries.Add(new(p.Name, Convert(p.Value, Join(path, p.Name))));
            }

            return map;
        }
    }

    private const int MaxYamlDepth = 64;
    private const int MaxYamlNodes = 100_000;

    private static object? FromYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"The profile is not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {e.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, with no position, on some unclosed flow maps ("{average: 60, sh").
            throw new FormatException("The profile is not valid YAML: an unclosed { or [ or a scalar cut short.");
        }

        // Aliases are shared nodes: one that refers to its own ancestor is a cycle, and nested ones
        // multiply ("billion laughs"). A profile is a few dozen nodes, so bounds far above that stop both.
        var nodes = 0;
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode, "", 0);

        object? Convert(YamlNode node, string path, int depth)
        {
            if (depth > MaxYamlDepth || ++nodes > MaxYamlNodes)
            {
                throw new FormatException($"The profile is too deep or too large at '{(path.Length > 60 ? path[..60] + "…" : path)}' (an alias that refers to itself, or aliases nested in aliases?).");
            }

            switch (node)
            {
                case YamlMappingNode m:
                {
                    var map = new Map(path);
                    foreach (var (key, value) in m.Children)
                    {
                        var name = (key as YamlScalarNode)?.Value ?? throw new FormatException($"'{path}' has a key that is not a plain name.");
                        map.Entries.Add(new(name, Convert(value, Join(path, name), depth + 1)));
                    }

                    return map;
                }

                case YamlSequenceNode s:
                    return s.Children.Select((item, i) => Convert(item, $"{path}[{i}]", depth + 1)).ToList();
                case YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" }:
                    return null;
                case YamlScalarNode scalar:
                    return new Scalar(scalar.Value ?? "");
                default:
                    throw new FormatException($"'{path}': aliases and tags are not supported in profiles.");
            }
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    /// <summary>Walks the tree, recording defaults and rejecting unknown keys.</summary>
    private sealed class Parser
    {
        private readonly List<string> _defaulted = [];

        public VolumeProfile Profile(Map root)
        {
            var top = new Fields(root, "format", "name", "region", "country", "pricingModel", "month", "days", "callsPerDay", "inbound", "outbound",
                "callbacks", "agents", "contactLens", "numbers", "otherContactsPerDay", "notes");
            if (top.Text("format") is { } format && format != VolumeProfile.FormatName)
            {
                throw new FormatException($"format must be '{VolumeProfile.FormatName}', found '{format}'.");
            }

            var region = top.Text("region") ?? throw new FormatException("A profile needs 'region' (e.g. ap-northeast-1): prices are per region.");
            var country = top.Text("country")?.ToUpperInvariant();
            var home = country ?? VolumeProfile.CountryOfRegion(region);
            var defaults = new VolumeProfile { Region = region };

            var calls = top.Child("callsPerDay");
            var outbound = new Dictionary<string, decimal>(StringComparer.Ordinal);
            CallVolumes volumes;
            if (calls is null)
            {
                volumes = new CallVolumes();
                _defaulted.Add("callsPerDay");
            }
            else
            {
                switch (calls.Raw("outbound"))
                {
                    case null:
                        break;
                    case Scalar s:
                        outbound[home ?? throw new FormatException("callsPerDay.outbound is a single number, but the profile has no country to call: give 'country' or a map of destinations.")] =
                            Number(s, "callsPerDay.outbound");
                        break;
                    case Map m:
                        foreach (var (destination, value) in m.Entries)
                        {
                            var key = destination.StartsWith('+') ? destination : destination.ToUpperInvariant();
                            _ = ExampleNumbers.For(key); // fails early for a destination we cannot make a number for
                            outbound[key] = Number(value, Join(m.Path, destination));
                        }

                        break;
                    default:
                        throw new FormatException("callsPerDay.outbound must be a number (calls to the home country) or a map of destination → calls per day.");
                }

                volumes = new CallVolumes
                {
                    InboundDid = calls.Number("inboundDid") ?? 0,
                    InboundTollFree = calls.Number("inboundTollFree") ?? 0,
                    Outbound = outbound,
                    Callbacks = calls.Number("callbacks") ?? 0,
                };
                calls.CheckUnknown();
            }

            var inbound = top.Child("inbound");
            var inboundBehaviour = inbound is null ? Defaulted(defaults.Inbound, "inbound") : new InboundBehaviour
            {
                IvrOnlyShare = inbound.Share("ivrOnlyShare") ?? 0,
                AbandonedShare = inbound.Share("abandonedShare") ?? 0,
                IvrOnlySeconds = Duration(inbound, "ivrOnlySeconds", defaults.Inbound.IvrOnlySeconds),
                IvrSeconds = Duration(inbound, "ivrSeconds", defaults.Inbound.IvrSeconds),
                QueueSeconds = Duration(inbound, "queueSeconds", defaults.Inbound.QueueSeconds),
                AbandonSeconds = Duration(inbound, "abandonSeconds", defaults.Inbound.AbandonSeconds),
                TalkSeconds = Duration(inbound, "talkSeconds", defaults.Inbound.TalkSeconds),
                InternalTransferShare = inbound.Share("internalTransferShare") ?? 0,
                ExternalTransferShare = inbound.Share("externalTransferShare") ?? 0,
                ExternalSeconds = Duration(inbound, "externalSeconds", defaults.Inbound.ExternalSeconds),
                ExternalCountry = inbound.Text("externalCountry")?.ToUpperInvariant(),
            };
            inbound?.CheckUnknown();

            var outboundSection = top.Child("outbound");
            var outboundBehaviour = outboundSection is null ? Defaulted(defaults.Outbound, "outbound") : new OutboundBehaviour
            {
                AnsweredShare = outboundSection.Share("answeredShare") ?? 1,
                RingSeconds = Duration(outboundSection, "ringSeconds", defaults.Outbound.RingSeconds),
                TalkSeconds = Duration(outboundSection, "talkSeconds", defaults.Outbound.TalkSeconds),
                NoAnswerSeconds = Duration(outboundSection, "noAnswerSeconds", defaults.Outbound.NoAnswerSeconds),
            };
            outboundSection?.CheckUnknown();

            var callbacks = top.Child("callbacks");
            var callbackBehaviour = callbacks is null ? Defaulted(defaults.Callbacks, "callbacks") : new CallbackBehaviour
            {
                QueueSeconds = Duration(callbacks, "queueSeconds", defaults.Callbacks.QueueSeconds),
                RingSeconds = Duration(callbacks, "ringSeconds", defaults.Callbacks.RingSeconds),
                TalkSeconds = Duration(callbacks, "talkSeconds", defaults.Callbacks.TalkSeconds),
            };
            callbacks?.CheckUnknown();

            var agents = top.Child("agents");
            var desk = agents?.Share("deskPhoneShare");
            agents?.CheckUnknown();

            var numbers = top.Child("numbers");
            var held = new NumbersHeld { Did = numbers?.Number("did") ?? 0, TollFree = numbers?.Number("tollFree") ?? 0 };
            numbers?.CheckUnknown();

            var other = new Dictionary<string, decimal>(StringComparer.Ordinal);
            if (top.Child("otherContactsPerDay") is { } channels)
            {
                foreach (var (kind, value) in channels.Map.Entries)
                {
                    // A misspelt channel (chatt) became its own unrated line and the chat estimate was dropped.
                    if (!KnownChannels.Contains(kind.ToLowerInvariant(), StringComparer.Ordinal))
                    {
                        throw new FormatException($"{Join(channels.Map.Path, kind)} is not a channel: the channels are {string.Join(", ", KnownChannels)}.");
                    }

                    other[kind.ToLowerInvariant()] = Number(value, Join(channels.Map.Path, kind));
                }
            }

            var profile = new VolumeProfile
            {
                Name = top.Text("name"),
                Region = region,
                Country = country,
                PricingModel = top.Text("pricingModel"),
                Month = Month(top.Text("month")),
                Days = top.Number("days") is { } days ? (days == decimal.Truncate(days) ? (int)days : throw new FormatException($"'days' must be a whole number of days, found {days}.")) : null,
                CallsPerDay = volumes,
                Inbound = inboundBehaviour,
                Outbound = outboundBehaviour,
                Callbacks = callbackBehaviour,
                DeskPhoneShare = desk ?? 0,
                ContactLensShare = ContactLens(top.Raw("contactLens")),
                Numbers = held,
                OtherContactsPerDay = other,
                Notes = top.Raw("notes") switch
                {
                    null => [],
                    List<object?> list => list.Select(n => (n as Scalar)?.Text ?? "").ToList(),
                    Scalar s => [s.Text],
                    _ => throw new FormatException("notes must be a list of strings."),
                },
                Defaulted = _defaulted,
            };
            if (desk is null)
            {
                _defaulted.Add("agents.deskPhoneShare");
            }

            top.CheckUnknown();
            profile.Validate();
            return profile;
        }

        private T Defaulted<T>(T value, string section)
        {
            _defaulted.Add(section);
            foreach (var name in typeof(T).GetProperties().Where(p => p.PropertyType == typeof(DurationDistribution)))
            {
                _defaulted.Add(section + "." + char.ToLowerInvariant(name.Name[0]) + name.Name[1..]);
            }

            return value;
        }

        private DurationDistribution Duration(Fields fields, string key, DurationDistribution fallback)
        {
            var path = Join(fields.Map.Path, key);
            var raw = fields.Raw(key);
            if (raw is null)
            {
                _defaulted.Add(path);
                return fallback;
            }

            return ParseDuration(raw, path);
        }

        private static DurationDistribution ParseDuration(object raw, string path)
        {
            try
            {
                switch (raw)
                {
                    case Scalar s:
                        return DurationDistribution.Exponential((double)Number(s, path));
                    case Map m:
                    {
                        var f = new Fields(m, "average", "shape", "sigma", "buckets", "sample");
                        DurationDistribution result;
                        if (f.Raw("buckets") is { } buckets)
                        {
                            result = DurationDistribution.FromBuckets(Buckets(buckets, Join(path, "buckets")));
                        }
                        else if (f.Raw("sample") is { } sample)
                        {
                            result = DurationDistribution.FromSample(List(sample, Join(path, "sample")).Select((v, i) => (double)Number(v, $"{path}.sample[{i}]")));
                        }
                        else
                        {
                            var average = (double)(f.Number("average") ?? throw new FormatException($"{path} needs 'average', 'buckets' or 'sample'."));
                            result = (f.Text("shape") ?? "exponential").ToLowerInvariant() switch
                            {
                                "fixed" => DurationDistribution.Fixed(average),
                                "exponential" => DurationDistribution.Exponential(average),
                                "lognormal" or "log-normal" => DurationDistribution.LogNormal(average, (double)(f.Number("sigma") ?? 0.8m)),
                                var other => throw new FormatException($"{path}.shape must be fixed, exponential or lognormal, found '{other}'."),
                            };
                        }

                        f.CheckUnknown();
                        return result;
                    }

                    default:
                        throw new FormatException($"{path} must be a number of seconds (an average) or a map with average/shape, buckets or sample.");
                }
            }
            catch (FormatException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new FormatException($"{path}: {e.Message}");
            }
        }

        private static IEnumerable<DurationBucket> Buckets(object raw, string path)
        {
            var previous = 0.0;
            var index = 0;
            foreach (var item in List(raw, path))
            {
                var at = $"{path}[{index++}]";
                double from, upTo, share;
                switch (item)
                {
                    case List<object?> { Count: 2 } pair:
                        (from, upTo, share) = (previous, (double)Number(pair[0], at), (double)ShareOf(pair[1], at));
                        break;
                    case List<object?> { Count: 3 } triple:
                        (from, upTo, share) = ((double)Number(triple[0], at), (double)Number(triple[1], at), (double)ShareOf(triple[2], at));
                        break;
                    case Map m:
                    {
                        var f = new Fields(m, "from", "upTo", "share");
                        from = (double)(f.Number("from") ?? (decimal)previous);
                        upTo = (double)(f.Number("upTo") ?? throw new FormatException($"{at} needs 'upTo'."));
                        share = (double)(f.Share("share") ?? throw new FormatException($"{at} needs 'share'."));
                        f.CheckUnknown();
                        break;
                    }

                    default:
                        throw new FormatException($"{at} must be [upTo, share], [from, upTo, share] or {{from, upTo, share}}.");
                }

                previous = upTo;
                yield return new DurationBucket(from, upTo, share);
            }
        }

        private static decimal ContactLens(object? raw) => raw switch
        {
            null => 0,
            Scalar { Text: "true" or "True" or "yes" or "on" } => 1,
            Scalar { Text: "false" or "False" or "no" or "off" } => 0,
            Scalar s => ShareOf(s, "contactLens"),
            Map m => LensShare(new Fields(m, "share")),
            _ => throw new FormatException("contactLens must be true, false, a share (0.2 or 20%) or {share: …}."),
        };

        private static decimal LensShare(Fields fields)
        {
            var share = fields.Share("share") ?? throw new FormatException("contactLens needs 'share' when given as a mapping.");
            fields.CheckUnknown();
            return share;
        }

        private static DateOnly? Month(string? text)
        {
            if (text is null)
            {
                return null;
            }

            string[] formats = ["yyyy-MM", "yyyy-MM-dd"];
            return DateOnly.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                ? day
                : throw new FormatException($"month must be YYYY-MM (or the first day, YYYY-MM-DD), found '{text}'.");
        }
    }

    /// <summary>Channels other than voice that Amazon Connect bills per contact (CTR <c>Channel</c>), as charge kinds.</summary>
    private static readonly string[] KnownChannels = [.. new[] { Channels.Chat, Channels.Email, Channels.Task }.Select(ChargeKinds.ForChannel).Order(StringComparer.Ordinal)];

    private static List<object?> List(object raw, string path) =>
        raw as List<object?> ?? throw new FormatException($"{path} must be a list.");

    private static decimal Number(object? raw, string path)
    {
        if (raw is Scalar s && decimal.TryParse(s.Text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        if (raw is Scalar big && double.TryParse(big.Text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            // A number beyond decimal's range (1e30) is one: "must be a number" sent the user looking for a typo.
            throw new FormatException($"{path} is too large, found '{big.Text}'.");
        }

        throw new FormatException($"{path} must be a number, found '{(raw as Scalar)?.Text ?? raw?.GetType().Name ?? "nothing"}'.");
    }

    /// <summary>0.15, or 15%.</summary>
    private static decimal ShareOf(object? raw, string path)
    {
        if (raw is Scalar { Text: var text } && text.TrimEnd().EndsWith('%'))
        {
            return Number(new Scalar(text.TrimEnd()[..^1]), path) / 100;
        }

        return Number(raw, path);
    }

    /// <summary>The keys of one mapping, with the ones allowed and the ones read.</summary>
    private sealed class Fields
    {
        private readonly HashSet<string> _allowed;
        private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

        public Fields(Map map, params string[] allowed)
        {
            Map = map;
            _allowed = new HashSet<string>(allowed, StringComparer.Ordinal);
            foreach (var (key, value) in map.Entries)
            {
                if (!_values.TryAdd(key, value))
                {
                    throw new FormatException($"'{Join(map.Path, key)}' is given twice.");
                }
            }
        }

        public Map Map { get; }

        public object? Raw(string key) => _values.GetValueOrDefault(key);

        public string? Text(string key) => Raw(key) switch
        {
            null => null,
            Scalar s => s.Text,
            _ => throw new FormatException($"{Join(Map.Path, key)} must be a single value."),
        };

        public decimal? Number(string key) => Raw(key) is { } raw ? ProfileReader.Number(raw, Join(Map.Path, key)) : null;

        public decimal? Share(string key) => Raw(key) is { } raw ? ShareOf(raw, Join(Map.Path, key)) : null;

        public Fields? Child(string key) => Raw(key) switch
        {
            null => null,
            Map m => key switch
            {
                "callsPerDay" => new Fields(m, "inboundDid", "inboundTollFree", "outbound", "callbacks"),
                "inbound" => new Fields(m, "ivrOnlyShare", "abandonedShare", "ivrOnlySeconds", "ivrSeconds", "queueSeconds", "abandonSeconds", "talkSeconds",
                    "internalTransferShare", "externalTransferShare", "externalSeconds", "externalCountry"),
                "outbound" => new Fields(m, "answeredShare", "ringSeconds", "talkSeconds", "noAnswerSeconds"),
                "callbacks" => new Fields(m, "queueSeconds", "ringSeconds", "talkSeconds"),
                "agents" => new Fields(m, "deskPhoneShare"),
                "numbers" => new Fields(m, "did", "tollFree"),
                _ => new Fields(m, m.Entries.Select(e => e.Key).ToArray()),
            },
            _ => throw new FormatException($"{Join(Map.Path, key)} must be a mapping."),
        };

        public void CheckUnknown()
        {
            var unknown = _values.Keys.Where(k => !_allowed.Contains(k)).ToList();
            if (unknown.Count > 0)
            {
                throw new FormatException($"Unknown setting{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(k => "'" + Join(Map.Path, k) + "'"))}; " +
                    $"known here: {string.Join(", ", _allowed.Order(StringComparer.Ordinal))}.");
            }
        }
    }
}
