using System.Globalization;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;
using ConnectReconcile.Tests;
using DuckDB.NET.Data;

namespace ConnectReconcile.Infra.Tests;

/// <summary>
/// The per-queue and per-agent named queries must tie to <c>contacts.total_cost</c>: a call without a
/// telephony leg (in-app here) has charges with a null <c>leg_index</c> and no segments, and its cost
/// belongs to its contacts row's queue and agent. Runs each query's own SQL with DuckDB over a replay's
/// tables, read as Athena reads them (<c>dt</c> a string partition).
/// </summary>
public sealed class CostQueryTests : IDisposable
{
    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001";
    private const string Day = "2026-11-10";

    private readonly string root = Path.Combine(Path.GetTempPath(), $"cr-infra-cost-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Cost_by_queue_and_by_agent_include_the_charges_of_a_call_without_a_telephony_leg_and_tie_to_contacts()
    {
        using var db = await Replayed();
        var total = Convert.ToDecimal(DuckDbRows.Query(db, "SELECT sum(total_cost) FROM contacts").Single()[0], CultureInfo.InvariantCulture);
        Assert.Equal(0.764m, total); // in-app 0.36 (service only) + inbound 0.404

        var byQueue = DuckDbRows.Query(db, Query("cost-by-queue").Sql, Day, Day, Day, Day);
        var app = byQueue.Single(r => (string?)r[0] == "AppQueue");
        Assert.Equal(("(no leg)", 1L, 20m, 0.36m), ((string)app[1]!, Convert.ToInt64(app[2], CultureInfo.InvariantCulture), Dec(app[3]), Dec(app[4])));
        var byAgent = DuckDbRows.Query(db, Query("cost-by-agent").Sql, Day, Day, Day, Day);
        var appAgent = byAgent.Single(r => (string?)r[0] == "app.agent");
        Assert.Equal((1L, 20m, 0.36m), (Convert.ToInt64(appAgent[1], CultureInfo.InvariantCulture), Dec(appAgent[2]), Dec(appAgent[3])));

        // Unrounded, both queries' costs add up to the contacts' total exactly (before: 0.404 of 0.764).
        foreach (var name in new[] { "cost-by-queue", "cost-by-agent" })
        {
            var sql = Query(name).Sql;
            Assert.Contains("round(sum(cost), 2) AS cost", sql, StringComparison.Ordinal);
            var rows = DuckDbRows.Query(db, sql.Replace("round(sum(cost), 2) AS cost", "sum(cost) AS cost", StringComparison.Ordinal), Day, Day, Day, Day);
            Assert.Equal(total, rows.Sum(r => Dec(r[^1])));
        }
    }

    private static NamedQuerySpec Query(string name) => NamedQueries.All.Single(q => q.Name == name);

    private static decimal Dec(object? value) => Convert.ToDecimal(value, CultureInfo.InvariantCulture);

    /// <summary>Replays an in-app call and an inbound call, and opens DuckDB with a view per table.</summary>
    private async Task<DuckDBConnection> Replayed()
    {
        var folder = Path.Combine(root, "src", "2026", "11", "10", "09");
        Directory.CreateDirectory(folder);
        string[] records =
        [
            // In-app (WebRTC): no customer number, so no telephony leg and no segments; 20 min of service.
            """{"ContactId":"app-1","Channel":"VOICE","InitiationMethod":"WEBRTC_API","InitiationTimestamp":"2026-11-10T09:00:00Z","ConnectedToSystemTimestamp":"2026-11-10T09:00:00Z","DisconnectTimestamp":"2026-11-10T09:20:00Z","SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"},"Queue":{"Name":"AppQueue","EnqueueTimestamp":"2026-11-10T09:01:00Z","DequeueTimestamp":"2026-11-10T09:02:00Z"},"Agent":{"Username":"app.agent","ConnectedToAgentTimestamp":"2026-11-10T09:02:00Z"},"InstanceARN":"INSTANCE"}""",
            """{"ContactId":"phone-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-11-10T10:00:00Z","ConnectedToSystemTimestamp":"2026-11-10T10:00:00Z","DisconnectTimestamp":"2026-11-10T10:20:00Z","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"},"Queue":{"Name":"PhoneQueue","EnqueueTimestamp":"2026-11-10T10:01:00Z","DequeueTimestamp":"2026-11-10T10:02:00Z"},"Agent":{"Username":"phone.agent","ConnectedToAgentTimestamp":"2026-11-10T10:02:00Z"},"InstanceARN":"INSTANCE"}""",
        ];
        await File.WriteAllLinesAsync(Path.Combine(folder, "ctr.json"), records.Select(r => r.Replace("INSTANCE", Instance, StringComparison.Ordinal)));

        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(Path.Combine(root, "src")),
            Output = new LocalObjectStore(Path.Combine(root, "out")),
            Rater = rater,
            Numbers = NumberInventory.Missing,
        }).RunAsync(null, CancellationToken.None);

        var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        foreach (var table in new[] { "segments", "charges", "contacts" })
        {
            var files = Path.Combine(root, "out", table, "*", "*.parquet");
            DuckDbRows.Query(db, $"CREATE VIEW {table} AS SELECT * FROM read_parquet('{files}', hive_partitioning = true, hive_types = {{'dt': VARCHAR}})");
        }

        return db;
    }
}
