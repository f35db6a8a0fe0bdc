namespace ConnectReconcile.Aws.Tests;

/// <summary>Endpoint URLs in messages: a user name and password written into one are not printed.</summary>
public class AwsEndpointsTests
{
    [Theory]
    [InlineData("ftp://admin:hunter2pw@127.0.0.1:4566", "'ftp://***@127.0.0.1:4566'")]
    [InlineData("http://admin:hunter2pw@127.0.0.1:notaport", "'http://***@127.0.0.1:notaport'")]
    [InlineData("admin:hunter2pw@127.0.0.1:4566", "'***@127.0.0.1:4566'")] // no scheme: "admin" was taken for one
    [InlineData("http://admin:hunter2pw@127.0.0.1:4566 x/path", "'http://***@127.0.0.1:4566 x/path'")]
    public void A_malformed_endpoint_url_is_refused_without_printing_its_password(string url, string shown)
    {
        var error = Assert.Throws<ArgumentException>(() => AwsEndpoints.Resolve(url, "S3"));

        Assert.DoesNotContain("hunter2pw", error.Message, StringComparison.Ordinal);
        Assert.Contains(shown, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://admin:hunter2pw@127.0.0.1:4566/", "http://***@127.0.0.1:4566/")]
    [InlineData("https://user@host.example/a@b?c=d@e", "https://***@host.example/a@b?c=d@e")] // an @ after the authority is no user's
    [InlineData("http://a:p@ss@host:1", "http://***@host:1")] // the authority ends at its last @
    [InlineData("http://127.0.0.1:4566/", "http://127.0.0.1:4566/")]
    [InlineData("http://127.0.0.1:4566/path@x", "http://127.0.0.1:4566/path@x")]
    [InlineData("not a url", "not a url")]
    [InlineData("", "")]
    public void ForDisplay_hides_the_user_information_only(string url, string shown)
    {
        Assert.Equal(shown, AwsEndpoints.ForDisplay(url));
    }

    [Fact]
    public void ForDisplay_of_a_uri_hides_it_too()
    {
        Assert.Equal("http://***@127.0.0.1:4566/", AwsEndpoints.ForDisplay(new Uri("http://admin:hunter2pw@127.0.0.1:4566/")));
        Assert.Equal("", AwsEndpoints.ForDisplay((Uri?)null));
    }
}
