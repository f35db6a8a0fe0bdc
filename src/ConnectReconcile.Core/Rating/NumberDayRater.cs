using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Rating;

/// <summary>Where a number is billed: its instance and region (the inventory CSV need not carry either).</summary>
public sealed record NumberHome(string InstanceId, string Region)
{
    /// <summary>The instance or region of a number nothing placed: its number-days are written unpriced.</summary>
    public const string Unknown = "unknown";
}

/// <summary>
/// Phone numbers are billed per day held, prorated by hour (a number held 5 h of a day is 5/24 of
/// a number-day). Without an inventory, numbers seen in SystemEndpoint are charged for every day
/// of the window and flagged as estimated.
/// </summary>
public sealed class NumberDayRater(RateCard card)
{
    /// <summary>
    /// The numbers' charges on each of <paramref name="days"/>: a run's report days, not every day
    /// between its first and last (one stray record years off would make that millions of days).
    /// </summary>
    public IEnumerable<Charge> Rate(IEnumerable<ClaimedNumber> numbers, IReadOnlyList<DateOnly> days,
        Func<ClaimedNumber, NumberHome> homeOf, bool estimated)
    {
        foreach (var number in numbers.OrderBy(n => n.Number, StringComparer.Ordinal))
        {
            var home = homeOf(number);
            foreach (var day in days)
            {
                var dayInterval = new Interval(Instant.FromDate(day), Instant.FromDate(day.AddDays(1)));
                var held = number.HeldWithin(dayInterval);
                var hours = (held.Seconds + 3599) / 3600;
                if (hours <= 0)
                {
                    continue;
                }

                var kind = number.Type == NumberTypes.TollFree ? ChargeKinds.NumberDaysTollFree : ChargeKinds.NumberDaysDid;
                var model = card.PricingModelFor(home.InstanceId, day);
                var row = card.Find(home.Region, model, kind, number.Country, number.Number, day);
                var quantity = hours / 24m;
                var cost = row is null ? (decimal?)null : quantity * row.Price;
                yield return new Charge
                {
                    ChainId = "number:" + number.Number,
                    ContactId = string.Empty,
                    ChargeKind = kind,
                    LegKind = "number",
                    Day = day,
                    Start = held.Start,
                    InstanceId = home.InstanceId,
                    Region = home.Region,
                    PricingModel = model,
                    UsageType = card.UsageTypeFor(row, model, kind, home.Region, number.Country),
                    Unit = Units.NumberDay,
                    ActualSeconds = held.Seconds,
                    BilledSeconds = hours * 3600,
                    Quantity = quantity,
                    Country = number.Country,
                    Number = number.Number,
                    Rate = row?.Price,
                    Cost = cost,
                    RateRowId = row?.Id,
                    Currency = card.Currency,
                    UnratedReason = row is not null ? null
                        : home.Region == NumberHome.Unknown ? $"no region for {kind} {number.Country}: no call in the run placed the number and the number inventory names no region"
                        : $"no rate-card row for {kind} {number.Country} in {home.Region}",
                    Why = estimated
                        ? $"number seen in SystemEndpoint; no number inventory given, so held all day is assumed"
                        : "number held per the number inventory",
                };
            }
        }
    }
}
