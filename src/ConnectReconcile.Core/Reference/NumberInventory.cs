using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Reference;

/// <summary>
/// A claimed phone number: its type, country and the time it was held [claimed, released); where the
/// inventory says so, the instance and region it is claimed in (which price its number-days).
/// </summary>
public sealed record ClaimedNumber(string Number, string Type, string Country, Instant? ClaimedAt, Instant? ReleasedAt, string? InstanceId = null, string? Region = null)
{
    public Interval HeldWithin(Interval window) =>
        new Interval(ClaimedAt ?? window.Start, ReleasedAt ?? window.End).Intersect(window);
}

/// <summary>Number → type and country. Without an inventory, types fall back to the toll-free prefix table.</summary>
public sealed class NumberInventory
{
    private readonly Dictionary<string, ClaimedNumber> _numbers;

    public NumberInventory(IEnumerable<ClaimedNumber> numbers, bool isProvided = true)
    {
        _numbers = new Dictionary<string, ClaimedNumber>(StringComparer.Ordinal);
        foreach (var n in numbers)
        {
            _numbers[n.Number] = n;
        }

        IsProvided = isProvided;
    }

    public static NumberInventory Missing { get; } = new([], isProvided: false);

    /// <summary>False when the user gave no inventory: number-days are then estimated from numbers seen.</summary>
    public bool IsProvided { get; }

    public IReadOnlyCollection<ClaimedNumber> Numbers => _numbers.Values;

    public bool Contains(string number) => _numbers.ContainsKey(number);

    public string TypeOf(string? number) =>
        number is not null && _numbers.TryGetValue(number, out var n) ? n.Type
        : PhoneNumbers.LooksTollFree(number) ? NumberTypes.TollFree : NumberTypes.Did;

    public string CountryOf(string? number) =>
        number is not null && _numbers.TryGetValue(number, out var n) ? n.Country : PhoneNumbers.CountryOf(number);
}
