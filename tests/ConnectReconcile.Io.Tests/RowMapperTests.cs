using System.Reflection;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// The mapper fills rows that are reused slice after slice: every column must be set from the result
/// at hand, never left from the row's previous use. Rows first filled with a value in every column
/// must come out equal to rows made fresh, for every chain of every scenario.
/// </summary>
public sealed class RowMapperTests
{
    private static readonly RowMapper Mapper = new("v-test", "policy-test");

    private static List<ChainResult> ScenarioResults()
    {
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        var records = Directory.EnumerateDirectories(Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios")).Order(StringComparer.Ordinal)
            .SelectMany(dir => DecoderTests.Decode(File.ReadAllBytes(Path.Combine(dir, "ctrs.json"))).Records.Select(r => r.Record))
            .Where(r => r.IsVoice);
        return ChainBuilder.Build(records).Select(rater.Rate).ToList();
    }

    [Fact]
    public void Reused_rows_hold_nothing_from_their_previous_use()
    {
        var results = ScenarioResults();
        Assert.True(results.Count >= 10, "the scenarios should give a chain each");
        foreach (var result in results)
        {
            AssertSame<ChainResult, ContactRow>(result, Mapper.AddContact);
            AssertSame<ChainResult, LegRow>(result, Mapper.AddLegs);
            AssertSame<ChainResult, SegmentRow>(result, Mapper.AddSegments);
            foreach (var charge in result.Charges)
            {
                AssertSame<Charge, ChargeRow>(charge, Mapper.AddCharge);
            }
        }
    }

    [Theory]
    [InlineData("0081 90 3333 4444")] // the international prefix as dialled from Japan
    [InlineData("+81 90-3333-4444")]
    [InlineData("+819033334444")]
    public void A_customer_number_masks_the_same_in_contacts_and_legs_however_it_is_written(string written)
    {
        // Was: contacts.customer_number 0081****4444 (as written), legs.number +8190****4444 (E.164).
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "s10-short-outbound", "ctrs.json"))
            .Replace("\"+12065550188\"", $"\"{written}\"", StringComparison.Ordinal);
        var record = Assert.Single(DecoderTests.Decode(System.Text.Encoding.UTF8.GetBytes(json)).Records).Record;
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        var result = rater.Rate(Assert.Single(ChainBuilder.Build([record])));

        var contacts = new RowBuffer<ContactRow>();
        Mapper.AddContact(result, contacts);
        var legs = new RowBuffer<LegRow>();
        Mapper.AddLegs(result, legs);
        Assert.Equal("+8190****4444", contacts[0].CustomerNumber);
        Assert.Equal("+8190****4444", legs[0].Number);
    }

    private static void AssertSame<TItem, TRow>(TItem item, Action<TItem, RowBuffer<TRow>> map)
        where TRow : class, new()
    {
        var fresh = new RowBuffer<TRow>();
        map(item, fresh);

        var reused = new RowBuffer<TRow>();
        for (var i = 0; i < Math.Max(1, fresh.Count); i++)
        {
            Scribble(reused.Next(), i < fresh.Count ? fresh[i] : new TRow());
        }

        reused.Clear();
        map(item, reused);

        Assert.Equal(fresh.Count, reused.Count);
        for (var i = 0; i < fresh.Count; i++)
        {
            foreach (var property in typeof(TRow).GetProperties())
            {
                Assert.True(Equals(property.GetValue(fresh[i]), property.GetValue(reused[i])), $"{typeof(TRow).Name}.{property.Name} kept its previous value");
            }
        }
    }

    /// <summary>A value in every column that differs from what the mapping gives (<paramref name="mapped"/>).</summary>
    private static void Scribble(object row, object mapped)
    {
        foreach (var property in row.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object value = type switch
            {
                _ when type == typeof(string) => "stale",
                _ when type == typeof(int) => -12345,
                _ when type == typeof(long) => -12345L,
                _ when type == typeof(bool) => !(bool)property.GetValue(mapped)!,
                _ when type == typeof(decimal) => -12345.678m,
                _ when type == typeof(DateOnly) => new DateOnly(1999, 1, 1),
                _ when type == typeof(DateTime) => new DateTime(1999, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                _ => throw new NotSupportedException(property.Name),
            };
            property.SetValue(row, value);
        }
    }
}
