using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

public sealed class ObjectDecoderTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string Root => _dir.Path;

    public void Dispose() => _dir.Dispose();

    private static string Ctr(int n, int hour) =>
        "{\"ContactId\":\"" + new Guid(n, 0, 0, new byte[8]) + "\",\"Channel\":\"VOICE\",\"InitiationMethod\":\"INBOUND\"," +
        $"\"InitiationTimestamp\":\"2026-10-14T{hour:00}:00:{n % 60:00}Z\",\"DisconnectTimestamp\":\"2026-10-14T{hour:00}:05:00Z\"," +
        "\"Queue\":{\"Name\":\"q" + (n % 3) + "\"}}";

    /// <summary>Serves a local folder the way S3 does: response streams that are not files and cannot seek.</summary>
    private sealed class RemoteLikeStore(IObjectStore inner) : ForwardingStore(inner)
    {
        public int Opened;

        public override async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Opened);
            await using var file = await base.OpenReadAsync(key, cancellationToken);
            return new DecoderTests.ForwardOnlyStream(await ReadAllAsync(file, cancellationToken));
        }

        private static async Task<byte[]> ReadAllAsync(Stream s, CancellationToken ct)
        {
            using var copy = new MemoryStream();
            await s.CopyToAsync(copy, ct);
            return copy.ToArray();
        }
    }

    private async Task<List<StoredObject>> WriteHoursAsync(int hours, int perHour)
    {
        for (var h = 0; h < hours; h++)
        {
            var path = Path.Combine(Root, $"2026/10/14/{h:00}/ctr-{h:00}");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
            var text = string.Concat(Enumerable.Range(h * perHour, perHour).Select(n => Ctr(n, h)));
            await gz.WriteAsync(Encoding.UTF8.GetBytes(text));
        }

        var objects = new List<StoredObject>();
        await foreach (var o in new LocalObjectStore(Root).ListAsync("", CancellationToken.None))
        {
            objects.Add(o);
        }

        return objects;
    }

    private static async Task<List<DecodedObject>> DecodeAllAsync(IObjectStore store, IReadOnlyList<StoredObject> objects, int parallelism, bool windowKeys = true)
    {
        var decoded = new List<DecodedObject>();
        await foreach (var d in new ObjectDecoder(store, parallelism, windowKeys: windowKeys).DecodeInOrderAsync(objects, CancellationToken.None))
        {
            decoded.Add(d);
        }

        return decoded;
    }

    [Fact]
    public async Task Objects_come_back_in_input_order_with_window_keys_computed_for_each_record()
    {
        var objects = await WriteHoursAsync(hours: 12, perHour: 50);
        var decoded = await DecodeAllAsync(new LocalObjectStore(Root), objects, parallelism: 3);

        Assert.Equal(objects.Select(o => o.Key), decoded.Select(d => d.Input.Key));
        Assert.All(decoded, d =>
        {
            Assert.Equal(50, d.Records.Count);
            Assert.Equal(d.Records.Count, d.Keys.Count);
            Assert.Equal(d.Records.Select(r => ChainWindow.KeyOf(r.Record)), d.Keys);
            Assert.All(d.Keys, k => Assert.True(k.IsGuid));
        });
        Assert.Equal(600, decoded.SelectMany(d => d.Keys).Select(k => k.Id).Distinct().Count());

        // Readers that do not feed a window get the same records and no keys (the work is skipped).
        var plain = await DecodeAllAsync(new LocalObjectStore(Root), objects, parallelism: 3, windowKeys: false);
        Assert.Equal(decoded.SelectMany(d => d.Records.Select(r => r.Record.ContactId)), plain.SelectMany(d => d.Records.Select(r => r.Record.ContactId)));
        Assert.All(plain, d => Assert.Empty(d.Keys));
    }

    [Fact]
    public async Task A_remote_store_is_prefetched_and_decodes_exactly_as_the_local_files()
    {
        var objects = await WriteHoursAsync(hours: 10, perHour: 30);
        var local = await DecodeAllAsync(new LocalObjectStore(Root), objects, parallelism: 2);
        var remoteStore = new RemoteLikeStore(new LocalObjectStore(Root));
        var remote = await DecodeAllAsync(remoteStore, objects, parallelism: 2);

        Assert.Equal(objects.Count, remoteStore.Opened);
        Assert.Equal(local.Select(d => (d.Input.Key, d.Bytes, d.Sha256, d.Records.Count)), remote.Select(d => (d.Input.Key, d.Bytes, d.Sha256, d.Records.Count)));
        Assert.Equal(local.SelectMany(d => d.Records).Select(r => (r.Record, r.Position.Offset, r.Position.Index)),
            remote.SelectMany(d => d.Records).Select(r => (r.Record, r.Position.Offset, r.Position.Index)));
        Assert.All(remote, d => Assert.Empty(d.Quarantined));
    }

    [Fact]
    public async Task A_loader_that_keeps_some_records_holds_only_those_and_still_counts_every_record_read()
    {
        var objects = await WriteHoursAsync(hours: 6, perHour: 40);
        var store = new LocalObjectStore(Root);
        var all = await new Jobs.RecordLoader(store, 2).LoadAsync(objects, null, CancellationToken.None);
        var kept = await new Jobs.RecordLoader(store, 2, keep: (input, r) =>
        {
            Assert.Contains(input, objects); // told which object a record is in
            return r.Queue?.DisplayName == "q1";
        }).LoadAsync(objects, null, CancellationToken.None);

        Assert.Equal(all.Dedupe.Records.Where(r => r.Queue?.DisplayName == "q1"), kept.Dedupe.Records);
        Assert.Equal(80, kept.Dedupe.Count);
        // Read and each object's count are of what was decoded, as without a filter (the manifest's figures).
        Assert.Equal(240L, kept.Read);
        Assert.Equal(all.Inputs, kept.Inputs);
    }
}
