using System.Globalization;
using System.Text.RegularExpressions;

namespace ConnectReconcile.Infra;

/// <summary>
/// Everything the stack can be told. Each property maps to one CDK context key (<c>-c key=value</c>
/// or the <c>context</c> block of <c>cdk.json</c>); <see cref="FromContext"/> documents the keys.
/// The defaults make <c>cdk synth</c> work with no context at all (placeholder buckets, with a
/// synth warning), so a real deployment must at least pass <c>ctrSource</c> and/or
/// <c>kinesisStreamArn</c>, and <c>curSource</c>.
/// </summary>
public sealed partial record InfraSettings
{
    public const string PlaceholderCtrSource = "s3://example-connect-ctr-bucket/connect/ctr/";
    public const string PlaceholderCurSource = "s3://example-cur-export-bucket/cur/connect-export/";

    public string StackName { get; init; } = "ConnectReconcile";

    /// <summary>Existing CTR bucket and prefix (what Kinesis Data Firehose delivers). Read-only.</summary>
    public S3Location? CtrSource { get; init; }

    /// <summary>Customer-managed KMS key of the CTR bucket, if it uses one (decrypt is granted via S3 only).</summary>
    public string? CtrKmsKeyArn { get; init; }

    /// <summary>Existing Kinesis data stream carrying CTRs; enables the stream worker service.</summary>
    public string? KinesisStreamArn { get; init; }

    /// <summary>Customer-managed KMS key of the stream, if server-side encryption uses one.</summary>
    public string? KinesisKmsKeyArn { get; init; }

    /// <summary>CUR 2.0 export location (the folder that holds <c>data/BILLING_PERIOD=YYYY-MM/</c>). Read-only.</summary>
    public S3Location CurSource { get; init; } = S3Location.Parse(PlaceholderCurSource);

    public string? CurKmsKeyArn { get; init; }

    /// <summary>
    /// The AWS account whose Connect usage reconcile compares (<c>--account</c>): a payer account's CUR
    /// lists every member account's. Null: the account the stack is deployed in, the one whose CTRs it
    /// reads. <see cref="AllAccounts"/> ("all"): no <c>--account</c>, every account's usage is compared.
    /// </summary>
    public string? CurAccount { get; init; }

    public const string AllAccounts = "all";

    /// <summary>Customer-managed KMS key of the reference objects' bucket, if any (decrypt via S3 only).</summary>
    public string? ReferenceKmsKeyArn { get; init; }

    /// <summary>Name for the created output bucket; CloudFormation generates one when null.</summary>
    public string? OutputBucketName { get; init; }

    /// <summary>Prefix inside the output bucket under which the CLI writes TABLE/dt=YYYY-MM-DD/.</summary>
    public string OutputPrefix { get; init; } = "connect-reconcile/";

    /// <summary>Optional rate card object (s3://bucket/key.json); the CLI's built-in card otherwise.</summary>
    public S3Location? RateCard { get; init; }

    /// <summary>Optional agent directory object (CSV or describe-user JSON), passed as --agents.</summary>
    public S3Location? Agents { get; init; }

    /// <summary>Optional number inventory object (CSV or list-phone-numbers-v2 JSON), passed as --numbers.</summary>
    public S3Location? Numbers { get; init; }

    /// <summary>
    /// The reference files given, as (CLI option, state key / IAM Sid stem, object). Each is passed
    /// to every rating task and readable (s3:GetObject on that one object) by its role.
    /// </summary>
    public IReadOnlyList<(string Option, string Key, S3Location Location)> ReferenceFiles =>
        new (string Option, string Key, S3Location? Location)[]
        {
            ("--rate-card", "rateCard", RateCard), ("--agents", "agents", Agents), ("--numbers", "numbers", Numbers),
        }
        .Where(r => r.Location is not null)
        .Select(r => (r.Option, r.Key, r.Location!))
        .ToList();

    /// <summary>
    /// The replay state machine's name, fixed so that its role can name its Distributed Map child
    /// executions (execution ARNs carry the state machine's name, not its ARN).
    /// </summary>
    public string ReplayStateMachineName => StackName + "-replay";

