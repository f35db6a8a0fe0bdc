using System.Diagnostics;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Io.Jobs;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>(c) The CLI worker killed at random points and restarted ends exactly where an uninterrupted run ends.</summary>
public sealed partial class StreamWorkerTests
{
    [Fact]
    public async Task A_worker_killed_at_random_points_and_restarted_ends_with_the_results_of_an_uninterrupted_run()
    {
        var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 2, "crash");
        var objects = data.RawObjects();

        // Keep the stream live while the worker is being killed: a third up front, the rest fed in small
        // paced chunks, so a run cannot drain everything and stop by itself before its kill point.
        var upFront = objects.Count / 3;
        await PutAsync(stream, objects.Take(upFront));
        var remaining = objects.Skip(upFront).ToList();
        var feeder = Task.Run(async () =>
        {
            foreach (var chunk in remaining.Chunk(Math.Max(1, remaining.Count / 16)))
            {
                await PutAsync(stream, chunk);
                await Task.Delay(700);
            }
        });

        var outDir = Path.Combine(_tmp, "killed");
        string[] args = ["stream", "--stream", stream, "--out", outDir, "--stop-when-idle", "1.5", "--batch-records", "150", "--batch-seconds", "0.5",
            "--agents", data.Agents, "--numbers", data.Numbers, "--health-seconds", "1"];
        var rng = new Random(20261130);
        var interrupted = 0;
        foreach (var signal in new[] { "KILL", "KILL", "TERM", "KILL" })
        {
            using var run = CliProcess.Start(services, args);
            var delay = rng.Next(1200, 2600);
            if (run.Process.WaitForExit(delay))
            {
                output.WriteLine($"run ended by itself before the {signal} at {delay} ms:\n{run.Messages()}");
                continue;
            }

            interrupted++;
            if (signal == "KILL")
            {
                run.Process.Kill(); // SIGKILL
            }
            else
            {
                using var kill = Process.Start("kill", ["-TERM", run.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
                await kill.WaitForExitAsync();
            }

            var exit = await run.WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"--- SIG{signal} after {delay} ms, exit {exit}:\n{run.Messages()}");
            if (signal == "TERM")
            {
                Assert.True(exit == 0, run.Messages()); // graceful: the batch in flight finished or was abandoned, leases released
                Assert.Contains("stopped (cancelled)", run.Messages(), StringComparison.Ordinal);
            }
        }

        await feeder;
        Assert.True(interrupted >= 3, $"only {interrupted} runs were interrupted");
        using (var last = CliProcess.Start(services, args))
        {
            var exit = await last.WaitAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"--- final run, exit {exit}:\n{last.Messages()}");
            Assert.Equal(0, exit);
        }

        // The uninterrupted run, in-process, with the same small batches, over the same (now complete) stream.
        var referenceDir = Path.Combine(_tmp, "uninterrupted");
        using (var referenceCheckpoints = StreamAsserts.Checkpoints(referenceDir))
        {
            var options = StreamAsserts.Options(data, stream, referenceDir) with { BatchRecords = 150, BatchAge = TimeSpan.FromMilliseconds(500) };
            var reference = await new StreamWorker(services.Kinesis, referenceCheckpoints, options).RunAsync(CancellationToken.None);
            Assert.Equal(objects.Count, reference.Records);
        }

        // Same per-chain results, quarantine included, as the uninterrupted run; and equal to the file replay.
        StreamAsserts.SameBytes(StreamAsserts.Partitions(referenceDir, BillingJob.Tables), StreamAsserts.Partitions(outDir, BillingJob.Tables), "killed vs uninterrupted");
        StreamAsserts.SameBytes(data.Reference, StreamAsserts.RatedPartitions(outDir), "killed vs replay");
        Assert.False(Directory.Exists(Path.Combine(outDir, "_staging")));
    }
}
