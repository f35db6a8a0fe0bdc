using Amazon.Runtime;

namespace ConnectReconcile.Aws.S3;

/// <summary>Server-side encryption applied to every object the store writes (put, multipart, copy).</summary>
public enum S3ServerSideEncryption
{
    /// <summary>Send no encryption header: the bucket's default encryption applies.</summary>
    None,

    /// <summary>SSE-S3 (<c>AES256</c>).</summary>
    S3Managed,

    /// <summary>SSE-KMS (<c>aws:kms</c>), with <see cref="S3StoreOptions.KmsKeyId"/> or the account's aws/s3 key.</summary>
    Kms,
}

/// <summary>How an <see cref="S3ObjectStore"/> reaches S3. Everything is optional.</summary>
public sealed record S3StoreOptions
{
    /// <summary>
    /// Custom endpoint (e.g. <c>--endpoint-url</c>); when null, <c>AWS_ENDPOINT_URL_S3</c> / <c>AWS_ENDPOINT_URL</c>
    /// are honoured. Any custom endpoint implies path-style addressing.
    /// </summary>
    public string? EndpointUrl { get; init; }

    /// <summary>Region system name (e.g. <c>eu-west-1</c>); default: the SDK's region chain.</summary>
    public string? Region { get; init; }

    public S3ServerSideEncryption Sse { get; init; } = S3ServerSideEncryption.None;

    /// <summary>KMS key id or ARN for SSE-KMS; setting it with <see cref="Sse"/> None implies <see cref="S3ServerSideEncryption.Kms"/>.</summary>
    public string? KmsKeyId { get; init; }

    /// <summary>Credentials; default: the SDK's credential chain.</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>SDK retries (standard retry mode) for throttling (503 SlowDown) and transient errors.</summary>
    public int MaxErrorRetry { get; init; } = 8;

    /// <summary>Keys per ListObjectsV2 page (1..1000).</summary>
    public int ListPageSize { get; init; } = 1000;

    /// <summary>Bodies up to this size go in one PutObject; larger ones use multipart upload with parts of this size (min 5 MiB).</summary>
    public int PartSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>How many times in a row a read may resume (ranged GET) after the connection drops without progress.</summary>
    public int MaxResumeAttempts { get; init; } = 5;

    /// <summary>First resume delay; doubles per consecutive failure (with jitter), capped at 5 s.</summary>
    public TimeSpan ResumeBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long one request may take to send its body and get the response headers; then it is abandoned
    /// and retried like a dropped connection. Without it, a server that accepts a request and never answers
    /// hangs the run for ever. It does not cover reading a GET's body (that is <see cref="ReadTimeout"/>, per
    /// read), so a slow large download is never cut; it does cover an upload of up to <see cref="PartSize"/>
    /// (16 MiB in 2 minutes needs about 140 KB/s) and a server-side copy, which S3 answers within seconds
    /// for objects of our size.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A single body read that makes no progress for this long counts as a dropped connection.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the store reports what a user should know but that does not fail the operation (staged objects it could not delete).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Concurrent uploads/copies/deletes during <see cref="S3ObjectStore.PublishAsync"/>.</summary>
    public int PublishConcurrency { get; init; } = 4;

    /// <summary>Effective encryption after applying the <see cref="KmsKeyId"/> rule; throws on a contradictory combination.</summary>
    public S3ServerSideEncryption EffectiveSse
    {
        get
        {
            if (KmsKeyId is not null && Sse == S3ServerSideEncryption.S3Managed)
            {
                throw new ArgumentException("A KMS key id was given together with SSE-S3; use SSE-KMS or drop the key id.");
            }

            return KmsKeyId is not null ? S3ServerSideEncryption.Kms : Sse;
        }
    }
}
