using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary><c>--from TIMESTAMP</c>: a shard that cannot get its AT_TIMESTAMP iterator is not started from LATEST instead.</summary>
public sealed partial class StreamWorkerTests
{
    [Fact]
    public async Task From_a_timestamp_a_GetShardIterator_that_times_out_fails_the_run_instead_of_skipping_to_latest()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "tstimeout");
        var outDir = Path.Combine(_tmp, "out");
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        await PutAsync(stream, data.RawObjects().Take(5));
        using var kinesis = new AtTimestampFailingKinesisClient(services.Kinesis,
            () => new TimeoutException("Kinesis GetShardIterator did not answer within 10 s (6 attempts) (injected by the test)."));
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var options = StreamAsserts.Options(data, stream, outDir, output) with { Start = StreamStartPosition.AtTimestamp(from) };

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new StreamWorker(kinesis, checkpoints, options).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("shardId-000000000000", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was read or checkpointed", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(kinesis.Positions, p => p.Type == ShardIteratorType.Latest);
        Assert.All(await checkpoints.ListAsync(stream, CancellationToken.None), c => Assert.Null(c.SequenceNumber));
    }

    [Fact]
    public async Task From_a_past_timestamp_an_InvalidArgument_answer_fails_the_run_but_a_future_one_reads_from_latest()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "tsinvalid");
        await PutAsync(stream, data.RawObjects().Take(5));
        static Exception Refusal() => new InvalidArgumentException("The timestampInMillis parameter cannot be greater than the currentTimestampInMillis (injected by the test).");

        // Past: the records since the timestamp exist, LATEST would skip them.
        var pastOut = Path.Combine(_tmp, "past");
        using (var kinesis = new AtTimestampFailingKinesisClient(services.Kinesis, Refusal))
        using (var checkpoints = StreamAsserts.Checkpoints(pastOut))
        {
            var options = StreamAsserts.Options(data, stream, pastOut, output) with { Start = StreamStartPosition.AtTimestamp(DateTimeOffset.UtcNow.AddHours(-1)) };
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                new StreamWorker(kinesis, checkpoints, options).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("shardId-000000000000", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(kinesis.Positions, p => p.Type == ShardIteratorType.Latest);
        }

        // Future (kinesalite's own answer, as Kinesis's): nothing is at or after it yet, so LATEST skips nothing.
        var futureOut = Path.Combine(_tmp, "future");
        using (var kinesis = new AtTimestampFailingKinesisClient(services.Kinesis, null))
        using (var checkpoints = StreamAsserts.Checkpoints(futureOut))
        {
            var options = StreamAsserts.Options(data, stream, futureOut, output) with { Start = StreamStartPosition.AtTimestamp(DateTimeOffset.UtcNow.AddHours(1)) };
            var result = await new StreamWorker(kinesis, checkpoints, options).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("idle", result.StopReason);
            Assert.Equal(ShardIteratorType.Latest, kinesis.Positions[^1].Type);
        }
    }

    /// <summary>kinesalite, except that GetShardIterator AT_TIMESTAMP throws what <c>failure</c> makes (when given).</summary>
    private sealed class AtTimestampFailingKinesisClient(IKinesisClient inner, Func<Exception>? failure) : ForwardingKinesisClient(inner)
    {
        protected override Task<string> ShardIteratorAsync(string streamName, string shardId, ShardIteratorPosition position, CancellationToken cancellationToken) =>
            position.Type == ShardIteratorType.AtTimestamp && failure is not null
                ? Task.FromException<string>(failure())
                : base.ShardIteratorAsync(streamName, shardId, position, cancellationToken);
    }
}
