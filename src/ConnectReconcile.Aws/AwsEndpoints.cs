namespace ConnectReconcile.Aws;

/// <summary>Placeholder until the AWS edge lands.</summary>
public static class AwsEndpoints
{
}
