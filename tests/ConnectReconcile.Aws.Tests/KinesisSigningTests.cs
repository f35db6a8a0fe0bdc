using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Aws.Tests.Support;

namespace ConnectReconcile.Aws.Tests;

/// <summary>
/// kinesalite never checks signatures, so signing is checked here against AWS's published SigV4 examples
/// (S3 "Examples: signature calculations", and the SigV4 test suite's get-vanilla case).
/// </summary>
public class KinesisSigningTests
{
    private const string ExampleAccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string ExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static readonly string[] EndpointVariables = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"];

    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Reference_signer_reproduces_published_vectors()
    {
        // SigV4 test suite, get-vanilla.
        var vanilla = SigV4Reference.Sign(
            "GET", "/", string.Empty,
            new Dictionary<string, string> { ["Host"] = "example.amazonaws.com", ["X-Amz-Date"] = "20150830T123600Z" },
            ["host", "x-amz-date"], [], "20150830T123600Z", "us-east-1", "service", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        Assert.Equal("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", vanilla.Signature);

        // S3 examples: GET Object with a Range header, and GET Bucket (list) with a query.
        var getObject = SigV4Reference.Sign(
            "GET", "/test.txt", string.Empty,
            new Dictionary<string, string>
            {
                ["Host"] = "examplebucket.s3.amazonaws.com",
                ["Range"] = "bytes=0-9",
                ["x-amz-content-sha256"] = EmptySha256,
                ["x-amz-date"] = "20130524T000000Z",
            },
            ["host", "range", "x-amz-content-sha256", "x-amz-date"], [], "20130524T000000Z", "us-east-1", "s3", ExampleSecret);
        Assert.Equal("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", getObject.Signature);

        var list = SigV4Reference.Sign(
            "GET", "/", "max-keys=2&prefix=J",
            new Dictionary<string, string>
            {
                ["Host"] = "examplebucket.s3.amazonaws.com",
                ["x-amz-content-sha256"] = EmptySha256,
                ["x-amz-date"] = "20130524T000000Z",
            },
            ["host", "x-amz-content-sha256", "x-amz-date"], [], "20130524T000000Z", "us-east-1", "s3", ExampleSecret);
        Assert.Equal("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", list.Signature);
    }

    [Fact]
    public void Sdk_signer_reproduces_published_S3_GetObject_vector()
    {
        var request = new AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri("https://examplebucket.s3.amazonaws.com/test.txt") };
        request.Headers["Range"] = "bytes=0-9";
        var result = AWSSigV4Signer.Sign(request, new AWSSigV4Parameters
        {
            Credentials = new BasicAWSCredentials(ExampleAccessKey, ExampleSecret),
            Region = RegionEndpoint.USEast1,
            Service = "s3",
            SignedAt = new DateTime(2013, 5, 24, 0, 0, 0, DateTimeKind.Utc),
        });

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            result.Headers["Authorization"]);
    }

    [Theory]
    [InlineData("https://kinesis.eu-west-1.amazonaws.com", "eu-west-1", null)]
    [InlineData("http://127.0.0.1:4567", "us-east-1", null)]
    [InlineData("https://kinesis.eu-west-1.amazonaws.com", "eu-west-1", "FQoGZXIvYXdzEXAMPLETOKEN")]
    public async Task Kinesis_requests_carry_a_valid_signature_over_what_is_sent(string endpoint, string region, string? token)
    {
        var signedAt = new DateTimeOffset(2026, 10, 1, 12, 34, 56, TimeSpan.Zero);
        AWSCredentials credentials = token is null
            ? new BasicAWSCredentials(ExampleAccessKey, ExampleSecret)
            : new SessionAWSCredentials(ExampleAccessKey, ExampleSecret, token);
        using var client = new KinesisClient(new KinesisClientOptions
        {
            EndpointUrl = endpoint,
            Region = region,
            Credentials = credentials,
            TimeProvider = new ManualTimeProvider(signedAt),
        });
        var payload = Encoding.UTF8.GetBytes("{\"StreamName\":\"ctr-stream\"}");

        using var request = await client.CreateSignedRequestAsync("ListShards", payload, CancellationToken.None);

        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        foreach (var h in request.Content!.Headers)
        {
            headers[h.Key] = string.Join(",", h.Value);
        }

        var uri = request.RequestUri!;
        headers["Host"] = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}"; // what HttpClient sends
        Assert.Equal("Kinesis_20131202.ListShards", headers["X-Amz-Target"]);
        Assert.Equal("application/x-amz-json-1.1", headers["Content-Type"]);
        Assert.Equal("20261001T123456Z", headers["X-Amz-Date"]);
        if (token is not null)
        {
            Assert.Equal(token, headers["X-Amz-Security-Token"]);
        }

        var (credential, signedHeaders, signature) = SigV4Reference.ParseAuthorization(headers["Authorization"]);
        Assert.Equal($"{ExampleAccessKey}/20261001/{region}/kinesis/aws4_request", credential);
        Assert.Contains("host", signedHeaders);
        Assert.Contains("x-amz-target", signedHeaders);
        Assert.Contains("content-type", signedHeaders);
        Assert.Contains("x-amz-date", signedHeaders);
        if (token is not null)
        {
            Assert.Contains("x-amz-security-token", signedHeaders);
        }

        var expected = SigV4Reference.Sign(
            "POST", "/", string.Empty, headers, signedHeaders, payload, "20261001T123456Z", region, "kinesis", ExampleSecret);
        Assert.Equal(expected.Signature, signature);

        // The signature really depends on the body: a changed payload must not verify.
        var tampered = SigV4Reference.Sign(
            "POST", "/", string.Empty, headers, signedHeaders, Encoding.UTF8.GetBytes("{\"StreamName\":\"other\"}"), "20261001T123456Z", region, "kinesis", ExampleSecret);
        Assert.NotEqual(tampered.Signature, signature);
    }

    [Fact]
    public void Default_endpoint_follows_region_and_partition()
    {
        using var eu = new KinesisClient(new KinesisClientOptions { Region = "eu-west-1", Credentials = new BasicAWSCredentials("a", "b") });
        Assert.Equal(new Uri("https://kinesis.eu-west-1.amazonaws.com/"), eu.Endpoint);
        using var cn = new KinesisClient(new KinesisClientOptions { Region = "cn-north-1", Credentials = new BasicAWSCredentials("a", "b") });
        Assert.Equal(new Uri("https://kinesis.cn-north-1.amazonaws.com.cn/"), cn.Endpoint);
    }

    // Environment-variable tests live in this class so they never run in parallel with
    // Default_endpoint_follows_region_and_partition (xunit runs one class's tests one at a time).
    [Fact]
    public void Endpoint_urls_come_from_options_then_service_then_global_environment_variables()
    {
        var saved = EndpointVariables.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_KINESIS", null);
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL", "http://127.0.0.1:1111/");
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2222");
            Environment.SetEnvironmentVariable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", null);

            Assert.Equal("http://127.0.0.1:3333", AwsEndpoints.Resolve("http://127.0.0.1:3333/", "S3"));
            Assert.Equal("http://127.0.0.1:2222", AwsEndpoints.Resolve(null, "S3"));
            Assert.Equal("http://127.0.0.1:1111", AwsEndpoints.Resolve(null, "KINESIS"));
            var config = ConnectReconcile.Aws.S3.S3ObjectStore.CreateConfig(new ConnectReconcile.Aws.S3.S3StoreOptions { Region = "eu-central-1" });
            Assert.True(config.ForcePathStyle);
            Assert.Equal("http://127.0.0.1:2222", config.ServiceURL.TrimEnd('/'));
            Assert.Equal("eu-central-1", config.AuthenticationRegion);
            using (var kinesis = new KinesisClient(new KinesisClientOptions { Credentials = new BasicAWSCredentials("a", "b") }))
            {
                Assert.Equal(new Uri("http://127.0.0.1:1111/"), kinesis.Endpoint);
            }

            Environment.SetEnvironmentVariable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
            Assert.Null(AwsEndpoints.Resolve(null, "S3"));
            Assert.False(ConnectReconcile.Aws.S3.S3ObjectStore.CreateConfig(new ConnectReconcile.Aws.S3.S3StoreOptions { Region = "eu-central-1" }).ForcePathStyle);
            Assert.Throws<ArgumentException>(() => AwsEndpoints.Resolve("not a url", "S3"));
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
