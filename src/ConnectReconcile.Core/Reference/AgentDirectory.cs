using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Reference;

public static class PhoneTypes
{
    public const string SoftPhone = "SOFT_PHONE";
    public const string DeskPhone = "DESK_PHONE";
}

/// <summary>One as-of row: from <see cref="AsOf"/> on (always, when it has no date), the agent uses this phone type.</summary>
/// <param name="DeskPhoneCountryAssumed">The desk phone was written without its country code marked ('+' or 00), so its first digits were taken as one (<see cref="PhoneNumbers.MarksItsCountryCode"/>).</param>
/// <param name="AsOfIsLastEdit">
/// <see cref="AsOf"/> is the user's last edit of any kind (describe-user's LastModifiedTime, which shows the current
/// setting only), not when the phone type was set: the agent's earliest such row also applies before it.
/// </param>
/// <param name="DatedAfterTheCall">This row was applied to a call before its <see cref="AsOf"/> (see <paramref name="AsOfIsLastEdit"/>).</param>
public sealed record AgentPhoneEntry(string Key, string PhoneType, string? DeskPhoneNumber, Instant? AsOf, bool DeskPhoneCountryAssumed = false, bool AsOfIsLastEdit = false, bool DatedAfterTheCall = false)
{
    /// <summary>How the row is named in a leg's reason.</summary>
    public string Describe() => AsOf switch
    {
        null => "directory row without a date",
        { } asOf when DatedAfterTheCall => $"directory as of {asOf}, dated after the call: describe-user gives the current phone type only, taken to apply before too",
        { } asOf => $"directory as of {asOf}",
    };
}

/// <summary>
/// Agent → phone type with as-of dates (the CTR does not carry it). An agent with no row in force
/// at the time of the call is taken to be on a softphone, which creates no telephony leg; but before an agent's
/// earliest row from describe-user (<see cref="AgentPhoneEntry.AsOfIsLastEdit"/>), that row applies.
/// </summary>
public sealed class AgentDirectory
{
    private readonly Dictionary<string, List<AgentPhoneEntry>> _byKey;

    // Per key, the earliest row when its date is a last edit: the row in force before that date, marked so.
    private readonly Dictionary<string, AgentPhoneEntry> _beforeEarliest;
    private readonly HashSet<string> _deskPhones;

    // Whether any row is keyed by something ARN-shaped. A directory keyed by usernames (the CSV's usual
    // form) then cannot match a CTR's agent ARN, and the ~100-character ARN is not hashed for every record.
    private readonly bool _hasArnKeys;

    public AgentDirectory(IEnumerable<AgentPhoneEntry> entries)
        : this(entries.ToList(), null)
    {
    }

    private AgentDirectory(List<AgentPhoneEntry> entries, HashSet<string>? deskPhones)
    {
        _byKey = entries
            .GroupBy(e => e.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.AsOf).ToList(), StringComparer.Ordinal);
        _beforeEarliest = _byKey
            .Where(kv => kv.Value[0] is { AsOfIsLastEdit: true, AsOf: not null })
            .ToDictionary(kv => kv.Key, kv => kv.Value[0] with { DatedAfterTheCall = true }, StringComparer.Ordinal);
        _hasArnKeys = _byKey.Keys.Any(IsArnShaped);
        _deskPhones = deskPhones ?? entries.Select(e => Normalised(e.DeskPhoneNumber)).OfType<string>().ToHashSet(StringComparer.Ordinal);
    }

    public static AgentDirectory Empty { get; } = new([]);

    public int Count => _byKey.Count;

    public IEnumerable<AgentPhoneEntry> Entries => _byKey.Values.SelectMany(v => v);

    /// <summary>
    /// The row in force at <paramref name="at"/> for the agent, matched by ARN, else username: a username is
    /// only unique within an instance (two instances' "sato" are two agents), an ARN everywhere.
    /// </summary>
    public AgentPhoneEntry? Lookup(string? username, string? arn, Instant at) =>
        (_hasArnKeys || !IsArnShaped(arn) ? Find(arn, at) : null) ?? Find(username, at);

    /// <summary>
    /// Whether <paramref name="number"/> (however written) is a desk phone of an agent in the directory, in any
    /// row, in force or not: an agent's own line, personal data, never a number the centre holds; a callback's
    /// SystemEndpoint can be one (it follows the agent's endpoint).
    /// </summary>
    public bool IsDeskPhone(string? number) => _deskPhones.Count > 0 && Normalised(number) is { } n && _deskPhones.Contains(n);

    /// <summary>
    /// Rows whose desk phone was written with no country code marked (<see cref="AgentPhoneEntry.DeskPhoneCountryAssumed"/>):
    /// a number in national form is then priced as a call abroad. Worth a warning.
    /// </summary>
    public IReadOnlyList<AgentPhoneEntry> DeskPhonesWithoutCountryCode() =>
        Entries.Where(e => e is { DeskPhoneCountryAssumed: true, DeskPhoneNumber: not null }).OrderBy(e => e.Key, StringComparer.Ordinal).ThenBy(e => e.AsOf).ToList();

    /// <summary>
    /// A copy where every agent is on a softphone (the what-if "all softphone"). The desk phones stay known as
    /// the agents' (<see cref="IsDeskPhone"/>): a what-if changes the billing, not whose numbers they are.
    /// </summary>
    public AgentDirectory AllSoftphone() =>
        new(Entries.Select(e => e with { PhoneType = PhoneTypes.SoftPhone, DeskPhoneNumber = null }).ToList(), _deskPhones);

    private static bool IsArnShaped(string? key) => key is not null && key.StartsWith("arn:", StringComparison.Ordinal);

    private static string? Normalised(string? number) => PhoneNumbers.AsE164(number) ?? (string.IsNullOrWhiteSpace(number) ? null : number.Trim());

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

        return inForce ?? _beforeEarliest.GetValueOrDefault(key);
    }
}
