using System.Diagnostics;
using System.Globalization;
using System.Text;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.S3;
using ConnectReconcile.TestServices;
using Xunit.Abstractions;

namespace ConnectReconcile.Aws.Tests;

/// <summary>
/// Loopback figures for the report (printed as "PERF ..." lines; run with a detailed console logger to see
/// them). Assertions only guard against pathological slowness; the numbers depend on the machine.
/// </summary>
[Collection(AwsServicesCollection.Name)]
public class ThroughputTests(AwsServicesFixture services, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task S3_get_throughput_from_s3rver()
    {
        var bucket = await services.CreateBucketAsync("perf");
        using var store = new S3ObjectStore(services.CreateS3Client(), S3Location.Parse($"s3://{bucket}/"), ownsClient: true);
        using var direct = new S3ObjectStore(services.CreateS3Client($"http://127.0.0.1:{services.S3DirectPort}"), S3Location.Parse($"s3://{bucket}/"), ownsClient: true);
        var data = S3ObjectStoreTests.RandomBytes(64 * MiB, 11);

        var bestPut = TimeSpan.MaxValue;
        for (var i = 0; i < 2; i++)
        {
            var put = Stopwatch.StartNew();
            await store.PutAsync("perf.bin", new MemoryStream(data), CancellationToken.None);
            bestPut = put.Elapsed < bestPut ? put.Elapsed : bestPut;
        }

        Report("S3 PUT 64 MiB (aws-chunked, via decoding front), best of 2", 64 / bestPut.TotalSeconds, "MB/s");

        foreach (var (name, s) in new[] { ("via decoding front", store), ("s3rver direct", direct) })
        {
            var best = TimeSpan.MaxValue;
            for (var i = 0; i < 2; i++)
            {
                var clock = Stopwatch.StartNew();
                await using var stream = await s.OpenReadAsync("perf.bin", CancellationToken.None);
                var read = 0L;
                var buffer = new byte[MiB];
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    read += n;
                }

                clock.Stop();
                Assert.Equal(data.Length, read);
                best = clock.Elapsed < best ? clock.Elapsed : best;
            }

            Report($"S3 GET 64 MiB ({name}), best of 2", 64 / best.TotalSeconds, "MB/s");
            Assert.True(best < TimeSpan.FromSeconds(30), $"GET took {best}");
        }
    }

    [Fact]
    public async Task Kinesis_put_and_get_records_per_second_through_kinesalite()
    {
        const int count = 5000;
        var stream = AwsServicesFixture.NewStreamName("perf");
        var kinesis = services.Kinesis;
        await kinesis.CreateStreamAsync(stream, 2, CancellationToken.None);
        try
        {
            await kinesis.WaitForActiveAsync(stream, TimeSpan.FromSeconds(10), CancellationToken.None);
            var padding = new string('x', 1900); // about 2 KB per record, the size of a small CTR
            var records = Enumerable.Range(0, count)
                .Select(i => new PutRecordsEntry(Encoding.UTF8.GetBytes($"{{\"ContactId\":\"c-{i:D6}\",\"Pad\":\"{padding}\"}}"), $"c-{i:D6}"))
                .ToList();

            var putClock = Stopwatch.StartNew();
            var put = await kinesis.PutAllAsync(stream, records);
            putClock.Stop();
            Assert.Equal(count, put.Succeeded);
            Report($"Kinesis PutRecords ({count} x ~2 KB, batches of 500)", count / putClock.Elapsed.TotalSeconds, "records/s");

            var getClock = Stopwatch.StartNew();
            var read = 0;
            var calls = 0;
            foreach (var shard in await kinesis.ListShardsAsync(stream, CancellationToken.None))
            {
                var iterator = await kinesis.GetShardIteratorAsync(stream, shard.ShardId, ShardIteratorPosition.TrimHorizon, CancellationToken.None);
                while (true)
                {
                    var page = await kinesis.GetRecordsAsync(iterator, 10000, CancellationToken.None);
                    calls++;
                    read += page.Records.Count;
                    if (page.Records.Count == 0 || page.NextShardIterator is null)
                    {
                        break;
                    }

                    iterator = page.NextShardIterator;
                }
            }

            getClock.Stop();
            Assert.Equal(count, read);
            Report($"Kinesis GetRecords ({count} records, limit 10000, {calls} calls)", count / getClock.Elapsed.TotalSeconds, "records/s");
        }
        finally
        {
            await kinesis.DeleteStreamAsync(stream, CancellationToken.None);
        }
    }

    private void Report(string what, double value, string unit) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PERF {what}: {value:0.0} {unit}"));
}
