using System.Diagnostics.CodeAnalysis;

namespace ConnectReconcile.Aws.S3;

/// <summary>
/// A bucket and a key prefix parsed from <c>s3://bucket/prefix/</c>. <see cref="Prefix"/> is empty or
/// ends with '/', so <c>Prefix + relativeKey</c> is always the full key. The location may instead name
/// one object (<see cref="Prefix"/> without its final '/'): only listing tells (<see cref="S3ObjectStore"/>).
/// </summary>
public sealed record S3Location
{
    private S3Location(string bucket, string prefix)
    {
        Bucket = bucket;
        Prefix = prefix;
    }

    public string Bucket { get; }

    /// <summary>Empty (bucket root) or a '/'-terminated key prefix without a leading '/'.</summary>
    public string Prefix { get; }

    /// <summary>Parses <c>s3://bucket</c>, <c>s3://bucket/</c> or <c>s3://bucket/some/prefix[/]</c>.</summary>
    public static S3Location Parse(string uri)
    {
        if (!TryParse(uri, out var location, out var error))
        {
            throw new FormatException(error);
        }

        return location;
    }

    public static S3Location Parse(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return Parse(uri.OriginalString);
    }

    public static bool TryParse(string? uri, [NotNullWhen(true)] out S3Location? location) => TryParse(uri, out location, out _);

    public static bool IsS3Uri(string? value) =>
        value is not null && value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The full object key for a key relative to this location.</summary>
    public string KeyFor(string relativeKey)
    {
        ArgumentNullException.ThrowIfNull(relativeKey);
        return Prefix + relativeKey;
    }

    /// <summary><c>s3://bucket/prefix/relativeKey</c>.</summary>
    public string UriFor(string relativeKey) => $"s3://{Bucket}/{KeyFor(relativeKey)}";

    public override string ToString() => $"s3://{Bucket}/{Prefix}";

    private static bool TryParse(string? uri, [NotNullWhen(true)] out S3Location? location, out string error)
    {
        location = null;
        if (string.IsNullOrWhiteSpace(uri))
        {
            error = "An S3 location must not be empty.";
            return false;
        }

        uri = uri.Trim();
        if (!IsS3Uri(uri))
        {
            error = $"'{uri}' is not an s3:// URI.";
            return false;
        }

        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..];

        if (!IsValidBucketName(bucket))
        {
            error = $"'{bucket}' in '{uri}' is not a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-').";
            return false;
        }

        if (prefix.StartsWith('/') || prefix.Contains("//", StringComparison.Ordinal))
        {
            error = $"The key prefix in '{uri}' has an empty path segment.";
            return false;
        }

        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        location = new S3Location(bucket, prefix);
        error = string.Empty;
        return true;
    }

    private static bool IsValidBucketName(string bucket)
    {
        if (bucket.Length is < 3 or > 63)
        {
            return false;
        }

        foreach (var c in bucket)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-'))
            {
                return false;
            }
        }

        return char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1]) && !bucket.Contains("..", StringComparison.Ordinal);
    }
}