    /// <summary>
    /// Let a replay fan each day out over instance sub-prefixes (execution input "instances"). Off by
    /// default: every partition of a day must then write distinct Parquet files (see README).
    /// </summary>
    public bool ReplayInstancePartitions { get; init; }

    /// <summary>EventBridge Scheduler expression for the nightly job.</summary>
    public string Schedule { get; init; } = "cron(30 6 * * ? *)";

    public string ScheduleTimezone { get; init; } = "UTC";

    /// <summary>Days of a month replay in flight at once (Distributed Map MaxConcurrency default).</summary>
    public int ReplayConcurrency { get; init; } = 10;

    /// <summary>Instance partitions of one day in flight at once (inner Map MaxConcurrency; 0 = all).</summary>
    public int ReplayInstanceConcurrency { get; init; } = 4;

    public int StreamWorkers { get; init; } = 1;

    public int LogRetentionDays { get; init; } = 90;

    public int AthenaResultsRetentionDays { get; init; } = 30;

    public string? AlarmEmail { get; init; }

    /// <summary>Existing VPC; when null the stack creates a small VPC with public subnets only (no NAT).</summary>
    public string? VpcId { get; init; }

    public IReadOnlyList<string> SubnetIds { get; init; } = [];

    /// <summary>Give tasks a public IP (needed in public subnets without NAT). Defaults to true for the created VPC.</summary>
    public bool? AssignPublicIp { get; init; }

    /// <summary>A pushed image (ECR URI or registry reference). When null the root Dockerfile is built as a CDK asset.</summary>
    public string? ImageUri { get; init; }

    /// <summary>Docker build context holding the Dockerfile (the repository root).</summary>
    public string ImageAssetDirectory { get; init; } = ".";

    /// <summary>X86_64 or ARM64 (Graviton); the image asset is built for the same platform.</summary>
    public string CpuArchitecture { get; init; } = "X86_64";

    public int BatchCpu { get; init; } = 1024;
    public int BatchMemoryMiB { get; init; } = 4096;
    public int StreamCpu { get; init; } = 512;
    public int StreamMemoryMiB { get; init; } = 1024;

    public string GlueDatabase { get; init; } = "connect_reconcile";
    public string AthenaWorkgroup { get; init; } = "connect-reconcile";

    /// <summary>First day partition projection enumerates (yyyy-MM-dd).</summary>
    public string PartitionStart { get; init; } = "2020-01-01";

    /// <summary>True when neither a CTR source nor a stream was given and placeholders were used.</summary>
    public bool UsesPlaceholders { get; init; }

    public string OutputPrefixNormalised => OutputPrefix.Length == 0 || OutputPrefix.EndsWith('/')
        ? OutputPrefix.TrimStart('/')
        : OutputPrefix.TrimStart('/') + "/";

    /// <summary>The stream name, the last segment of the ARN (arn:aws:kinesis:region:account:stream/NAME).</summary>
    public string? KinesisStreamName => KinesisStreamArn?[(KinesisStreamArn.LastIndexOf('/') + 1)..];

