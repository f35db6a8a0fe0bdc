using System.Diagnostics;
using System.Globalization;
using ConnectReconcile.Generator;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>Runs only when <c>CR_S3_BENCH_CONTACTS</c> is set (a measurement, not a test).</summary>
public sealed class S3BenchmarkFactAttribute : FactAttribute
{
    public S3BenchmarkFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CR_S3_BENCH_CONTACTS")))
        {
            Skip = "Benchmark: set CR_S3_BENCH_CONTACTS (e.g. 100000) to measure replay CTRs/s from s3rver on loopback.";
        }
    }
}

/// <summary>
/// CTRs/s of the whole replay (child process, Release or Debug as built) on local folders, from s3rver to a
/// local folder and from s3rver to s3rver, with the peak resident memory of the CLI process. Prints "PERF" lines.
/// <code>CR_S3_BENCH_CONTACTS=100000 dotnet test tests/ConnectReconcile.Aws.Tests -c Release --filter FullyQualifiedName~S3ReplayBenchmark --logger "console;verbosity=detailed"</code>
/// </summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3ReplayBenchmark(AwsServicesFixture services, ITestOutputHelper output)
{
    [S3BenchmarkFact]
    public async Task Replay_throughput_from_s3rver_on_loopback()
    {
        var contacts = int.Parse(Environment.GetEnvironmentVariable("CR_S3_BENCH_CONTACTS")!, CultureInfo.InvariantCulture);
        var days = int.TryParse(Environment.GetEnvironmentVariable("CR_S3_BENCH_DAYS"), CultureInfo.InvariantCulture, out var d) ? d : 30;
        var root = Path.Combine(Path.GetTempPath(), $"cr-s3bench-{contacts}-{days}");
        var data = Path.Combine(root, "data");
        var ctr = Path.Combine(data, "ctr");
        if (!File.Exists(Path.Combine(data, "truth.json")))
        {
            SampleMonth.Generate(new GeneratorOptions(contacts, days, 42, data) { Overwrite = true });
        }

        var truth = GroundTruth.Load(Path.Combine(data, "truth.json"));
        var records = truth.Records;
        var files = Directory.EnumerateFiles(ctr, "*", SearchOption.AllDirectories).ToList();
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var bucket = await services.CreateBucketAsync("bench");
        var upload = Stopwatch.StartNew();
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (file, ct) =>
            await services.S3.PutObjectAsync(
                new Amazon.S3.Model.PutObjectRequest
                {
                    BucketName = bucket, Key = "ctr/" + Path.GetRelativePath(ctr, file).Replace(Path.DirectorySeparatorChar, '/'), FilePath = file,
                },
                ct));
        Report($"setup: {records:N0} CTRs in {files.Count:N0} objects, {bytes / 1e6:F1} MB gzip; uploaded in {upload.Elapsed.TotalSeconds:F1} s");

        string[] reference = ["--agents", Path.Combine(data, "agents.csv"), "--numbers", Path.Combine(data, "numbers.csv"), "--summary", "json"];
        var localOut = Path.Combine(root, "out-local-" + Guid.NewGuid().ToString("N"));
        var s3ToLocal = Path.Combine(root, "out-s3-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var (name, args) in new (string, string[])[]
                     {
                         ("local folder → local folder", ["replay", "--source", ctr, "--out", localOut, .. reference]),
                         ("s3rver → local folder", ["replay", "--source", $"s3://{bucket}/ctr/", "--out", s3ToLocal, "--endpoint-url", services.S3ServiceUrl, .. reference]),
                         ("s3rver → s3rver", ["replay", "--source", $"s3://{bucket}/ctr/", "--out", $"s3://{bucket}/out/", "--endpoint-url", services.S3ServiceUrl, .. reference]),
                         ("s3rver → local folder, --parallelism 8", ["replay", "--source", $"s3://{bucket}/ctr/", "--out", s3ToLocal, "--endpoint-url", services.S3ServiceUrl, "--parallelism", "8", .. reference]),
                         ("s3rver direct (no aws-chunked front) → local folder", ["replay", "--source", $"s3://{bucket}/ctr/", "--out", s3ToLocal, "--endpoint-url", $"http://127.0.0.1:{services.S3DirectPort}", .. reference]),
                     })
            {
                var (seconds, peak, exit, err) = await TimeAsync(args);
                Assert.True(exit == 0, err);
                Report($"replay {name}: {seconds:F1} s, {records / seconds:N0} CTRs/s, {bytes / 1e6 / seconds:F1} MB/s gzip, peak RSS {peak / 1e6:F0} MB");
            }
        }
        finally
        {
            foreach (var dir in new[] { localOut, s3ToLocal })
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
    }

    private static async Task<(double Seconds, long PeakRss, int Exit, string Err)> TimeAsync(string[] args)
    {
        var clock = Stopwatch.StartNew();
        var (process, _, err) = S3Cli.Start(null, args);
        using (process)
        {
            long peak = 0;
            while (!process.HasExited)
            {
                peak = Math.Max(peak, PeakRss(process.Id));
                await Task.Delay(100);
            }

            await process.WaitForExitAsync();
            return (clock.Elapsed.TotalSeconds, peak, process.ExitCode, err.ToString());
        }
    }

    /// <summary>VmHWM (peak resident set) from /proc, in bytes; 0 where unavailable.</summary>
    private static long PeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Exited between the check and the read.
        }

        return 0;
    }

    private void Report(string line) => output.WriteLine("PERF " + line);
}
