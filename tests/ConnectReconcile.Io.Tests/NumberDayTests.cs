using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// Numbers are held whether or not they take calls: a whole run with an inventory charges the quiet
/// days between its days, and a day without calls prices its number-days where the inventory or the
/// rate card places the numbers, never in a region made up.
/// </summary>
public sealed class NumberDayTests : IDisposable
{
    private const string Instance = HourlySource.Instance;

    private const string Csv = """
        number,type,country,claimed_at,released_at
        +81312340001,DID,JP,2026-10-14T10:30:00Z,
        +81120000111,TOLL_FREE,JP,2026-10-13T00:00:00Z,2026-10-16T12:00:01Z
        """;

    private readonly TempDir _dir = new();

    public NumberDayTests()
    {
        // Calls on 10-14 and 10-16 only, in Firehose's hour folders.
        Put("2026/10/14/12", Ctr(1, "2026-10-14T12:00:00Z", "2026-10-14T12:05:00Z", "+81312340001"));
        Put("2026/10/16/09", Ctr(2, "2026-10-16T09:00:00Z", "2026-10-16T09:01:40Z", "+81120000111"));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_whole_run_with_an_inventory_charges_the_quiet_days_between_its_days_and_publishes_them()
    {
        var (result, _) = await RunAsync(ReferenceReaders.ReadNumbers(Csv));

        // DID: 10-14 from 10:30 (14 started hours), 10-15 and 10-16 whole; toll-free: 10-14, 10-15 whole, 10-16 13 started hours.
        Assert.Equal(2m + 14m / 24, result.Totals.ByKind[ChargeKinds.NumberDaysDid].Quantity, 6);
        Assert.Equal(2m + 13m / 24, result.Totals.ByKind[ChargeKinds.NumberDaysTollFree].Quantity, 6);
        Assert.Equal(0, result.Totals.ByKind[ChargeKinds.NumberDaysDid].Unrated);
        foreach (var table in BillingJob.Tables)
        {
            Assert.Equal(["dt=2026-10-14", "dt=2026-10-15", "dt=2026-10-16"], Partitions(table));
        }
    }

    [Fact]
    public async Task A_number_that_took_calls_but_is_missing_from_the_inventory_is_named_in_a_warning()
    {
        var (result, warnings) = await RunAsync(ReferenceReaders.ReadNumbers("""
            number,type,country,claimed_at,released_at
            +81312340001,DID,JP,2026-10-14T10:30:00Z,
            """));

        Assert.False(result.Totals.ByKind.ContainsKey(ChargeKinds.NumberDaysTollFree));
        var warning = Assert.Single(warnings, w => w.Contains("not in the number inventory", StringComparison.Ordinal));
        Assert.Contains("1 number(s) (+81120000111) took calls", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_inventory_a_whole_run_keeps_to_the_days_with_calls()
    {
        var (result, _) = await RunAsync(NumberInventory.Missing);

        Assert.Equal(["dt=2026-10-14", "dt=2026-10-16"], Partitions("charges"));
        Assert.Equal(2m, result.Totals.ByKind[ChargeKinds.NumberDaysDid].Quantity);
    }

    [Fact]
    public async Task A_stray_record_years_off_adds_its_own_day_not_the_years_between()
    {
        // A record dated 2020 in an object that arrived on 10-14: the source's objects arrived over 10-14..10-16.
        Put("2026/10/14/13", Ctr(3, "2020-01-01T00:00:00Z", "2020-01-01T00:01:00Z", "+81312340001"));

        await RunAsync(ReferenceReaders.ReadNumbers(Csv));

        Assert.Equal(["dt=2020-01-01", "dt=2026-10-14", "dt=2026-10-15", "dt=2026-10-16"], Partitions("charges"));
    }

    public static TheoryData<string, string, string> Placed => new()
    {
        // list-phone-numbers-v2: the instance and region from TargetArn.
        {
            $$"""
            {"ListPhoneNumbersSummaryList":[
              {"PhoneNumberId":"a","PhoneNumberArn":"arn:aws:connect:ap-northeast-1:111122223333:phone-number/a","PhoneNumber":"+81312340001","PhoneNumberCountryCode":"JP","PhoneNumberType":"DID","TargetArn":"arn:aws:connect:ap-northeast-1:111122223333:instance/{{Instance}}"},
              {"PhoneNumberId":"b","PhoneNumberArn":"arn:aws:connect:ap-northeast-1:111122223333:phone-number/b","PhoneNumber":"+81120000111","PhoneNumberCountryCode":"JP","PhoneNumberType":"TOLL_FREE","TargetArn":"arn:aws:connect:ap-northeast-1:111122223333:instance/{{Instance}}"}]}
            """,
            "builtin", Instance
        },
        // The older list-phone-numbers: the instance's ARN.
        {
            $$"""
            {"PhoneNumberSummaryList":[
              {"Id":"a","Arn":"arn:aws:connect:ap-northeast-1:111122223333:instance/{{Instance}}/phone-number/a","PhoneNumber":"+81312340001","PhoneNumberCountryCode":"JP","PhoneNumberType":"DID"},
              {"Id":"b","Arn":"arn:aws:connect:ap-northeast-1:111122223333:instance/{{Instance}}/phone-number/b","PhoneNumber":"+81120000111","PhoneNumberCountryCode":"JP","PhoneNumberType":"TOLL_FREE"}]}
            """,
            "builtin", Instance
        },
        // The CSV's optional instance_id and region columns.
        {
            $"""
            number,type,country,claimed_at,released_at,instance_id,region
            +81312340001,DID,JP,2026-10-14T10:30:00Z,,{Instance},ap-northeast-1
            +81120000111,TOLL_FREE,JP,2026-10-13T00:00:00Z,2026-10-16T12:00:01Z,{Instance},ap-northeast-1
            """,
            "builtin", Instance
        },
        // A rate card of one region places numbers the inventory does not.
        { Csv, "ap-northeast-1", "unknown" },
    };

    [Theory]
    [MemberData(nameof(Placed))]
    public async Task A_day_without_calls_prices_its_number_days_where_the_inventory_or_the_card_places_them(string inventory, string card, string instance)
    {
        var (result, warnings) = await RunAsync(ReferenceReaders.ReadNumbers(inventory), new DateOnly(2026, 10, 15),
            card == "builtin" ? BuiltInRateCards.Default : BuiltInRateCards.Load(card));

        var charges = result.Totals.ByKind;
        Assert.Equal(1m, charges[ChargeKinds.NumberDaysDid].Quantity);
        Assert.Equal(1m, charges[ChargeKinds.NumberDaysTollFree].Quantity);
        Assert.Equal(0, charges[ChargeKinds.NumberDaysDid].Unrated + charges[ChargeKinds.NumberDaysTollFree].Unrated);
        Assert.True(charges[ChargeKinds.NumberDaysDid].Cost > 0);
        Assert.DoesNotContain(warnings, w => w.Contains("unpriced", StringComparison.Ordinal));
        Assert.All(NumberDayCharges, c => Assert.Equal((instance, "ap-northeast-1"), (c.InstanceId, c.Region)));
    }

    [Fact]
    public async Task A_day_without_calls_whose_numbers_nothing_places_is_left_unpriced_with_one_warning_never_priced_in_a_region_made_up()
    {
        var (result, warnings) = await RunAsync(ReferenceReaders.ReadNumbers(Csv), new DateOnly(2026, 10, 15));

        Assert.Equal(2, result.Totals.ByKind[ChargeKinds.NumberDaysDid].Unrated + result.Totals.ByKind[ChargeKinds.NumberDaysTollFree].Unrated);
        Assert.All(NumberDayCharges, c =>
        {
            Assert.Equal(("unknown", "unknown"), (c.InstanceId, c.Region));
            Assert.StartsWith("no region for number-days", c.UnratedReason, StringComparison.Ordinal);
        });
        var warning = Assert.Single(warnings, w => w.Contains("unpriced", StringComparison.Ordinal));
        Assert.Contains("+81120000111, +81312340001", warning, StringComparison.Ordinal);
        Assert.Contains("2026-10-15", warning, StringComparison.Ordinal);
        Assert.Contains("list-phone-numbers-v2", warning, StringComparison.Ordinal);
        Assert.Contains("instance_id and region columns", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_number_without_calls_or_a_home_put_in_the_busiest_of_several_instances_is_named_in_a_warning()
    {
        const string Other = "bbbbbbbb-0000-4000-8000-000000000002";
        Put("2026/10/16/10", Ctr(3, "2026-10-16T10:00:00Z", "2026-10-16T10:01:00Z", "+81312340001", Other));
        var inventory = ReferenceReaders.ReadNumbers(Csv + "\n+81312340099,DID,JP,2026-10-13T00:00:00Z,");

        var (_, warnings) = await RunAsync(inventory);

        Assert.All(NumberDayCharges.Where(c => c.Number == "+81312340099"), c => Assert.Equal((Instance, "ap-northeast-1"), (c.InstanceId, c.Region)));
        var warning = Assert.Single(warnings, w => w.Contains("busiest", StringComparison.Ordinal));
        Assert.Contains("1 number(s) (+81312340099) took no call", warning, StringComparison.Ordinal);
        Assert.Contains($"{Instance} in ap-northeast-1", warning, StringComparison.Ordinal);

        // With one instance there is nothing to guess.
        File.Delete(Path.Combine(_dir.Sub("src"), "2026/10/16/10", "ctr-0.json"));
        NumberDayCharges.Clear();
        (_, warnings) = await RunAsync(inventory);
        Assert.DoesNotContain(warnings, w => w.Contains("busiest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_day_with_calls_still_places_numbers_by_the_calls()
    {
        var (_, warnings) = await RunAsync(ReferenceReaders.ReadNumbers(Csv), new DateOnly(2026, 10, 14));

        Assert.All(NumberDayCharges, c => Assert.Equal((Instance, "ap-northeast-1"), (c.InstanceId, c.Region)));
        Assert.DoesNotContain(warnings, w => w.Contains("unpriced", StringComparison.Ordinal));
    }

    private List<Charge> NumberDayCharges { get; } = [];

    private async Task<(JobResult Result, List<string> Warnings)> RunAsync(NumberInventory numbers, DateOnly? day = null, RateCard? card = null)
    {
        var warnings = new List<string>();
        var rater = new Rater(card ?? BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, numbers);
        var result = await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(_dir.Sub("src")),
            Output = new LocalObjectStore(_dir.Sub("out")),
            From = day,
            To = day,
            Rater = rater,
            Numbers = numbers,
            Warn = warnings.Add,
            OnDayRated = (_, _, charges) => NumberDayCharges.AddRange(charges.Where(c => c.Unit == Units.NumberDay)),
            OnRestart = NumberDayCharges.Clear,
        }).RunAsync(null, CancellationToken.None);
        Assert.NotEmpty(NumberDayCharges);
        return (result, warnings);
    }

    private string[] Partitions(string table) =>
        Directory.GetDirectories(Path.Combine(_dir.Sub("out"), table)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private void Put(string hour, string json) => HourlySource.Put(_dir.Sub("src"), hour, json);

    private static string Ctr(int id, string start, string end, string system, string instance = Instance) =>
        HourlySource.Ctr(id, start, end, lastUpdate: end, system: system, instance: instance);
}
