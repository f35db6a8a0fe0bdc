using ConnectReconcile.Aws.S3;
using ConnectReconcile.Io.Storage;
using Microsoft.Extensions.Configuration;

namespace ConnectReconcile.Cli;

/// <summary>Builds S3 stores from the CLI's settings; the AWS edge is wired in this one place.</summary>
internal static class S3Stores
{
    /// <summary>The settings read here, which no command has a flag for.</summary>
    public static readonly string[] SettingNames = ["sse", "kms-key-id"];

    /// <summary>
    /// Server-side encryption for everything written: the settings <c>sse</c> (none, s3, kms) and <c>kms-key-id</c>,
    /// resolved like every other setting — CONNECT_RECONCILE_SSE / CONNECT_RECONCILE_KMS_KEY_ID, else appsettings.json
    /// in the working directory ("sse", "kms-key-id" or "SSE", "KMS_KEY_ID").
    /// </summary>
    public static S3StoreOptions Options(string? endpointUrl, string? sse = null, string? kmsKeyId = null)
    {
        var settings = Settings();
        sse ??= Setting(settings, "sse");
        kmsKeyId ??= Setting(settings, "kms-key-id");
        return new S3StoreOptions
        {
            EndpointUrl = endpointUrl,
            Sse = sse?.Trim().ToUpperInvariant() switch
            {
                null or "" or "NONE" => kmsKeyId is null ? S3ServerSideEncryption.None : S3ServerSideEncryption.Kms,
                "S3" or "AES256" or "SSE-S3" => S3ServerSideEncryption.S3Managed,
                "KMS" or "SSE-KMS" or "AWS:KMS" => S3ServerSideEncryption.Kms,
                var other => throw new UsageException($"Unknown server-side encryption '{other}' (none, s3 or kms)."),
            },
            KmsKeyId = kmsKeyId,
        };
    }

    /// <summary>The same sources, in the same order, as <see cref="CliEnvironment.Configuration"/> (environment over appsettings.json).</summary>
    private static IConfiguration Settings() => new ConfigurationBuilder()
        .SetBasePath(Directory.GetCurrentDirectory())
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables("CONNECT_RECONCILE_")
        .Build();

    private static string? Setting(IConfiguration settings, string key)
    {
        var value = settings[key.Replace('-', '_').ToUpperInvariant()] ?? settings[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

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
