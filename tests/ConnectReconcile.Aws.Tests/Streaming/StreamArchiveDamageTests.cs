using ConnectReconcile.Aws.Streaming;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>Recovery trusts an archive only as its manifest committed it: another batch's bytes, a damaged or a lost manifest stop the worker.</summary>
public sealed partial class StreamWorkerTests
{
    [Fact]
    public async Task A_restart_refuses_an_archive_that_is_not_the_one_its_manifest_committed()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "swapped");
        var outDir = Path.Combine(_tmp, "out");
        await PutAsync(stream, data.RawObjects().Take(600));
        using var checkpoints = StreamAsserts.Checkpoints(outDir);
        var options = StreamAsserts.Options(data, stream, outDir, output) with { BatchRecords = 200 };
        Assert.Equal(600, (await new StreamWorker(services.Kinesis, checkpoints, options).RunAsync(CancellationToken.None)).Records);

        // Batch 2's archive replaced by batch 3's: valid gzip and valid CTRs, but not what batch 2 committed.
        var second = Path.Combine(outDir, StreamArchive.ArchiveKey(2));
        var original = await File.ReadAllBytesAsync(second);
        File.Copy(Path.Combine(outDir, StreamArchive.ArchiveKey(3)), second, overwrite: true);
        var swapped = await Assert.ThrowsAsync<InvalidDataException>(() => new StreamWorker(services.Kinesis, checkpoints, options).RunAsync(CancellationToken.None));
        Assert.Contains("batch-0000000002.ndjson.gz is not the one", swapped.Message, StringComparison.Ordinal);
        Assert.Contains("batch-0000000002.json", swapped.Message, StringComparison.Ordinal);

        // A damaged manifest is named, not reported as a bare JSON error.
        await File.WriteAllBytesAsync(second, original);
        var manifest = Path.Combine(outDir, StreamArchive.ManifestKey(1));
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(manifest))[..40]);
        var damaged = await Assert.ThrowsAsync<InvalidDataException>(() => new StreamWorker(services.Kinesis, checkpoints, options).RunAsync(CancellationToken.None));
        Assert.Contains("batch-0000000001.json is damaged", damaged.Message, StringComparison.Ordinal);

        // A lost manifest: recovering without it would drop batch 1's CTRs from every day they touched.
        File.Delete(manifest);
        var missing = await Assert.ThrowsAsync<InvalidDataException>(() => new StreamWorker(services.Kinesis, checkpoints, options).RunAsync(CancellationToken.None));
        Assert.Contains("batch-0000000001.json is missing", missing.Message, StringComparison.Ordinal);
    }
}
