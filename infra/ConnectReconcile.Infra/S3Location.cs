using System.Text.RegularExpressions;

namespace ConnectReconcile.Infra;

/// <summary>
/// An S3 bucket and key prefix, parsed from <c>s3://bucket/prefix/</c>. A prefix is normalised to
/// end with <c>/</c> (or be empty for the whole bucket), so that <c>prefix*</c> never matches a
/// sibling such as <c>ctr-old/</c> when the prefix is <c>ctr/</c>.
/// </summary>
public sealed partial record S3Location(string Bucket, string Prefix)
{
    /// <summary>The location as the CLI expects it: <c>s3://bucket/prefix/</c>.</summary>
    public string Uri => $"s3://{Bucket}/{Prefix}";

    public static S3Location Parse(string value, bool isObject = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var match = UriPattern().Match(value.Trim());
        if (!match.Success)
        {
            throw new ArgumentException($"'{value}' is not an s3://bucket/prefix location.", nameof(value));
        }

        var bucket = match.Groups["bucket"].Value;
        var key = match.Groups["key"].Value.TrimStart('/');
        if (isObject)
        {
            if (key.Length == 0 || key.EndsWith('/'))
            {
                throw new ArgumentException($"'{value}' must name an object (s3://bucket/key).", nameof(value));
            }

            return new S3Location(bucket, key);
        }

        if (key.Length > 0 && !key.EndsWith('/'))
        {
            key += "/";
        }

        return new S3Location(bucket, key);
    }

    /// <summary>Bucket names per the S3 rules (lower case, digits, dots, hyphens; 3 to 63 characters).</summary>
    [GeneratedRegex("^s3://(?<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?<key>.*))?$")]
    private static partial Regex UriPattern();
}
