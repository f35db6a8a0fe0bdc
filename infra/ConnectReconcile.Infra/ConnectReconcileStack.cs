using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ECR;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.Scheduler;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Constructs;
using AssetPlatform = Amazon.CDK.AWS.Ecr.Assets.Platform_;
using EcsCpuArchitecture = Amazon.CDK.AWS.ECS.CpuArchitecture;
using EcsLogDriver = Amazon.CDK.AWS.ECS.LogDriver;
using IamPolicy = Amazon.CDK.AWS.IAM.Policy;
using LogGroupProps = Amazon.CDK.AWS.Logs.LogGroupProps;
using S3LifecycleRule = Amazon.CDK.AWS.S3.LifecycleRule;

namespace ConnectReconcile.Infra;

/// <summary>
/// ConnectReconcile in one stack: output bucket (KMS, versioned, private, TLS only), the CLI image,
/// a nightly Fargate task on EventBridge Scheduler, a Kinesis stream worker service with a DynamoDB
/// checkpoint table, a Step Functions month replay (Distributed Map over days × instances), the
/// Glue/Athena query layer, and alarms to one SNS topic. See infra/README.md.
/// </summary>
public sealed class ConnectReconcileStack : Stack
{
    public const string ContainerName = "app";
    public const string NightlyGroup = "connect-reconcile-nightly";

    public InfraSettings Settings { get; }
    public Key DataKey { get; }
    public Bucket OutputBucket { get; }
    public Bucket AccessLogsBucket { get; }
    public Topic AlertsTopic { get; }
    public Cluster Cluster { get; }
    public Role BatchTaskRole { get; }
    public FargateTaskDefinition BatchTask { get; }
    public FargateTaskDefinition NightlyTask { get; }
    public CfnSchedule NightlySchedule { get; }
    public Table? CheckpointTable { get; }
    public FargateService? StreamService { get; }
    public ReplayWorkflow? Replay { get; }
    public QueryLayer Query { get; }

    /// <summary>s3://OUTPUT_BUCKET/OUTPUT_PREFIX, as passed to the CLI (a token until deploy).</summary>
    public string OutputUri { get; }

