using System.Text.Json.Nodes;

namespace ConnectReconcile.Infra.Tests;

/// <summary>
/// The least-privilege rules a cdk-nag AwsSolutions pack would check (IAM4, IAM5 and friends),
/// written as tests because cdk-nag is not available here. They run on both configurations.
/// </summary>
[Collection(CdkCollection.Name)]
public sealed class IamPolicyTests(Synthesized synth)
{
    /// <summary>
    /// Actions that AWS only authorises on Resource "*" (no resource type in the service
    /// authorization reference). Anything else on "*" fails.
    /// </summary>
    private static readonly HashSet<string> StarOnlyActions =
    [
        "ecr:GetAuthorizationToken",
        // Step Functions logging to CloudWatch Logs (vended log delivery).
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        // The Athena console lists workgroups before it opens one.
        "athena:ListWorkGroups",
    ];

    public static TheoryData<string> Configurations => new() { "default", "full" };

    private StackTemplate Get(string name) => name == "default" ? synth.Default : synth.Full;

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Has_statements_to_check(string config)
    {
        Assert.True(Get(config).IdentityStatements().Count > 20);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void No_action_wildcards_at_all(string config)
    {
        // Covers "*", "s3:*", "kms:GenerateDataKey*", "s3:GetObject*", "s3:List*" ...
        var offenders = Get(config).IdentityStatements()
            .Where(s => s.Actions.Any(a => a.Contains('*', StringComparison.Ordinal)))
            .ToList();
        Assert.True(offenders.Count == 0, "Wildcard actions:\n" + string.Join("\n", offenders));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void No_NotAction_NotResource_or_Deny_tricks_in_identity_policies(string config)
    {
        var statements = Get(config).IdentityStatements();
        Assert.DoesNotContain(statements, s => s.HasNotAction || s.HasNotResource);
        Assert.All(statements, s => Assert.Equal("Allow", s.Effect));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Resource_star_only_where_AWS_requires_it(string config)
    {
        var offenders = Get(config).IdentityStatements()
            .Where(s => s.Resources.Contains("*") && s.Actions.Any(a => !StarOnlyActions.Contains(a)))
            .ToList();
        Assert.True(offenders.Count == 0, "Resource \"*\" with actions that can name a resource:\n" + string.Join("\n", offenders));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void No_AWS_managed_policies(string config)
    {
        foreach (var (id, props) in Get(config).Resources("AWS::IAM::Role"))
        {
            Assert.True(props["ManagedPolicyArns"] is null, $"{id} attaches managed policies");
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Role_trust_policies_are_service_principals_scoped_to_this_account(string config)
    {
        foreach (var (id, props) in Get(config).Resources("AWS::IAM::Role"))
        {
            foreach (var statement in props["AssumeRolePolicyDocument"]!["Statement"]!.AsArray())
            {
                var principal = statement!["Principal"]!.AsObject();
                Assert.True(principal.ContainsKey("Service"), $"{id} trusts a non-service principal: {principal.ToJsonString()}");
                // Confused-deputy protection on every role.
                Assert.Equal("${AWS::AccountId}", Render.Value(statement["Condition"]?["StringEquals"]?["aws:SourceAccount"]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void S3_write_actions_only_on_the_output_prefix_or_athena_results(string config)
    {
        var t = Get(config);
        var outputArnPrefix = $"${{{t.LogicalId((Amazon.CDK.CfnElement)t.Stack.OutputBucket.Node.DefaultChild!)}.Arn}}/{t.Stack.Settings.OutputPrefixNormalised}";
        var resultsArn = $"${{{t.LogicalId((Amazon.CDK.CfnElement)t.Stack.Query.ResultsBucket.Node.DefaultChild!)}.Arn}}/";
        string[] writes = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];
        foreach (var s in t.IdentityStatements().Where(s => s.Actions.Any(a => writes.Contains(a))))
        {
            Assert.All(s.Resources, r => Assert.True(
                r == outputArnPrefix + "*" || (r == resultsArn + "*" && s.Source.Contains("Analyst", StringComparison.Ordinal)),
                $"{s} writes outside the output prefix"));
        }

        Assert.DoesNotContain(t.IdentityStatements(), s => s.Actions.Contains("s3:DeleteBucket") || s.Actions.Contains("s3:PutBucketPolicy"));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void CTR_and_CUR_buckets_are_read_only_and_only_their_prefix(string config)
    {
        var t = Get(config);
        var sources = new[] { t.Stack.Settings.CtrSource, t.Stack.Settings.CurSource }.OfType<S3Location>().ToList();
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var bucketArn = $"arn:${{AWS::Partition}}:s3:::{source.Bucket}";
            var touching = t.IdentityStatements().Where(s => s.Resources.Any(r => r.StartsWith(bucketArn, StringComparison.Ordinal))).ToList();
            Assert.NotEmpty(touching);
            foreach (var s in touching)
            {
                Assert.All(s.Actions, a => Assert.Contains(a, new[] { "s3:GetObject", "s3:ListBucket" }));
                foreach (var r in s.Resources.Where(r => r.StartsWith(bucketArn, StringComparison.Ordinal)))
                {
                    if (s.Actions.Contains("s3:GetObject"))
                    {
                        Assert.Equal($"{bucketArn}/{source.Prefix}*", r);
                    }
                    else
                    {
                        Assert.Equal(bucketArn, r);
                        Assert.Equal($"{source.Prefix}*", Render.Value(s.Condition?["StringLike"]?["s3:prefix"]));
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ListBucket_is_always_limited_to_a_prefix_except_the_athena_results_bucket(string config)
    {
        foreach (var s in Get(config).IdentityStatements().Where(s => s.Actions.Contains("s3:ListBucket")))
        {
            if (s.Sid == "QueryResultsBucket")
            {
                continue;
            }

            Assert.True(s.Condition?["StringLike"]?["s3:prefix"] is not null, $"{s} lists a whole bucket");
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void KMS_only_on_named_keys_and_only_through_a_service(string config)
    {
        var t = Get(config);
        var dataKey = $"${{{t.LogicalId((Amazon.CDK.CfnElement)t.Stack.DataKey.Node.DefaultChild!)}.Arn}}";
        var allowedKeys = new HashSet<string> { dataKey };
        foreach (var k in new[] { t.Stack.Settings.CtrKmsKeyArn, t.Stack.Settings.CurKmsKeyArn, t.Stack.Settings.KinesisKmsKeyArn }.OfType<string>())
        {
            allowedKeys.Add(k);
        }

        if (config == "full")
        {
            allowedKeys.Add(Synthesized.ReferenceKeyArn);
        }

        var kms = t.IdentityStatements().Where(s => s.Actions.Any(a => a.StartsWith("kms:", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(kms);
        foreach (var s in kms)
        {
            Assert.All(s.Resources, r => Assert.Contains(r, allowedKeys));
            Assert.True(s.Condition?["StringEquals"]?["kms:ViaService"] is not null, $"{s} can call KMS directly");
            Assert.All(s.Actions, a => Assert.Contains(a, new[] { "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey" }));
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void PassRole_names_roles_and_the_service(string config)
    {
        foreach (var s in Get(config).IdentityStatements().Where(s => s.Actions.Contains("iam:PassRole")))
        {
            Assert.DoesNotContain("*", s.Resources);
            // The VPC flow log role passes itself (CDK); every other PassRole is to ECS tasks only.
            if (!s.Source.StartsWith("VpcFlowLogRole", StringComparison.Ordinal))
            {
                Assert.Equal("ecs-tasks.amazonaws.com", Render.Value(s.Condition?["StringEquals"]?["iam:PassedToService"]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RunTask_only_named_task_definitions_on_this_cluster(string config)
    {
        var t = Get(config);
        var cluster = $"${{{t.LogicalId((Amazon.CDK.CfnElement)t.Stack.Cluster.Node.DefaultChild!)}.Arn}}";
        var runTask = t.IdentityStatements().Where(s => s.Actions.Contains("ecs:RunTask")).ToList();
        Assert.NotEmpty(runTask);
        foreach (var s in runTask)
        {
            Assert.Equal(cluster, Render.Value(s.Condition?["ArnEquals"]?["ecs:cluster"]));
            Assert.All(s.Resources, r => Assert.Matches(@"^\$\{(Nightly|Batch)Task[0-9A-F]{8}\}$", r));
        }

        foreach (var s in t.IdentityStatements().Where(s => s.Actions.Contains("ecs:StopTask") || s.Actions.Contains("ecs:DescribeTasks")))
        {
            Assert.All(s.Resources, r => Assert.EndsWith(":task/${" + t.LogicalId((Amazon.CDK.CfnElement)t.Stack.Cluster.Node.DefaultChild!) + "}/*", r));
        }
    }

    [Fact]
    public void Stream_worker_reads_only_its_stream_and_writes_only_its_table()
    {
        var t = synth.Full;
        var table = $"${{{t.LogicalId((Amazon.CDK.CfnElement)t.Stack.CheckpointTable!.Node.DefaultChild!)}.Arn}}";
        var kinesis = t.IdentityStatements().Where(s => s.Actions.Any(a => a.StartsWith("kinesis:", StringComparison.Ordinal))).ToList();
        var dynamo = t.IdentityStatements().Where(s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal))).ToList();
        Assert.Single(kinesis);
        Assert.Equal([Synthesized.StreamArn], kinesis[0].Resources);
        Assert.Single(dynamo);
        Assert.Equal([table], dynamo[0].Resources);
        // Exactly the operations the worker sends: KinesisClient (as StreamWorker uses it) and
        // DynamoDbCheckpointStore (leases and checkpoints are conditional UpdateItems).
        Assert.Equal(["kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"], kinesis[0].Actions.Order());
        Assert.Equal(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"], dynamo[0].Actions.Order());
    }

    [Fact]
    public void Reference_files_under_a_customer_managed_key_can_be_decrypted_through_S3_by_both_task_roles()
    {
        var t = synth.Full;
        var statements = t.IdentityStatements().Where(s => s.Resources.Contains(Synthesized.ReferenceKeyArn)).ToList();
        Assert.Equal(2, statements.Count); // batch role + stream role
        Assert.Equal(2, statements.Select(s => s.Source).Distinct().Count());
        Assert.All(statements, s =>
        {
            Assert.Equal([Synthesized.ReferenceKeyArn], s.Resources);
            Assert.Equal(["kms:Decrypt", "kms:DescribeKey"], s.Actions);
            Assert.Equal("s3.${AWS::Region}.amazonaws.com", Render.Value(s.Condition!["StringEquals"]!["kms:ViaService"]));
        });
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Replay_role_can_watch_stop_and_redrive_its_Distributed_Map_child_executions(string config)
    {
        var t = Get(config);
        var name = config == "full" ? "CrFull-replay" : "ConnectReconcile-replay";
        var (_, machine) = t.One("AWS::StepFunctions::StateMachine");
        Assert.Equal(name, (string?)machine["StateMachineName"]);
        var executions = $"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:{name}";
        var statement = Assert.Single(t.IdentityStatements(), s => s.Actions.Contains("states:RedriveExecution"));
        Assert.Equal(["states:DescribeExecution", "states:RedriveExecution", "states:StopExecution"], statement.Actions.Order());
        Assert.Equal([executions + "/*:*", executions + ":*"], statement.Resources.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("RateCard", "connect/rate-card-2025.json")]
    [InlineData("Agents", "connect/agents.csv")]
    public void Reference_files_are_read_as_single_objects(string sid, string key)
    {
        var statements = synth.Full.IdentityStatements().Where(s => s.Sid == sid).ToList();
        Assert.Equal(2, statements.Count); // batch role + stream role
        Assert.All(statements, s =>
        {
            Assert.Equal(["s3:GetObject"], s.Actions);
            Assert.Equal([$"arn:${{AWS::Partition}}:s3:::acme-config/{key}"], s.Resources);
        });
        Assert.DoesNotContain(synth.Full.IdentityStatements(), s => s.Sid == "Numbers");
    }

    [Fact]
    public void Pulled_image_grants_pull_on_that_repository_only()
    {
        var pulls = synth.Full.IdentityStatements().Where(s => s.Actions.Contains("ecr:BatchGetImage")).ToList();
        Assert.NotEmpty(pulls);
        Assert.All(pulls, s => Assert.Equal(["arn:${AWS::Partition}:ecr:eu-west-2:111122223333:repository/connect-reconcile"], s.Resources));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Resource_policies_allow_no_wildcard_principals(string config)
    {
        var t = Get(config);
        var documents = t.Resources("AWS::S3::BucketPolicy").Select(r => (r.Id, r.Props["PolicyDocument"]!))
            .Concat(t.Resources("AWS::SNS::TopicPolicy").Select(r => (r.Id, r.Props["PolicyDocument"]!)))
            .Concat(t.Resources("AWS::KMS::Key").Select(r => (r.Id, r.Props["KeyPolicy"]!)));
        foreach (var (id, doc) in documents)
        {
            foreach (var statement in doc["Statement"]!.AsArray().Select(s => s!.AsObject()))
            {
                if ((string?)statement["Effect"] != "Allow")
                {
                    continue;
                }

                var principal = statement["Principal"];
                Assert.False(principal is JsonValue || Render.Value(principal?["AWS"]) == "*", $"{id} allows everyone: {statement.ToJsonString()}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Key_policy_lets_services_use_the_key_but_only_logs_of_this_account(string config)
    {
        var (_, key) = Get(config).One("AWS::KMS::Key");
        var statements = key["KeyPolicy"]!["Statement"]!.AsArray().Select(s => s!.AsObject()).ToList();
        var logs = Assert.Single(statements, s => Render.Value(s["Principal"]?["Service"]).StartsWith("logs.", StringComparison.Ordinal));
        Assert.Equal("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*",
            Render.Value(logs["Condition"]!["ArnLike"]!["kms:EncryptionContext:aws:logs:arn"]));
        var services = statements.Where(s => s["Principal"]?["Service"] is not null)
            .SelectMany(s => s["Principal"]!["Service"] is JsonArray a ? a.Select(Render.Value) : [Render.Value(s["Principal"]!["Service"])]);
        Assert.Equal(new[] { "cloudwatch.amazonaws.com", "events.amazonaws.com", "logs.${AWS::Region}.amazonaws.com" }, services.Order());
        Assert.All(statements.Where(s => s["Principal"]?["Service"] is not null),
            s => Assert.DoesNotContain("kms:*", Render.List(s["Action"])));
    }
}
