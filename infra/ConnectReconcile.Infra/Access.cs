using Amazon.CDK;
using Amazon.CDK.AWS.IAM;

namespace ConnectReconcile.Infra;

/// <summary>
/// Least-privilege statements, written out by hand instead of the CDK <c>grant*</c> helpers: those
/// add wildcard actions (<c>kms:GenerateDataKey*</c>, <c>kms:ReEncrypt*</c>, <c>s3:GetObject*</c>,
/// <c>s3:List*</c>) and whole-bucket resources. Every statement here names its resources and
/// spells out its actions.
/// </summary>
public static class Access
{
    public static readonly string[] S3ReadActions = ["s3:GetObject"];

    public static readonly string[] S3WriteActions =
    [
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
    ];

    public static string BucketArn(string bucket) => $"arn:{Aws.PARTITION}:s3:::{bucket}";

    public static string ObjectsArn(string bucket, string prefix) => $"arn:{Aws.PARTITION}:s3:::{bucket}/{prefix}*";

    /// <summary>Read objects under one prefix of a bucket we do not own, and list only that prefix.</summary>
    public static IEnumerable<PolicyStatement> ReadPrefix(string sid, S3Location location)
    {
        yield return new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid + "Read",
            Actions = S3ReadActions,
            Resources = [ObjectsArn(location.Bucket, location.Prefix)],
        });
        yield return ListPrefix(sid + "List", BucketArn(location.Bucket), location.Prefix);
    }

    /// <summary>Read one object (a rate card).</summary>
    public static PolicyStatement ReadObject(string sid, S3Location location) => new(new PolicyStatementProps
    {
        Sid = sid,
        Actions = S3ReadActions,
        Resources = [$"arn:{Aws.PARTITION}:s3:::{location.Bucket}/{location.Prefix}"],
    });

    /// <summary>Read and write objects under one prefix of the output bucket, list only that prefix.</summary>
    public static IEnumerable<PolicyStatement> WritePrefix(string sid, string bucketArn, string prefix)
    {
        yield return new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid + "ReadWrite",
            Actions = S3WriteActions,
            Resources = [$"{bucketArn}/{prefix}*"],
        });
        yield return ListPrefix(sid + "List", bucketArn, prefix);
    }

    public static PolicyStatement ListPrefix(string sid, string bucketArn, string prefix)
    {
        var statement = new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid,
            Actions = ["s3:ListBucket"],
            Resources = [bucketArn],
        });
        if (prefix.Length > 0)
        {
            statement.AddCondition("StringLike", new Dictionary<string, object> { ["s3:prefix"] = new[] { prefix + "*" } });
        }

        return statement;
    }

    /// <summary>
    /// Use of one KMS key, only through the named services (kms:ViaService), so the role cannot call
    /// KMS directly with the key. <paramref name="encrypt"/> adds what writers need.
    /// </summary>
    public static PolicyStatement KeyUse(string sid, string keyArn, bool encrypt, params string[] viaServices)
    {
        var actions = encrypt
            ? new[] { "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey" }
            : new[] { "kms:Decrypt", "kms:DescribeKey" };
        var statement = new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid,
            Actions = actions,
            Resources = [keyArn],
        });
        statement.AddCondition("StringEquals", new Dictionary<string, object>
        {
            ["kms:ViaService"] = viaServices.Select(s => $"{s}.{Aws.REGION}.amazonaws.com").ToArray(),
        });
        return statement;
    }
}
