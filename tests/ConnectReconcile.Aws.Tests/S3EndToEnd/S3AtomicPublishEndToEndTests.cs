using System.Diagnostics;
using System.Text.Json;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>
/// A run killed (SIGKILL, as an OOM kill or a stopped container would) in the middle of publishing to S3.
/// The contract: run.json is the commit point; a partition is never half old, half new.
/// </summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3AtomicPublishEndToEndTests(AwsServicesFixture services, ITestOutputHelper output)
{
    private const int CopiesBeforeKill = 5;

    [Fact]
    public async Task A_run_killed_mid_publish_leaves_every_partition_whole_and_the_previous_manifest_in_place()
    {
        var source = await S3Source.GetAsync(services);
        var month = source.Month;
        var v1 = await source.CleanReplayAsync();
        const string outPrefix = "results/killed/";
        const string v2Prefix = "results/killed-reference-v2/";
        // Version 2 differs in every rated table: another metering policy.
        string[] v2Policy = ["--policy", "minimums=none;service=per-record"];

        // v1 published in place, and a reference copy of what a finished v2 publishes.
        Assert.Equal(0, (await S3Cli.RunAsync(month.ReplayArgs(source.Uri, $"s3://{source.Bucket}/{outPrefix}", "--endpoint-url", services.S3ServiceUrl))).Exit);
        var v2Run = await S3Cli.RunAsync(month.ReplayArgs(source.Uri, $"s3://{source.Bucket}/{v2Prefix}", ["--endpoint-url", services.S3ServiceUrl, .. v2Policy]));
        Assert.True(v2Run.Exit == 0, v2Run.ToString());
        var v2 = await Trees.DownloadAsync(services.S3, source.Bucket, v2Prefix);
        Trees.AssertIdentical(v1, await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix));
        var changed = v1.Keys.Where(k => !v2.TryGetValue(k, out var b) || !b.AsSpan().SequenceEqual(v1[k])).ToList();
        Assert.True(changed.Count > CopiesBeforeKill, $"only {changed.Count} files differ between v1 and v2");

        // v2 as a child process through a proxy that lets CopyObject number CopiesBeforeKill through, then kills
        // the process on the next copy request and refuses everything after (nothing in flight lands late).
        Process? child = null;
        var copies = 0;
        var killed = false;
        await using var proxy = new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            FailWith = r =>
            {
                if (killed)
                {
                    return 500;
                }

                if (r.Method == "PUT" && r.Header("x-amz-copy-source") is not null && ++copies > CopiesBeforeKill)
                {
                    killed = true;
                    child!.Kill(entireProcessTree: true);
                    return 500;
                }

                return null;
            },
        });
        var started = S3Cli.Start(null, month.ReplayArgs(source.Uri, $"s3://{source.Bucket}/{outPrefix}", ["--endpoint-url", proxy.Url, .. v2Policy]));
        child = started.Process;
        using (child)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await child.WaitForExitAsync(timeout.Token);
            }
            finally
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                }
            }

            Assert.True(killed, $"the run finished before its {CopiesBeforeKill + 1}th copy: exit {child.ExitCode}\n{started.Err}");
            Assert.NotEqual(0, child.ExitCode);
        }

        var after = await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix);

        // 1. The commit point did not move: run.json is still v1's and still names v1's outputs.
        Assert.Equal(v1["run.json"], after["run.json"]);

        // 2. Every partition (table/dt=…/) holds exactly v1's objects or exactly v2's, never a mix.
        var visible = after.Where(kv => !kv.Key.StartsWith("_staging/", StringComparison.Ordinal) && kv.Key != "run.json")
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var partitions = v1.Keys.Concat(v2.Keys).Concat(visible.Keys).Where(k => k.Contains("/dt=", StringComparison.Ordinal))
            .Select(k => k[..(k.LastIndexOf('/') + 1)]).Distinct().Order(StringComparer.Ordinal).ToList();
        var flipped = new List<string>();
        foreach (var partition in partitions)
        {
            var now = Files(visible, partition);
            var old = Files(v1, partition);
            var next = Files(v2, partition);
            var isOld = Same(now, old);
            var isNew = Same(now, next);
            Assert.True(isOld || isNew, $"{partition} is neither v1 nor v2: {string.Join(", ", now.Keys)}");
            if (isNew && !isOld)
            {
                flipped.Add(partition);
            }
        }

        // 3. What a reader can see meanwhile (documented in docs/s3.md): the partitions already copied show v2 while
        //    run.json still describes v1; a reader that checks run.json's sha256 finds exactly those files.
        using var manifest = JsonDocument.Parse(after["run.json"]);
        var stale = manifest.RootElement.GetProperty("outputs").EnumerateArray()
            .Where(o => visible.TryGetValue(o.GetProperty("path").GetString()!, out var b) && Trees.Sha256(b) != o.GetProperty("sha256").GetString())
            .Select(o => o.GetProperty("path").GetString()!)
            .ToList();
        var staging = after.Keys.Where(k => k.StartsWith("_staging/", StringComparison.Ordinal)).ToList();
        output.WriteLine($"killed after {CopiesBeforeKill} copies: {flipped.Count} of {partitions.Count} partitions already v2 ({string.Join(", ", flipped)}); "
            + $"{stale.Count} outputs no longer match run.json; {staging.Count} staged objects left under _staging/");
        var copied = proxy.Requests.Where(r => r.Header("x-amz-copy-source") is not null && r.Fault == InjectedFault.None)
            .Select(r => r.Path[$"/{source.Bucket}/{outPrefix}".Length..]).Distinct().ToList();
        Assert.Equal(CopiesBeforeKill, copied.Count);
        Assert.Equal(copied.Where(changed.Contains).Order(StringComparer.Ordinal), flipped.Select(p => p + "part-00000.parquet"));
        Assert.NotEmpty(flipped);
        Assert.Equal(flipped.Select(p => p + "part-00000.parquet"), stale.Order(StringComparer.Ordinal));
        Assert.NotEmpty(staging);

        // 4. Re-running the same job repairs everything: the visible tree equals a clean v2 publish. Staged
        //    leftovers of the killed run stay under _staging/ (no reader looks there; a lifecycle rule expires them).
        var rerun = await S3Cli.RunAsync(month.ReplayArgs(source.Uri, $"s3://{source.Bucket}/{outPrefix}", ["--endpoint-url", services.S3ServiceUrl, .. v2Policy]));
        Assert.True(rerun.Exit == 0, rerun.ToString());
        var repaired = await Trees.DownloadAsync(services.S3, source.Bucket, outPrefix);
        var repairedVisible = new SortedDictionary<string, byte[]>(
            repaired.Where(kv => !kv.Key.StartsWith("_staging/", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        Trees.AssertIdentical(v2, repairedVisible);
        Assert.Equal(staging, repaired.Keys.Where(k => k.StartsWith("_staging/", StringComparison.Ordinal)));
    }

    private static Dictionary<string, byte[]> Files(IEnumerable<KeyValuePair<string, byte[]>> tree, string partition) =>
        tree.Where(kv => kv.Key.StartsWith(partition, StringComparison.Ordinal) && kv.Key.IndexOf('/', partition.Length) < 0)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static bool Same(Dictionary<string, byte[]> a, Dictionary<string, byte[]> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.AsSpan().SequenceEqual(other));
}
