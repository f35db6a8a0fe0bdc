using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.CDK.Assertions;

namespace ConnectReconcile.Infra.Tests;

/// <summary>
/// Synthesizes the stack ONCE per configuration for the whole test run (Template.FromStack costs a
/// few seconds each: it runs the CDK in node through jsii). Two configurations cover every branch
/// that changes resources: the no-context default, and a "full" one with every option set.
/// </summary>
public sealed class Synthesized : IDisposable
{
    public const string StreamArn = "arn:aws:kinesis:eu-west-2:111122223333:stream/connect-ctr";
    public const string StreamKeyArn = "arn:aws:kms:eu-west-2:111122223333:key/11111111-2222-3333-4444-555555555555";
    public const string CtrKeyArn = "arn:aws:kms:eu-west-2:111122223333:key/aaaaaaaa-2222-3333-4444-555555555555";
    public const string CurKeyArn = "arn:aws:kms:eu-west-2:111122223333:key/bbbbbbbb-2222-3333-4444-555555555555";
    public const string ReferenceKeyArn = "arn:aws:kms:eu-west-2:111122223333:key/cccccccc-2222-3333-4444-555555555555";
    public const string CurAccount = "444455556666";
    public const string ImageUri = "111122223333.dkr.ecr.eu-west-2.amazonaws.com/connect-reconcile:1.2.3";

    public static readonly Dictionary<string, object> FullContext = new()
    {
        ["stackName"] = "CrFull",
        ["ctrSource"] = "s3://acme-connect-ctr/firehose/ctr",
        ["ctrKmsKeyArn"] = CtrKeyArn,
        ["kinesisStreamArn"] = StreamArn,
        ["kinesisKmsKeyArn"] = StreamKeyArn,
        ["curSource"] = "s3://acme-billing/cur2/connect/",
        ["curKmsKeyArn"] = CurKeyArn,
        ["curAccount"] = CurAccount,
        ["outputBucketName"] = "acme-connect-reconcile-out",
        ["outputPrefix"] = "rated",
        ["rateCard"] = "s3://acme-config/connect/rate-card-2025.json",
        ["agents"] = "s3://acme-config/connect/agents.csv",
        ["referenceKmsKeyArn"] = ReferenceKeyArn,
        ["replayInstancePartitions"] = "true",
        ["schedule"] = "cron(15 7 * * ? *)",
        ["scheduleTimezone"] = "Europe/London",
        ["replayConcurrency"] = "25",
        ["replayInstanceConcurrency"] = "2",
        ["streamWorkers"] = "2",
        ["logRetentionDays"] = "30",
        ["alarmEmail"] = "finance-ops@example.com",
        ["vpcId"] = "vpc-0123456789abcdef0",
        ["subnetIds"] = "subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb",
        ["imageUri"] = ImageUri,
        ["cpuArchitecture"] = "arm64",
    };

    public StackTemplate Default { get; }
    public StackTemplate Full { get; }
    public TimeSpan SynthTime { get; }

    // jsii unpacks its runtime and aws-cdk-lib (~66 MB) and every synth writes an assembly under
    // TMPDIR, and never deletes them: give this run its own folder (inherited by the node process,
    // which starts on the first CDK call below) and remove it afterwards.
    private readonly string scratch = Path.Combine(Path.GetTempPath(), $"connect-reconcile-infra-tests-{Environment.ProcessId}");

    public Synthesized()
    {
        Directory.CreateDirectory(scratch);
        Environment.SetEnvironmentVariable("TMPDIR", scratch);
        Environment.SetEnvironmentVariable("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20");
        var watch = Stopwatch.StartNew();
        Default = Synth(new Dictionary<string, object> { ["imageAssetDirectory"] = RepoRoot.Path });
        Full = Synth(FullContext);
        SynthTime = watch.Elapsed;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the node process may still hold files on some platforms.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static StackTemplate Synth(Dictionary<string, object> context)
    {
        var app = InfraApp.NewApp(context);
        var stack = InfraApp.AddStack(app);
        var template = Template.FromStack(stack);
        var json = JsonNode.Parse(JsonSerializer.Serialize(template.ToJSON()))!.AsObject();
        return new StackTemplate(stack, template, json, Annotations.FromStack(stack));
    }
}

[CollectionDefinition(Name)]
public sealed class CdkCollection : ICollectionFixture<Synthesized>
{
    public const string Name = "cdk";
}

/// <summary>One synthesized stack: the CDK objects, the assertions Template, and the template as JSON.</summary>
public sealed record StackTemplate(ConnectReconcileStack Stack, Template Template, JsonObject Json, Annotations Annotations)
{
    public JsonObject ResourcesNode => Json["Resources"]!.AsObject();

