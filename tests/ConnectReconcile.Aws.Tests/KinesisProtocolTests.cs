using System.Diagnostics;
using System.Text.Json;
using Amazon.Runtime;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Tests.Support;

namespace ConnectReconcile.Aws.Tests;

/// <summary>
/// Wire behaviour kinesalite cannot show (it never returns NextToken, never throttles): a scripted local
/// HTTP server answers as Kinesis documents it.
/// </summary>
public class KinesisProtocolTests
{
    private static KinesisClient Client(CannedHttpServer server, int maxRetries = 3) => new(new KinesisClientOptions
    {
        EndpointUrl = server.Url,
        Region = "us-east-1",
        Credentials = new BasicAWSCredentials("AKID", "secret"),
        RequestTimeout = TimeSpan.FromSeconds(5),
        MaxRetries = maxRetries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(5),
    });

    private static string Shard(string id, string? parent = null, string? end = null) =>
        "{\"ShardId\":\"" + id + "\","
        + (parent is null ? "" : "\"ParentShardId\":\"" + parent + "\",")
        + "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"340282366920938463463374607431768211455\"},"
        + "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"49600000000000000000000000000000000000000000000000000000\""
        + (end is null ? "" : ",\"EndingSequenceNumber\":\"" + end + "\"")
        + "}}";

