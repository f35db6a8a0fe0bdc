using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Storage;
using ConnectReconcile.TestServices;
using Parquet.Serialization;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>The stream worker against kinesalite: equal to a file replay, resharding, duplicates, poison records.</summary>
[Collection(AwsServicesCollection.Name)]
public sealed partial class StreamWorkerTests(AwsServicesFixture services, StreamTestData data, ITestOutputHelper output) : IClassFixture<StreamTestData>, IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("cr-stream-test-").FullName;

    public void Dispose() => StreamAsserts.DeleteQuietly(_tmp);

    [Fact]
    public async Task Generated_days_loaded_onto_two_shards_and_streamed_equal_a_replay_of_the_files_byte_for_byte()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "equal");
        var outDir = Path.Combine(_tmp, "out");

        using (var load = CliProcess.Start(services, "load", "--source", data.Ctr, "--stream", stream, "--endpoint-url", services.KinesisEndpoint))
        {
            Assert.True(await load.WaitAsync(TimeSpan.FromSeconds(60)) == 0, load.Messages());
            using var loaded = JsonDocument.Parse(load.Out);
            Assert.Equal(data.Truth.Records, loaded.RootElement.GetProperty("records").GetInt64());
        }

        // The endpoint comes from AWS_ENDPOINT_URL_KINESIS here (CliProcess sets it).
        using var run = CliProcess.Start(services, "stream", "--stream", stream, "--out", outDir, "--stop-when-idle", "1.5", "--batch-seconds", "1",
            "--agents", data.Agents, "--numbers", data.Numbers);
        Assert.True(await run.WaitAsync(TimeSpan.FromSeconds(90)) == 0, run.Messages());
        output.WriteLine(run.Messages());

        StreamAsserts.SameBytes(data.Reference, StreamAsserts.RatedPartitions(outDir), "stream vs replay");
        using var summary = JsonDocument.Parse(run.Out);
        var s = summary.RootElement;
        Assert.Equal("idle", s.GetProperty("stopReason").GetString());
        Assert.Equal(data.Truth.Records, s.GetProperty("records").GetInt64());
        Assert.Equal(data.Truth.Duplicates, s.GetProperty("superseded").GetInt64());
        Assert.Equal(data.Truth.Quarantined, s.GetProperty("quarantined").GetInt64());

        // Every record is accounted for in the quarantine table or as a CTR; the checkpoints sit at each shard's last record.
        var quarantine = await ReadAsync<QuarantineRow>(outDir, "quarantine");
        Assert.Equal(data.Truth.Quarantined, quarantine.Count);
        Assert.All(quarantine, q => Assert.StartsWith($"kinesis://{stream}/shardId-", q.Source, StringComparison.Ordinal));
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var committed = await checkpoints.ListAsync(stream, CancellationToken.None);
        Assert.Equal(2, committed.Count);
        Assert.All(committed, c => Assert.Null(c.Owner)); // released on a clean stop
        Assert.True(File.Exists(Path.Combine(outDir, "_stream", "ctr", "batch-0000000001.ndjson.gz")));
    }

    [Fact]
    public async Task A_shard_split_mid_stream_loses_nothing_and_children_are_read_after_their_parent()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "split");
        var outDir = Path.Combine(_tmp, "out");
        var objects = data.RawObjects();
        var half = objects.Count / 2;
        await PutAsync(stream, objects.Take(half));

        var committed = new List<BatchReport>();
        var firstBatch = new TaskCompletionSource();
        var options = StreamAsserts.Options(data, stream, outDir, output) with
        {
            StopWhenIdle = TimeSpan.FromSeconds(2),
            BatchRecords = 300,
            BatchAge = TimeSpan.FromMilliseconds(500),
            OnBatchCommitted = r =>
            {
                lock (committed)
                {
                    committed.Add(r);
                }

                firstBatch.TrySetResult();
            },
        };
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var worker = new StreamWorker(services.Kinesis, checkpoints, options);
        var running = worker.RunAsync(CancellationToken.None);

        await firstBatch.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var parent = (await services.Kinesis.ListShardsAsync(stream, CancellationToken.None)).First(s => s.ShardId == "shardId-000000000000");
        await services.Kinesis.SplitShardAsync(stream, parent.ShardId, parent.HashKeyRange.Midpoint(), CancellationToken.None);
        await services.Kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
        await PutAsync(stream, objects.Skip(half));

        var result = await running.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("idle", result.StopReason);
        Assert.Equal(objects.Count, result.Records);
        StreamAsserts.SameBytes(data.Reference, StreamAsserts.RatedPartitions(outDir), "split stream vs replay");

        var shards = await services.Kinesis.ListShardsAsync(stream, CancellationToken.None);
        Assert.Equal(4, shards.Count);
        var children = shards.Where(s => s.ParentShardId == parent.ShardId).Select(s => s.ShardId).ToList();
        Assert.Equal(2, children.Count);
        var final = (await checkpoints.ListAsync(stream, CancellationToken.None)).ToDictionary(c => c.ShardId);
        Assert.Equal(CheckpointStore.ShardEnd, final[parent.ShardId].SequenceNumber);
        Assert.All(children, c => Assert.NotNull(final[c].SequenceNumber));

        // Lineage order: no batch holds child records before the batch that drained the parent.
        var ended = committed.First(r => r.Shards.Any(s => s.ShardId == parent.ShardId && s.Ended)).Batch;
        var firstChild = committed.First(r => r.Shards.Any(s => children.Contains(s.ShardId) && s.Records > 0)).Batch;
        Assert.True(firstChild >= ended, $"child records in batch {firstChild}, parent drained in batch {ended}");
    }

    [Fact]
    public async Task Duplicates_and_redeliveries_are_superseded_and_each_chain_stays_once_in_the_output()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "dupes");
        var outDir = Path.Combine(_tmp, "out");
        var objects = data.RawObjects();
        await PutAsync(stream, objects);
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var first = await new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, outDir, output)).RunAsync(CancellationToken.None);
        Assert.Equal(objects.Count, first.Records);
        StreamAsserts.SameBytes(data.Reference, StreamAsserts.RatedPartitions(outDir), "first run vs replay");

        // Re-deliver 100 records as they were, and one record as an update (later LastUpdateTimestamp, the call ended a minute later).
        var copies = objects.Where(o => Reason(o) is null).Where((_, i) => i % 7 == 3).Take(100).ToList();
        var (updated, contactId, day) = UpdateOfASingleRecordCall(objects);
        await PutAsync(stream, copies.Append(updated));

        // A nightly staging into the same --out while the worker restarts: the restart once deleted all of _staging.
        using var nightly = new LocalObjectStore(outDir).CreateStaging();
        var second = new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, outDir, output));
        var again = await second.RunAsync(CancellationToken.None);
        Assert.True(Directory.Exists(nightly.Folder), "a live run's staging was removed");
        Assert.Equal(101, again.Records);                      // resumed after the checkpoints: only the new records
        Assert.Equal(data.Truth.Duplicates + 101, second.State.Dedupe.Superseded);

        var after = StreamAsserts.RatedPartitions(outDir);
        var changedDay = $"dt={day:yyyy-MM-dd}";
        StreamAsserts.SameBytes(
            new SortedDictionary<string, byte[]>(data.Reference.Where(kv => !kv.Key.Contains(changedDay, StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal),
            new SortedDictionary<string, byte[]>(after.Where(kv => !kv.Key.Contains(changedDay, StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal),
            "days without the update");
        Assert.False(data.Reference[$"contacts/{changedDay}/part-00000.parquet"].AsSpan().SequenceEqual(after[$"contacts/{changedDay}/part-00000.parquet"]));

        var contacts = await ReadAsync<ContactRow>(outDir, "contacts");
        Assert.Equal(contacts.Count, contacts.Select(c => c.ChainId).Distinct().Count()); // each chain once
        var before = await ReadAsync<ContactRow>(Path.Combine(data.Root, $"replay-{day:yyyy-MM-dd}"), "contacts");
        Assert.Equal(before.Single(c => c.ChainId == contactId).EndTime.AddSeconds(60), contacts.Single(c => c.ChainId == contactId).EndTime);
        Assert.Equal(before.Count + contacts.Count(c => c.Day != day), contacts.Count);
    }

    [Fact]
    public async Task Poison_records_are_quarantined_with_their_kinesis_position_and_the_rest_is_rated()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "poison");
        var outDir = Path.Combine(_tmp, "out");
        var good = data.RawObjects().Take(20).ToList();
        var (disconnectFirst, _, _) = UpdateOfASingleRecordCall(data.RawObjects(), disconnectBeforeInitiation: true);
        var poison = new List<(byte[] Data, string Reason)>
        {
            (Encoding.UTF8.GetBytes("""{"AgentARN":"arn:aws:connect:us-east-1:111122223333:instance/i/agent/a","EventType":"STATE_CHANGE","Version":"2017-10-01"}"""), "not-a-ctr"),
            ([0x00, 0x01, 0xfe, 0x7f, 0x20], "not-json"),
            (Encoding.UTF8.GetBytes("""{"ContactId":"7e3f","Channel":"VOICE","InitiationTimestamp":"2026-10"""), "truncated-record"),
            (disconnectFirst, "disconnect-before-initiation"),
        };
        var entries = good.Take(10).Select(g => new PutRecordsEntry(g, StreamLoader.PartitionKey(g)))
            .Concat(poison.Select((p, i) => new PutRecordsEntry(p.Data, "poison-" + i)))
            .Concat(good.Skip(10).Select(g => new PutRecordsEntry(g, StreamLoader.PartitionKey(g))))
            .ToList();
        var put = await services.Kinesis.PutAllAsync(stream, entries);
        Assert.Equal(entries.Count, put.Succeeded);

        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var worker = new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, outDir, output));
        var result = await worker.RunAsync(CancellationToken.None);
        Assert.Equal(entries.Count, result.Records);

        var expected = poison.Select(p => p.Reason).Concat(good.Select(g => Reason(g)).OfType<string>()).Order(StringComparer.Ordinal).ToList();
        var quarantine = await ReadAsync<QuarantineRow>(outDir, "quarantine");
        Assert.Equal(expected, quarantine.Select(q => q.Reason).Order(StringComparer.Ordinal));
        Assert.All(quarantine, q => Assert.Matches($"^kinesis://{stream}/shardId-000000000000/[0-9]+$", q.Source));
        Assert.Equal(quarantine.Count, quarantine.Select(q => q.Source).Distinct().Count());
        Assert.Equal(good.Count - good.Count(g => Reason(g) is not null), worker.State.Dedupe.Count + worker.State.Dedupe.Superseded);
        Assert.NotEmpty(await ReadAsync<ContactRow>(outDir, "contacts"));
    }

    [Fact]
    public async Task A_cancelled_load_says_how_many_records_the_stream_took()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "cancel-load");
        // Paced to 50 records a second (puts of 10): cancelled once 20 are on the stream, long before the end.
        var loader = new StreamLoader(services.Kinesis, stream) { RecordsPerSecond = 50 };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watch = Task.Run(async () =>
        {
            while (loader.RecordsPut < 20 && !cancel.IsCancellationRequested)
            {
                await Task.Delay(10);
            }

            await cancel.CancelAsync();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loader.LoadAsync(new LocalObjectStore(data.Ctr), null, null, 0, null, cancel.Token));
        await watch;

        Assert.InRange(loader.RecordsPut, 20, data.Truth.Records - 1);
        var shard = Assert.Single(await services.Kinesis.ListShardsAsync(stream, CancellationToken.None));
        var held = await KinesisIntegrationTests.ReadShardAsync(services.Kinesis, stream, shard.ShardId, ShardIteratorPosition.TrimHorizon, 1000);
        Assert.InRange(held.Count, loader.RecordsPut, loader.RecordsPut + 10); // a put the cancel cut may have landed
    }

    /// <summary>The quarantine reason the parser gives a generated object, or null for a good CTR.</summary>
    private static string? Reason(byte[] json) => new Core.Ctr.CtrParser().Parse(json).Reason;

    private async Task PutAsync(string stream, IEnumerable<byte[]> records)
    {
        var entries = records.Select(r => new PutRecordsEntry(r, StreamLoader.PartitionKey(r))).ToList();
        var put = await services.Kinesis.PutAllAsync(stream, entries);
        Assert.Equal(entries.Count, put.Succeeded);
    }

    /// <summary>A later version of a one-record inbound call: its LastUpdateTimestamp an hour later and its end a minute later.</summary>
    internal static (byte[] Json, string ContactId, DateOnly Day) UpdateOfASingleRecordCall(List<byte[]> objects, bool disconnectBeforeInitiation = false)
    {
        var roots = new Dictionary<string, int>(StringComparer.Ordinal);
        var parsed = objects.Select(o => new Core.Ctr.CtrParser().Parse(o).Record).ToList();
        foreach (var r in parsed.OfType<Core.Ctr.ContactRecord>())
        {
            roots[r.RootId] = roots.GetValueOrDefault(r.RootId) + 1;
        }

        var index = parsed.FindIndex(r => r is { IsVoice: true, InitiationMethod: "INBOUND", DisconnectTimestamp: not null, Agent: not null } && roots[r.RootId] == 1
            && parsed.Count(p => p?.ContactId == r.ContactId) == 1);
        var node = JsonNode.Parse(objects[index])!.AsObject();
        var disconnect = DateTime.Parse(node["DisconnectTimestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        var initiation = DateTime.Parse(node["InitiationTimestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        var lastUpdate = DateTime.Parse(node["LastUpdateTimestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        node["DisconnectTimestamp"] = (disconnectBeforeInitiation ? initiation.AddSeconds(-30) : disconnect.AddSeconds(60)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        node["LastUpdateTimestamp"] = lastUpdate.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        if (disconnectBeforeInitiation)
        {
            node["ContactId"] = Guid.NewGuid().ToString();
        }

        return (Encoding.UTF8.GetBytes(node.ToJsonString()), parsed[index]!.ContactId, parsed[index]!.InitiationTimestamp.UtcDate);
    }

    internal static async Task<List<T>> ReadAsync<T>(string outDir, string table)
        where T : class, new()
    {
        var rows = new List<T>();
        var dir = Path.Combine(outDir, table);
        if (!Directory.Exists(dir))
        {
            return rows;
        }

        foreach (var file in Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            await using var stream = File.OpenRead(file);
            rows.AddRange((await ParquetSerializer.DeserializeAsync<T>(stream)).Data);
        }

        return rows;
    }
}
