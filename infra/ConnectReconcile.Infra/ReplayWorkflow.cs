using Amazon.CDK;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.StepFunctions;
using Amazon.CDK.AWS.StepFunctions.Tasks;
using Constructs;
using SfnTimeout = Amazon.CDK.AWS.StepFunctions.Timeout;

namespace ConnectReconcile.Infra;

public sealed class ReplayWorkflowProps
{
    public required InfraSettings Settings { get; init; }
    public required Cluster Cluster { get; init; }
    public required FargateTaskDefinition TaskDefinition { get; init; }
    public required IRole TaskRole { get; init; }
    public required ISubnet[] Subnets { get; init; }
    public required ISecurityGroup SecurityGroup { get; init; }
    public required bool AssignPublicIp { get; init; }
    public required string OutputUri { get; init; }
    public required ITopic Topic { get; init; }
    public required IKey Key { get; init; }
    public required RetentionDays LogRetention { get; init; }
}

/// <summary>
/// Month replay: a Step Functions Standard workflow. Input:
/// <c>{"month":"YYYY-MM", "concurrency": 10}</c> (only month is required; <c>"instances": ["a/", "b/"]</c>
/// too when the stack was deployed with replayInstancePartitions=true; <c>"through": "YYYY-MM-DD"</c> to
/// stop the comparison at a day of a running month, whose CUR lags a day or more).
/// Days of the month (28–31, computed in the workflow) fan out in a Distributed Map (child executions,
/// at most <c>concurrency</c> days in flight); each day fans out over <c>instances</c> — sub-prefixes
/// of the CTR prefix, e.g. one per Connect instance, "" = the whole prefix — and each partition is a
/// Fargate task <c>connect-reconcile nightly --date D --source CTR/INSTANCE --out OUT</c>. When every
/// partition succeeded, one <c>reconcile --month M --through T</c> task compares the month with the CUR
/// (T: the input's <c>through</c>, else the month's last day).
/// Exit 3 from reconcile notifies the topic as a variance; any failure notifies and fails the execution.
/// </summary>
public sealed class ReplayWorkflow : Construct
{
    public StateMachine StateMachine { get; }
    public LogGroup LogGroup { get; }

    /// <summary>The years a replay accepts (the input check enumerates them: ASL has no regex condition).</summary>
    public const int FirstYear = 2000;

    public const int LastYear = 2199;

