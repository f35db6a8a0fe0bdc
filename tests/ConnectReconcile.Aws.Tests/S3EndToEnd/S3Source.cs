using ConnectReconcile.TestServices;

namespace ConnectReconcile.Aws.Tests.S3EndToEnd;

/// <summary>
/// The generated month uploaded once per s3rver (per test run) to <c>s3://BUCKET/connect/ctr/</c> in Firehose
/// layout, plus the clean S3 → S3 replay of it (to <c>results/clean/</c>), which several tests compare against.
/// </summary>
public sealed class S3Source
{
    public const string CtrPrefix = "connect/ctr/";
    public const string CleanOutPrefix = "results/clean/";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static S3Source? _current;
    private static AwsServicesFixture? _owner;

    private readonly AwsServicesFixture _services;
    private Task<SortedDictionary<string, byte[]>>? _clean;

    private S3Source(AwsServicesFixture services, GeneratedMonth month, string bucket)
    {
        _services = services;
        Month = month;
        Bucket = bucket;
    }

    public GeneratedMonth Month { get; }

    public string Bucket { get; }

    /// <summary><c>s3://BUCKET/connect/ctr/</c>.</summary>
    public string Uri => $"s3://{Bucket}/{CtrPrefix}";

    public CliRun? CleanRun { get; private set; }

    public static async Task<S3Source> GetAsync(AwsServicesFixture services)
    {
        await Gate.WaitAsync();
        try
        {
            if (_current is not null && ReferenceEquals(_owner, services))
            {
                return _current;
            }

            var month = await GeneratedMonth.GetAsync();
            var bucket = await services.CreateBucketAsync("ctr");
            await Trees.UploadAsync(services.S3, bucket, CtrPrefix, month);
            _owner = services;
            return _current = new S3Source(services, month, bucket);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The whole replay S3 → S3 with no faults (run once, then cached).</summary>
    public async Task<SortedDictionary<string, byte[]>> CleanReplayAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _clean ??= RunCleanAsync();
        }
        finally
        {
            Gate.Release();
        }

        return await _clean;
    }

    private async Task<SortedDictionary<string, byte[]>> RunCleanAsync()
    {
        CleanRun = await S3Cli.RunAsync(Month.ReplayArgs(Uri, $"s3://{Bucket}/{CleanOutPrefix}", "--endpoint-url", _services.S3ServiceUrl));
        Assert.True(CleanRun.Exit == 0, CleanRun.ToString());
        return await Trees.DownloadAsync(_services.S3, Bucket, CleanOutPrefix);
    }
}
