using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ConnectReconcile.Aws.Tests.Support;

/// <summary>
/// An independent, minimal SigV4 implementation (header auth; canonical query given pre-encoded), used to
/// check what the SDK signer produced. Itself checked against AWS's published example signatures.
/// </summary>
public static partial class SigV4Reference
{
    public static (string SignedHeaders, string Signature) Sign(
        string method,
        string canonicalUri,
        string canonicalQuery,
        IReadOnlyDictionary<string, string> headers,
        IReadOnlyCollection<string> headersToSign,
        byte[] payload,
        string amzDate,
        string region,
        string service,
        string secretKey)
    {
        var names = headersToSign.Select(h => h.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList();
        var lookup = headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value, StringComparer.Ordinal);
        var canonicalHeaders = string.Concat(names.Select(n => $"{n}:{Spaces().Replace(lookup[n].Trim(), " ")}\n"));
        var signedHeaders = string.Join(';', names);
        var canonicalRequest = string.Join('\n', method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, Hex(SHA256.HashData(payload)));
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        return (signedHeaders, Hex(Hmac(key, stringToSign)));
    }

    /// <summary>Parses <c>AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...</c>.</summary>
    public static (string Credential, string[] SignedHeaders, string Signature) ParseAuthorization(string authorization)
    {
        var m = AuthorizationPattern().Match(authorization);
        if (!m.Success)
        {
            throw new FormatException($"Not a SigV4 Authorization header: {authorization}");
        }

        return (m.Groups["cred"].Value, m.Groups["signed"].Value.Split(';'), m.Groups["sig"].Value);
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [GeneratedRegex(" +")]
    private static partial Regex Spaces();

    [GeneratedRegex("^AWS4-HMAC-SHA256 Credential=(?<cred>[^,]+), ?SignedHeaders=(?<signed>[^,]+), ?Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();
}
