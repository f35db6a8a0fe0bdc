using ConnectReconcile.Aws.S3;

namespace ConnectReconcile.Aws.Tests;

public class S3LocationTests
{
    [Theory]
    [InlineData("s3://ctr-bucket", "ctr-bucket", "")]
    [InlineData("s3://ctr-bucket/", "ctr-bucket", "")]
    [InlineData("s3://ctr-bucket/firehose", "ctr-bucket", "firehose/")]
    [InlineData("S3://ctr.bucket-1/firehose/2026/10/", "ctr.bucket-1", "firehose/2026/10/")]
    [InlineData("  s3://abc/dt=2026-10-01/  ", "abc", "dt=2026-10-01/")]
    public void Parses_bucket_and_a_slash_terminated_prefix(string uri, string bucket, string prefix)
    {
        var location = S3Location.Parse(uri);

        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
        Assert.Equal($"s3://{bucket}/{prefix}", location.ToString());
        Assert.Equal(prefix + "x/y.json", location.KeyFor("x/y.json"));
        Assert.Equal($"s3://{bucket}/{prefix}x/y.json", location.UriFor("x/y.json"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/local/folder")]
    [InlineData("https://bucket.s3.amazonaws.com/x")]
    [InlineData("s3://")]
    [InlineData("s3://ab/x")]
    [InlineData("s3://Upper-Case/x")]
    [InlineData("s3://under_score/x")]
    [InlineData("s3://-leading/x")]
    [InlineData("s3://bucket//double")]
    [InlineData("s3://a..b/x")]
    public void Rejects_what_is_not_an_s3_location(string uri)
    {
        Assert.False(S3Location.TryParse(uri, out _));
        Assert.Throws<FormatException>(() => S3Location.Parse(uri));
    }

    [Fact]
    public void Parses_uris()
    {
        Assert.Equal("p/", S3Location.Parse(new Uri("s3://bucket/p")).Prefix);
        Assert.True(S3Location.IsS3Uri("s3://x"));
        Assert.False(S3Location.IsS3Uri("./s3/x"));
    }
}
