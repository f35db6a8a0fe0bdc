using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Tests.Support;

namespace ConnectReconcile.Aws.Tests;

/// <summary>
/// No DynamoDB server runs here, so these tests check what the store SENDS (the real AWSSDK.DynamoDBv2
/// client serializing to a scripted local HTTP server) and how it reads answers and conditional failures.
/// They do not prove DynamoDB evaluates the conditions as intended; that needs DynamoDB (or DynamoDB Local).
/// </summary>
public class DynamoDbCheckpointStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 10, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly long NowMs = Now.ToUnixTimeMilliseconds();

    private static (AmazonDynamoDBClient Client, DynamoDbCheckpointStore Store) Create(CannedHttpServer server)
    {
        var client = new AmazonDynamoDBClient(
            new BasicAWSCredentials("AKID", "secret"),
            new AmazonDynamoDBConfig { ServiceURL = server.Url, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        return (client, new DynamoDbCheckpointStore(client, "connect-reconcile-checkpoints", new ManualTimeProvider(Now)));
    }

    private static CannedResponse ConditionFailed() =>
        new(400, """{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}""", "application/x-amz-json-1.0");

    [Fact]
    public async Task Acquire_is_a_conditional_update_that_only_takes_free_expired_or_own_leases()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(
            200,
            """{"Attributes":{"streamName":{"S":"ctr"},"shardId":{"S":"shardId-000000000001"},"leaseOwner":{"S":"worker-a"},"leaseExpiresAt":{"N":"EXPIRES"},"leaseCounter":{"N":"7"},"updatedAt":{"N":"NOW"},"sequenceNumber":{"S":"4960"}}}"""
                .Replace("EXPIRES", (NowMs + 30_000).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("NOW", NowMs.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            "application/x-amz-json-1.0"));
        var (client, store) = Create(server);
        using var owned = client;

        var lease = await store.TryAcquireLeaseAsync("ctr", "shardId-000000000001", "worker-a", TimeSpan.FromSeconds(30), CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("DynamoDB_20120810.UpdateItem", request.Header("x-amz-target"));
        using var body = JsonDocument.Parse(request.Body);
        var root = body.RootElement;
        Assert.Equal("connect-reconcile-checkpoints", root.GetProperty("TableName").GetString());
        Assert.Equal("ctr", root.GetProperty("Key").GetProperty("streamName").GetProperty("S").GetString());
        Assert.Equal("shardId-000000000001", root.GetProperty("Key").GetProperty("shardId").GetProperty("S").GetString());
        Assert.Equal("attribute_not_exists(#owner) OR #owner = :owner OR #expires <= :now", root.GetProperty("ConditionExpression").GetString());
        Assert.Equal("SET #owner = :owner, #expires = :expires, #updated = :now ADD #counter :one", root.GetProperty("UpdateExpression").GetString());
        var names = root.GetProperty("ExpressionAttributeNames");
        Assert.Equal("leaseOwner", names.GetProperty("#owner").GetString());
        Assert.Equal("leaseExpiresAt", names.GetProperty("#expires").GetString());
        Assert.Equal("leaseCounter", names.GetProperty("#counter").GetString());
        var values = root.GetProperty("ExpressionAttributeValues");
        Assert.Equal("worker-a", values.GetProperty(":owner").GetProperty("S").GetString());
        Assert.Equal((NowMs + 30_000).ToString(System.Globalization.CultureInfo.InvariantCulture), values.GetProperty(":expires").GetProperty("N").GetString());
        Assert.Equal(NowMs.ToString(System.Globalization.CultureInfo.InvariantCulture), values.GetProperty(":now").GetProperty("N").GetString());
        Assert.Equal("ALL_NEW", root.GetProperty("ReturnValues").GetString());

        Assert.NotNull(lease);
        Assert.Equal("worker-a", lease.Owner);
        Assert.Equal(7, lease.LeaseCounter);
        Assert.Equal("4960", lease.SequenceNumber);
        Assert.Equal(Now.AddSeconds(30), lease.LeaseExpiresAt);
    }

    [Fact]
    public async Task A_held_lease_answers_null_and_a_lost_lease_rejects_the_checkpoint()
    {
        await using var server = new CannedHttpServer(_ => ConditionFailed());
        var (client, store) = Create(server);
        using var owned = client;

        var lease = await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-b", TimeSpan.FromSeconds(30), CancellationToken.None);
        var e = await Assert.ThrowsAsync<LeaseLostException>(() => store.CheckpointAsync("ctr", "shardId-0", "worker-b", "4961", CancellationToken.None));
        await store.ReleaseLeaseAsync("ctr", "shardId-0", "worker-b", CancellationToken.None); // not ours: silently nothing

        Assert.Null(lease);
        Assert.IsType<Amazon.DynamoDBv2.Model.ConditionalCheckFailedException>(e.InnerException);
        var requests = server.Requests;
        Assert.Equal(3, requests.Count);
        using var checkpoint = JsonDocument.Parse(requests[1].Body);
        Assert.Equal("#owner = :owner", checkpoint.RootElement.GetProperty("ConditionExpression").GetString());
        Assert.Equal("SET #seq = :seq, #updated = :now", checkpoint.RootElement.GetProperty("UpdateExpression").GetString());
        Assert.Equal("4961", checkpoint.RootElement.GetProperty("ExpressionAttributeValues").GetProperty(":seq").GetProperty("S").GetString());
        Assert.Equal("worker-b", checkpoint.RootElement.GetProperty("ExpressionAttributeValues").GetProperty(":owner").GetProperty("S").GetString());
        using var release = JsonDocument.Parse(requests[2].Body);
        Assert.Equal("REMOVE #owner, #expires SET #updated = :now", release.RootElement.GetProperty("UpdateExpression").GetString());
        Assert.Equal("#owner = :owner", release.RootElement.GetProperty("ConditionExpression").GetString());
    }

    [Fact]
    public async Task Reads_are_consistent_and_list_follows_LastEvaluatedKey()
    {
        await using var server = new CannedHttpServer(r =>
        {
            if (r.Header("x-amz-target") == "DynamoDB_20120810.GetItem")
            {
                return new CannedResponse(200, "{}", "application/x-amz-json-1.0"); // no item
            }

            using var body = JsonDocument.Parse(r.Body);
            return body.RootElement.TryGetProperty("ExclusiveStartKey", out _)
                ? new CannedResponse(200, """{"Items":[{"streamName":{"S":"ctr"},"shardId":{"S":"shardId-1"},"leaseCounter":{"N":"1"},"updatedAt":{"N":"0"}}],"Count":1}""", "application/x-amz-json-1.0")
                : new CannedResponse(200, """{"Items":[{"streamName":{"S":"ctr"},"shardId":{"S":"shardId-0"},"sequenceNumber":{"S":"SHARD_END"},"leaseCounter":{"N":"4"},"updatedAt":{"N":"0"}}],"Count":1,"LastEvaluatedKey":{"streamName":{"S":"ctr"},"shardId":{"S":"shardId-0"}}}""", "application/x-amz-json-1.0");
        });
        var (client, store) = Create(server);
        using var owned = client;

        var missing = await store.GetAsync("ctr", "shardId-9", CancellationToken.None);
        var all = await store.ListAsync("ctr", CancellationToken.None);

        Assert.Null(missing);
        Assert.Equal(["shardId-0", "shardId-1"], all.Select(c => c.ShardId));
        Assert.Equal(CheckpointStore.ShardEnd, all[0].SequenceNumber);
        Assert.Null(all[1].Owner);
        var requests = server.Requests;
        using var get = JsonDocument.Parse(requests[0].Body);
        Assert.True(get.RootElement.GetProperty("ConsistentRead").GetBoolean());
        using var query1 = JsonDocument.Parse(requests[1].Body);
        using var query2 = JsonDocument.Parse(requests[2].Body);
        Assert.Equal("#stream = :stream", query1.RootElement.GetProperty("KeyConditionExpression").GetString());
        Assert.True(query1.RootElement.GetProperty("ConsistentRead").GetBoolean());
        Assert.False(query1.RootElement.TryGetProperty("ExclusiveStartKey", out _));
        Assert.Equal("shardId-0", query2.RootElement.GetProperty("ExclusiveStartKey").GetProperty("shardId").GetProperty("S").GetString());
    }

    [Fact]
    public void The_table_definition_matches_the_keys_the_store_uses()
    {
        var table = DynamoDbCheckpointStore.BuildCreateTableRequest("t");

        Assert.Equal(BillingMode.PAY_PER_REQUEST, table.BillingMode);
        Assert.Equal([("streamName", "HASH"), ("shardId", "RANGE")], table.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        Assert.All(table.AttributeDefinitions, a => Assert.Equal(ScalarAttributeType.S, a.AttributeType));
    }
}
