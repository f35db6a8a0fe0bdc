using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.TestServices;

namespace ConnectReconcile.Aws.Tests;

/// <summary>Our Kinesis client against a real kinesalite.</summary>
[Collection(AwsServicesCollection.Name)]
public class KinesisIntegrationTests(AwsServicesFixture services)
{
    private readonly IKinesisClient _kinesis = services.Kinesis;

    [Fact]
    public async Task Thousand_records_over_two_shards_come_back_complete_and_in_order_per_key()
    {
        var stream = AwsServicesFixture.NewStreamName("two-shards");
        await _kinesis.CreateStreamAsync(stream, 2, CancellationToken.None);
        try
        {
            var summary = await _kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
            Assert.Equal(2, summary.OpenShardCount);
            var before = DateTimeOffset.UtcNow.AddSeconds(-5);
            var records = Enumerable.Range(0, 1000)
                .Select(i => new PutRecordsEntry(Ctr(i), $"contact-{i % 37}"))
                .ToList();

            var put = await _kinesis.PutAllAsync(stream, records);

            Assert.Equal(1000, put.Succeeded);
            Assert.Empty(put.Failed);
            Assert.Equal(2, put.Calls);

            var shards = await _kinesis.ListShardsAsync(stream, CancellationToken.None);
            Assert.Equal(2, shards.Count);
            Assert.All(shards, s => Assert.False(s.IsClosed));
            var read = new List<(string Shard, KinesisRecord Record)>();
            foreach (var shard in shards)
            {
                foreach (var r in await ReadShardAsync(stream, shard.ShardId, ShardIteratorPosition.TrimHorizon, limit: 128))
                {
                    read.Add((shard.ShardId, r));
                }
            }

            Assert.Equal(1000, read.Count);
            Assert.Equal(Enumerable.Range(0, 1000), read.Select(r => Index(r.Record)).Order());
            Assert.All(shards, s => Assert.Contains(read, r => r.Shard == s.ShardId)); // keys spread over both shards
            foreach (var key in read.GroupBy(r => r.Record.PartitionKey))
            {
                Assert.Single(key.Select(r => r.Shard).Distinct());
                var indices = key.Select(r => Index(r.Record)).ToList();
                Assert.Equal(indices.Order(), indices);
            }

            Assert.All(read, r => Assert.InRange(r.Record.ApproximateArrivalTimestamp, before, DateTimeOffset.UtcNow.AddSeconds(5)));
        }
        finally
        {
            await _kinesis.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }

    [Fact]
    public async Task After_a_split_the_parent_drains_to_a_null_iterator_and_the_children_hold_the_rest()
    {
        var stream = AwsServicesFixture.NewStreamName("split");
        await _kinesis.CreateStreamAsync(stream, 1, CancellationToken.None);
        try
        {
            await _kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
            var first = await _kinesis.PutAllAsync(stream, Enumerable.Range(0, 150).Select(i => new PutRecordsEntry(Ctr(i), $"k{i % 11}")));
            Assert.Equal(150, first.Succeeded);
            var parent = Assert.Single(await _kinesis.ListShardsAsync(stream, CancellationToken.None));

            await _kinesis.SplitShardAsync(stream, parent.ShardId, parent.HashKeyRange.Midpoint(), CancellationToken.None);
            await _kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
            var second = await _kinesis.PutAllAsync(stream, Enumerable.Range(150, 150).Select(i => new PutRecordsEntry(Ctr(i), $"k{i % 11}")));
            Assert.Equal(150, second.Succeeded);

            var shards = KinesisClientExtensions.ParentsFirst(await _kinesis.ListShardsAsync(stream, CancellationToken.None));
            Assert.Equal(3, shards.Count);
            Assert.Equal(parent.ShardId, shards[0].ShardId);
            Assert.True(shards[0].IsClosed);
            Assert.All(shards.Skip(1), c => Assert.Equal(parent.ShardId, c.ParentShardId));
            Assert.All(shards.Skip(1), c => Assert.False(c.IsClosed));

            var parentRecords = await ReadShardAsync(stream, shards[0].ShardId, ShardIteratorPosition.TrimHorizon, limit: 40);
            Assert.Equal(Enumerable.Range(0, 150), parentRecords.Select(Index));
            var childRecords = new List<KinesisRecord>();
            foreach (var child in shards.Skip(1))
            {
                childRecords.AddRange(await ReadShardAsync(stream, child.ShardId, ShardIteratorPosition.TrimHorizon, limit: 40));
            }

            Assert.Equal(Enumerable.Range(150, 150), childRecords.Select(Index).Order());
        }
        finally
        {
            await _kinesis.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Iterator_positions_start_where_they_say()
    {
        var stream = AwsServicesFixture.NewStreamName("positions");
        await _kinesis.CreateStreamAsync(stream, 1, CancellationToken.None);
        try
        {
            await _kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
            var shard = Assert.Single(await _kinesis.ListShardsAsync(stream, CancellationToken.None)).ShardId;
            var latest = await _kinesis.GetShardIteratorAsync(stream, shard, ShardIteratorPosition.Latest, CancellationToken.None);
            var put = await _kinesis.PutRecordsAsync(stream, Enumerable.Range(0, 10).Select(i => new PutRecordsEntry(Ctr(i), "same-key")).ToList(), CancellationToken.None);
            Assert.Equal(0, put.FailedRecordCount);
            var sequence = put.Records.Select(r => r.SequenceNumber!).ToList();
            var all = await ReadShardAsync(stream, shard, ShardIteratorPosition.TrimHorizon, limit: 100);

            var at = await _kinesis.GetRecordsAsync(
                await _kinesis.GetShardIteratorAsync(stream, shard, ShardIteratorPosition.AtSequenceNumber(sequence[3]), CancellationToken.None), 1, CancellationToken.None);
            var after = await _kinesis.GetRecordsAsync(
                await _kinesis.GetShardIteratorAsync(stream, shard, ShardIteratorPosition.AfterSequenceNumber(sequence[3]), CancellationToken.None), 1, CancellationToken.None);
            var fromLatest = await _kinesis.GetRecordsAsync(latest, 100, CancellationToken.None);
            var atTime = await _kinesis.GetRecordsAsync(
                await _kinesis.GetShardIteratorAsync(stream, shard, ShardIteratorPosition.AtTimestamp(all[0].ApproximateArrivalTimestamp.AddSeconds(-1)), CancellationToken.None), 1, CancellationToken.None);

            Assert.Equal(sequence, all.Select(r => r.SequenceNumber));
            Assert.Equal(3, Index(Assert.Single(at.Records)));
            Assert.Equal(4, Index(Assert.Single(after.Records)));
            Assert.Equal(10, fromLatest.Records.Count); // LATEST taken before the put sees the put
            Assert.Equal(0, Index(Assert.Single(atTime.Records)));
        }
        finally
        {
            await _kinesis.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_missing_stream_is_ResourceNotFound()
    {
        var missing = AwsServicesFixture.NewStreamName("missing");
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _kinesis.DescribeStreamSummaryAsync(missing, CancellationToken.None));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _kinesis.ListShardsAsync(missing, CancellationToken.None));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _kinesis.PutRecordsAsync(missing, [new PutRecordsEntry(Ctr(1), "k")], CancellationToken.None));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _kinesis.GetShardIteratorAsync(missing, "shardId-000000000000", ShardIteratorPosition.TrimHorizon, CancellationToken.None));
        var e = await Assert.ThrowsAsync<ResourceNotFoundException>(() => _kinesis.DeleteStreamAsync(missing, CancellationToken.None));
        Assert.Equal("ResourceNotFoundException", e.ErrorCode);
        Assert.False(e.IsRetryable);
    }

    [Fact]
    public async Task Creating_an_existing_stream_is_ResourceInUse()
    {
        var stream = AwsServicesFixture.NewStreamName("twice");
        await _kinesis.CreateStreamAsync(stream, 1, CancellationToken.None);
        try
        {
            await Assert.ThrowsAsync<ResourceInUseException>(() => _kinesis.CreateStreamAsync(stream, 1, CancellationToken.None));
        }
        finally
        {
            await _kinesis.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }

    [Fact]
    public async Task AT_TIMESTAMP_past_the_last_record_hits_the_request_timeout_instead_of_hanging()
    {
        // kinesalite bug: this GetShardIterator never answers. The client must give up on its own.
        var stream = AwsServicesFixture.NewStreamName("hang");
        await _kinesis.CreateStreamAsync(stream, 1, CancellationToken.None);
        try
        {
            await _kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
            var shard = Assert.Single(await _kinesis.ListShardsAsync(stream, CancellationToken.None)).ShardId;
            using var impatient = services.CreateKinesisClient(o => o with { RequestTimeout = TimeSpan.FromMilliseconds(500), MaxRetries = 1 });
            var clock = Stopwatch.StartNew();

            await Assert.ThrowsAsync<TimeoutException>(() =>
                impatient.GetShardIteratorAsync(stream, shard, ShardIteratorPosition.AtTimestamp(DateTimeOffset.UtcNow.AddMilliseconds(-100)), CancellationToken.None));

            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
        }
        finally
        {
            await _kinesis.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }

    /// <summary>Reads a shard until a closed shard ends (null iterator) or an open shard is caught up.</summary>
    internal static async Task<List<KinesisRecord>> ReadShardAsync(IKinesisClient kinesis, string stream, string shardId, ShardIteratorPosition position, int limit)
    {
        var records = new List<KinesisRecord>();
        var iterator = await kinesis.GetShardIteratorAsync(stream, shardId, position, CancellationToken.None);
        for (var calls = 0; iterator is not null; calls++)
        {
            Assert.True(calls < 10_000, "shard never drained");
            var page = await kinesis.GetRecordsAsync(iterator, limit, CancellationToken.None);
            records.AddRange(page.Records);
            if (page.Records.Count == 0 && page.MillisBehindLatest == 0)
            {
                break; // open shard, caught up
            }

            iterator = page.NextShardIterator;
        }

        return records;
    }

    private Task<List<KinesisRecord>> ReadShardAsync(string stream, string shardId, ShardIteratorPosition position, int limit) =>
        ReadShardAsync(_kinesis, stream, shardId, position, limit);

    private static byte[] Ctr(int i) => Encoding.UTF8.GetBytes(
        $$"""{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c-{{i:D6}}","Channel":"VOICE","Index":{{i}}}""");

    private static int Index(KinesisRecord r)
    {
        using var doc = JsonDocument.Parse(r.Data);
        return doc.RootElement.GetProperty("Index").GetInt32();
    }
}
