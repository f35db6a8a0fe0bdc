using System.Text.Json.Nodes;
using Amazon.CDK.Assertions;
using Xunit.Abstractions;

namespace ConnectReconcile.Infra.Tests;

/// <summary>What is deployed and its key properties: encryption everywhere, private buckets, the
/// nightly schedule and its alarms, the stream worker, the replay workflow, the query layer.</summary>
[Collection(CdkCollection.Name)]
public sealed class ResourceTests(Synthesized synth, ITestOutputHelper output)
{
    public static TheoryData<string> Configurations => new() { "default", "full" };

    private StackTemplate Get(string name) => name == "default" ? synth.Default : synth.Full;

    private static Dictionary<string, object> Props(params (string Key, object Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Synth_time_is_reported()
    {
        // Two full synths for the whole suite; keep an eye on it (CI time budget).
        output.WriteLine($"Template.FromStack x2 (default + full): {synth.SynthTime.TotalSeconds:F1} s");
        Assert.True(synth.SynthTime < TimeSpan.FromSeconds(90), $"synth took {synth.SynthTime}");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void No_synth_errors_and_only_the_placeholder_warning(string config)
    {
        var t = Get(config);
        t.Annotations.HasNoError("*", Match.AnyValue());
        if (config == "full")
        {
            t.Annotations.HasNoWarning("*", Match.AnyValue());
        }
        else
        {
            t.Annotations.HasWarning("*", Match.StringLikeRegexp("placeholder buckets"));
        }
    }

    // ---------------- Encryption and privacy of every store ----------------

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_bucket_is_encrypted_private_owner_enforced_and_TLS_only(string config)
    {
        var t = Get(config);
        var buckets = t.Resources("AWS::S3::Bucket").ToList();
        Assert.Equal(3, buckets.Count); // output, Athena results, access logs
        var policies = t.Resources("AWS::S3::BucketPolicy").ToList();
        foreach (var (id, props) in buckets)
        {
            var sse = props["BucketEncryption"]?["ServerSideEncryptionConfiguration"]?[0]?["ServerSideEncryptionByDefault"]?["SSEAlgorithm"];
            Assert.True((string?)sse is "aws:kms" or "AES256", $"{id} is not encrypted");
            var block = props["PublicAccessBlockConfiguration"]!.AsObject();
            foreach (var flag in new[] { "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets" })
            {
                Assert.True((bool)block[flag]!, $"{id}: {flag}");
            }

            Assert.Equal("BucketOwnerEnforced", (string?)props["OwnershipControls"]!["Rules"]![0]!["ObjectOwnership"]);
            var policy = Assert.Single(policies, p => Render.Value(p.Props["Bucket"]) == "${" + id + "}");
            var statements = policy.Props["PolicyDocument"]!["Statement"]!.AsArray();
            Assert.Contains(statements, s => (string?)s!["Effect"] == "Deny"
                && Render.Value(s["Condition"]?["Bool"]?["aws:SecureTransport"]) == "false");
            Assert.Contains(statements, s => (string?)s!["Effect"] == "Deny"
                && Render.Value(s["Condition"]?["NumericLessThan"]?["s3:TlsVersion"]) == "1.2");
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Output_bucket_uses_the_stack_key_is_versioned_and_logged(string config)
    {
        var t = Get(config);
        var keyId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.DataKey.Node.DefaultChild!);
        var logsId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.AccessLogsBucket.Node.DefaultChild!);
        t.Template.HasResourceProperties("AWS::S3::Bucket", Props(
            ("BucketEncryption", Props(("ServerSideEncryptionConfiguration", new object[]
            {
                Props(("BucketKeyEnabled", true), ("ServerSideEncryptionByDefault", Props(
                    ("SSEAlgorithm", "aws:kms"),
                    ("KMSMasterKeyID", Props(("Fn::GetAtt", new object[] { keyId, "Arn" })))))),
            }))),
            ("VersioningConfiguration", Props(("Status", "Enabled"))),
            ("LoggingConfiguration", Props(("DestinationBucketName", Props(("Ref", logsId))), ("LogFilePrefix", "output/"))),
            ("LifecycleConfiguration", Match.ObjectLike(Props(("Rules", Match.ArrayWith(new object[]
            {
                Match.ObjectLike(Props(("AbortIncompleteMultipartUpload", Props(("DaysAfterInitiation", 7))))),
                Match.ObjectLike(Props(("Id", "ExpireStaging"), ("ExpirationInDays", 2), ("Status", "Enabled"))),
            })))))));
        t.Template.HasResource("AWS::S3::Bucket", Props(("DeletionPolicy", "Retain")));
        if (config == "full")
        {
            t.Template.HasResourceProperties("AWS::S3::Bucket", Props(("BucketName", "acme-connect-reconcile-out")));
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_log_group_has_the_key_and_a_retention(string config)
    {
        var t = Get(config);
        var groups = t.Resources("AWS::Logs::LogGroup").ToList();
        Assert.True(groups.Count >= 3);
        var expected = config == "full" ? 30 : 90;
        Assert.All(groups, g =>
        {
            Assert.StartsWith("${DataKey", Render.Value(g.Props["KmsKeyId"]));
            Assert.Equal(expected, (int)g.Props["RetentionInDays"]!);
        });
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Topic_table_and_key_are_encrypted_and_rotated(string config)
    {
        var t = Get(config);
        Assert.All(t.Resources("AWS::SNS::Topic"), s => Assert.StartsWith("${DataKey", Render.Value(s.Props["KmsMasterKeyId"])));
        Assert.All(t.Resources("AWS::DynamoDB::Table"), s =>
        {
            Assert.True((bool)s.Props["SSESpecification"]!["SSEEnabled"]!);
            Assert.Equal("KMS", (string?)s.Props["SSESpecification"]!["SSEType"]);
            Assert.StartsWith("${DataKey", Render.Value(s.Props["SSESpecification"]!["KMSMasterKeyId"]));
            Assert.True((bool)s.Props["PointInTimeRecoverySpecification"]!["PointInTimeRecoveryEnabled"]!);
        });
        Assert.All(t.Resources("AWS::KMS::Key"), k => Assert.True((bool)k.Props["EnableKeyRotation"]!));
        t.Template.HasResourceProperties("AWS::SNS::TopicPolicy", Match.ObjectLike(Props(("PolicyDocument", Match.ObjectLike(Props(
            ("Statement", Match.ArrayWith(new object[]
            {
                Match.ObjectLike(Props(("Effect", "Deny"), ("Condition", Props(("Bool", Props(("aws:SecureTransport", "false"))))))),
            }))))))));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Athena_results_are_KMS_encrypted_and_enforced(string config)
    {
        var t = Get(config);
        var keyId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.DataKey.Node.DefaultChild!);
        var (_, wg) = t.One("AWS::Athena::WorkGroup");
        var conf = wg["WorkGroupConfiguration"]!;
        Assert.True((bool)conf["EnforceWorkGroupConfiguration"]!);
        Assert.Equal("SSE_KMS", (string?)conf["ResultConfiguration"]!["EncryptionConfiguration"]!["EncryptionOption"]);
        Assert.Equal("${" + keyId + ".Arn}", Render.Value(conf["ResultConfiguration"]!["EncryptionConfiguration"]!["KmsKey"]));
        Assert.Matches(@"^s3://\$\{QueryResultsBucket[0-9A-F]{8}\}/$", Render.Value(conf["ResultConfiguration"]!["OutputLocation"]));
    }

    // ---------------- Network ----------------

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Tasks_have_no_inbound_and_only_HTTPS_outbound(string config)
    {
        var t = Get(config);
        var (_, sg) = t.One("AWS::EC2::SecurityGroup");
        Assert.Null(sg["SecurityGroupIngress"]);
        var egress = Assert.Single(sg["SecurityGroupEgress"]!.AsArray())!;
        Assert.Equal(443, (int)egress["FromPort"]!);
        Assert.Equal(443, (int)egress["ToPort"]!);
        Assert.Empty(t.Resources("AWS::EC2::SecurityGroupIngress"));
    }

    [Fact]
    public void Default_VPC_has_no_NAT_gateway_but_gateway_endpoints_and_flow_logs()
    {
        var t = synth.Default;
        t.Template.ResourceCountIs("AWS::EC2::NatGateway", 0);
        t.Template.ResourceCountIs("AWS::EC2::VPCEndpoint", 2);
        t.Template.ResourceCountIs("AWS::EC2::FlowLog", 1);
        // Imported VPC: nothing network-wide is created.
        synth.Full.Template.ResourceCountIs("AWS::EC2::VPC", 0);
        synth.Full.Template.ResourceCountIs("AWS::EC2::FlowLog", 0);
    }

    // ---------------- Containers ----------------

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Containers_are_read_only_logged_and_carry_no_environment(string config)
    {
        var t = Get(config);
        var taskDefinitions = t.Resources("AWS::ECS::TaskDefinition").ToList();
        Assert.Equal(config == "full" ? 3 : 2, taskDefinitions.Count);
        foreach (var (id, props) in taskDefinitions)
        {
            Assert.Equal(new[] { "FARGATE" }, props["RequiresCompatibilities"]!.AsArray().Select(Render.Value));
            Assert.Equal(config == "full" ? "ARM64" : "X86_64", (string?)props["RuntimePlatform"]!["CpuArchitecture"]);
            var container = Assert.Single(props["ContainerDefinitions"]!.AsArray())!;
            Assert.Equal("app", (string?)container["Name"]);
            Assert.True((bool)container["ReadonlyRootFilesystem"]!, id);
            Assert.Null(container["Environment"]); // configuration is passed as arguments, never as env/secrets
            Assert.Null(container["Privileged"]);
            Assert.Equal("awslogs", (string?)container["LogConfiguration"]!["LogDriver"]);
            Assert.Equal("/tmp", (string?)container["MountPoints"]![0]!["ContainerPath"]);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Cluster_has_container_insights(string config)
    {
        var (_, cluster) = Get(config).One("AWS::ECS::Cluster");
        Assert.Contains(cluster["ClusterSettings"]!.AsArray(), c => (string?)c!["Name"] == "containerInsights" && (string?)c["Value"] == "enabled");
    }

    [Fact]
    public void Image_is_the_repository_Dockerfile_by_default_and_the_given_image_otherwise()
    {
        // One asset (same hash) bound by each task definition: built and pushed once.
        var assets = synth.Default.Stack.Node.FindAll()
            .OfType<Amazon.CDK.AWS.Ecr.Assets.DockerImageAsset>().Select(a => a.AssetHash).Distinct().ToList();
        Assert.Single(assets);
        Assert.Empty(synth.Full.Stack.Node.FindAll().OfType<Amazon.CDK.AWS.Ecr.Assets.DockerImageAsset>());
        var full = synth.Full.Resources("AWS::ECS::TaskDefinition")
            .Select(r => Render.Value(r.Props["ContainerDefinitions"]![0]!["Image"])).Distinct().ToList();
        Assert.Equal(["111122223333.dkr.ecr.eu-west-2.${AWS::URLSuffix}/connect-reconcile:1.2.3"], full);
    }

    // ---------------- Nightly job ----------------

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Nightly_runs_on_a_scheduler_rule_as_a_Fargate_task(string config)
    {
        var t = Get(config);
        var nightlyId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.NightlyTask.Node.DefaultChild!);
        var (_, schedule) = t.One("AWS::Scheduler::Schedule");
        Assert.Equal(config == "full" ? "cron(15 7 * * ? *)" : "cron(30 6 * * ? *)", (string?)schedule["ScheduleExpression"]);
        Assert.Equal(config == "full" ? "Europe/London" : "UTC", (string?)schedule["ScheduleExpressionTimezone"]);
        var ecs = schedule["Target"]!["EcsParameters"]!;
        Assert.Equal("FARGATE", (string?)ecs["LaunchType"]);
        Assert.Equal("${" + nightlyId + "}", Render.Value(ecs["TaskDefinitionArn"]));
        Assert.Equal(ConnectReconcileStack.NightlyGroup, (string?)ecs["Group"]);
        Assert.Equal(config == "full" ? "DISABLED" : "ENABLED", (string?)ecs["NetworkConfiguration"]!["AwsvpcConfiguration"]!["AssignPublicIp"]);
        if (config == "full")
        {
            Assert.Equal("subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb",
                Render.Value(ecs["NetworkConfiguration"]!["AwsvpcConfiguration"]!["Subnets"]));
        }

        var nightly = t.ResourcesNode[nightlyId]!["Properties"]!["ContainerDefinitions"]![0]!;
        Assert.Equal(["/bin/sh", "-c"], nightly["EntryPoint"]!.AsArray().Select(Render.Value));
        var script = Render.Value(nightly["Command"]![0]);
        Assert.Contains("date -u -d yesterday +%Y-%m-%d", script, StringComparison.Ordinal);
        Assert.Contains("connect-reconcile nightly --date \"$day\" --source 's3://", script, StringComparison.Ordinal);
        Assert.Contains("exec connect-reconcile reconcile --cur 's3://", script, StringComparison.Ordinal);
        Assert.Contains("through=\"$(date -u -d \"$day -1 day\" +%Y-%m-%d)\"", script, StringComparison.Ordinal);
        Assert.Contains("--month \"${through%-*}\" --through \"$through\"", script, StringComparison.Ordinal);
        // reconcile prices the expected side with the deployed rate card and compares one account:
        // curAccount, else the stack's own (an organization's CUR lists every member account).
        var reconcileLine = script.Split('\n')[^1];
        Assert.EndsWith(config == "full"
            ? "--through \"$through\" --account '444455556666' --rate-card 's3://acme-config/connect/rate-card-2025.json' --agents 's3://acme-config/connect/agents.csv'"
            : "--through \"$through\" --account '${AWS::AccountId}'", reconcileLine, StringComparison.Ordinal);
        if (config == "full")
        {
            Assert.Contains("--source 's3://acme-connect-ctr/firehose/ctr/' --out 's3://${OutputBucket", script, StringComparison.Ordinal);
            Assert.Contains("/rated/' --rate-card 's3://acme-config/connect/rate-card-2025.json' --agents 's3://acme-config/connect/agents.csv'\n", script, StringComparison.Ordinal);
            Assert.Contains("--cur 's3://acme-billing/cur2/connect/'", script, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Nightly_failure_and_variance_notify_the_topic_and_raise_alarms(string config)
    {
        var t = Get(config);
        var topicId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.AlertsTopic.Node.DefaultChild!);
        var rules = t.Resources("AWS::Events::Rule").ToDictionary(r => r.Id, r => r.Props);
        var variance = Assert.Single(rules, r => r.Key.StartsWith("NightlyVarianceRule", StringComparison.Ordinal)).Value;
        var failed = Assert.Single(rules, r => r.Key.StartsWith("NightlyFailedRule", StringComparison.Ordinal)).Value;
        Assert.Equal("3", Render.Value(variance["EventPattern"]!["detail"]!["containers"]!["exitCode"]));
        Assert.Equal("STOPPED", Render.Value(variance["EventPattern"]!["detail"]!["lastStatus"]));
        var or = failed["EventPattern"]!["detail"]!["$or"]!.AsArray();
        Assert.Equal("[0,3]", or[0]!["containers"]!["exitCode"]![0]!["anything-but"]!.ToJsonString());
        Assert.Equal("TaskFailedToStart", Render.Value(or[1]!["stopCode"]));
        foreach (var rule in new[] { variance, failed })
        {
            Assert.Equal(ConnectReconcileStack.NightlyGroup, Render.Value(rule["EventPattern"]!["detail"]!["group"]));
            Assert.Equal("${" + topicId + "}", Render.Value(rule["Targets"]![0]!["Arn"]));
        }

        var alarms = t.Resources("AWS::CloudWatch::Alarm").ToList();
        foreach (var ruleId in rules.Keys.Where(k => k.StartsWith("Nightly", StringComparison.Ordinal)))
        {
            var alarm = Assert.Single(alarms, a => (string?)a.Props["MetricName"] == "TriggeredRules"
                && Render.Value(a.Props["Dimensions"]![0]!["Value"]) == "${" + ruleId + "}");
            Assert.Equal("${" + topicId + "}", Render.Value(alarm.Props["AlarmActions"]));
        }

        Assert.Contains(alarms, a => (string?)a.Props["MetricName"] == "InvocationDroppedCount");
        Assert.All(alarms, a => Assert.Equal("${" + topicId + "}", Render.Value(a.Props["AlarmActions"])));
    }

    // ---------------- Stream worker ----------------

    [Fact]
    public void Stream_worker_is_an_ECS_service_with_a_checkpoint_table()
    {
        var t = synth.Full;
        var tableId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.CheckpointTable!.Node.DefaultChild!);
        var (_, service) = t.One("AWS::ECS::Service");
        Assert.Equal(2, (int)service["DesiredCount"]!);
        Assert.Equal("FARGATE", (string?)service["LaunchType"]);
        Assert.True((bool)service["DeploymentConfiguration"]!["DeploymentCircuitBreaker"]!["Rollback"]!);
        var (_, table) = t.One("AWS::DynamoDB::Table");
        Assert.Equal("PAY_PER_REQUEST", (string?)table["BillingMode"]);
        Assert.True((bool)table["DeletionProtectionEnabled"]!);
        Assert.Equal("streamName", (string?)table["KeySchema"]![0]!["AttributeName"]);
        Assert.Equal("shardId", (string?)table["KeySchema"]![1]!["AttributeName"]);
        var stream = t.Resources("AWS::ECS::TaskDefinition").Single(r => r.Id.StartsWith("StreamTask", StringComparison.Ordinal));
        var command = stream.Props["ContainerDefinitions"]![0]!["Command"]!.AsArray().Select(Render.Value).ToList();
        Assert.Equal(
            ["stream", "--stream", "connect-ctr", "--out", "s3://${OutputBucket7114EB27}/rated/", "--checkpoint-table", "${" + tableId + "}",
                "--rate-card", "s3://acme-config/connect/rate-card-2025.json", "--agents", "s3://acme-config/connect/agents.csv"],
            command);
        var alarms = t.Resources("AWS::CloudWatch::Alarm").Select(a => (string?)a.Props["MetricName"]).ToList();
        Assert.Contains("GetRecords.IteratorAgeMilliseconds", alarms);
        Assert.Contains("RunningTaskCount", alarms);

        // Every CTR read stays in memory (docs/stream.md, Limits): alarm before the task is killed.
        var topicId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.AlertsTopic.Node.DefaultChild!);
        var serviceId = t.LogicalId((Amazon.CDK.CfnElement)t.Stack.StreamService!.Node.DefaultChild!);
        var memory = Assert.Single(t.Resources("AWS::CloudWatch::Alarm"), a => (string?)a.Props["MetricName"] == "MemoryUtilization").Props;
        Assert.Equal("AWS/ECS", (string?)memory["Namespace"]);
        Assert.Equal(80, (double)memory["Threshold"]!);
        Assert.Equal("GreaterThanThreshold", (string?)memory["ComparisonOperator"]);
        Assert.Contains("${" + serviceId + ".Name}", memory["Dimensions"]!.AsArray().Select(d => Render.Value(d!["Value"])));
        Assert.Equal("${" + topicId + "}", Render.Value(memory["AlarmActions"]));
        synth.Default.Template.ResourceCountIs("AWS::DynamoDB::Table", 0);
        synth.Default.Template.ResourceCountIs("AWS::ECS::Service", 0);
    }

    // ---------------- Month replay ----------------

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Replay_is_a_distributed_map_over_days_then_instances_then_reconcile(string config)
    {
        var t = Get(config);
        var definition = t.StateMachineDefinition();
        var states = definition["States"]!.AsObject();
        var settingsState = states["LoadSettings"]!["Parameters"]!;
        Assert.Equal(config == "full" ? 25 : 10, (int)settingsState["defaults"]!["concurrency"]!);
        Assert.Equal("$$.Execution.Input", (string?)settingsState["input.$"]);

        var map = states["ReplayDays"]!;
        Assert.Equal("DISTRIBUTED", (string?)map["ItemProcessor"]!["ProcessorConfig"]!["Mode"]);
        Assert.Equal("STANDARD", (string?)map["ItemProcessor"]!["ProcessorConfig"]!["ExecutionType"]);
        Assert.Equal("$.config.concurrency", (string?)map["MaxConcurrencyPath"]);
        Assert.Equal("$.days", (string?)map["ItemsPath"]);
        Assert.Equal("States.Format('{}-{}', $.config.month, $$.Map.Item.Value)", (string?)map["ItemSelector"]!["date.$"]);
        Assert.Equal("MonthEnd", (string?)map["Next"]);

        var inner = map["ItemProcessor"]!["States"]!["ReplayInstances"]!;
        Assert.Equal(config == "full" ? 2 : 4, (int)inner["MaxConcurrency"]!);
        var command = (string)inner["ItemSelector"]!["command.$"]!;
        Assert.StartsWith("States.Array('nightly', '--date', $.date, '--source', States.Format('{}{}', $.source, $$.Map.Item.Value), '--out', $.out", command, StringComparison.Ordinal);
        var run = inner["ItemProcessor"]!["States"]!["RateDayPartition"]!;
        Assert.Equal("arn:${AWS::Partition}:states:::ecs:runTask.sync", (string?)run["Resource"]);
        Assert.Equal("FARGATE", (string?)run["Parameters"]!["LaunchType"]);
        Assert.Equal("$.command", (string?)run["Parameters"]!["Overrides"]!["ContainerOverrides"]![0]!["Command.$"]);
        Assert.Equal("CheckPartitionExit", (string?)run["Next"]);

        // --through: the input's "through" when given (a running month), else the month's last day.
        Assert.Equal("States.Format('{}-{}', $.config.month, States.ArrayGetItem($.days, States.MathAdd(States.ArrayLength($.days), -1)))",
            (string?)states["MonthEnd"]!["Parameters"]!["through.$"]);
        Assert.Equal("$.monthEnd", (string?)states["MonthEnd"]!["ResultPath"]);
        Assert.Equal("PrepareReconcile", (string?)states["MonthEnd"]!["Next"]);
        Assert.Equal("States.JsonMerge($.monthEnd, $.config, false)", (string?)states["PrepareReconcile"]!["Parameters"]!["config.$"]);
        Assert.Equal("ReconcileCommand", (string?)states["PrepareReconcile"]!["Next"]);
        var reconcile = (string)states["ReconcileCommand"]!["Parameters"]!["command.$"]!;
        Assert.Equal("States.Array('reconcile', '--cur', $.reconcile.config.cur, '--rated', $.reconcile.config.out, '--month', $.reconcile.config.month, '--through', $.reconcile.config.through, '--account', $.reconcile.config.account"
            + (config == "full" ? ", '--rate-card', $.reconcile.config.rateCard, '--agents', $.reconcile.config.agents)" : ")"), reconcile);
        Assert.Equal("ReconcileMonth", (string?)states["ReconcileCommand"]!["Next"]);
        var exit = states["ReconcileExit"]!["Choices"]!.AsArray();
        Assert.Contains(exit, c => c!["And"]![1]!["NumericEquals"]!.GetValue<int>() == 3 && (string?)c["Next"] == "NotifyVariance");
        Assert.Equal("NotifyFailure", (string?)states["ReconcileExit"]!["Default"]);

        // Fixed locations cannot be overridden by the execution input (merged last).
        Assert.Equal("States.JsonMerge(States.JsonMerge($.defaults, $.input, false), $.fixed, false)",
            (string?)states["MergeConfig"]!["Parameters"]!["config.$"]);
        var fixedLocations = settingsState["fixed"]!.AsObject();
        Assert.Equal(config == "full" ? "s3://acme-connect-ctr/firehose/ctr/" : InfraSettings.PlaceholderCtrSource, (string?)fixedLocations["source"]);
        Assert.Equal(config == "full", fixedLocations.ContainsKey("rateCard"));
        Assert.Equal(config == "full", fixedLocations.ContainsKey("agents"));
        Assert.False(fixedLocations.ContainsKey("numbers"));
        Assert.Equal(config == "full" ? Synthesized.CurAccount : "${AWS::AccountId}", (string?)fixedLocations["account"]);
        if (config == "full")
        {
            Assert.EndsWith(", '--rate-card', $.rateCard, '--agents', $.agents)", command, StringComparison.Ordinal);
            Assert.Equal("$.config.agents", (string?)map["ItemSelector"]!["agents.$"]);
        }

        // Instance partitions are opt-in: without replayInstancePartitions the input cannot set them.
        var instancesOwner = config == "full" ? settingsState["defaults"]! : settingsState["fixed"]!;
        Assert.Equal("[\"\"]", instancesOwner["instances"]!.ToJsonString());
    }

    [Theory]
    [InlineData("2024-02", 29)]
    [InlineData("2000-02", 29)]
    [InlineData("2100-02", 28)]
    [InlineData("2104-02", 29)]
    [InlineData("2196-02", 29)]
    [InlineData("2023-02", 28)]
    [InlineData("2026-02", 28)]
    [InlineData("2025-04", 30)]
    [InlineData("2025-11", 30)]
    [InlineData("2025-12", 31)]
    [InlineData("2025-01", 31)]
    public void Replay_month_has_the_right_number_of_days(string month, int days)
    {
        // Evaluate CheckInput and DaysInMonth as Step Functions would (StringMatches with * wildcards).
        var states = synth.Default.StateMachineDefinition()["States"]!.AsObject();
        var choice = states["DaysInMonth"]!;
        Assert.Equal("DaysInMonth", ChoiceNext(states["CheckInput"]!, month));
        var next = ChoiceNext(choice, month);
        var result = states[next]!["Result"]!.AsArray();
        Assert.Equal(days, result.Count);
        Assert.Equal("01", (string?)result[0]);
        Assert.Equal(days.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)result[^1]);
    }

    [Theory]
    [InlineData("abc-def")]
    [InlineData("2024-1")]
    [InlineData("2024-13")]
    [InlineData("2024-00")]
    [InlineData("24-01")]
    [InlineData("2024-01-05")]
    [InlineData("2024x-01")]
    [InlineData("2024-0x-01")]
    [InlineData("1999-12")]
    [InlineData("2200-01")]
    [InlineData("")]
    [InlineData(null)]
    public void Replay_refuses_a_month_that_is_not_YYYY_MM(string? month)
    {
        var states = synth.Default.StateMachineDefinition()["States"]!.AsObject();
        Assert.Equal("BadInput", ChoiceNext(states["CheckInput"]!, month));
    }

    [Theory]
    [InlineData("2000-01")]
    [InlineData("2026-10")]
    [InlineData("2199-12")]
    public void Replay_accepts_a_month(string month)
    {
        var states = synth.Default.StateMachineDefinition()["States"]!.AsObject();
        Assert.Equal("DaysInMonth", ChoiceNext(states["CheckInput"]!, month));
    }

    /// <summary>Evaluates a Choice state on an input whose $.config.month is <paramref name="month"/> (null: absent), as Step Functions would.</summary>
    private static string ChoiceNext(JsonNode choice, string? month)
    {
        foreach (var rule in choice["Choices"]!.AsArray())
        {
            if (Holds(rule!))
            {
                return (string)rule!["Next"]!;
            }
        }

        return (string)choice["Default"]!;

        bool Holds(JsonNode c)
        {
            if (c["Variable"] is { } variable)
            {
                Assert.Equal("$.config.month", (string?)variable);
            }

            return c switch
            {
                _ when c["And"] is JsonArray all => all.All(x => Holds(x!)),
                _ when c["Or"] is JsonArray any => any.Any(x => Holds(x!)),
                _ when c["Not"] is { } not => !Holds(not),
                _ when c["IsPresent"] is { } present => (month is not null) == (bool)present,
                _ when c["IsString"] is { } isString => (month is not null) == (bool)isString,
                _ when c["StringEquals"] is { } equals => month is not null && month == (string)equals!,
                _ when c["StringMatches"] is { } pattern => month is not null && Wildcard((string)pattern!, month),
                _ => throw new InvalidOperationException("condition not modelled: " + c.ToJsonString()),
            };
        }

        static bool Wildcard(string pattern, string value) =>
            System.Text.RegularExpressions.Regex.IsMatch(value, "^" + string.Join(".*", pattern.Split('*').Select(System.Text.RegularExpressions.Regex.Escape)) + "$");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Replay_logs_everything_and_alarms_on_failure(string config)
    {
        var t = Get(config);
        var (_, sm) = t.One("AWS::StepFunctions::StateMachine");
        Assert.Equal("STANDARD", (string?)sm["StateMachineType"]);
        Assert.Equal("ALL", (string?)sm["LoggingConfiguration"]!["Level"]);
        var alarm = Assert.Single(t.Resources("AWS::CloudWatch::Alarm"), a => ((string?)a.Props["AlarmDescription"])!.Contains("month replay", StringComparison.Ordinal)).Props;
        // Each Step Functions metric has no datapoint while nothing happened: a sum without FILL is
        // missing whenever one term is, so a lone failed execution would not alarm.
        var expression = Assert.Single(alarm["Metrics"]!.AsArray(), m => m!["Expression"] is not null)!;
        Assert.Equal("FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)", (string?)expression["Expression"]);
    }

    // ---------------- Query layer ----------------

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Glue_tables_cover_every_output_and_the_CUR_with_partition_projection(string config)
    {
        var t = Get(config);
        var (_, db) = t.One("AWS::Glue::Database");
        Assert.Equal("connect_reconcile", (string?)db["DatabaseInput"]!["Name"]);
        var tables = t.Resources("AWS::Glue::Table").ToDictionary(r => (string)r.Props["TableInput"]!["Name"]!, r => r.Props["TableInput"]!);
        Assert.Equal(
            new[] { "charges", "contacts", "cur", "daily_usage", "legs", "quarantine", "reconciliation", "reconciliation_calibration", "reconciliation_contacts", "segments" },
            tables.Keys.Order());
        var prefix = config == "full" ? "rated/" : "connect-reconcile/";
        foreach (var spec in OutputSchema.OutputTables)
        {
            var table = tables[spec.Name]!;
            var parameters = table["Parameters"]!;
            var key = spec.Name.StartsWith("reconciliation", StringComparison.Ordinal) ? "month" : "dt";
            Assert.Equal("true", (string?)parameters["projection.enabled"]);
            Assert.Equal("date", (string?)parameters[$"projection.{key}.type"]);
            Assert.Equal(key == "dt" ? "yyyy-MM-dd" : "yyyy-MM", (string?)parameters[$"projection.{key}.format"]);
            Assert.Equal(key == "dt" ? "2020-01-01,NOW" : "2020-01,NOW", (string?)parameters[$"projection.{key}.range"]);
            Assert.Equal($"s3://${{OutputBucket7114EB27}}/{prefix}{spec.Name}/{key}=${{{key}}}/", Render.Value(parameters["storage.location.template"]));
            Assert.Equal(key, (string?)table["PartitionKeys"]![0]!["Name"]);
            Assert.Equal("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", (string?)table["StorageDescriptor"]!["SerdeInfo"]!["SerializationLibrary"]);
            Assert.Equal(spec.Columns.Select(c => c.Name), table["StorageDescriptor"]!["Columns"]!.AsArray().Select(c => (string)c!["Name"]!));
        }

        var cur = tables["cur"]!;
        Assert.Equal("yyyy-MM", (string?)cur["Parameters"]!["projection.billing_period.format"]);
        Assert.Equal("MONTHS", (string?)cur["Parameters"]!["projection.billing_period.interval.unit"]);
        var curUri = t.Stack.Settings.CurSource.Uri;
        Assert.Equal($"{curUri}data/BILLING_PERIOD=${{billing_period}}/", Render.Value(cur["Parameters"]!["storage.location.template"]));
    }

    [Fact]
    public void Charges_and_daily_usage_have_the_contract_columns_and_types()
    {
        // Spot checks of docs/outputs.md; OutputSchemaTests compares every column with the CLI's files.
        var charges = OutputSchema.OutputTables.Single(t => t.Name == "charges").Columns.ToDictionary(c => c.Name, c => c.Type);
        Assert.Equal("decimal(18,6)", charges["quantity"]);
        Assert.Equal("bigint", charges["billed_seconds"]);
        Assert.Equal("decimal(18,8)", charges["rate"]);
        Assert.Equal("decimal(24,12)", charges["cost"]);
        Assert.Equal("int", charges["leg_index"]);
        Assert.Equal("date", charges["day"]);
        Assert.Equal("timestamp", charges["start_time"]);
        foreach (var name in new[] { "chain_id", "contact_id", "charge_kind", "usage_type", "unit", "rate_card_version", "policy", "instance_id" })
        {
            Assert.Equal("string", charges[name]);
        }

        Assert.DoesNotContain("queue", charges.Keys);
        Assert.DoesNotContain("agent", charges.Keys);
        Assert.DoesNotContain("leg_id", charges.Keys);

        var daily = OutputSchema.OutputTables.Single(t => t.Name == "daily_usage").Columns.Select(c => c.Name);
        Assert.Equal(["day", "instance_id", "region", "usage_type", "charge_kind", "unit", "pricing_model", "charges", "billed_seconds",
            "quantity", "cost", "unrated_charges", "rate_card_version", "policy"], daily);
        var quarantine = OutputSchema.OutputTables.Single(t => t.Name == "quarantine").Columns.Select(c => c.Name);
        Assert.Equal(["source", "position", "record_index", "reason", "detail", "contact_id"], quarantine);
    }

    [Fact]
    public void Named_queries_are_deployed_and_use_only_known_tables_and_columns()
    {
        var t = synth.Default;
        var deployed = t.Resources("AWS::Athena::NamedQuery").ToList();
        Assert.Equal(NamedQueries.All.Count, deployed.Count);
        Assert.All(deployed, q =>
        {
            Assert.Equal("connect_reconcile", (string?)q.Props["Database"]);
            Assert.Equal("connect-reconcile", (string?)q.Props["WorkGroup"]);
        });
        var names = NamedQueries.All.Select(q => q.Name).ToList();
        foreach (var required in new[] { "daily-variance", "cost-by-queue", "cost-by-ivr", "cost-by-agent" })
        {
            Assert.Contains(required, names);
        }

        var tables = OutputSchema.OutputTables.Append(OutputSchema.Cur).ToDictionary(s => s.Name);
        foreach (var query in NamedQueries.All)
        {
            // Tables read (FROM or JOIN), less the query's own WITH names.
            var ctes = System.Text.RegularExpressions.Regex.Matches(query.Sql, @"\b([a-z_]+)\s+AS\s*\(").Select(m => m.Groups[1].Value).ToHashSet();
            var used = System.Text.RegularExpressions.Regex.Matches(query.Sql, @"\b(?:FROM|JOIN)\s+([a-z_]+)")
                .Select(m => m.Groups[1].Value).Where(n => !ctes.Contains(n)).Distinct().ToList();
            Assert.NotEmpty(used);
            foreach (var table in used)
            {
                Assert.True(tables.ContainsKey(table), $"{query.Name} reads unknown table {table}");
            }

            // Every snake_case identifier in the query must be a column of a table it reads (or a SQL alias).
            var columns = used.SelectMany(u => tables[u].Columns.Select(c => c.Name).Append(tables[u].Partition.Name)).ToHashSet();
            var aliases = System.Text.RegularExpressions.Regex.Matches(query.Sql, @"\bAS\s+([a-z_]+)").Select(m => m.Groups[1].Value).ToHashSet();
            foreach (var identifier in System.Text.RegularExpressions.Regex.Matches(query.Sql, @"\b[a-z]+_[a-z_]+\b").Select(m => m.Value).Distinct())
            {
                if (identifier is "date_format" or "daily_usage" || tables.ContainsKey(identifier) || aliases.Contains(identifier))
                {
                    continue;
                }

                Assert.True(columns.Contains(identifier), $"{query.Name}: '{identifier}' is not a column of {string.Join("/", used)}");
            }
        }
    }

    [Fact]
    public void Analyst_policy_is_a_customer_managed_policy_for_query_users()
    {
        var t = synth.Default;
        var (_, policy) = t.One("AWS::IAM::ManagedPolicy");
        var statements = IamStatement.From("analyst", policy["PolicyDocument"]!).ToList();
        Assert.Contains(statements, s => s.Actions.Contains("athena:StartQueryExecution")
            && s.Resources.SequenceEqual(["arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/connect-reconcile"]));
        Assert.DoesNotContain(statements, s => s.Actions.Any(a => a.StartsWith("glue:Create", StringComparison.Ordinal) || a.StartsWith("glue:Delete", StringComparison.Ordinal) || a.StartsWith("glue:Update", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Stateful_resources_are_retained_on_stack_deletion(string config)
    {
        var t = Get(config);
        foreach (var type in new[] { "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup" })
        {
            foreach (var resource in t.ResourcesNode.Where(r => (string?)r.Value!["Type"] == type))
            {
                Assert.Equal("Retain", (string?)resource.Value!["DeletionPolicy"]);
            }
        }
    }

    [Fact]
    public void Outputs_name_what_an_operator_needs()
    {
        var outputs = synth.Full.Json["Outputs"]!.AsObject().Select(o => o.Key).ToHashSet();
        foreach (var name in new[] { "OutputBucketName", "AlertsTopicArn", "ReplayStateMachineArn", "AthenaWorkgroupName", "CheckpointTableName", "AnalystPolicyArn" })
        {
            Assert.Contains(name, outputs);
        }
    }
}
