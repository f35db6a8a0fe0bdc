using System.CommandLine;
using System.Text.Json;
using ConnectReconcile.Aws.Streaming;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// <c>load</c>: puts CTR files (a folder, a file or s3://, Firehose layout, any framing) onto a Kinesis stream,
/// one CTR per record with the ContactId as partition key, in arrival order. For tests, demos and backfills
/// of the stream worker. Prints one JSON object on stdout; exit 1 when PutRecords refused records for good.
/// </summary>
internal static class LoadCommand
{
    private const int MaxNotLoadedLogged = 20;

    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("load", "Put CTR files onto a Kinesis data stream, one CTR per record (partition key = ContactId), in arrival order");
        var source = SharedOptions.Source("CTR files (required): a folder, a file, s3://bucket/prefix/ or s3://bucket/key (Firehose YYYY/MM/dd/HH/ layout, any framing; gzip, ZIP, Snappy or none)");
        var stream = new Option<string?>("--stream") { Description = "Kinesis data stream name (required)" };
        var endpoint = new Option<string?>("--endpoint-url") { Description = "Kinesis-compatible endpoint URL (e.g. kinesalite); AWS_ENDPOINT_URL_KINESIS, then AWS_ENDPOINT_URL, also work" };
        var s3Endpoint = new Option<string?>("--s3-endpoint-url") { Description = "S3-compatible endpoint for an s3:// --source; AWS_ENDPOINT_URL_S3 also works" };
        var region = new Option<string?>("--region") { Description = "AWS region of the stream (default: the SDK chain, AWS_REGION)" };
        var from = SharedOptions.Day("--from", "First UTC arrival day to load (default: all)");
        var to = SharedOptions.Day("--to", "Last UTC arrival day to load (default: all)");
        var lookAhead = new Option<int?>("--look-ahead-hours") { Description = "Arrival hours past --to that are loaded too (default 0)" };
        var hourPattern = SharedOptions.HourPattern();
        var rate = new Option<int?>("--records-per-second") { Description = "Pace the puts to about this many records per second (default: as fast as possible)" };
        foreach (var option in new Option[] { source, stream, endpoint, s3Endpoint, region, from, to, lookAhead, hourPattern, rate })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var sourcePath = env.Get(parse, source) ?? throw new UsageException("--source is required.");
            var streamName = env.Get(parse, stream) is { Length: > 0 } s ? s : throw new UsageException("--stream is required.");
            var lookAheadHours = SharedOptions.LookAheadHoursOf(env, parse, lookAhead, fallback: 0);
            var (first, last) = SharedOptions.DaysOf(env, parse, from, to, lookAheadHours);

            var perSecond = env.Get(parse, rate);
            if (perSecond is <= 0)
            {
                throw new UsageException($"{env.NameOfValue(parse, rate)} must be positive (leave it out to put as fast as possible), got {perSecond}.");
            }

            var store = Inputs.Existing(sourcePath, "--source", env.S3(parse, s3Endpoint));
            using var kinesis = StreamCommand.CreateKinesis(env.Get(parse, endpoint), env.Get(parse, region));
            var loader = new StreamLoader(kinesis, streamName, new CliStreamLog(env.Logger)) { RecordsPerSecond = perSecond ?? 0 };
            try
            {
                var result = await loader.LoadAsync(store, first, last, lookAheadHours, SharedOptions.HourPatternOf(env, parse, hourPattern), ct);
                foreach (var entry in result.NotLoaded.Take(MaxNotLoadedLogged))
                {
                    env.Logger.LogWarning("Not loaded: {Source} at byte {Offset}: {Reason} ({Detail})", entry.Position.Source, entry.Position.Offset, entry.Reason, entry.Detail);
                }

                env.Logger.LogInformation("Put {Records} CTRs from {Objects} objects onto {Stream} in {Seconds:F1} s ({Rate:F0} records/s); {Failed} refused, {NotLoaded} not loaded " +
                    "(bytes that are not a JSON object, or an object over the Kinesis record limit)",
                    result.Records, result.Objects, streamName, result.Elapsed.TotalSeconds, result.RecordsPerSecond, result.Failed, result.NotLoaded.Count);
                await env.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    objects = result.Objects,
                    records = result.Records,
                    bytes = result.Bytes,
                    failed = result.Failed,
                    notLoaded = result.NotLoaded.Count,
                    calls = result.Calls,
                    seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                    recordsPerSecond = Math.Round(result.RecordsPerSecond, 1),
                }));
                return result.Failed > 0 ? ExitCodes.Failure : ExitCodes.Ok;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The stream keeps what it took: say how much, so a re-run can be judged (the worker dedupes copies).
                env.Logger.LogInformation("Put {Records} CTRs onto {Stream} before the cancel", loader.RecordsPut, streamName);
                throw;
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        }, ct, cancelled: "Cancelled; the records put before it are on the stream."));
        return command;
    }
}