    private static string Two(int n) => n.ToString("00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// February has 29 days when the year is divisible by 4 but not by 100, or by 400 (Gregorian):
    /// any YY04, YY08, … YY96 (a pattern on the last two digits), and the century years divisible
    /// by 400 in the accepted range, by name (2000; not 2100).
    /// </summary>
    private static Condition LeapFebruary(string month) => Condition.Or(
        Enumerable.Range(1, 24).Select(i => Condition.StringMatches(month, $"*{Two(i * 4)}-02"))
            .Concat(Enumerable.Range(FirstYear, LastYear - FirstYear + 1).Where(y => y % 400 == 0)
                .Select(y => Condition.StringEquals(month, $"{y}-02")))
            .ToArray());

    /// <summary>
    /// Exactly YYYY-MM: starts with an accepted year and a dash, ends with a dash and 01–12, and has one
    /// dash only, so the two dashes are the same one. ("abc-def", "2024-1", "2024-13", "2024-01-05" fail.)
    /// </summary>
    private static Condition IsMonth(string month) => Condition.And(
        Condition.IsPresent(month), Condition.IsString(month),
        Condition.Or(Enumerable.Range(FirstYear, LastYear - FirstYear + 1)
            .Select(y => Condition.StringMatches(month, $"{y}-*")).ToArray()),
        Condition.Or(Enumerable.Range(1, 12).Select(m => Condition.StringMatches(month, $"*-{Two(m)}")).ToArray()),
        Condition.Not(Condition.StringMatches(month, "*-*-*")));

    public ReplayWorkflow(Construct scope, string id, ReplayWorkflowProps props) : base(scope, id)
    {
        var settings = props.Settings;
        var ctr = settings.CtrSource ?? throw new ArgumentException("The month replay needs ctrSource.");

        // 1. Settings: defaults the caller may override, fixed locations the caller may not.
        var fixedLocations = new Dictionary<string, object>
        {
            ["source"] = ctr.Uri,
            ["out"] = props.OutputUri,
            ["cur"] = settings.CurSource.Uri,
        };
        foreach (var (_, key, location) in settings.ReferenceFiles)
        {
            fixedLocations[key] = location.Uri;
        }

        var account = ConnectReconcileStack.ReconcileAccount(settings);
        if (account is not null)
        {
            fixedLocations["account"] = account;
        }

        var defaults = new Dictionary<string, object> { ["concurrency"] = settings.ReplayConcurrency };
        // Instance partitions are opt-in (replayInstancePartitions): otherwise the execution input
        // cannot ask for them, because two partitions of one day would write the same files.
        (settings.ReplayInstancePartitions ? defaults : fixedLocations)["instances"] = new object[] { "" };

        var loadSettings = new Pass(this, "LoadSettings", new PassProps
        {
            Comment = "Defaults (overridable by the execution input) and the deployed locations (not overridable)",
            Parameters = new Dictionary<string, object>
            {
                ["defaults"] = defaults,
                ["fixed"] = fixedLocations,
                // jsii cannot pass JsonPath.ObjectAt tokens inside a map: use the ASL ".$" key form.
                ["input.$"] = "$$.Execution.Input",
            },
        });
        var mergeConfig = new Pass(this, "MergeConfig", new PassProps
        {
            Parameters = new Dictionary<string, object>
            {
                // Later arguments win: input overrides defaults, fixed locations override input.
                ["config.$"] = "States.JsonMerge(States.JsonMerge($.defaults, $.input, false), $.fixed, false)",
            },
        });

        var badInput = new Fail(this, "BadInput", new FailProps
        {
            Error = "BadInput",
            Cause = $"Start the replay with {{\"month\": \"YYYY-MM\"}}, a year {FirstYear}–{LastYear} (optional: \"concurrency\": N, \"instances\": [\"instance-prefix/\", ...], \"through\": \"YYYY-MM-DD\")",
        });

        // 2. Days of the month: a Choice on the month (Gregorian leap years) picks a fixed list.
        Pass DaysPass(int count) => new Pass(this, $"Days{count}", new PassProps
        {
            Result = Result.FromArray(Enumerable.Range(1, count)
                .Select(d => (object)d.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
            ResultPath = "$.days",
        });
        var days28 = DaysPass(28);
        var days29 = DaysPass(29);
        var days30 = DaysPass(30);
        var days31 = DaysPass(31);
        const string month = "$.config.month";
        var daysInMonth = new Choice(this, "DaysInMonth")
            .When(LeapFebruary(month), days29)
            .When(Condition.StringMatches(month, "*-02"), days28)
            .When(Condition.Or(
                Condition.StringMatches(month, "*-04"), Condition.StringMatches(month, "*-06"),
                Condition.StringMatches(month, "*-09"), Condition.StringMatches(month, "*-11")), days30)
            .Otherwise(days31);
        var checkInput = new Choice(this, "CheckInput")
            .When(IsMonth(month), daysInMonth)
            .Otherwise(badInput);

        // 3. One partition = one Fargate task: nightly --date D --source CTR/INSTANCE --out OUT.
        var rateDay = RunTask("RateDayPartition", props,
            "connect-reconcile nightly --date D --source s3://CTR/INSTANCE --out s3://OUT", "$.command", "$.task");
        var partitionFailed = new Fail(this, "PartitionFailed", new FailProps
        {
            Error = "PartitionFailed",
            Cause = "connect-reconcile nightly exited non-zero or the task failed: see the replay log group",
        });
        rateDay.AddCatch(partitionFailed, new CatchProps { Errors = ["States.ALL"], ResultPath = "$.error" });
        var partitionDone = new Succeed(this, "PartitionDone");
        var checkPartition = new Choice(this, "CheckPartitionExit")
            .When(Condition.And(
                Condition.IsPresent("$.task.Containers[0].ExitCode"),
                Condition.NumberEquals("$.task.Containers[0].ExitCode", 0)), partitionDone)
            .Otherwise(partitionFailed);

        var commandArgs = new List<string>
        {
            "nightly", "--date", JsonPath.StringAt("$.date"),
            "--source", JsonPath.Format("{}{}", JsonPath.StringAt("$.source"), JsonPath.StringAt("$$.Map.Item.Value")),
            "--out", JsonPath.StringAt("$.out"),
        };
        foreach (var (option, key, _) in settings.ReferenceFiles)
        {
            commandArgs.AddRange([option, JsonPath.StringAt("$." + key)]);
        }

        var instances = new Map(this, "ReplayInstances", new MapProps
        {
            Comment = "Instance partitions of one day",
            ItemsPath = "$.instances",
            MaxConcurrency = settings.ReplayInstanceConcurrency,
            ItemSelector = new Dictionary<string, object> { ["command"] = JsonPath.Array(commandArgs.ToArray()) },
            ResultPath = JsonPath.DISCARD,
        });
        instances.ItemProcessor(rateDay.Next(checkPartition));

        var itemSelector = new Dictionary<string, object>
        {
            ["date"] = JsonPath.Format("{}-{}", JsonPath.StringAt(month), JsonPath.StringAt("$$.Map.Item.Value")),
            ["instances"] = JsonPath.ListAt("$.config.instances"),
            ["source"] = JsonPath.StringAt("$.config.source"),
            ["out"] = JsonPath.StringAt("$.config.out"),
        };
        foreach (var (_, key, _) in settings.ReferenceFiles)
        {
            itemSelector[key] = JsonPath.StringAt("$.config." + key);
        }

        var replayDays = new DistributedMap(this, "ReplayDays", new DistributedMapProps
        {
            Comment = "Fan the month out: one child execution per day",
            ItemsPath = "$.days",
            MaxConcurrencyPath = "$.config.concurrency",
            ItemSelector = itemSelector,
            MapExecutionType = StateMachineType.STANDARD,
            ToleratedFailurePercentage = 0,
            Label = "ReplayDays",
            ResultPath = JsonPath.DISCARD,
        });
        replayDays.ItemProcessor(instances);

        // 4. Reconcile the month once every day is rated, through the input's "through" day when given
        // (a replay of the running month: its CUR lags a day or more, and the days AWS has not billed
        // yet would be flagged as variances), else through the month's last day (the whole month).
        var monthEnd = new Pass(this, "MonthEnd", new PassProps
        {
            Parameters = new Dictionary<string, object>
            {
                ["through.$"] = "States.Format('{}-{}', $.config.month, States.ArrayGetItem($.days, States.MathAdd(States.ArrayLength($.days), -1)))",
            },
            ResultPath = "$.monthEnd",
        });
        var prepareReconcile = new Pass(this, "PrepareReconcile", new PassProps
        {
            Comment = "through: the input's, else the month's last day",
            Parameters = new Dictionary<string, object>
            {
                ["config.$"] = "States.JsonMerge($.monthEnd, $.config, false)",
            },
            ResultPath = "$.reconcile",
        });
        // The same account filter and reference files as the nightly reconcile (the rate card prices
        // the expected side; without it the built-in USD card is compared with the invoice).
        var reconcileArgs = new List<string>
        {
            "reconcile", "--cur", JsonPath.StringAt("$.reconcile.config.cur"),
            "--rated", JsonPath.StringAt("$.reconcile.config.out"), "--month", JsonPath.StringAt("$.reconcile.config.month"),
            "--through", JsonPath.StringAt("$.reconcile.config.through"),
        };
        if (account is not null)
        {
            reconcileArgs.AddRange(["--account", JsonPath.StringAt("$.reconcile.config.account")]);
        }

        foreach (var (option, key, _) in settings.ReferenceFiles)
        {
            reconcileArgs.AddRange([option, JsonPath.StringAt("$.reconcile.config." + key)]);
        }

        var reconcileCommand = new Pass(this, "ReconcileCommand", new PassProps
        {
            Parameters = new Dictionary<string, object> { ["command"] = JsonPath.Array(reconcileArgs.ToArray()) },
            ResultPath = "$.reconcile",
        });
        var reconcile = RunTask("ReconcileMonth", props,
            "connect-reconcile reconcile --cur CUR --rated OUT --month M --through T (exit 3 = variance)", "$.reconcile.command", "$.reconcileResult");

        var notifyVariance = new SnsPublish(this, "NotifyVariance", new SnsPublishProps
        {
            Topic = props.Topic,
            Subject = "ConnectReconcile replay: variance beyond tolerance",
            Message = TaskInput.FromObject(new Dictionary<string, object>
            {
                ["result"] = "VARIANCE",
                ["month"] = JsonPath.StringAt(month),
                ["execution"] = JsonPath.StringAt("$$.Execution.Id"),
                ["detail"] = "reconcile exited 3: see the daily-variance named query in the Athena workgroup",
            }),
            ResultPath = JsonPath.DISCARD,
        });
        var notifyFailure = new SnsPublish(this, "NotifyFailure", new SnsPublishProps
        {
            Topic = props.Topic,
            Subject = "ConnectReconcile replay failed",
            Message = TaskInput.FromObject(new Dictionary<string, object>
            {
                ["result"] = "FAILED",
                ["month"] = JsonPath.StringAt(month),
                ["execution"] = JsonPath.StringAt("$$.Execution.Id"),
            }),
            ResultPath = JsonPath.DISCARD,
        });
        var failed = new Fail(this, "ReplayFailed", new FailProps { Error = "ReplayFailed", Cause = "A partition or the reconcile step failed: see the replay log group" });
        var reconciled = new Succeed(this, "Reconciled");
        var withVariance = new Succeed(this, "ReconciledWithVariance", new SucceedProps { Comment = "Rated and reconciled; the invoice differs beyond tolerance" });
        notifyVariance.Next(withVariance);
        notifyFailure.Next(failed);

        // .sync reports a stopped task; whether a non-zero exit arrives as success or as
        // States.TaskFailed (with the task description in Cause), both paths read the exit code.
        var reconcileErrorKind = new Choice(this, "ReconcileErrorKind")
            .When(Condition.Or(
                Condition.StringMatches("$.reconcileError.Cause", "*\"ExitCode\":3,*"),
                Condition.StringMatches("$.reconcileError.Cause", "*\"ExitCode\":3}*")), notifyVariance)
            .Otherwise(notifyFailure);
        reconcile.AddCatch(reconcileErrorKind, new CatchProps { Errors = ["States.ALL"], ResultPath = "$.reconcileError" });
        const string exitCode = "$.reconcileResult.Containers[0].ExitCode";
        var reconcileExit = new Choice(this, "ReconcileExit")
            .When(Condition.And(Condition.IsPresent(exitCode), Condition.NumberEquals(exitCode, 0)), reconciled)
            .When(Condition.And(Condition.IsPresent(exitCode), Condition.NumberEquals(exitCode, 3)), notifyVariance)
            .Otherwise(notifyFailure);
        replayDays.AddCatch(notifyFailure, new CatchProps { Errors = ["States.ALL"], ResultPath = "$.error" });

        days28.Next(replayDays);
        days29.Next(replayDays);
        days30.Next(replayDays);
        days31.Next(replayDays);
        replayDays.Next(monthEnd).Next(prepareReconcile).Next(reconcileCommand).Next(reconcile).Next(reconcileExit);

        LogGroup = new LogGroup(this, "Logs", new LogGroupProps
        {
            LogGroupName = $"/aws/vendedlogs/states/{Stack.Of(this).StackName}-replay",
            EncryptionKey = props.Key,
            Retention = props.LogRetention,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        StateMachine = new StateMachine(this, "StateMachine", new StateMachineProps
        {
            StateMachineName = settings.ReplayStateMachineName,
            Comment = "ConnectReconcile month replay: days x instances on Fargate, then reconcile",
            StateMachineType = StateMachineType.STANDARD,
            DefinitionBody = DefinitionBody.FromChainable(loadSettings.Next(mergeConfig).Next(checkInput)),
            Timeout = Duration.Hours(24),
            Logs = new LogOptions { Destination = LogGroup, Level = LogLevel.ALL, IncludeExecutionData = false },
            TracingEnabled = false,
            Role = new Role(this, "Role", new RoleProps
            {
                AssumedBy = ConnectReconcileStack.ServicePrincipalInThisAccount("states.amazonaws.com"),
                Description = "ConnectReconcile month replay state machine",
            }),
        });
        // SNS publish to the KMS-encrypted topic.
        StateMachine.AddToRolePolicy(Access.KeyUse("DataKeyViaSns", props.Key.KeyArn, encrypt: true, "sns"));
        foreach (var statement in RunTaskPermissions(props))
        {
            StateMachine.AddToRolePolicy(statement);
        }

        StateMachine.AddToRolePolicy(ChildExecutionPermissions(settings.ReplayStateMachineName));
    }

    /// <summary>
    /// The Distributed Map's child executions are <c>execution:NAME/LABEL:ID</c>, not under the
    /// state machine's ARN, so the statement CDK generates for the map (on <c>stateMachine:NAME:*</c>)
    /// never matches them. Describe and stop them (a failed or stopped replay stops its days), and
    /// redrive them when a failed replay is redriven.
    /// </summary>
    private static PolicyStatement ChildExecutionPermissions(string stateMachineName)
    {
        var executions = $"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}:execution:{stateMachineName}";
        return new PolicyStatement(new PolicyStatementProps
        {
            Sid = "DistributedMapChildExecutions",
            Actions = ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
            Resources = [$"{executions}:*", $"{executions}/*:*"],
        });
    }

    /// <summary>
    /// ecs:runTask.sync as raw ASL. The CDK EcsRunTask task would grant ecs:StopTask and
    /// ecs:DescribeTasks on "*" and RunTask on every revision on any cluster; the statements in
    /// <see cref="RunTaskPermissions"/> name the revision, the cluster and the cluster's tasks.
    /// </summary>
    /// <remarks>
    /// A task that could not be placed (capacity, ENI, throttling) is tried again. A task that ran and
    /// failed is not retried here; rerun the month (days are idempotent) after fixing the cause.
    /// </remarks>
    private CustomState RunTask(string id, ReplayWorkflowProps props, string comment, string commandPath, string resultPath) =>
        new CustomState(this, id, new CustomStateProps
        {
            StateJson = new Dictionary<string, object>
            {
                ["Type"] = "Task",
                ["Comment"] = comment,
                ["Resource"] = $"arn:{Aws.PARTITION}:states:::ecs:runTask.sync",
                ["Parameters"] = new Dictionary<string, object>
                {
                    ["Cluster"] = props.Cluster.ClusterArn,
                    ["TaskDefinition"] = props.TaskDefinition.TaskDefinitionArn,
                    ["LaunchType"] = "FARGATE",
                    ["PlatformVersion"] = "LATEST",
                    ["NetworkConfiguration"] = new Dictionary<string, object>
                    {
                        ["AwsvpcConfiguration"] = new Dictionary<string, object>
                        {
                            ["Subnets"] = props.Subnets.Select(s => s.SubnetId).ToArray(),
                            ["SecurityGroups"] = new[] { props.SecurityGroup.SecurityGroupId },
                            ["AssignPublicIp"] = props.AssignPublicIp ? "ENABLED" : "DISABLED",
                        },
                    },
                    ["Overrides"] = new Dictionary<string, object>
                    {
                        ["ContainerOverrides"] = new object[]
                        {
                            new Dictionary<string, object>
                            {
                                ["Name"] = ConnectReconcileStack.ContainerName,
                                ["Command.$"] = commandPath,
                            },
                        },
                    },
                },
                // Keep only what the exit-code checks read (the full task description is large).
                ["ResultSelector"] = new Dictionary<string, object> { ["Containers.$"] = "$.Containers" },
                ["ResultPath"] = resultPath,
                ["TimeoutSeconds"] = 6 * 3600,
            },
        }).AddRetry(new RetryProps
        {
            Errors = ["ECS.AmazonECSException", "AmazonECS.Unknown"],
            Interval = Duration.Seconds(30),
            BackoffRate = 2,
            MaxAttempts = 4,
        });

    private static IEnumerable<PolicyStatement> RunTaskPermissions(ReplayWorkflowProps props)
    {
        yield return ConnectReconcileStack.RunTaskStatement("RunBatchTask", [props.TaskDefinition.TaskDefinitionArn], props.Cluster.ClusterArn);
        yield return new PolicyStatement(new PolicyStatementProps
        {
            Sid = "WatchAndStopBatchTasks",
            Actions = ["ecs:DescribeTasks", "ecs:StopTask"],
            Resources = [$"arn:{Aws.PARTITION}:ecs:{Aws.REGION}:{Aws.ACCOUNT_ID}:task/{props.Cluster.ClusterName}/*"],
        });
        yield return ConnectReconcileStack.PassRoleStatement("PassBatchRoles",
            props.TaskRole.RoleArn, props.TaskDefinition.ObtainExecutionRole().RoleArn);
        yield return new PolicyStatement(new PolicyStatementProps
        {
            // The managed rule Step Functions uses to learn that a .sync ECS task stopped.
            Sid = "SyncEcsTaskEvents",
            Actions = ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            Resources = [$"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/StepFunctionsGetEventsForECSTaskRule"],
        });
    }
}
