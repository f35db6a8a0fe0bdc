using System.Text.Json;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Tests.Support;

namespace ConnectReconcile.Aws.Tests;

public sealed class FileCheckpointStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string FilePath => Path.Combine(_folder, "state", "checkpoints.json");

    [Fact]
    public async Task Leases_are_exclusive_until_they_expire_and_only_the_owner_checkpoints()
    {
        var clock = new ManualTimeProvider(T0);
        using var store = new FileCheckpointStore(FilePath, clock);

        var a = await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-a", TimeSpan.FromSeconds(30), CancellationToken.None);
        var b = await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-b", TimeSpan.FromSeconds(30), CancellationToken.None);
        await store.CheckpointAsync("ctr", "shardId-0", "worker-a", "4960001", CancellationToken.None);
        await Assert.ThrowsAsync<LeaseLostException>(() => store.CheckpointAsync("ctr", "shardId-0", "worker-b", "4960002", CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(20));
        var renewed = await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-a", TimeSpan.FromSeconds(30), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(20));
        var stillA = await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-b", TimeSpan.FromSeconds(30), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(11));
        var takenOver = await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-b", TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.NotNull(a);
        Assert.Equal(1, a.LeaseCounter);
        Assert.Null(b);
        Assert.Equal(T0.AddSeconds(50), renewed!.LeaseExpiresAt);
        Assert.Null(stillA);
        Assert.NotNull(takenOver);
        Assert.Equal("worker-b", takenOver.Owner);
        Assert.Equal(3, takenOver.LeaseCounter);
        Assert.Equal("4960001", takenOver.SequenceNumber); // progress survives the takeover
        await Assert.ThrowsAsync<LeaseLostException>(() => store.CheckpointAsync("ctr", "shardId-0", "worker-a", "4960009", CancellationToken.None));
        await store.CheckpointAsync("ctr", "shardId-0", "worker-b", CheckpointStore.ShardEnd, CancellationToken.None);
        await store.ReleaseLeaseAsync("ctr", "shardId-0", "worker-a", CancellationToken.None); // not the owner: no-op
        Assert.Equal("worker-b", (await store.GetAsync("ctr", "shardId-0", CancellationToken.None))!.Owner);
        await store.ReleaseLeaseAsync("ctr", "shardId-0", "worker-b", CancellationToken.None);
        var released = await store.GetAsync("ctr", "shardId-0", CancellationToken.None);
        Assert.Null(released!.Owner);
        Assert.Equal(CheckpointStore.ShardEnd, released.SequenceNumber);
        Assert.NotNull(await store.TryAcquireLeaseAsync("ctr", "shardId-0", "worker-c", TimeSpan.FromSeconds(30), CancellationToken.None));
    }

    [Fact]
    public async Task State_survives_a_new_store_instance_and_lists_by_stream()
    {
        using (var store = new FileCheckpointStore(FilePath, new ManualTimeProvider(T0)))
        {
            foreach (var shard in new[] { "shardId-2", "shardId-0", "shardId-1" })
            {
                await store.TryAcquireLeaseAsync("ctr", shard, "w", TimeSpan.FromMinutes(1), CancellationToken.None);
                await store.CheckpointAsync("ctr", shard, "w", $"seq-{shard}", CancellationToken.None);
            }

            await store.TryAcquireLeaseAsync("agent-events", "shardId-0", "w", TimeSpan.FromMinutes(1), CancellationToken.None);
        }

        using var reopened = new FileCheckpointStore(FilePath);
        var list = await reopened.ListAsync("ctr", CancellationToken.None);

        Assert.Equal(["shardId-0", "shardId-1", "shardId-2"], list.Select(c => c.ShardId));
        Assert.Equal(["seq-shardId-0", "seq-shardId-1", "seq-shardId-2"], list.Select(c => c.SequenceNumber));
        Assert.Equal(T0.AddMinutes(1), list[0].LeaseExpiresAt);
        Assert.Single(await reopened.ListAsync("agent-events", CancellationToken.None));
        Assert.Null(await reopened.GetAsync("ctr", "shardId-9", CancellationToken.None));
    }

    [Fact]
    public async Task The_file_is_replaced_atomically_so_concurrent_readers_never_see_a_partial_write()
    {
        using var store = new FileCheckpointStore(FilePath);
        // A large-ish file makes a non-atomic rewrite observable.
        for (var s = 0; s < 40; s++)
        {
            await store.TryAcquireLeaseAsync("ctr", $"shardId-{s:D12}", "writer", TimeSpan.FromHours(1), CancellationToken.None);
        }

        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var bytes = await File.ReadAllBytesAsync(FilePath);
                using var doc = JsonDocument.Parse(bytes); // throws on a torn file
                Assert.Equal(40, doc.RootElement.GetProperty("shards").GetArrayLength());
                Interlocked.Increment(ref reads);
            }
        });

        // At least 150 rewrites, and on a busy machine as many more as it takes for the reader to overlap them.
        var written = 0;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (written < 150 || (Volatile.Read(ref reads) <= 10 && deadline.Elapsed < TimeSpan.FromSeconds(60)))
        {
            await store.CheckpointAsync("ctr", $"shardId-{written % 40:D12}", "writer", $"49600{written:D50}", CancellationToken.None);
            written++;
        }

        await stop.CancelAsync();
        await reader;

        Assert.True(reads > 10, $"reader only ran {reads} times");
        Assert.Equal(["checkpoints.json", "checkpoints.json.lock"], Directory.GetFiles(Path.GetDirectoryName(FilePath)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var last = written - 1;
        Assert.Equal($"49600{last:D50}", (await store.GetAsync("ctr", $"shardId-{last % 40:D12}", CancellationToken.None))!.SequenceNumber);
    }

    [Fact]
    public async Task Two_store_instances_on_one_file_do_not_lose_updates()
    {
        using var one = new FileCheckpointStore(FilePath);
        using var two = new FileCheckpointStore(FilePath);

        await Task.WhenAll(
            Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await one.TryAcquireLeaseAsync("ctr", $"a-{i}", "one", TimeSpan.FromMinutes(1), CancellationToken.None);
                }
            }),
            Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await two.TryAcquireLeaseAsync("ctr", $"b-{i}", "two", TimeSpan.FromMinutes(1), CancellationToken.None);
                }
            }));

        Assert.Equal(100, (await one.ListAsync("ctr", CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_leftover_temp_file_is_harmless_and_a_corrupt_file_is_reported()
    {
        using var store = new FileCheckpointStore(FilePath);
        await store.TryAcquireLeaseAsync("ctr", "s", "w", TimeSpan.FromMinutes(1), CancellationToken.None);
        await File.WriteAllTextAsync(FilePath + ".deadbeef.tmp", "{ half a fi"); // a crash mid-write

        Assert.Equal("w", (await store.GetAsync("ctr", "s", CancellationToken.None))!.Owner);

        await File.WriteAllTextAsync(FilePath, "{ half a fi");
        await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("ctr", "s", CancellationToken.None));
    }
}
