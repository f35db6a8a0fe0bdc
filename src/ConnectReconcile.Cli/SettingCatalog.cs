using System.Collections.Frozen;
using System.CommandLine;
using System.CommandLine.Parsing;

namespace ConnectReconcile.Cli;

/// <summary>
/// The settings the command tree reads, by the options' long names (<c>rate-card</c>): which names
/// exist at all, which take a list, and which each command has, so a command's own section
/// (<c>"stream": { "endpoint-url": … }</c>, CONNECT_RECONCILE_STREAM__ENDPOINT_URL) can be checked.
/// </summary>
public sealed class SettingCatalog
{
    private readonly FrozenSet<string> _names;
    private readonly FrozenSet<string> _lists;
    private readonly FrozenDictionary<string, FrozenSet<string>> _scopes;
    private readonly FrozenDictionary<(string Scope, string Name), Type> _types;
    private readonly string[] _scopeOrder; // the commands in the tree's order, for messages

    private SettingCatalog(FrozenSet<string> names, FrozenSet<string> lists, FrozenDictionary<string, FrozenSet<string>> scopes,
        FrozenDictionary<(string Scope, string Name), Type> types, string[] scopeOrder) =>
        (_names, _lists, _scopes, _types, _scopeOrder) = (names, lists, scopes, types, scopeOrder);

    /// <summary>Walks <paramref name="root"/>; <paramref name="extra"/> are settings without a flag (S3 encryption).</summary>
    public static SettingCatalog Of(Command root, IEnumerable<string> extra)
    {
        var scopes = new Dictionary<string, FrozenSet<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        var names = new HashSet<string>(extra, StringComparer.Ordinal);
        var lists = new HashSet<string>(StringComparer.Ordinal);
        var types = new Dictionary<(string, string), Type>();
        void Walk(Command command, string? scope)
        {
            foreach (var sub in command.Subcommands)
            {
                var path = scope is null ? sub.Name : $"{scope}:{sub.Name}";
                scopes[path] = sub.Options.Select(NameOf).ToFrozenSet(StringComparer.Ordinal);
                order.Add(path);
                names.UnionWith(sub.Options.Select(NameOf));
                lists.UnionWith(sub.Options.Where(o => o.ValueType.IsArray).Select(NameOf));
                foreach (var option in sub.Options)
                {
                    // What one value of it is: int for int?, string for string[].
                    var type = option.ValueType.IsArray ? option.ValueType.GetElementType()! : option.ValueType;
                    types[(path, NameOf(option))] = Nullable.GetUnderlyingType(type) ?? type;
                }

                Walk(sub, path);
            }
        }

        Walk(root, null);
        return new SettingCatalog(names.ToFrozenSet(StringComparer.Ordinal), lists.ToFrozenSet(StringComparer.Ordinal), scopes.ToFrozenDictionary(StringComparer.Ordinal),
            types.ToFrozenDictionary(), order.ToArray());
    }

    /// <summary>The scope of a command being run: its path below the root, ':'-separated (<c>ratecard:derive</c>).</summary>
    public static string ScopeOf(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is CommandResult parent; result = parent)
        {
            names.Add(result.Command.Name);
        }

        names.Reverse();
        return string.Join(':', names);
    }

    /// <summary>The commands that have the option <paramref name="name"/>, as scopes (<c>ratecard:derive</c>), in the tree's order.</summary>
    public IEnumerable<string> ScopesWith(string name) => _scopeOrder.Where(scope => _scopes[scope].Contains(name));

    /// <summary>The type of one value of the option <paramref name="name"/> in the command <paramref name="scope"/> (null: it has none).</summary>
    public Type? TypeOf(string scope, string name) => _types.GetValueOrDefault((scope, name));

    /// <summary>A setting name (normalised: <c>RATE_CARD</c> → <c>rate-card</c>).</summary>
    public static string Normalise(string key) => key.Replace('_', '-').ToLowerInvariant();

    public bool IsSetting(string name) => _names.Contains(name);

    public bool IsList(string name) => _lists.Contains(name);

    /// <summary>Whether <paramref name="scope"/> (<c>stream</c>, <c>ratecard:derive</c>) names a command, and its options' names.</summary>
    public bool TryScope(string scope, out IReadOnlySet<string> members)
    {
        var found = _scopes.TryGetValue(scope, out var set);
        members = set ?? FrozenSet<string>.Empty;
        return found;
    }

    private static string NameOf(Option option) => option.Name.TrimStart('-');
}
