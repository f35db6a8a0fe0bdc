using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Amazon.DynamoDBv2;
using ConnectReconcile.Aws;
using ConnectReconcile.Aws.Checkpoints;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Streaming;
using ConnectReconcile.Io.Storage;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// <c>stream</c>: the Kinesis worker (see docs/stream.md). Exit 0 when stopped by SIGTERM/Ctrl-C or by
/// <c>--stop-when-idle</c>; 1 on failure (a lost lease included); 2 on usage errors.
/// </summary>
internal static class StreamCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("stream",
            "Consume CTRs from a Kinesis data stream (every shard, following resharding), rate them in micro-batches and keep the Parquet output " +
            "equal to a replay of everything read so far: each batch re-rates the report days it touched and replaces their partitions; " +
            "checkpoints are committed after the batch is durably written. A report day closes --retain-days after it (by the latest arrival): " +
            "its CTRs leave memory and a CTR arriving for it later is archived and quarantined as late-for-closed-day.");
        var stream = new Option<string?>("--stream") { Description = "Kinesis data stream name (required)" };
        var from = new Option<string?>("--from") { Description = "Where shards without a checkpoint start: trim-horizon (default), latest, timestamp (with --from-timestamp) or an ISO-8601 instant" };
        var fromTimestamp = new Option<string?>("--from-timestamp") { Description = "The instant for --from timestamp, e.g. 2026-10-01T00:00:00Z" };
        var output = SharedOptions.Out("Output (required): a folder or s3://bucket/prefix/ (Parquet tables by dt=YYYY-MM-DD; the batch archive and manifests under _stream/)");
        var endpoint = new Option<string?>("--endpoint-url") { Description = "Kinesis-compatible endpoint URL (e.g. kinesalite); AWS_ENDPOINT_URL_KINESIS, then AWS_ENDPOINT_URL, also work" };
        var s3Endpoint = new Option<string?>("--s3-endpoint-url") { Description = "S3-compatible endpoint for an s3:// --out; AWS_ENDPOINT_URL_S3 also works" };
        var region = new Option<string?>("--region") { Description = "AWS region of the stream (default: the SDK chain, AWS_REGION)" };
        var checkpointFile = new Option<string?>("--checkpoint-file") { Description = "Local checkpoint file (atomic replace). Default: OUT/_stream/checkpoints.json for a local --out, else ./connect-reconcile-STREAM.checkpoints.json" };
        var checkpointTable = new Option<string?>("--checkpoint-table") { Description = "DynamoDB table for checkpoints and leases (partition key streamName, sort key shardId), instead of a file" };
        var dynamoEndpoint = new Option<string?>("--dynamodb-endpoint-url") { Description = "DynamoDB-compatible endpoint URL; AWS_ENDPOINT_URL_DYNAMODB also works" };
        var batchRecords = new Option<int?>("--batch-records") { Description = "Flush a micro-batch once it holds this many Kinesis records (default 5000)" };
        var batchSeconds = SharedOptions.Seconds("--batch-seconds", "...or once its oldest record waited this long (default 10)");
        var stopWhenIdle = SharedOptions.Seconds("--stop-when-idle", "Exit 0 once every shard is drained and no record arrived for this many seconds (default: run until SIGTERM/Ctrl-C)");
        var workerId = new Option<string?>("--worker-id") { Description = "Lease owner id (default host:pid); a restarted worker with the same id takes its leases back at once" };
        var leaseSeconds = SharedOptions.Seconds("--lease-seconds", "Lease duration; a standby worker takes over this long after the active one died (default 30)");
        var healthSeconds = SharedOptions.Seconds("--health-seconds", "Period of the health log line (default 30)");
        var getRecordsLimit = new Option<int?>("--get-records-limit") { Description = "Records per GetRecords call (default 1000)" };
        var retainDays = new Option<int?>("--retain-days")
        {
            Description = "Keep a report day open (in memory, re-rated by late records) until a record arrives more than this many days after it; " +
                          "later CTRs for it are archived and quarantined as late-for-closed-day (default 14, 1 to 3650)",
        };
        var parallelism = SharedOptions.Parallelism();
        var rating = new RatingInputs();
        foreach (var option in new Option[] { stream, from, fromTimestamp, output, endpoint, s3Endpoint, region, checkpointFile, checkpointTable, dynamoEndpoint,
                     batchRecords, batchSeconds, stopWhenIdle, workerId, leaseSeconds, healthSeconds, getRecordsLimit, retainDays, parallelism })
        {
            command.Options.Add(option);
        }

        rating.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var streamName = env.Get(parse, stream) is { Length: > 0 } s ? s : throw new UsageException("--stream is required.");
            var outPath = env.Get(parse, output) ?? throw new UsageException("--out is required (a folder or s3://bucket/prefix/).");
            if (env.Get(parse, checkpointFile) is not null && env.Get(parse, checkpointTable) is not null)
            {
                throw new UsageException("Give --checkpoint-file or --checkpoint-table, not both.");
            }

            // Refused before Kinesis and the leases are touched: taken as a path, s3:// would keep the
            // checkpoints in a local folder named s3: (lost with the container) while the operator thinks them in S3.
            var checkpointPath = env.Get(parse, checkpointFile) is { } file ? Inputs.LocalOnly(file, "--checkpoint-file") : null;

            StreamStartPosition start;
            try
            {
                start = StreamStartPosition.Parse(env.Get(parse, from), env.Get(parse, fromTimestamp));
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }

            var records = env.Get(parse, batchRecords) ?? 5000;
            var seconds = env.Get(parse, batchSeconds) ?? 10;
            var lease = env.Get(parse, leaseSeconds) ?? 30;
            var idle = env.Get(parse, stopWhenIdle);
            var health = env.Get(parse, healthSeconds) ?? 30;
            var limit = env.Get(parse, getRecordsLimit) ?? 1000;
            if (records < 1 || seconds <= 0 || lease <= 0 || health <= 0 || idle < 0)
            {
                throw new UsageException("--batch-records, --batch-seconds, --lease-seconds and --health-seconds must be positive, --stop-when-idle zero or more.");
            }

            var retain = env.Get(parse, retainDays) ?? 14;
            if (retain is < 1 or > StreamRetention.MaxRetainDays)
            {
                throw new UsageException($"{env.NameOfValue(parse, retainDays)} must be 1 to {StreamRetention.MaxRetainDays}, got {retain}.");
            }

            if (limit is < 1 or > 10_000)
            {
                throw new UsageException($"{env.NameOfValue(parse, getRecordsLimit)} must be 1 to 10000 (GetRecords' own limits), got {limit}.");
            }

            var s3 = env.S3(parse, s3Endpoint);
            var (rater, numbers) = rating.Resolve(env, parse, s3);
            var outStore = Inputs.Output(outPath, "--out", s3);
            using var kinesis = CreateKinesis(env.Get(parse, endpoint), env.Get(parse, region));
            var (checkpoints, checkpointDescription, isFile) = CreateCheckpointStore(env, parse, checkpointPath, checkpointTable, dynamoEndpoint, region, outPath, streamName);

            // Take SIGTERM/SIGINT here as well as in the root invocation: the first signal stops the worker gracefully
            // (a batch being written is finished and checkpointed, an unwritten one is abandoned, leases are released,
            // exit 0); a second one ends it at once.
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var signals = 0;
            void OnSignal(PosixSignalContext context)
            {
                if (Interlocked.Increment(ref signals) == 1)
                {
                    context.Cancel = true;
                    env.Logger.LogWarning("{Signal}: stopping after the batch in progress (send it again to stop at once)", context.Signal);
                    shutdown.Cancel();
                }
            }

            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            try
            {
                var log = new CliStreamLog(env.Logger);
                env.Logger.LogInformation("Checkpoints: {Checkpoints}", checkpointDescription);
                var worker = new StreamWorker(kinesis, checkpoints, new StreamWorkerOptions
                {
                    StreamName = streamName,
                    Output = outStore,
                    Rater = rater,
                    Numbers = numbers,
                    Start = start,
                    BatchRecords = records,
                    BatchAge = TimeSpan.FromSeconds(seconds),
                    StopWhenIdle = idle is { } i ? TimeSpan.FromSeconds(i) : null,
                    GetRecordsLimit = limit,
                    RetainDays = retain,
                    RatingArguments = rating.AsArguments(env, parse),
                    HealthInterval = TimeSpan.FromSeconds(health),
                    OwnerId = env.Get(parse, workerId) ?? StreamWorkerOptions.DefaultOwnerId(),
                    LeaseDuration = TimeSpan.FromSeconds(lease),
                    ReleaseDeadLocalOwners = isFile,
                    Parallelism = SharedOptions.ParallelismOf(env, parse, parallelism),
                    Log = log,
                });
                var result = await worker.RunAsync(shutdown.Token);
                await env.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    stopReason = result.StopReason,
                    batches = result.Batches,
                    records = result.Records,
                    ctrs = result.Ctrs,
                    quarantined = result.Quarantined,
                    abandoned = result.AbandonedRecords,
                    uniqueContacts = worker.State.Dedupe.Count,
                    superseded = worker.State.Dedupe.Superseded,
                    firstOpenDay = worker.FirstOpenDay?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                }));
                return ExitCodes.Ok;
            }
            finally
            {
                (checkpoints as IDisposable)?.Dispose();
                (outStore as IDisposable)?.Dispose();
            }
        }, ct));
        return command;
    }

    internal static KinesisClient CreateKinesis(string? endpointUrl, string? region)
    {
        try
        {
            return new KinesisClient(new KinesisClientOptions { EndpointUrl = endpointUrl, Region = region });
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static (ICheckpointStore Store, string Description, bool IsFile) CreateCheckpointStore(
        CliEnvironment env, ParseResult parse, string? checkpointPath, Option<string?> tableOption, Option<string?> endpointOption, Option<string?> regionOption,
        string outPath, string streamName)
    {
        if (env.Get(parse, tableOption) is { Length: > 0 } table)
        {
            var config = new AmazonDynamoDBConfig();
            if (AwsEndpoints.Resolve(env.Get(parse, endpointOption), "DYNAMODB") is { } url)
            {
                config.ServiceURL = url;
                config.AuthenticationRegion = env.Get(parse, regionOption) ?? AwsEndpoints.ResolveRegion(null, includeInstanceMetadata: false)?.SystemName ?? "us-east-1";
            }
            else if (env.Get(parse, regionOption) is { } r)
            {
                config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(r);
            }

            return (new DynamoDbCheckpointStore(new AmazonDynamoDBClient(config), table), $"DynamoDB table {table}", false);
        }

        var path = checkpointPath
            ?? (Inputs.IsS3(outPath)
                ? Path.Combine(Directory.GetCurrentDirectory(), $"connect-reconcile-{streamName}.checkpoints.json")
                : Path.Combine(outPath, "_stream", "checkpoints.json"));
        var store = new FileCheckpointStore(path);
        return (store, $"file {store.FilePath}", true);
    }
}

/// <summary>Forwards the worker's log lines (message templates) to the CLI logger.</summary>
internal sealed class CliStreamLog(ILogger logger) : IStreamLog
{
    public void Log(StreamLogLevel level, Exception? exception, string template, params object?[] args)
    {
        var mapped = level switch
        {
            StreamLogLevel.Debug => LogLevel.Debug,
            StreamLogLevel.Warning => LogLevel.Warning,
            StreamLogLevel.Error => LogLevel.Error,
            _ => LogLevel.Information,
        };
#pragma warning disable CA2254 // the worker's templates are constants at their call sites
        logger.Log(mapped, exception, template, args);
#pragma warning restore CA2254
    }
}