    [Fact]
    public async Task ListShards_follows_NextToken_without_StreamName()
    {
        await using var server = new CannedHttpServer(r =>
        {
            using var body = JsonDocument.Parse(r.Body);
            return body.RootElement.TryGetProperty("NextToken", out var token)
                ? token.GetString() == "page-2"
                    ? new CannedResponse(200, $$"""{"Shards":[{{Shard("shardId-000000000002", "shardId-000000000000")}}]}""")
                    : new CannedResponse(400, """{"__type":"InvalidArgumentException","message":"bad token"}""")
                : new CannedResponse(200, $$"""{"Shards":[{{Shard("shardId-000000000000", end: "49600000000000000000000000000000000000000000000000000099")}},{{Shard("shardId-000000000001")}}],"NextToken":"page-2"}""");
        });
        using var client = Client(server);

        var shards = await client.ListShardsAsync("ctr", CancellationToken.None);

        Assert.Equal(["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"], shards.Select(s => s.ShardId));
        Assert.True(shards[0].IsClosed);
        Assert.False(shards[1].IsClosed);
        Assert.Equal("shardId-000000000000", shards[2].ParentShardId);
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal("Kinesis_20131202.ListShards", r.Header("x-amz-target")));
        Assert.All(requests, r => Assert.Equal("application/x-amz-json-1.1", r.Header("content-type")));
        using var first = JsonDocument.Parse(requests[0].Body);
        using var second = JsonDocument.Parse(requests[1].Body);
        Assert.Equal("ctr", first.RootElement.GetProperty("StreamName").GetString());
        Assert.False(second.RootElement.TryGetProperty("StreamName", out _));
        Assert.Equal("page-2", second.RootElement.GetProperty("NextToken").GetString());
    }

    [Theory]
    [InlineData("ResourceNotFoundException", typeof(ResourceNotFoundException))]
    [InlineData("com.amazonaws.kinesis.v20131202#ExpiredIteratorException", typeof(ExpiredIteratorException))]
    [InlineData("InvalidArgumentException:http://internal", typeof(InvalidArgumentException))]
    [InlineData("ResourceInUseException", typeof(ResourceInUseException))]
    [InlineData("ValidationException", typeof(KinesisException))]
    public async Task Client_errors_map_to_typed_exceptions_without_retry(string type, Type expected)
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(400, $$"""{"__type":"{{type}}","message":"nope"}"""));
        using var client = Client(server);

        var e = await Assert.ThrowsAnyAsync<KinesisException>(() => client.GetRecordsAsync("iterator", 10, CancellationToken.None));

        Assert.IsType(expected, e);
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
        Assert.Contains($"GetRecords at {server.Url}", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("canned-", e.RequestId, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData(400, "ProvisionedThroughputExceededException", typeof(ProvisionedThroughputExceededException))]
    [InlineData(400, "LimitExceededException", typeof(LimitExceededException))]
    [InlineData(500, "InternalFailure", typeof(KinesisException))]
    [InlineData(503, "", typeof(KinesisException))]
    public async Task Throttling_and_server_errors_are_retried_then_surface_typed(int status, string type, Type expected)
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(status, type.Length == 0 ? "" : $$"""{"__type":"{{type}}","message":"slow down"}"""));
        using var client = Client(server, maxRetries: 3);

        var e = await Assert.ThrowsAnyAsync<KinesisException>(() => client.PutRecordsAsync("s", [new PutRecordsEntry(new byte[] { 1 }, "k")], CancellationToken.None));

        Assert.IsType(expected, e);
        Assert.True(e.IsRetryable);
        Assert.Equal(4, server.Requests.Count); // first attempt + 3 retries
    }

    [Fact]
    public async Task A_throttled_call_succeeds_once_the_service_recovers()
    {
        var calls = 0;
        await using var server = new CannedHttpServer(_ => Interlocked.Increment(ref calls) <= 2
            ? new CannedResponse(400, """{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}""")
            : new CannedResponse(200, """{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}]}"""));
        using var client = Client(server);

        var result = await client.PutRecordsAsync("s", [new PutRecordsEntry(new byte[] { 1 }, "a"), new PutRecordsEntry(new byte[] { 2 }, "b")], CancellationToken.None);

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(1, result.FailedRecordCount);
        var failed = Assert.Single(result.Failed);
        Assert.Equal(1, failed.Index);
        Assert.Equal("ProvisionedThroughputExceededException", failed.ErrorCode);
        using var body = JsonDocument.Parse(server.Requests[0].Body);
        Assert.Equal("AQ==", body.RootElement.GetProperty("Records")[0].GetProperty("Data").GetString());
    }

    [Fact]
    public async Task GetRecords_parses_data_timestamps_and_end_of_closed_shard()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(200, """
            {"Records":[{"SequenceNumber":"4960","ApproximateArrivalTimestamp":1.790865296123E9,"Data":"eyJDb250YWN0SWQiOiJhIn0=","PartitionKey":"a"}],
             "MillisBehindLatest":0,
             "ChildShards":[{"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000"],"HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"10"}}]}
            """));
        using var client = Client(server);

        var result = await client.GetRecordsAsync("it", 100, CancellationToken.None);

        var record = Assert.Single(result.Records);
        Assert.Equal("{\"ContactId\":\"a\"}", System.Text.Encoding.UTF8.GetString(record.Data));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_790_865_296_123), record.ApproximateArrivalTimestamp);
        Assert.Null(result.NextShardIterator);
        Assert.Equal(0, result.MillisBehindLatest);
        Assert.Equal("shardId-000000000002", Assert.Single(result.ChildShards).ShardId);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_per_attempt()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start(); // accepts connections (backlog) but never answers
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new KinesisClient(new KinesisClientOptions
        {
            EndpointUrl = $"http://127.0.0.1:{port}",
            Credentials = new BasicAWSCredentials("a", "b"),
            RequestTimeout = TimeSpan.FromMilliseconds(300),
            MaxRetries = 1,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        });
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<TimeoutException>(() => client.DescribeStreamSummaryAsync("s", CancellationToken.None));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_error_names_the_endpoint_without_the_password_in_its_url()
    {
        // Printed whole, "http://admin:hunter2pw@127.0.0.1:PORT/" put the password in the log of a failed run.
        await using var server = new CannedHttpServer(_ => new CannedResponse(400, """{"__type":"ResourceNotFoundException","message":"Stream nosuch not found."}"""));
        using var client = new KinesisClient(new KinesisClientOptions
        {
            EndpointUrl = server.Url.Replace("http://", "http://admin:hunter2pw@", StringComparison.Ordinal),
            Credentials = new BasicAWSCredentials("a", "b"),
            MaxRetries = 0,
        });

        var error = await Assert.ThrowsAsync<ResourceNotFoundException>(() => client.DescribeStreamSummaryAsync("nosuch", CancellationToken.None));

        Assert.DoesNotContain("hunter2pw", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at http://***@127.0.0.1:{server.Port}/ failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_names_the_endpoint_without_the_password_in_its_url()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start(); // accepts connections (backlog) but never answers
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new KinesisClient(new KinesisClientOptions
        {
            EndpointUrl = $"http://admin:hunter2pw@127.0.0.1:{port}",
            Credentials = new BasicAWSCredentials("a", "b"),
            RequestTimeout = TimeSpan.FromMilliseconds(200),
            MaxRetries = 0,
        });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.DescribeStreamSummaryAsync("s", CancellationToken.None));

        Assert.DoesNotContain("hunter2pw", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at http://***@127.0.0.1:{port}/ did not answer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecords_rejects_oversized_batches_before_sending()
    {
        using var client = new KinesisClient(new KinesisClientOptions { EndpointUrl = "http://127.0.0.1:9", Credentials = new BasicAWSCredentials("a", "b") });
        var many = Enumerable.Range(0, 501).Select(i => new PutRecordsEntry(new byte[] { 1 }, "k")).ToList();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.PutRecordsAsync("s", many, CancellationToken.None));
        var big = new[] { new PutRecordsEntry(new byte[(1024 * 1024) + 1], "k") };
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutRecordsAsync("s", big, CancellationToken.None));
    }

    [Fact]
    public void Shards_are_ordered_parents_first()
    {
        var range = new HashKeyRange("0", "9");
        var seq = new SequenceNumberRange("1", null);
        var shards = new[]
        {
            new KinesisShard("shardId-000000000004", "shardId-000000000002", "shardId-000000000003", range, seq),
            new KinesisShard("shardId-000000000003", "shardId-000000000000", null, range, seq),
            new KinesisShard("shardId-000000000002", "shardId-000000000000", null, range, seq),
            new KinesisShard("shardId-000000000001", null, null, range, seq),
            new KinesisShard("shardId-000000000000", null, null, range, seq),
        };

        var ordered = KinesisClientExtensions.ParentsFirst(shards).Select(s => s.ShardId).ToList();

        Assert.Equal(
            ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003", "shardId-000000000004"],
            ordered);
        Assert.Equal("170141183460469231731687303715884105728", new HashKeyRange("0", "340282366920938463463374607431768211455").Midpoint());
    }
}
