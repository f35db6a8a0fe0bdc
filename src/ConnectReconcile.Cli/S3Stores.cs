using ConnectReconcile.Aws.S3;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli;

/// <summary>Builds S3 stores from the CLI's settings; the AWS edge is wired in this one place.</summary>
internal static class S3Stores
{
    /// <summary>Server-side encryption for everything written (CONNECT_RECONCILE_SSE / _KMS_KEY_ID or appsettings).</summary>
    public static S3StoreOptions Options(string? endpointUrl, string? sse = null, string? kmsKeyId = null) => new()
    {
        EndpointUrl = endpointUrl,
        Sse = (sse ?? Environment.GetEnvironmentVariable("CONNECT_RECONCILE_SSE"))?.ToUpperInvariant() switch
        {
            null or "" or "NONE" => kmsKeyId is null ? S3ServerSideEncryption.None : S3ServerSideEncryption.Kms,
            "S3" or "AES256" or "SSE-S3" => S3ServerSideEncryption.S3Managed,
            "KMS" or "SSE-KMS" or "AWS:KMS" => S3ServerSideEncryption.Kms,
            var other => throw new UsageException($"Unknown server-side encryption '{other}' (none, s3 or kms)."),
        },
        KmsKeyId = kmsKeyId ?? Environment.GetEnvironmentVariable("CONNECT_RECONCILE_KMS_KEY_ID"),
    };

    public static IObjectStore Create(string location, string? endpointUrl)
    {
        try
        {
            return S3ObjectStore.Create(location, Options(endpointUrl));
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
