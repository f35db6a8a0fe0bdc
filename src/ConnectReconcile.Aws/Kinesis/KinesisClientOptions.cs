using Amazon.Runtime;

namespace ConnectReconcile.Aws.Kinesis;

/// <summary>How <see cref="KinesisClient"/> reaches Kinesis. Everything is optional.</summary>
public sealed record KinesisClientOptions
{
    /// <summary>Custom endpoint; when null, <c>AWS_ENDPOINT_URL_KINESIS</c> / <c>AWS_ENDPOINT_URL</c> are honoured.</summary>
    public string? EndpointUrl { get; init; }

    /// <summary>Region system name; default: the SDK's region chain (us-east-1 for a custom endpoint when nothing is set).</summary>
    public string? Region { get; init; }

    /// <summary>Credentials; default: the SDK's credential chain (<c>DefaultAWSCredentialsIdentityResolver</c>).</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>
    /// Deadline of one HTTP attempt (sending, waiting, reading the answer). Always set: kinesalite never
    /// answers some requests (GetShardIterator AT_TIMESTAMP past the last record).
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt for throttling (ProvisionedThroughputExceeded, LimitExceeded, 429, 5xx), timeouts and network errors.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First retry delay; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Clock used for request signing (tests pin it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Innermost HTTP handler; default: a pooled <see cref="SocketsHttpHandler"/>. Disposed with the client.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
