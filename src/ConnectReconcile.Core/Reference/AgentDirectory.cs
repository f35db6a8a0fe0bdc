using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Reference;

public static class PhoneTypes
{
    public const string SoftPhone = "SOFT_PHONE";
    public const string DeskPhone = "DESK_PHONE";
}

/// <summary>One as-of row: from <see cref="AsOf"/> on (always, when it has no date), the agent uses this phone type.</summary>
public sealed record AgentPhoneEntry(string Key, string PhoneType, string? DeskPhoneNumber, Instant? AsOf)
{
    /// <summary>How the row is named in a leg's reason.</summary>
    public string Describe() => AsOf is { } asOf ? $"directory as of {asOf}" : "directory row without a date";
}

/// <summary>
/// Agent → phone type with as-of dates (the CTR does not carry it). An agent with no row in force
/// at the time of the call is taken to be on a softphone, which creates no telephony leg.
/// </summary>
public sealed class AgentDirectory
{
    private readonly Dictionary<string, List<AgentPhoneEntry>> _byKey;

    public AgentDirectory(IEnumerable<AgentPhoneEntry> entries)
    {
        _byKey = entries
            .GroupBy(e => e.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.AsOf).ToList(), StringComparer.Ordinal);
    }

    public static AgentDirectory Empty { get; } = new([]);

    public int Count => _byKey.Count;

    public IEnumerable<AgentPhoneEntry> Entries => _byKey.Values.SelectMany(v => v);

    /// <summary>
    /// The row in force at <paramref name="at"/> for the agent, matched by ARN, else username: a username is
    /// only unique within an instance (two instances' "sato" are two agents), an ARN everywhere.
    /// </summary>
    public AgentPhoneEntry? Lookup(string? username, string? arn, Instant at) => Find(arn, at) ?? Find(username, at);

    /// <summary>A copy where every agent is on a softphone (the what-if "all softphone").</summary>
    public AgentDirectory AllSoftphone() =>
        new(Entries.Select(e => e with { PhoneType = PhoneTypes.SoftPhone, DeskPhoneNumber = null }));

    private AgentPhoneEntry? Find(string? key, Instant at)
    {
        if (key is null || !_byKey.TryGetValue(key, out var rows))
        {
            return null;
        }

        AgentPhoneEntry? inForce = null;
        foreach (var row in rows)
        {
            if (row.AsOf is not { } asOf || asOf <= at)
            {
                inForce = row;
            }
        }

        return inForce;
    }
}
