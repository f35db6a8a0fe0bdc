using Amazon;
using Amazon.Runtime;

namespace ConnectReconcile.Aws;

/// <summary>
/// Endpoint and region resolution shared by the S3 store and the Kinesis client, following the SDKs'
/// conventions: an explicit URL wins, then <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, then <c>AWS_ENDPOINT_URL</c>
/// (both ignored when <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true</c>); regions come from the SDK's
/// fallback chain (AWS_REGION, AWS_DEFAULT_REGION, profile, instance metadata).
/// </summary>
public static class AwsEndpoints
{
    /// <summary>
    /// The configured endpoint URL for a service, or null for the public AWS endpoint.
    /// <paramref name="serviceEnvSuffix"/> is the SDK's environment suffix (<c>S3</c>, <c>KINESIS</c>, <c>DYNAMODB</c>).
    /// </summary>
    public static string? Resolve(string? explicitUrl, string serviceEnvSuffix)
    {
        if (!string.IsNullOrWhiteSpace(explicitUrl))
        {
            return Validate(explicitUrl.Trim());
        }

        if (string.Equals(Environment.GetEnvironmentVariable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var fromEnv = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_" + serviceEnvSuffix.ToUpperInvariant());
        if (string.IsNullOrWhiteSpace(fromEnv))
        {
            fromEnv = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        }

        return string.IsNullOrWhiteSpace(fromEnv) ? null : Validate(fromEnv.Trim());
    }

    /// <summary>
    /// An explicit region, else the SDK's region chain; null when nothing is configured. Instance
    /// metadata is only asked when <paramref name="includeInstanceMetadata"/> is set (it is slow off EC2).
    /// </summary>
    public static RegionEndpoint? ResolveRegion(string? explicitRegion, bool includeInstanceMetadata = true)
    {
        if (!string.IsNullOrWhiteSpace(explicitRegion))
        {
            return RegionEndpoint.GetBySystemName(explicitRegion.Trim());
        }

        try
        {
            return FallbackRegionFactory.GetRegionEndpoint(includeInstanceMetadata);
        }
        catch (AmazonClientException)
        {
            return null;
        }
    }

    private static string Validate(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Endpoint URL '{ForDisplay(url)}' is not an absolute http(s) URL.", nameof(url));
        }

        return url.TrimEnd('/');
    }

    /// <summary>The URL as a message may show it: a user name and password in it (<c>http://user:secret@host/</c>) become <c>***@</c>.</summary>
    public static string ForDisplay(Uri? url) => url is null ? "" : ForDisplay(url.OriginalString);

    /// <summary>
    /// The URL as a message may show it: whatever precedes an <c>@</c> in its authority (user name and
    /// password) becomes <c>***</c>. Works on text that does not parse as a URL too (a bad port, no
    /// scheme), since that is when an error quotes it.
    /// </summary>
    public static string ForDisplay(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return url ?? "";
        }

        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var start = scheme >= 0 ? scheme + 3 : 0;
        var end = url.IndexOfAny(['/', '?', '#', '\\'], start);
        var at = url.AsSpan(start, (end < 0 ? url.Length : end) - start).LastIndexOf('@');
        return at < 0 ? url : string.Concat(url.AsSpan(0, start), "***", url.AsSpan(start + at));
    }
}