    public ConnectReconcileStack(Construct scope, string id, InfraSettings settings, IStackProps? props = null)
        : base(scope, id, props)
    {
        settings.Validate();
        Settings = settings;
        TemplateOptions.Description = "ConnectReconcile: rate Amazon Connect CTRs and reconcile them with the Cost and Usage Report";
        if (settings.UsesPlaceholders)
        {
            Annotations.Of(this).AddWarning(
                "No ctrSource/kinesisStreamArn/curSource context given: the template uses placeholder buckets " +
                $"({InfraSettings.PlaceholderCtrSource}, {InfraSettings.PlaceholderCurSource}). Pass -c ctrSource=... -c curSource=... to deploy.");
        }

        var outputPrefix = settings.OutputPrefixNormalised;
        var retention = ToRetention(settings.LogRetentionDays);

        // ---- Encryption: one customer-managed key for the data and the operational signals. ----
        DataKey = new Key(this, "DataKey", new KeyProps
        {
            Description = $"{id}: output bucket, checkpoint table, Athena results, logs, alerts",
            EnableKeyRotation = true,
            Alias = $"alias/{id}-data",
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        DataKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "CloudWatchLogsEncryptThisAccountsLogGroups",
            Principals = [new ServicePrincipal($"logs.{Aws.REGION}.amazonaws.com")],
            Actions =
            [
                "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
            ],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["ArnLike"] = new Dictionary<string, object>
                {
                    ["kms:EncryptionContext:aws:logs:arn"] = $"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*",
                },
            },
        }));
        DataKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "EventBridgeAndAlarmsPublishToEncryptedTopic",
            Principals = [new ServicePrincipal("events.amazonaws.com"), new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["kms:Decrypt", "kms:GenerateDataKey"],
            Resources = ["*"],
        }));

        // ---- Buckets. ----
        AccessLogsBucket = new Bucket(this, "AccessLogsBucket", new BucketProps
        {
            // S3 server access logging only delivers to SSE-S3 buckets.
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            MinimumTLSVersion = 1.2,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            Versioned = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules =
            [
                new S3LifecycleRule { Id = "ExpireAccessLogs", Expiration = Duration.Days(365), NoncurrentVersionExpiration = Duration.Days(30) },
            ],
        });

        OutputBucket = new Bucket(this, "OutputBucket", new BucketProps
        {
            BucketName = settings.OutputBucketName,
            Encryption = BucketEncryption.KMS,
            EncryptionKey = DataKey,
            BucketKeyEnabled = true,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            MinimumTLSVersion = 1.2,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            Versioned = true,
            ServerAccessLogsBucket = AccessLogsBucket,
            ServerAccessLogsPrefix = "output/",
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules =
            [
                new S3LifecycleRule
                {
                    Id = "TidyVersionsAndUploads",
                    NoncurrentVersionExpiration = Duration.Days(90),
                    AbortIncompleteMultipartUploadAfter = Duration.Days(7),
                },
                // A run killed mid-publish leaves its staged copies behind; readers ignore them, this removes them.
                new S3LifecycleRule { Id = "ExpireStaging", Prefix = outputPrefix + "_staging/", Expiration = Duration.Days(2) },
            ],
        });
        OutputUri = $"s3://{OutputBucket.BucketName}/{outputPrefix}";

        // ---- Alerts. ----
        AlertsTopic = new Topic(this, "AlertsTopic", new TopicProps
        {
            DisplayName = "ConnectReconcile alerts",
            MasterKey = DataKey,
            EnforceSSL = true,
        });
        AlertsTopic.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "CloudWatchAlarmsPublish",
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["sns:Publish"],
            Resources = [AlertsTopic.TopicArn],
            Conditions = new Dictionary<string, object>
            {
                ["ArnLike"] = new Dictionary<string, object>
                {
                    ["aws:SourceArn"] = $"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*",
                },
            },
        }));
        if (settings.AlarmEmail is not null)
        {
            AlertsTopic.AddSubscription(new EmailSubscription(settings.AlarmEmail));
        }

        var alarmAction = new SnsAction(AlertsTopic);

        // ---- Network. ----
        var (vpc, subnets, assignPublicIp) = CreateNetwork(settings);
        var taskSecurityGroup = new SecurityGroup(this, "TaskSecurityGroup", new SecurityGroupProps
        {
            Vpc = vpc,
            Description = "ConnectReconcile tasks: no inbound; outbound HTTPS to AWS APIs only",
            AllowAllOutbound = false,
        });
        taskSecurityGroup.AddEgressRule(Peer.AnyIpv4(), Port.Tcp(443), "HTTPS to AWS service endpoints");

        Cluster = new Cluster(this, "Cluster", new ClusterProps
        {
            Vpc = vpc,
            ContainerInsights = true,
        });

        var image = CreateImage(settings);
        var architecture = settings.CpuArchitecture == "ARM64" ? EcsCpuArchitecture.ARM64 : EcsCpuArchitecture.X86_64;

        // ---- Batch task role: nightly and replay (read CTR + CUR prefixes, write the output prefix). ----
        BatchTaskRole = new Role(this, "BatchTaskRole", new RoleProps
        {
            AssumedBy = EcsTasksPrincipal(),
            Description = "ConnectReconcile nightly/replay/reconcile tasks",
        });
        var batchStatements = new List<PolicyStatement>();
        if (settings.CtrSource is { } ctr)
        {
            batchStatements.AddRange(Access.ReadPrefix("CtrPrefix", ctr));
            if (settings.CtrKmsKeyArn is { } ctrKey)
            {
                batchStatements.Add(Access.KeyUse("CtrBucketKeyDecrypt", ctrKey, encrypt: false, "s3"));
            }
        }

        batchStatements.AddRange(Access.ReadPrefix("CurPrefix", settings.CurSource));
        if (settings.CurKmsKeyArn is { } curKey)
        {
            batchStatements.Add(Access.KeyUse("CurBucketKeyDecrypt", curKey, encrypt: false, "s3"));
        }

        batchStatements.AddRange(Access.WritePrefix("OutputPrefix", OutputBucket.BucketArn, outputPrefix));
        batchStatements.Add(Access.KeyUse("DataKeyViaS3", DataKey.KeyArn, encrypt: true, "s3"));
        batchStatements.AddRange(ReferenceStatements(settings));
        AttachPolicy("BatchTaskPolicy", BatchTaskRole, batchStatements);

        // ---- Log groups (KMS, retention). ----
        var batchLogs = NewLogGroup("ReplayLogs", $"/{id}/replay", retention);
        var nightlyLogs = NewLogGroup("NightlyLogs", $"/{id}/nightly", retention);

        // ---- Task definitions. ----
        BatchTask = NewTaskDefinition("BatchTask", $"{id}-batch", settings.BatchCpu, settings.BatchMemoryMiB, BatchTaskRole, architecture);
        AddAppContainer(BatchTask, image, batchLogs, "replay", entryPoint: null, command: null);

        NightlyTask = NewTaskDefinition("NightlyTask", $"{id}-nightly", settings.BatchCpu, settings.BatchMemoryMiB, BatchTaskRole, architecture);
        AddAppContainer(NightlyTask, image, nightlyLogs, "nightly", entryPoint: ["/bin/sh", "-c"], command: [NightlyScript(settings, OutputUri)]);

        // ---- Nightly schedule. ----
        var scheduleGroup = new CfnScheduleGroup(this, "ScheduleGroup", new CfnScheduleGroupProps { Name = $"{id}-schedules" });
        var schedulerRole = new Role(this, "SchedulerRole", new RoleProps
        {
            AssumedBy = ServicePrincipalInThisAccount("scheduler.amazonaws.com"),
            Description = "EventBridge Scheduler: run the nightly ConnectReconcile task",
        });
        AttachPolicy("SchedulerPolicy", schedulerRole,
        [
            RunTaskStatement("RunNightlyTask", [NightlyTask.TaskDefinitionArn], Cluster.ClusterArn),
            PassRoleStatement("PassNightlyRoles", BatchTaskRole.RoleArn, NightlyTask.ObtainExecutionRole().RoleArn),
        ]);
        NightlySchedule = new CfnSchedule(this, "NightlySchedule", new CfnScheduleProps
        {
            Description = "ConnectReconcile nightly: rate yesterday, reconcile its month through the day before against the CUR",
            GroupName = scheduleGroup.Name,
            ScheduleExpression = settings.Schedule,
            ScheduleExpressionTimezone = settings.ScheduleTimezone,
            FlexibleTimeWindow = new CfnSchedule.FlexibleTimeWindowProperty { Mode = "OFF" },
            State = "ENABLED",
            Target = new CfnSchedule.TargetProperty
            {
                Arn = Cluster.ClusterArn,
                RoleArn = schedulerRole.RoleArn,
                RetryPolicy = new CfnSchedule.RetryPolicyProperty { MaximumRetryAttempts = 3, MaximumEventAgeInSeconds = 3600 },
                EcsParameters = new CfnSchedule.EcsParametersProperty
                {
                    TaskDefinitionArn = NightlyTask.TaskDefinitionArn,
                    TaskCount = 1,
                    LaunchType = "FARGATE",
                    PlatformVersion = "LATEST",
                    Group = NightlyGroup,
                    NetworkConfiguration = new CfnSchedule.NetworkConfigurationProperty
                    {
                        AwsvpcConfiguration = new CfnSchedule.AwsVpcConfigurationProperty
                        {
                            Subnets = subnets.Select(s => s.SubnetId).ToArray(),
                            SecurityGroups = [taskSecurityGroup.SecurityGroupId],
                            AssignPublicIp = assignPublicIp ? "ENABLED" : "DISABLED",
                        },
                    },
                },
            },
        });
        NightlySchedule.AddDependency(scheduleGroup);

        // A schedule that could not start the task (after its retries) is a failure too.
        AlarmOnAny("NightlyScheduleDroppedAlarm", "EventBridge Scheduler could not start the nightly ConnectReconcile task",
            FiveMinuteMetric("AWS/Scheduler", "InvocationDroppedCount", "Sum", new Dictionary<string, string> { ["ScheduleGroup"] = scheduleGroup.Name! }),
            alarmAction);

        // Nightly outcome: exit 3 = variance beyond tolerance; any other non-zero exit or a task that
        // never started = failure. Each rule notifies the topic with the details and drives an alarm.
        NightlyOutcome("NightlyVariance", "exited 3: the invoice differs from the rated CTRs beyond tolerance",
            new Dictionary<string, object> { ["containers"] = new Dictionary<string, object> { ["exitCode"] = new object[] { 3 } } },
            alarmAction);
        NightlyOutcome("NightlyFailed", "failed (non-zero exit other than 3, or the task did not start)",
            new Dictionary<string, object>
            {
                ["$or"] = new object[]
                {
                    new Dictionary<string, object>
                    {
                        ["containers"] = new Dictionary<string, object>
                        {
                            ["exitCode"] = new object[] { new Dictionary<string, object> { ["anything-but"] = new object[] { 0, 3 } } },
                        },
                    },
                    new Dictionary<string, object> { ["stopCode"] = new object[] { "TaskFailedToStart" } },
                },
            },
            alarmAction);

        // ---- Stream worker. ----
        if (settings.KinesisStreamArn is { } streamArn)
        {
            (CheckpointTable, StreamService) = CreateStreamWorker(settings, streamArn, image, architecture, retention,
                subnets, taskSecurityGroup, assignPublicIp, outputPrefix, alarmAction);
        }

        // ---- Month replay (needs the S3 archive of CTRs). ----
        if (settings.CtrSource is not null)
        {
            Replay = new ReplayWorkflow(this, "Replay", new ReplayWorkflowProps
            {
                Settings = settings,
                Cluster = Cluster,
                TaskDefinition = BatchTask,
                TaskRole = BatchTaskRole,
                Subnets = subnets,
                SecurityGroup = taskSecurityGroup,
                AssignPublicIp = assignPublicIp,
                OutputUri = OutputUri,
                Topic = AlertsTopic,
                Key = DataKey,
                LogRetention = retention,
            });
            var fiveMinuteSum = new MetricOptions { Period = Duration.Minutes(5), Statistic = "Sum" };
            AlarmOnAny("ReplayFailedAlarm", "A ConnectReconcile month replay execution failed, timed out or was aborted",
                new MathExpression(new MathExpressionProps
                {
                    // Each metric is sparse (no datapoint while nothing failed): without FILL one
                    // missing term makes the sum missing, and a lone failure would not alarm.
                    Expression = "FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)",
                    UsingMetrics = new Dictionary<string, IMetric>
                    {
                        ["failed"] = Replay.StateMachine.MetricFailed(fiveMinuteSum),
                        ["timedout"] = Replay.StateMachine.MetricTimedOut(fiveMinuteSum),
                        ["aborted"] = Replay.StateMachine.MetricAborted(fiveMinuteSum),
                    },
                    Period = Duration.Minutes(5),
                }),
                alarmAction);
        }
        else
        {
            Annotations.Of(this).AddInfo("No ctrSource: the month replay state machine is not deployed (it replays the S3 archive of CTRs).");
        }

        // ---- Query layer. ----
        Query = new QueryLayer(this, "Query", new QueryLayerProps
        {
            Settings = settings,
            OutputBucket = OutputBucket,
            OutputPrefix = outputPrefix,
            Key = DataKey,
            AccessLogsBucket = AccessLogsBucket,
        });

        // ---- Outputs. ----
        Out("OutputBucketName", OutputBucket.BucketName, "Rated Parquet output bucket");
        Out("OutputLocation", OutputUri, "Where the CLI writes TABLE/dt=YYYY-MM-DD/");
        Out("DataKeyArn", DataKey.KeyArn, "KMS key of the output bucket, table, topic and logs");
        Out("AlertsTopicArn", AlertsTopic.TopicArn, "Subscribe to receive failures and variances");
        Out("ClusterName", Cluster.ClusterName, "ECS cluster");
        Out("BatchTaskRoleArn", BatchTaskRole.RoleArn, "Role of the nightly/replay tasks: the principal a CUR bucket in another (payer) account must allow to read");
        Out("NightlyTaskDefinitionArn", NightlyTask.TaskDefinitionArn, "Run once by hand with aws ecs run-task (override REPORT_DATE)");
        Out("TaskSubnetIds", Fn.Join(",", subnets.Select(s => s.SubnetId).ToArray()), "Subnets for a manual aws ecs run-task");
        Out("TaskSecurityGroupId", taskSecurityGroup.SecurityGroupId, "Security group for a manual aws ecs run-task");
        Out("AthenaWorkgroupName", Query.Workgroup.Name, "Athena workgroup (results encrypted with the data key)");
        Out("GlueDatabaseName", settings.GlueDatabase, "Glue database of the output and CUR tables");
        Out("AnalystPolicyArn", Query.AnalystPolicy.ManagedPolicyArn, "Attach to people/roles who query the results");
        if (Replay is not null)
        {
            Out("ReplayStateMachineArn", Replay.StateMachine.StateMachineArn, "Start with {\"month\":\"YYYY-MM\"}");
        }

        if (CheckpointTable is not null)
        {
            Out("CheckpointTableName", CheckpointTable.TableName, "Stream worker checkpoints and shard leases");
        }
    }

    private (IVpc Vpc, ISubnet[] Subnets, bool AssignPublicIp) CreateNetwork(InfraSettings settings)
    {
        if (settings.VpcId is { } vpcId)
        {
            var imported = Vpc.FromVpcAttributes(this, "Vpc", new VpcAttributes
            {
                VpcId = vpcId,
                AvailabilityZones = Fn.GetAzs(),
            });
            var importedSubnets = settings.SubnetIds
                .Select((subnetId, i) => Subnet.FromSubnetId(this, $"Subnet{i}", subnetId))
                .ToArray();
            // Tasks use the subnets given, never a selection from the imported VPC: its AZ list and
            // route tables are not needed.
            Annotations.Of(this).AcknowledgeWarning("@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
                "Subnets are passed explicitly (subnetIds); nothing selects subnets from the imported VPC.");
            Annotations.Of(this).AcknowledgeWarning("@aws-cdk/aws-ec2:noSubnetRouteTableId",
                "Route tables of the imported subnets are not used.");
            return (imported, importedSubnets, settings.AssignPublicIp ?? false);
        }

        // No NAT gateway (cost): public subnets, tasks get a public IP, no inbound rules. S3 and
        // DynamoDB traffic stays on the gateway endpoints. Use vpcId/subnetIds for private subnets.
        var vpc = new Vpc(this, "Vpc", new VpcProps
        {
            IpAddresses = IpAddresses.Cidr("10.42.0.0/16"),
            MaxAzs = 2,
            NatGateways = 0,
            RestrictDefaultSecurityGroup = false,
            SubnetConfiguration = [new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 }],
            GatewayEndpoints = new Dictionary<string, IGatewayVpcEndpointOptions>
            {
                ["S3"] = new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.S3 },
                ["DynamoDB"] = new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.DYNAMODB },
            },
        });
        var flowLogs = NewLogGroup("VpcFlowLogs", $"/{StackName}/vpc-flow-logs", ToRetention(settings.LogRetentionDays));
        var flowLogRole = new Role(this, "VpcFlowLogRole", new RoleProps
        {
            AssumedBy = ServicePrincipalInThisAccount("vpc-flow-logs.amazonaws.com"),
            Description = "VPC flow logs (rejected traffic) to CloudWatch Logs",
        });
        vpc.AddFlowLog("RejectedTraffic", new FlowLogOptions
        {
            Destination = FlowLogDestination.ToCloudWatchLogs(flowLogs, flowLogRole),
            TrafficType = FlowLogTrafficType.REJECT,
        });
        return (vpc, vpc.PublicSubnets, settings.AssignPublicIp ?? true);
    }

    private ContainerImage CreateImage(InfraSettings settings)
    {
        if (settings.ImageUri is { } uri)
        {
            // ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]: grant pull on that repository only.
            var ecr = System.Text.RegularExpressions.Regex.Match(uri,
                @"^(?<account>[0-9]{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?<repo>[^:@]+)(?:(?<sep>[:@])(?<ref>.+))?$");
            if (ecr.Success)
            {
                var repository = Repository.FromRepositoryAttributes(this, "ImageRepository", new RepositoryAttributes
                {
                    RepositoryName = ecr.Groups["repo"].Value,
                    RepositoryArn = $"arn:{Aws.PARTITION}:ecr:{ecr.Groups["region"].Value}:{ecr.Groups["account"].Value}:repository/{ecr.Groups["repo"].Value}",
                });
                var reference = ecr.Groups["ref"].Success ? ecr.Groups["ref"].Value : "latest";
                return ContainerImage.FromEcrRepository(repository, reference);
            }

            return ContainerImage.FromRegistry(uri);
        }

        return ContainerImage.FromAsset(settings.ImageAssetDirectory, new AssetImageProps
        {
            File = "Dockerfile",
            Platform = settings.CpuArchitecture == "ARM64" ? AssetPlatform.LINUX_ARM64 : AssetPlatform.LINUX_AMD64,
        });
    }

    private (Table, FargateService) CreateStreamWorker(InfraSettings settings, string streamArn, ContainerImage image,
        EcsCpuArchitecture architecture, RetentionDays retention, ISubnet[] subnets, SecurityGroup securityGroup,
        bool assignPublicIp, string outputPrefix, SnsAction alarmAction)
    {
        var table = new Table(this, "CheckpointTable", new TableProps
        {
            // The keys DynamoDbCheckpointStore uses: one item per stream × shard (lease + checkpoint).
            PartitionKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = "streamName", Type = AttributeType.STRING },
            SortKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = "shardId", Type = AttributeType.STRING },
            BillingMode = BillingMode.PAY_PER_REQUEST,
            Encryption = TableEncryption.CUSTOMER_MANAGED,
            EncryptionKey = DataKey,
            PointInTimeRecovery = true,
            DeletionProtection = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        var role = new Role(this, "StreamTaskRole", new RoleProps
        {
            AssumedBy = EcsTasksPrincipal(),
            Description = "ConnectReconcile Kinesis stream worker",
        });
        var statements = new List<PolicyStatement>
        {
            new(new PolicyStatementProps
            {
                Sid = "ReadCtrStream",
                // Exactly what StreamWorker sends (src/ConnectReconcile.Aws/Kinesis/KinesisClient.cs).
                Actions = ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords"],
                Resources = [streamArn],
            }),
            new(new PolicyStatementProps
            {
                Sid = "CheckpointsAndLeases",
                // Exactly what DynamoDbCheckpointStore sends: leases and checkpoints are conditional
                // UpdateItems, reads are GetItem and Query (src/ConnectReconcile.Aws/Checkpoints).
                Actions = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                Resources = [table.TableArn],
            }),
            Access.KeyUse("DataKeyViaS3AndDynamoDb", DataKey.KeyArn, encrypt: true, "s3", "dynamodb"),
        };
        statements.AddRange(Access.WritePrefix("OutputPrefix", OutputBucket.BucketArn, outputPrefix));
        if (settings.KinesisKmsKeyArn is { } streamKey)
        {
            statements.Add(Access.KeyUse("StreamKeyDecrypt", streamKey, encrypt: false, "kinesis"));
        }

        statements.AddRange(ReferenceStatements(settings));
        AttachPolicy("StreamTaskPolicy", role, statements);

        var logs = NewLogGroup("StreamLogs", $"/{StackName}/stream", retention);
        var taskDefinition = NewTaskDefinition("StreamTask", $"{StackName}-stream", settings.StreamCpu, settings.StreamMemoryMiB, role, architecture);
        var command = new List<string>
        {
            "stream", "--stream", settings.KinesisStreamName!, "--out", OutputUri, "--checkpoint-table", table.TableName,
        };
        foreach (var (option, _, location) in settings.ReferenceFiles)
        {
            command.AddRange([option, location.Uri]);
        }

        AddAppContainer(taskDefinition, image, logs, "stream", entryPoint: null, command: command.ToArray());

        var service = new FargateService(this, "StreamService", new FargateServiceProps
        {
            Cluster = Cluster,
            TaskDefinition = taskDefinition,
            DesiredCount = settings.StreamWorkers,
            MinHealthyPercent = 100,
            MaxHealthyPercent = 200,
            AssignPublicIp = assignPublicIp,
            SecurityGroups = [securityGroup],
            VpcSubnets = new SubnetSelection { Subnets = subnets },
            PlatformVersion = FargatePlatformVersion.LATEST,
            CircuitBreaker = new DeploymentCircuitBreaker { Enable = true, Rollback = true },
            EnableExecuteCommand = false,
        });

        if (settings.StreamWorkers > 0)
        {
            new Alarm(this, "StreamWorkerDownAlarm", new AlarmProps
            {
                AlarmDescription = "The ConnectReconcile stream worker has fewer running tasks than desired",
                Metric = FiveMinuteMetric("ECS/ContainerInsights", "RunningTaskCount", "Minimum", new Dictionary<string, string>
                {
                    ["ClusterName"] = Cluster.ClusterName,
                    ["ServiceName"] = service.ServiceName,
                }),
                Threshold = settings.StreamWorkers,
                EvaluationPeriods = 3,
                ComparisonOperator = ComparisonOperator.LESS_THAN_THRESHOLD,
                TreatMissingData = TreatMissingData.BREACHING,
            }).AddAlarmAction(alarmAction);
        }

        // The worker keeps every CTR it has read in memory and decodes the whole archive again at start
        // (docs/stream.md, Limits), so its memory only grows and a restart does not shed it: warn
        // before the task is killed for memory (and then fails again as it reloads the archive).
        new Alarm(this, "StreamWorkerMemoryAlarm", new AlarmProps
        {
            AlarmDescription = "The ConnectReconcile stream worker uses over 80 % of its memory: raise streamMemoryMiB before it is killed for memory",
            Metric = FiveMinuteMetric("AWS/ECS", "MemoryUtilization", "Maximum", new Dictionary<string, string>
            {
                ["ClusterName"] = Cluster.ClusterName,
                ["ServiceName"] = service.ServiceName,
            }),
            Threshold = 80,
            EvaluationPeriods = 3,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        }).AddAlarmAction(alarmAction);

        new Alarm(this, "StreamIteratorAgeAlarm", new AlarmProps
        {
            AlarmDescription = "CTRs wait in the Kinesis stream for more than an hour: the stream worker is behind or stopped",
            Metric = FiveMinuteMetric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "Maximum",
                new Dictionary<string, string> { ["StreamName"] = settings.KinesisStreamName! }),
            Threshold = 3_600_000,
            EvaluationPeriods = 3,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        }).AddAlarmAction(alarmAction);

        return (table, service);
    }

    /// <summary>
    /// The nightly container runs a tiny POSIX shell wrapper (the runtime image has /bin/sh and GNU date):
    /// rate yesterday (UTC) unless REPORT_DATE is set, then reconcile; the exit code of the task is the
    /// CLI's (3 = variance, 1 = failure).
    /// The reconcile stops at the day BEFORE the rated day D (<c>--through D-1</c>, in D-1's month).
    /// The CUR of a running month lags a day or more: at the scheduled hour (06:30 UTC by default) D
    /// ended a few hours ago and the export holds only part of its usage (and sometimes the first
    /// hours of D+1), so comparing D — or, without --through, the whole month — would flag the newest
    /// day(s) as variances every night. D-1 was rated the night before and has had more than a day to
    /// reach the CUR; D is compared the next night. D-1's month is the month reconciled, so on the 1st
    /// the previous month is reconciled through its last day (a whole-month check), and a rated day of
    /// a new month is first compared on the 2nd.
    /// </summary>
    public static string NightlyScript(InfraSettings settings, string outputUri)
    {
        var lines = new List<string>
        {
            "set -eu",
            "day=\"${REPORT_DATE:-$(date -u -d yesterday +%Y-%m-%d)}\"",
            "through=\"$(date -u -d \"$day -1 day\" +%Y-%m-%d)\"",
            "echo \"ConnectReconcile nightly for $day (reconciling through $through)\"",
        };
        // Both commands get the reference files: reconcile prices the expected side with the same rate
        // card as the rating (without it, the built-in USD card is compared with the invoice) and
        // reads the agent directory to explain outbound variances.
        var references = string.Concat(settings.ReferenceFiles.Select(r => $" {r.Option} '{r.Location.Uri}'"));
        if (settings.CtrSource is { } ctr)
        {
            lines.Add($"connect-reconcile nightly --date \"$day\" --source '{ctr.Uri}' --out '{outputUri}'{references}");
        }

        var account = ReconcileAccount(settings) is { } id ? $" --account '{id}'" : "";
        lines.Add($"exec connect-reconcile reconcile --cur '{settings.CurSource.Uri}' --rated '{outputUri}' --month \"${{through%-*}}\" --through \"$through\"{account}{references}");
        return string.Join("\n", lines);
    }

    /// <summary>
    /// The <c>--account</c> reconcile gets: curAccount, else the account the stack is deployed in (the
    /// one whose CTRs it rates; a payer account's CUR lists every member account's usage), or null when
    /// curAccount=all (every account's usage is compared).
    /// </summary>
    public static string? ReconcileAccount(InfraSettings settings) => settings.CurAccount switch
    {
        null => Aws.ACCOUNT_ID,
        InfraSettings.AllAccounts => null,
        var account => account,
    };

    /// <summary>s3:GetObject on each reference object, and decrypt with their bucket's key if it has one.</summary>
    private static IEnumerable<PolicyStatement> ReferenceStatements(InfraSettings settings)
    {
        foreach (var (_, key, location) in settings.ReferenceFiles)
        {
            yield return Access.ReadObject(ReferenceSid(key), location);
        }

        if (settings.ReferenceKmsKeyArn is { } referenceKey)
        {
            yield return Access.KeyUse("ReferenceKeyDecrypt", referenceKey, encrypt: false, "s3");
        }
    }

    /// <summary>IAM statement id for a reference file: rateCard → RateCard.</summary>
    public static string ReferenceSid(string key) => char.ToUpperInvariant(key[0]) + key[1..];

    private void NightlyOutcome(string id, string what, IDictionary<string, object> extraDetail, SnsAction alarmAction)
    {
        var detail = new Dictionary<string, object>(extraDetail)
        {
            ["clusterArn"] = new object[] { Cluster.ClusterArn },
            ["group"] = new object[] { NightlyGroup },
            ["lastStatus"] = new object[] { "STOPPED" },
        };
        var rule = new Rule(this, id + "Rule", new RuleProps
        {
            Description = $"The nightly ConnectReconcile task {what}",
            EventPattern = new EventPattern
            {
                Source = ["aws.ecs"],
                DetailType = ["ECS Task State Change"],
                Detail = detail,
            },
        });
        rule.AddTarget(new SnsTopic(AlertsTopic, new SnsTopicProps
        {
            Message = RuleTargetInput.FromText(
                $"ConnectReconcile nightly task {what}. Task {EventField.FromPath("$.detail.taskArn")}, " +
                $"stop code {EventField.FromPath("$.detail.stopCode")}, reason: {EventField.FromPath("$.detail.stoppedReason")}. " +
                "Logs: the nightly log group of this stack."),
        }));
        AlarmOnAny(id + "Alarm", $"The nightly ConnectReconcile task {what}",
            FiveMinuteMetric("AWS/Events", "TriggeredRules", "Sum", new Dictionary<string, string> { ["RuleName"] = rule.RuleName }),
            alarmAction);
    }

    /// <summary>An alarm that fires when the metric counts anything in a five-minute period (no data: fine).</summary>
    private void AlarmOnAny(string id, string description, IMetric metric, SnsAction alarmAction) =>
        new Alarm(this, id, new AlarmProps
        {
            AlarmDescription = description,
            Metric = metric,
            Threshold = 1,
            EvaluationPeriods = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        }).AddAlarmAction(alarmAction);

    private static Metric FiveMinuteMetric(string metricNamespace, string name, string statistic, Dictionary<string, string> dimensions) =>
        new(new MetricProps
        {
            Namespace = metricNamespace,
            MetricName = name,
            DimensionsMap = dimensions,
            Statistic = statistic,
            Period = Duration.Minutes(5),
        });

    private FargateTaskDefinition NewTaskDefinition(string id, string family, int cpu, int memory, IRole taskRole, EcsCpuArchitecture architecture)
    {
        var taskDefinition = new FargateTaskDefinition(this, id, new FargateTaskDefinitionProps
        {
            Family = family,
            Cpu = cpu,
            MemoryLimitMiB = memory,
            TaskRole = taskRole,
            // Pulls the image and writes the awslogs stream; CDK adds exactly those statements.
            ExecutionRole = new Role(this, id + "ExecutionRole", new RoleProps
            {
                AssumedBy = EcsTasksPrincipal(),
                Description = $"ECS agent for {family}: pull the image, write its log stream",
            }),
            RuntimePlatform = new RuntimePlatform
            {
                CpuArchitecture = architecture,
                OperatingSystemFamily = OperatingSystemFamily.LINUX,
            },
        });
        // The root file system is read-only; /tmp is a task-local scratch volume.
        taskDefinition.AddVolume(new Amazon.CDK.AWS.ECS.Volume { Name = "tmp" });
        return taskDefinition;
    }

    private static void AddAppContainer(FargateTaskDefinition taskDefinition, ContainerImage image, ILogGroup logs,
        string streamPrefix, string[]? entryPoint, string[]? command)
    {
        var container = taskDefinition.AddContainer(ContainerName, new ContainerDefinitionOptions
        {
            ContainerName = ContainerName,
            Image = image,
            Essential = true,
            ReadonlyRootFilesystem = true,
            EntryPoint = entryPoint,
            Command = command,
            Logging = EcsLogDriver.AwsLogs(new AwsLogDriverProps
            {
                LogGroup = logs,
                StreamPrefix = streamPrefix,
                Mode = AwsLogDriverMode.NON_BLOCKING,
            }),
        });
        container.AddMountPoints(new MountPoint { ContainerPath = "/tmp", SourceVolume = "tmp", ReadOnly = false });
    }

    private LogGroup NewLogGroup(string id, string name, RetentionDays retention) => new(this, id, new LogGroupProps
    {
        LogGroupName = name,
        EncryptionKey = DataKey,
        Retention = retention,
        RemovalPolicy = RemovalPolicy.RETAIN,
    });

    /// <summary>A service principal that can only act for this account (confused-deputy protection).</summary>
    public static ServicePrincipal ServicePrincipalInThisAccount(string service) => new(service, new ServicePrincipalOpts
    {
        Conditions = new Dictionary<string, object>
        {
            ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Aws.ACCOUNT_ID },
        },
    });

    private static ServicePrincipal EcsTasksPrincipal() => new("ecs-tasks.amazonaws.com", new ServicePrincipalOpts
    {
        Conditions = new Dictionary<string, object>
        {
            ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Aws.ACCOUNT_ID },
            ["ArnLike"] = new Dictionary<string, object>
            {
                ["aws:SourceArn"] = $"arn:{Aws.PARTITION}:ecs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*",
            },
        },
    });

    /// <summary>ecs:RunTask on named task definitions, only on this cluster.</summary>
    public static PolicyStatement RunTaskStatement(string sid, string[] taskDefinitionArns, string clusterArn)
    {
        var statement = new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid,
            Actions = ["ecs:RunTask"],
            Resources = taskDefinitionArns,
        });
        statement.AddCondition("ArnEquals", new Dictionary<string, object> { ["ecs:cluster"] = clusterArn });
        return statement;
    }

    public static PolicyStatement PassRoleStatement(string sid, params string[] roleArns)
    {
        var statement = new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid,
            Actions = ["iam:PassRole"],
            Resources = roleArns,
        });
        statement.AddCondition("StringEquals", new Dictionary<string, object> { ["iam:PassedToService"] = "ecs-tasks.amazonaws.com" });
        return statement;
    }

    private void AttachPolicy(string id, IRole role, IEnumerable<PolicyStatement> statements)
    {
        var policy = new IamPolicy(this, id, new PolicyProps { Statements = statements.ToArray() });
        policy.AttachToRole(role);
    }

    private void Out(string id, string value, string description) =>
        _ = new CfnOutput(this, id, new CfnOutputProps { Value = value, Description = description });

    public static RetentionDays ToRetention(int days) => days switch
    {
        1 => RetentionDays.ONE_DAY,
        3 => RetentionDays.THREE_DAYS,
        5 => RetentionDays.FIVE_DAYS,
        7 => RetentionDays.ONE_WEEK,
        14 => RetentionDays.TWO_WEEKS,
        30 => RetentionDays.ONE_MONTH,
        60 => RetentionDays.TWO_MONTHS,
        90 => RetentionDays.THREE_MONTHS,
        120 => RetentionDays.FOUR_MONTHS,
        150 => RetentionDays.FIVE_MONTHS,
        180 => RetentionDays.SIX_MONTHS,
        365 => RetentionDays.ONE_YEAR,
        400 => RetentionDays.THIRTEEN_MONTHS,
        545 => RetentionDays.EIGHTEEN_MONTHS,
        731 => RetentionDays.TWO_YEARS,
        1096 => RetentionDays.THREE_YEARS,
        1827 => RetentionDays.FIVE_YEARS,
        2192 => RetentionDays.SIX_YEARS,
        2557 => RetentionDays.SEVEN_YEARS,
        2922 => RetentionDays.EIGHT_YEARS,
        3288 => RetentionDays.NINE_YEARS,
        3653 => RetentionDays.TEN_YEARS,
        _ => throw new ArgumentException($"logRetentionDays {days} is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."),
    };
}