    public IEnumerable<(string Id, JsonObject Props)> Resources(string type) =>
        ResourcesNode
            .Where(r => (string?)r.Value!["Type"] == type)
            .Select(r => (r.Key, r.Value!["Properties"]?.AsObject() ?? new JsonObject()));

    public (string Id, JsonObject Props) One(string type) => Assert.Single(Resources(type));

    public string LogicalId(Amazon.CDK.CfnElement element) => Stack.GetLogicalId(element);

    /// <summary>Every statement of every identity policy: inline role policies, IAM::Policy, IAM::ManagedPolicy.</summary>
    public IReadOnlyList<IamStatement> IdentityStatements()
    {
        var list = new List<IamStatement>();
        foreach (var (id, props) in Resources("AWS::IAM::Policy").Concat(Resources("AWS::IAM::ManagedPolicy")))
        {
            list.AddRange(IamStatement.From(id, props["PolicyDocument"]!));
        }

        foreach (var (id, props) in Resources("AWS::IAM::Role"))
        {
            foreach (var policy in props["Policies"]?.AsArray() ?? [])
            {
                list.AddRange(IamStatement.From(id, policy!["PolicyDocument"]!));
            }
        }

        return list;
    }

    /// <summary>The state machine definition with tokens rendered as ${...} placeholders, parsed.</summary>
    public JsonObject StateMachineDefinition()
    {
        var (_, props) = One("AWS::StepFunctions::StateMachine");
        return JsonNode.Parse(Render.Json(props["DefinitionString"]))!.AsObject();
    }
}

/// <summary>One IAM statement, with actions and resources normalised to lists of rendered strings.</summary>
public sealed record IamStatement(string Source, string? Sid, string Effect, IReadOnlyList<string> Actions,
    IReadOnlyList<string> Resources, JsonObject? Condition, bool HasNotAction, bool HasNotResource)
{
    public static IEnumerable<IamStatement> From(string source, JsonNode document)
    {
        foreach (var node in document["Statement"]!.AsArray())
        {
            var s = node!.AsObject();
            yield return new IamStatement(
                source,
                (string?)s["Sid"],
                (string)s["Effect"]!,
                Render.List(s["Action"]),
                Render.List(s["Resource"]),
                s["Condition"]?.AsObject(),
                s.ContainsKey("NotAction"),
                s.ContainsKey("NotResource"));
        }
    }

    public override string ToString() =>
        $"{Source}/{Sid ?? "-"}: {Effect} [{string.Join(", ", Actions)}] on [{string.Join(", ", Resources)}]";
}

/// <summary>Renders CloudFormation values to strings: Ref X → ${X}, GetAtt X.A → ${X.A}, Join → joined.</summary>
public static class Render
{
    public static string Value(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v => v.ToString(),
        JsonArray a => string.Join(",", a.Select(Value)),
        JsonObject o when o["Ref"] is { } r => "${" + r + "}",
        JsonObject o when o["Fn::GetAtt"] is JsonArray g => "${" + string.Join(".", g.Select(Value)) + "}",
        JsonObject o when o["Fn::Join"] is JsonArray j => string.Join(Value(j[0]), j[1]!.AsArray().Select(Value)),
        JsonObject o when o["Fn::Sub"] is { } sub => sub is JsonArray sa ? Value(sa[0]) : Value(sub),
        JsonObject o when o["Fn::Select"] is not null => "${Select}",
        JsonObject o when o["Fn::Split"] is not null => "${Split}",
        JsonObject o when o["Fn::GetAZs"] is not null => "${GetAZs}",
        JsonObject o => o.ToJsonString(),
        _ => node.ToJsonString(),
    };

    public static IReadOnlyList<string> List(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.Select(Value).ToList(),
        _ => [Value(node)],
    };

    /// <summary>A Fn::Join that builds a JSON document (the state machine definition): placeholders stay inside strings.</summary>
    public static string Json(JsonNode? node) => node switch
    {
        JsonObject o when o["Fn::Join"] is JsonArray j => string.Concat(j[1]!.AsArray().Select(p => p is JsonValue ? p.ToString() : Value(p))),
        _ => Value(node),
    };
}

public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "cdk.json")) && File.Exists(System.IO.Path.Combine(dir.FullName, "Dockerfile")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (cdk.json + Dockerfile) not found above " + AppContext.BaseDirectory);
    }
}
