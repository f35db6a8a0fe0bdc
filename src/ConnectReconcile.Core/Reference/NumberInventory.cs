using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Reference;

/// <summary>
/// A claimed phone number: its type, country and the time it was held [claimed, released); where the
/// inventory says so, the instance and region it is claimed in (which price its number-days).
/// </summary>
/// <param name="CountryCodeAssumed">
/// Written without its country code marked ('+' or 00), with no country beside it or another country than its
/// first digits name: a number in national form, which then matches no CTR's number (those are E.164).
/// </param>
/// <param name="CountryNotGiven">
/// Of a number whose country code was assumed: its row gave no country, so <paramref name="Country"/> is the one
/// its first digits name (set only then, so that it never tells apart rows that were equal before).
/// </param>
public sealed record ClaimedNumber(string Number, string Type, string Country, Instant? ClaimedAt, Instant? ReleasedAt, string? InstanceId = null, string? Region = null, bool CountryCodeAssumed = false, bool CountryNotGiven = false)
{
    public Interval HeldWithin(Interval window) =>
        new Interval(ClaimedAt ?? window.Start, ReleasedAt ?? window.End).Intersect(window);
}

/// <summary>
/// Number → type and country, and every holding of each number: one released in one instance and claimed
/// in another is two rows, each charged for its own time. Without an inventory, types fall back to the
/// toll-free prefix table.
/// </summary>
public sealed class NumberInventory
{
    private readonly Dictionary<string, ClaimedNumber> _numbers;
    private readonly List<ClaimedNumber> _holdings;

    /// <exception cref="FormatException">A number held twice at once (rows that differ and overlap in time).</exception>
    public NumberInventory(IEnumerable<ClaimedNumber> numbers, bool isProvided = true)
    {
        _numbers = new Dictionary<string, ClaimedNumber>(StringComparer.Ordinal);
        _holdings = [];
        foreach (var group in numbers.GroupBy(n => n.Number, StringComparer.Ordinal))
        {
            ClaimedNumber? previous = null;
            foreach (var n in group.OrderBy(n => n.ClaimedAt?.UnixSeconds ?? long.MinValue).ThenBy(n => n.ReleasedAt?.UnixSeconds ?? long.MaxValue))
            {
                if (previous is not null && (previous.ReleasedAt?.UnixSeconds ?? long.MaxValue) > (n.ClaimedAt?.UnixSeconds ?? long.MinValue))
                {
                    if (n == previous)
                    {
                        continue; // the same row twice
                    }

                    throw new FormatException($"the number inventory holds {n.Number} twice at once ({Held(previous)} and {Held(n)}): " +
                        "a number is released before it is claimed again.");
                }

                _holdings.Add(n);
                _numbers[n.Number] = n; // type and country: the latest holding's
                previous = n;
            }
        }

        IsProvided = isProvided;
    }

    public static NumberInventory Missing { get; } = new([], isProvided: false);

    /// <summary>False when the user gave no inventory: number-days are then estimated from numbers seen.</summary>
    public bool IsProvided { get; }

    /// <summary>Every holding, a number's in the order it was held.</summary>
    public IReadOnlyCollection<ClaimedNumber> Numbers => _holdings;

    public bool Contains(string number) => _numbers.ContainsKey(number);

    /// <summary>Holdings whose number was written without its country code (<see cref="ClaimedNumber.CountryCodeAssumed"/>), worth a warning.</summary>
    public IReadOnlyList<ClaimedNumber> WithoutCountryCode() => _holdings.Where(n => n.CountryCodeAssumed).ToList();

    public string TypeOf(string? number) =>
        number is not null && _numbers.TryGetValue(number, out var n) ? n.Type
        : PhoneNumbers.LooksTollFree(number) ? NumberTypes.TollFree : NumberTypes.Did;

    public string CountryOf(string? number) =>
        number is not null && _numbers.TryGetValue(number, out var n) ? n.Country : PhoneNumbers.CountryOf(number);

    private static string Held(ClaimedNumber n) =>
        $"{n.ClaimedAt?.ToString() ?? "always"} to {n.ReleasedAt?.ToString() ?? "still held"}{(n.InstanceId is null ? "" : " in " + n.InstanceId)}";
}
