using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace ConnectReconcile.Aws.Checkpoints;

/// <summary>
/// Checkpoints and leases in a DynamoDB table (partition key <c>streamName</c>, sort key <c>shardId</c>,
/// both strings; see <see cref="BuildCreateTableRequest"/>). Every lease change and checkpoint is a
/// conditional UpdateItem: a lease is taken only if it is free, expired or already the caller's, and a
/// checkpoint is written only by the lease owner, so two workers can never both own or advance a shard.
/// Lease expiry compares the workers' clocks: keep leases much longer than the expected clock skew.
/// </summary>
public sealed class DynamoDbCheckpointStore : ICheckpointStore
{
    internal const string StreamAttribute = "streamName";
    internal const string ShardAttribute = "shardId";
    internal const string SequenceAttribute = "sequenceNumber";
    internal const string OwnerAttribute = "leaseOwner";
    internal const string ExpiresAttribute = "leaseExpiresAt";
    internal const string CounterAttribute = "leaseCounter";
    internal const string UpdatedAttribute = "updatedAt";

    private readonly IAmazonDynamoDB _client;
    private readonly TimeProvider _time;

    public DynamoDbCheckpointStore(IAmazonDynamoDB client, string tableName, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _client = client;
        TableName = tableName;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string TableName { get; }

    /// <summary>The table this store expects (on-demand billing); the CDK app should declare the same keys.</summary>
    public static CreateTableRequest BuildCreateTableRequest(string tableName) => new()
    {
        TableName = tableName,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions =
        [
            new AttributeDefinition(StreamAttribute, ScalarAttributeType.S),
            new AttributeDefinition(ShardAttribute, ScalarAttributeType.S),
        ],
        KeySchema =
        [
            new KeySchemaElement(StreamAttribute, KeyType.HASH),
            new KeySchemaElement(ShardAttribute, KeyType.RANGE),
        ],
    };

    public async Task<ShardCheckpoint?> GetAsync(string streamName, string shardId, CancellationToken cancellationToken)
    {
        var response = await _client.GetItemAsync(BuildGetRequest(streamName, shardId), cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    public async Task<IReadOnlyList<ShardCheckpoint>> ListAsync(string streamName, CancellationToken cancellationToken)
    {
        var result = new List<ShardCheckpoint>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await _client.QueryAsync(BuildListRequest(streamName, start), cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                result.Add(FromItem(item));
            }

            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return result;
    }

    public async Task<ShardCheckpoint?> TryAcquireLeaseAsync(string streamName, string shardId, string ownerId, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        try
        {
            var response = await _client.UpdateItemAsync(
                BuildAcquireLeaseRequest(streamName, shardId, ownerId, _time.GetUtcNow(), leaseDuration), cancellationToken).ConfigureAwait(false);
            return FromItem(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    public async Task ReleaseLeaseAsync(string streamName, string shardId, string ownerId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.UpdateItemAsync(BuildReleaseLeaseRequest(streamName, shardId, ownerId, _time.GetUtcNow()), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Not ours (any more): nothing to release.
        }
    }

    public async Task CheckpointAsync(string streamName, string shardId, string ownerId, string sequenceNumber, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sequenceNumber);
        try
        {
            await _client.UpdateItemAsync(BuildCheckpointRequest(streamName, shardId, ownerId, sequenceNumber, _time.GetUtcNow()), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException e)
        {
            throw new LeaseLostException($"{ownerId} cannot checkpoint {streamName}/{shardId}: it no longer holds the lease.", e);
        }
    }

    internal GetItemRequest BuildGetRequest(string streamName, string shardId) => new()
    {
        TableName = TableName,
        Key = Key(streamName, shardId),
        ConsistentRead = true,
    };

    internal QueryRequest BuildListRequest(string streamName, Dictionary<string, AttributeValue>? exclusiveStartKey) => new()
    {
        TableName = TableName,
        KeyConditionExpression = "#stream = :stream",
        ExpressionAttributeNames = new Dictionary<string, string> { ["#stream"] = StreamAttribute },
        ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":stream"] = new() { S = streamName } },
        ConsistentRead = true,
        ExclusiveStartKey = exclusiveStartKey,
    };

    /// <summary>Take or renew: allowed when nobody owns the lease, it has expired, or the caller owns it.</summary>
    internal UpdateItemRequest BuildAcquireLeaseRequest(string streamName, string shardId, string ownerId, DateTimeOffset now, TimeSpan leaseDuration) => new()
    {
        TableName = TableName,
        Key = Key(streamName, shardId),
        UpdateExpression = "SET #owner = :owner, #expires = :expires, #updated = :now ADD #counter :one",
        ConditionExpression = "attribute_not_exists(#owner) OR #owner = :owner OR #expires <= :now",
        ExpressionAttributeNames = new Dictionary<string, string>
        {
            ["#owner"] = OwnerAttribute,
            ["#expires"] = ExpiresAttribute,
            ["#updated"] = UpdatedAttribute,
            ["#counter"] = CounterAttribute,
        },
        ExpressionAttributeValues = new Dictionary<string, AttributeValue>
        {
            [":owner"] = new() { S = ownerId },
            [":expires"] = Number(now + leaseDuration),
            [":now"] = Number(now),
            [":one"] = new() { N = "1" },
        },
        ReturnValues = ReturnValue.ALL_NEW,
    };

    internal UpdateItemRequest BuildReleaseLeaseRequest(string streamName, string shardId, string ownerId, DateTimeOffset now) => new()
    {
        TableName = TableName,
        Key = Key(streamName, shardId),
        UpdateExpression = "REMOVE #owner, #expires SET #updated = :now",
        ConditionExpression = "#owner = :owner",
        ExpressionAttributeNames = new Dictionary<string, string>
        {
            ["#owner"] = OwnerAttribute,
            ["#expires"] = ExpiresAttribute,
            ["#updated"] = UpdatedAttribute,
        },
        ExpressionAttributeValues = new Dictionary<string, AttributeValue>
        {
            [":owner"] = new() { S = ownerId },
            [":now"] = Number(now),
        },
    };

    /// <summary>Only the lease owner may move the checkpoint.</summary>
    internal UpdateItemRequest BuildCheckpointRequest(string streamName, string shardId, string ownerId, string sequenceNumber, DateTimeOffset now) => new()
    {
        TableName = TableName,
        Key = Key(streamName, shardId),
        UpdateExpression = "SET #seq = :seq, #updated = :now",
        ConditionExpression = "#owner = :owner",
        ExpressionAttributeNames = new Dictionary<string, string>
        {
            ["#seq"] = SequenceAttribute,
            ["#owner"] = OwnerAttribute,
            ["#updated"] = UpdatedAttribute,
        },
        ExpressionAttributeValues = new Dictionary<string, AttributeValue>
        {
            [":seq"] = new() { S = sequenceNumber },
            [":owner"] = new() { S = ownerId },
            [":now"] = Number(now),
        },
    };

    internal static ShardCheckpoint FromItem(Dictionary<string, AttributeValue> item) => new(
        item[StreamAttribute].S,
        item[ShardAttribute].S,
        item.TryGetValue(SequenceAttribute, out var seq) ? seq.S : null,
        item.TryGetValue(OwnerAttribute, out var owner) ? owner.S : null,
        item.TryGetValue(ExpiresAttribute, out var expires) ? FromNumber(expires) : null,
        item.TryGetValue(CounterAttribute, out var counter) ? long.Parse(counter.N, CultureInfo.InvariantCulture) : 0,
        item.TryGetValue(UpdatedAttribute, out var updated) ? FromNumber(updated) : DateTimeOffset.UnixEpoch);

    private static Dictionary<string, AttributeValue> Key(string streamName, string shardId)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        ArgumentException.ThrowIfNullOrEmpty(shardId);
        return new Dictionary<string, AttributeValue>
        {
            [StreamAttribute] = new() { S = streamName },
            [ShardAttribute] = new() { S = shardId },
        };
    }

    /// <summary>Epoch milliseconds.</summary>
    private static AttributeValue Number(DateTimeOffset t) => new() { N = t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) };

    private static DateTimeOffset FromNumber(AttributeValue v) =>
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(v.N, CultureInfo.InvariantCulture));
}