    /// <summary>
    /// Reads settings from CDK context. Keys (all optional):
    /// stackName, ctrSource, ctrKmsKeyArn, kinesisStreamArn, kinesisKmsKeyArn, curSource, curKmsKeyArn, curAccount,
    /// outputBucketName, outputPrefix, rateCard, agents, numbers, referenceKmsKeyArn, schedule, scheduleTimezone, replayConcurrency,
    /// replayInstancePartitions, replayInstanceConcurrency, streamWorkers, logRetentionDays, athenaResultsRetentionDays, alarmEmail,
    /// vpcId, subnetIds (comma-separated), assignPublicIp, imageUri, imageAssetDirectory, cpuArchitecture,
    /// batchCpu, batchMemoryMiB, streamCpu, streamMemoryMiB, glueDatabase, athenaWorkgroup, partitionStart.
    /// </summary>
    public static InfraSettings FromContext(Func<string, object?> tryGetContext)
    {
        string? Str(string key)
        {
            var value = tryGetContext(key);
            var text = value switch
            {
                null => null,
                string s => s,
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        }

        int Int(string key, int fallback, int min, int max)
        {
            var text = Str(key);
            if (text is null)
            {
                return fallback;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                || number != Math.Floor(number) || number < min || number > max)
            {
                throw new ArgumentException($"Context '{key}' must be a whole number from {min} to {max}, got '{text}'.");
            }

            return (int)number;
        }

        var defaults = new InfraSettings();
        var ctr = Str("ctrSource");
        var stream = Str("kinesisStreamArn");
        var placeholders = ctr is null && stream is null;
        if (string.Equals(ctr, "none", StringComparison.OrdinalIgnoreCase))
        {
            ctr = null;
        }

        var subnets = tryGetContext("subnetIds") switch
        {
            null => [],
            string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            IEnumerable<object> list => list.Select(o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "")
                .Where(s => s.Length > 0).ToArray(),
            var other => [Convert.ToString(other, CultureInfo.InvariantCulture) ?? ""],
        };

        var curAccount = Str("curAccount");
        var settings = new InfraSettings
        {
            StackName = Str("stackName") ?? defaults.StackName,
            CtrSource = placeholders ? S3Location.Parse(PlaceholderCtrSource) : ctr is null ? null : S3Location.Parse(ctr),
            CtrKmsKeyArn = Str("ctrKmsKeyArn"),
            KinesisStreamArn = stream,
            KinesisKmsKeyArn = Str("kinesisKmsKeyArn"),
            CurSource = Str("curSource") is { } cur ? S3Location.Parse(cur) : defaults.CurSource,
            CurKmsKeyArn = Str("curKmsKeyArn"),
            CurAccount = string.Equals(curAccount, AllAccounts, StringComparison.OrdinalIgnoreCase) ? AllAccounts : curAccount,
            OutputBucketName = Str("outputBucketName"),
            OutputPrefix = Str("outputPrefix") ?? defaults.OutputPrefix,
            RateCard = Str("rateCard") is { } card ? S3Location.Parse(card, isObject: true) : null,
            Agents = Str("agents") is { } agents ? S3Location.Parse(agents, isObject: true) : null,
            Numbers = Str("numbers") is { } numbers ? S3Location.Parse(numbers, isObject: true) : null,
            ReferenceKmsKeyArn = Str("referenceKmsKeyArn"),
            ReplayInstancePartitions = Str("replayInstancePartitions") is { } partitions && bool.Parse(partitions),
            Schedule = Str("schedule") ?? defaults.Schedule,
            ScheduleTimezone = Str("scheduleTimezone") ?? defaults.ScheduleTimezone,
            ReplayConcurrency = Int("replayConcurrency", defaults.ReplayConcurrency, 1, 10_000),
            ReplayInstanceConcurrency = Int("replayInstanceConcurrency", defaults.ReplayInstanceConcurrency, 0, 40),
            StreamWorkers = Int("streamWorkers", defaults.StreamWorkers, 0, 100),
            LogRetentionDays = Int("logRetentionDays", defaults.LogRetentionDays, 1, 3653),
            AthenaResultsRetentionDays = Int("athenaResultsRetentionDays", defaults.AthenaResultsRetentionDays, 1, 3650),
            AlarmEmail = Str("alarmEmail"),
            VpcId = Str("vpcId"),
            SubnetIds = subnets,
            AssignPublicIp = Str("assignPublicIp") is { } pub ? bool.Parse(pub) : null,
            ImageUri = Str("imageUri"),
            ImageAssetDirectory = Str("imageAssetDirectory") ?? defaults.ImageAssetDirectory,
            CpuArchitecture = (Str("cpuArchitecture") ?? defaults.CpuArchitecture).ToUpperInvariant(),
            BatchCpu = Int("batchCpu", defaults.BatchCpu, 256, 16_384),
            BatchMemoryMiB = Int("batchMemoryMiB", defaults.BatchMemoryMiB, 512, 122_880),
            StreamCpu = Int("streamCpu", defaults.StreamCpu, 256, 16_384),
            StreamMemoryMiB = Int("streamMemoryMiB", defaults.StreamMemoryMiB, 512, 122_880),
            GlueDatabase = Str("glueDatabase") ?? defaults.GlueDatabase,
            AthenaWorkgroup = Str("athenaWorkgroup") ?? defaults.AthenaWorkgroup,
            PartitionStart = Str("partitionStart") ?? defaults.PartitionStart,
            UsesPlaceholders = placeholders,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Throws on combinations that would synthesize a template that cannot work.</summary>
    public void Validate()
    {
        if (CtrSource is null && KinesisStreamArn is null)
        {
            throw new ArgumentException("Give ctrSource (s3://bucket/prefix/) and/or kinesisStreamArn: there is nothing to rate.");
        }

        if (KinesisStreamArn is not null && !StreamArnPattern().IsMatch(KinesisStreamArn))
        {
            throw new ArgumentException($"kinesisStreamArn '{KinesisStreamArn}' is not arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME.");
        }

        if (!StackNamePattern().IsMatch(StackName))
        {
            throw new ArgumentException($"stackName '{StackName}' must start with a letter and have at most 73 letters, digits and hyphens: " +
                $"the replay state machine is named STACKNAME-replay (80 characters at most).");
        }

        if (CurAccount is not null && CurAccount != AllAccounts && !AccountPattern().IsMatch(CurAccount))
        {
            throw new ArgumentException($"curAccount '{CurAccount}' must be a 12-digit AWS account id, or '{AllAccounts}' to compare every account's usage.");
        }

        foreach (var (key, arn) in new[]
        {
            ("ctrKmsKeyArn", CtrKmsKeyArn), ("kinesisKmsKeyArn", KinesisKmsKeyArn), ("curKmsKeyArn", CurKmsKeyArn), ("referenceKmsKeyArn", ReferenceKmsKeyArn),
        })
        {
            if (arn is not null && !KeyArnPattern().IsMatch(arn))
            {
                throw new ArgumentException($"{key} '{arn}' must be a key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID): grants name the key, never kms:*.");
            }
        }

        if (ReferenceKmsKeyArn is not null && ReferenceFiles.Count == 0)
        {
            throw new ArgumentException("referenceKmsKeyArn is the key of the rateCard/agents/numbers objects: give at least one of them.");
        }

        if (VpcId is not null && SubnetIds.Count == 0)
        {
            throw new ArgumentException("vpcId needs subnetIds (comma-separated) for the tasks.");
        }

        if (VpcId is null && SubnetIds.Count > 0)
        {
            throw new ArgumentException("subnetIds needs vpcId.");
        }

        if (CpuArchitecture is not ("X86_64" or "ARM64"))
        {
            throw new ArgumentException($"cpuArchitecture must be X86_64 or ARM64, got '{CpuArchitecture}'.");
        }

        if (!GlueNamePattern().IsMatch(GlueDatabase))
        {
            throw new ArgumentException($"glueDatabase '{GlueDatabase}' must be lower case letters, digits and underscores.");
        }

        if (!DatePattern().IsMatch(PartitionStart))
        {
            throw new ArgumentException($"partitionStart '{PartitionStart}' must be yyyy-MM-dd.");
        }

        if (OutputBucketName is not null && (CtrSource?.Bucket == OutputBucketName || CurSource.Bucket == OutputBucketName))
        {
            throw new ArgumentException("The output bucket must not be the CTR or CUR bucket: it is created by this stack.");
        }
    }

    [GeneratedRegex("^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[A-Za-z0-9_.-]{1,128}$")]
    private static partial Regex StreamArnPattern();

    [GeneratedRegex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")]
    private static partial Regex KeyArnPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{0,72}$")]
    private static partial Regex StackNamePattern();

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AccountPattern();

    [GeneratedRegex("^[a-z0-9_]{1,255}$")]
    private static partial Regex GlueNamePattern();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    private static partial Regex DatePattern();
}
