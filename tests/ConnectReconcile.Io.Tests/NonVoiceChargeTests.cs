using System.Globalization;
using System.Text.Json.Nodes;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;
using DuckDB.NET.Data;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// A chat, task or email record is a contact of its own, also when its InitialContactId puts it in a
/// call's chain or after another chat: its charge's chain_id is its own ContactId, so the charges
/// summed by chain_id tie out with the contacts table (and with explain).
/// </summary>
public sealed class NonVoiceChargeTests : IDisposable
{
    private const string Instance = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_chat_or_task_record_in_a_chain_is_charged_under_its_own_chain_id_and_the_calls_charges_sum_to_its_contacts_row()
    {
        var folder = Path.Combine(_dir.Sub("src"), "2026", "10", "15", "09");
        Directory.CreateDirectory(folder);
        string[] records =
        [
            // A call, then a chat it was transferred to and a task made from it (both carry the call's InitialContactId).
            """{"ContactId":"call-1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-10-15T09:00:00Z","ConnectedToSystemTimestamp":"2026-10-15T09:00:00Z","DisconnectTimestamp":"2026-10-15T09:03:00Z","CustomerEndpoint":{"Address":"+12065550123","Type":"TELEPHONE_NUMBER"},"SystemEndpoint":{"Address":"+12065550100","Type":"TELEPHONE_NUMBER"},"InstanceARN":"INSTANCE"}""",
            """{"ContactId":"chat-1","Channel":"CHAT","InitiationMethod":"TRANSFER","InitialContactId":"call-1","PreviousContactId":"call-1","InitiationTimestamp":"2026-10-15T09:03:00Z","DisconnectTimestamp":"2026-10-15T09:10:00Z","InstanceARN":"INSTANCE"}""",
            """{"ContactId":"task-1","Channel":"TASK","InitiationMethod":"API","InitialContactId":"call-1","PreviousContactId":"call-1","InitiationTimestamp":"2026-10-15T09:04:00Z","DisconnectTimestamp":"2026-10-15T09:30:00Z","InstanceARN":"INSTANCE"}""",
            // A chat transferred twice: three chat contacts.
            """{"ContactId":"c-1","Channel":"CHAT","InitiationMethod":"API","InitiationTimestamp":"2026-10-15T09:00:00Z","DisconnectTimestamp":"2026-10-15T09:05:00Z","InstanceARN":"INSTANCE"}""",
            """{"ContactId":"c-2","Channel":"CHAT","InitiationMethod":"TRANSFER","InitialContactId":"c-1","PreviousContactId":"c-1","InitiationTimestamp":"2026-10-15T09:05:00Z","DisconnectTimestamp":"2026-10-15T09:15:00Z","InstanceARN":"INSTANCE"}""",
            """{"ContactId":"c-3","Channel":"CHAT","InitiationMethod":"TRANSFER","InitialContactId":"c-1","PreviousContactId":"c-2","InitiationTimestamp":"2026-10-15T09:15:00Z","DisconnectTimestamp":"2026-10-15T09:25:00Z","InstanceARN":"INSTANCE"}""",
        ];
        await File.WriteAllLinesAsync(Path.Combine(folder, "ctr.json"), records.Select(r => r.Replace("INSTANCE", Instance, StringComparison.Ordinal)));

        var card = JsonNode.Parse(BuiltInRateCards.Default.ToJson())!;
        foreach (var (kind, usageType, price) in new[] { ("chat", "{REGION}-chat-message", 0.004m), ("task", "{REGION}-tasks", 0.06m) })
        {
            card["rows"]!.AsArray().Add(new JsonObject
            {
                ["id"] = "use1-" + kind, ["region"] = "us-east-1", ["chargeKind"] = kind, ["usageType"] = usageType, ["unit"] = "unit", ["price"] = price,
                ["effectiveFrom"] = "2018-01-01", ["source"] = "test",
            });
        }

        var rater = new Rater(RateCard.FromJson(card.ToJsonString()), BillingPolicy.Default, AgentDirectory.Empty, NumberInventory.Missing);
        await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(_dir.Sub("src")),
            Output = new LocalObjectStore(_dir.Sub("out")),
            Rater = rater,
            Numbers = NumberInventory.Missing,
        }).RunAsync(null, CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var charges = $"read_parquet('{Path.Combine(_dir.Sub("out"), "charges", "*", "*.parquet")}')";
        var contacts = $"read_parquet('{Path.Combine(_dir.Sub("out"), "contacts", "*", "*.parquet")}')";

        // The call's charges, summed by chain_id, are its contacts row's total: no chat or task unit among them.
        var call = DuckDbRows.Query(db, $"SELECT c.total_cost, (SELECT sum(h.cost) FROM {charges} h WHERE h.chain_id = c.chain_id) FROM {contacts} c WHERE c.chain_id = 'call-1'").Single();
        var total = Convert.ToDecimal(call[0], CultureInfo.InvariantCulture);
        Assert.True(total > 0);
        Assert.Equal(total, Convert.ToDecimal(call[1], CultureInfo.InvariantCulture)); // was 0.064 more: the chat's 0.004 and the task's 0.06

        // Each non-voice contact is its own chain (chat-1 and task-1 were the call's "call-1"; c-2 and c-3 were "c-1").
        Assert.Equal(
            [("c-1", "c-1"), ("c-2", "c-2"), ("c-3", "c-3"), ("chat-1", "chat-1"), ("task-1", "task-1")],
            DuckDbRows.Query(db, $"SELECT contact_id, chain_id FROM {charges} WHERE unit = 'unit' ORDER BY contact_id").Select(r => ((string)r[0]!, (string)r[1]!)));
    }
}
