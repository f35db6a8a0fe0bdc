using ConnectReconcile.Aws.S3;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli;

/// <summary>
/// How a command reaches s3:// locations: its endpoint and its server-side encryption settings, as resolved,
/// and where the stores' warnings go (the command's log).
/// </summary>
public sealed record S3Access(string? EndpointUrl, string? Sse, string? KmsKeyId, Action<string>? Warn = null);

/// <summary>Builds S3 stores from the CLI's settings; the AWS edge is wired in this one place.</summary>
internal static class S3Stores
{
    public const string SseSetting = "sse";
    public const string KmsKeyIdSetting = "kms-key-id";

    /// <summary>The settings read here, which no command has a flag for.</summary>
    public static readonly string[] SettingNames = [SseSetting, KmsKeyIdSetting];

    /// <summary>
    /// Server-side encryption for everything written: the settings <c>sse</c> (none, s3, kms) and <c>kms-key-id</c>,
    /// resolved like every other setting (<see cref="CliEnvironment.Setting"/>) — CONNECT_RECONCILE_SSE /
    /// CONNECT_RECONCILE_KMS_KEY_ID, else appsettings.json ("sse", "kms-key-id" or "SSE", "KMS_KEY_ID").
    /// </summary>
    /// <param name="sseFrom">Where <c>sse</c> was set, for the message (CONNECT_RECONCILE_SSE, appsettings.json: "sse").</param>
    /// <param name="kmsKeyIdFrom">Where <c>kms-key-id</c> was set.</param>
    private static S3StoreOptions Options(S3Access? access, string sseFrom = SseSetting, string kmsKeyIdFrom = KmsKeyIdSetting)
    {
        var sse = Trimmed(access?.Sse);
        var kmsKeyId = Trimmed(access?.KmsKeyId);
        var options = new S3StoreOptions
        {
            EndpointUrl = access?.EndpointUrl,
            Sse = sse?.ToUpperInvariant() switch
            {
                null or "" or "NONE" => kmsKeyId is null ? S3ServerSideEncryption.None : S3ServerSideEncryption.Kms,
                "S3" or "AES256" or "SSE-S3" => S3ServerSideEncryption.S3Managed,
                "KMS" or "SSE-KMS" or "AWS:KMS" => S3ServerSideEncryption.Kms,
                _ => throw new UsageException($"{sseFrom}: unknown server-side encryption '{sse}' (none, s3 or kms)."),
            },
            KmsKeyId = kmsKeyId,
            Warn = access?.Warn,
        };
        try
        {
            _ = options.EffectiveSse;
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{sseFrom} with {kmsKeyIdFrom}: {e.Message}");
        }

        return options;
    }

    /// <summary>Refuses (usage error) encryption settings a store would refuse, naming where each was set, before anything is read or written.</summary>
    public static void Check(S3Access access, string sseFrom, string kmsKeyIdFrom) => Options(access, sseFrom, kmsKeyIdFrom);

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public static IObjectStore Create(string location, S3Access? access) => CreateS3(location, access);

    /// <summary>As <see cref="Create"/>, as the S3 store itself (for what only S3 offers, e.g. <see cref="S3ObjectStore.FindAsync"/>).</summary>
    public static S3ObjectStore CreateS3(string location, S3Access? access)
    {
        try
        {
            return S3ObjectStore.Create(location, Options(access));
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
