using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ConnectReconcile.Aws.S3;
using ConnectReconcile.Io.Storage;
using ConnectReconcile.TestServices;

namespace ConnectReconcile.Aws.Tests;

/// <summary>S3ObjectStore against a real s3rver (behind the aws-chunked decoding front), with production SDK defaults.</summary>
[Collection(AwsServicesCollection.Name)]
public sealed class S3ObjectStoreTests(AwsServicesFixture services, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_537)]
    [InlineData(3 * 1024 * 1024 + 11)]
    public async Task Put_then_read_is_byte_exact(int size)
    {
        var store = await NewStoreAsync();
        var data = RandomBytes(size, seed: size);

        await store.PutAsync("raw/2026/10/01/12/object.json.gz", new MemoryStream(data), CancellationToken.None);

        Assert.Equal(data, await ReadAllAsync(store, "raw/2026/10/01/12/object.json.gz"));
        // And what S3 itself holds (not only what our reader returns) is the same bytes.
        using var direct = await services.S3.GetObjectAsync(store.Root.Bucket, store.Root.KeyFor("raw/2026/10/01/12/object.json.gz"));
        Assert.Equal(size, direct.ContentLength);
    }

    [Fact]
    public async Task A_large_non_seekable_body_goes_multipart_and_reads_back_exactly()
    {
        var store = await NewStoreAsync(new S3StoreOptions { PartSize = 5 * 1024 * 1024 });
        var data = RandomBytes(11 * 1024 * 1024 + 5, seed: 7);

        await store.PutAsync("big.parquet", new NonSeekableStream(data), CancellationToken.None);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(await ReadAllAsync(store, "big.parquet")));
    }

    [Fact]
    public async Task List_pages_through_everything_under_the_prefix_relative_to_the_root()
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("list");
        var store = NewStore(bucket, "root/prefix/", new S3StoreOptions { ListPageSize = 3 }, proxy.Proxy.Url);
        // Firehose-like keys. (s3rver pages correctly only while no key is a prefix of another key's folder.)
        var keys = Enumerable.Range(0, 14)
            .Select(i => $"2026/10/{1 + (i / 5):D2}/{i % 5:D2}/ctr-stream-1-2026-10-{1 + (i / 5):D2}-{i % 5:D2}-00-00-{i:x8}.gz")
            .Append("manifest.json")
            .ToList();
        foreach (var key in keys)
        {
            await store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(key)), CancellationToken.None);
        }

        await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "root/other", ContentBody = "outside the root" });
        await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "root/prefix-sibling/x", ContentBody = "outside the root" });
        proxy.Proxy.ClearLog();

        var listed = await ToListAsync(store.ListAsync(string.Empty, CancellationToken.None));
        var oneDay = await ToListAsync(store.ListAsync("2026/10/02/", CancellationToken.None));

        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
        Assert.All(listed, o => Assert.Equal(Encoding.UTF8.GetByteCount(o.Key), o.Size));
        Assert.Equal(keys.Where(k => k.StartsWith("2026/10/02/", StringComparison.Ordinal)), oneDay.Select(o => o.Key));
        var listCalls = proxy.Proxy.Requests.Count(r => r.Method == "GET" && r.Query.Contains("list-type=2", StringComparison.Ordinal));
        Assert.InRange(listCalls, 5 + 2, 6 + 3); // 15 keys in pages of 3 (+1 if the last full page says truncated), then 5 keys

        // A sample (the input selector's look at a source's layout) is one page, however large the bucket: it paged through all of it.
        proxy.Proxy.ClearLog();
        var sample = await ToListAsync(store.SampleAsync(string.Empty, 1000, CancellationToken.None));
        Assert.Equal(3, sample.Count);
        Assert.All(sample, o => Assert.Contains(o.Key, keys));
        Assert.Single(proxy.Proxy.Requests, r => r.Method == "GET" && r.Query.Contains("list-type=2", StringComparison.Ordinal));
        proxy.Proxy.ClearLog();
        Assert.Equal(2, (await ToListAsync(store.SampleAsync(string.Empty, 2, CancellationToken.None))).Count);
        Assert.Contains("max-keys=2", Assert.Single(proxy.Proxy.Requests).Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_returns_ordinal_order_even_when_the_server_does_not()
    {
        // s3rver walks folders depth-first: "a/a" comes before "a" and "a-b". S3 sorts by UTF-8 bytes.
        var store = await NewStoreAsync();
        string[] keys = ["a", "A", "a-b", "a.b", "a/a", "a/b", "a/b/c", "a0", "b", "_x", "Z", "z~"];
        foreach (var key in keys)
        {
            await store.PutAsync(key, new MemoryStream([1, 2]), CancellationToken.None);
        }

        var listed = await ToListAsync(store.ListAsync(string.Empty, CancellationToken.None));
        var raw = await services.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = store.Root.Bucket, Prefix = store.Root.Prefix });

        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
        Assert.NotEqual(keys.Order(StringComparer.Ordinal), raw.S3Objects.Select(o => o.Key[store.Root.Prefix.Length..])); // the server really is unsorted
    }

    [Fact]
    public async Task A_read_survives_connection_resets_and_throttling_with_identical_bytes()
    {
        var data = RandomBytes(6 * 1024 * 1024 + 123, seed: 42);
        var bucket = await services.CreateBucketAsync("resume");
        var writer = NewStore(bucket, "p/");
        await writer.PutAsync("ctr.json.gz", new MemoryStream(data), CancellationToken.None);
        // Every GET is faulted (70% resets mid-body, 30% SlowDown, seeded) until 6 faults were injected.
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            ResetShare = 0.7,
            SlowDownShare = 0.3,
            Seed = 2026,
            MaxFaults = 6,
            Eligible = r => r.Method == "GET",
        }));
        var reader = NewStore(bucket, "p/", new S3StoreOptions { MaxResumeAttempts = 8, ResumeBaseDelay = TimeSpan.FromMilliseconds(10) }, proxy.Proxy.Url);

        await using var stream = await reader.OpenReadAsync("ctr.json.gz", CancellationToken.None);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(copy.ToArray()));
        var resets = proxy.Proxy.Count(InjectedFault.ResetMidBody);
        var slowdowns = proxy.Proxy.Count(InjectedFault.SlowDown);
        Assert.Equal(6, resets + slowdowns);
        Assert.True(resets >= 2 && slowdowns >= 1, $"resets {resets}, slowdowns {slowdowns}");
        var resumable = Assert.IsType<ResumableS3ReadStream>(stream);
        Assert.Equal(proxy.Proxy.Count(InjectedFault.ResetMidBody), resumable.Resumes);
        var ranged = proxy.Proxy.Requests.Where(r => r.Header("range") is not null).ToList();
        Assert.NotEmpty(ranged);
        Assert.All(ranged, r => Assert.NotNull(r.Header("if-match")));
    }

    [Fact]
    public async Task A_request_that_never_gets_response_headers_is_abandoned_and_retried()
    {
        // A server (or something between) that takes a request and never answers: a GET of a source object,
        // then a copy of the publish. Each hangs once; the request timeout abandons it and the SDK retries.
        var bucket = await services.CreateBucketAsync("hang");
        var data = RandomBytes(100_000, seed: 5);
        await NewStore(bucket, "p/").PutAsync("ctr.json.gz", new MemoryStream(data), CancellationToken.None);
        var hung = 0;
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            HangWhen = r => (r is { Method: "GET" } && r.Path.EndsWith("/ctr.json.gz", StringComparison.Ordinal)
                || r.Header("x-amz-copy-source") is not null) && Interlocked.Increment(ref hung) is 1 or 3,
        }));
        using var store = S3ObjectStore.Create($"s3://{bucket}/p/", new S3StoreOptions
        {
            EndpointUrl = proxy.Proxy.Url,
            Credentials = AwsServicesFixture.S3Credentials,
            Region = AwsServicesFixture.Region,
            RequestTimeout = TimeSpan.FromSeconds(1),
        });
        var limit = TimeSpan.FromSeconds(30); // without a request timeout each would wait for ever

        Assert.Equal(data, await ReadAllAsync(store, "ctr.json.gz").WaitAsync(limit));
        using var tree = new LocalTree("v1", "p/dt=1/a", "manifest.json");
        await store.PublishAsync(tree.Plan(["p/dt=1/"]), CancellationToken.None).WaitAsync(limit);

        Assert.Equal(2, proxy.Proxy.Count(InjectedFault.Hung));
        Assert.Equal(2, proxy.Proxy.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/ctr.json.gz", StringComparison.Ordinal)));
        Assert.Equal("v1:p/dt=1/a", await ReadTextAsync(store, "p/dt=1/a"));
        Assert.Equal("v1:manifest.json", await ReadTextAsync(store, "manifest.json"));
        Assert.Equal(TimeSpan.FromMinutes(2), S3ObjectStore.CreateConfig(new S3StoreOptions()).Timeout);
    }

    [Fact]
    public async Task An_answer_shorter_than_the_listed_size_is_read_again_and_never_taken_for_a_smaller_object()
    {
        var bucket = await services.CreateBucketAsync("short");
        var data = RandomBytes(200_001, seed: 8);
        await NewStore(bucket, "p/").PutAsync("ctr.json.gz", new MemoryStream(data), CancellationToken.None);
        var cut = 0;
        var shortened = 2;
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions
        {
            // A 200 with half the body and a Content-Length that says so: the first two answers.
            ShortenWhen = r => r.Method == "GET" && r.Path.EndsWith("/ctr.json.gz", StringComparison.Ordinal) && Interlocked.Increment(ref cut) <= shortened,
        }));
        var store = NewStore(bucket, "p/", new S3StoreOptions { MaxResumeAttempts = 3, ResumeBaseDelay = TimeSpan.FromMilliseconds(10) }, proxy.Proxy.Url);
        var listed = Assert.Single(await ToListAsync(store.ListAsync(string.Empty, CancellationToken.None)));

        Assert.Equal(data, await ReadAllAsync(store, listed));
        Assert.Equal(2, proxy.Proxy.Count(InjectedFault.ShortBody));

        // Cut every time: the object is unreadable (an IOException naming it), never 100,000 bytes of data.
        (cut, shortened) = (0, int.MaxValue);
        var e = await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(store, listed));
        Assert.Contains($"s3://{bucket}/p/ctr.json.gz was answered with 100000 bytes 4 times, where its listing says 200001", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_resume_attempts_a_reset_fails_the_read()
    {
        // Control: proves the proxy really breaks reads, so the test above can fail.
        var data = RandomBytes(2 * 1024 * 1024, seed: 3);
        var bucket = await services.CreateBucketAsync("noresume");
        await NewStore(bucket, string.Empty).PutAsync("x", new MemoryStream(data), CancellationToken.None);
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions { ResetShare = 1, Eligible = r => r.Method == "GET" }));
        var reader = NewStore(bucket, string.Empty, new S3StoreOptions { MaxResumeAttempts = 0 }, proxy.Proxy.Url);

        await using var stream = await reader.OpenReadAsync("x", CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(() => stream.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task Writes_and_lists_are_retried_through_SlowDown()
    {
        var bucket = await services.CreateBucketAsync("slowdown");
        // SDK standard retry mode backs off up to ~1 s, 2 s, ... per consecutive throttle: keep the count small.
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions { SlowDownShare = 0.3, Seed = 9, MaxFaults = 3 }));
        var store = NewStore(bucket, "x/", new S3StoreOptions(), proxy.Proxy.Url);

        for (var i = 0; i < 6; i++)
        {
            await store.PutAsync($"k{i}", new MemoryStream(RandomBytes(10_000, i)), CancellationToken.None);
        }

        var listed = await ToListAsync(store.ListAsync(string.Empty, CancellationToken.None));
        await store.DeleteAsync("k0", CancellationToken.None);

        Assert.Equal(6, listed.Count);
        Assert.Equal(3, proxy.Proxy.Count(InjectedFault.SlowDown));
        Assert.Equal(RandomBytes(10_000, 3), await ReadAllAsync(store, "k3"));
        Assert.Equal(5, (await ToListAsync(store.ListAsync(string.Empty, CancellationToken.None))).Count);
    }

    [Fact]
    public async Task A_root_that_names_an_object_is_that_object_alone_found_with_one_HEAD_only_when_the_prefix_is_empty()
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("single");
        const string key = "connect/ctr/2026/10/04/09/file.json.gz";
        var body = RandomBytes(70_001, seed: 11);
        await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
        foreach (var neighbour in new[] { key + ".bak", "connect/ctr/2026/10/04/09/other.gz", "connect/ctr/both", "connect/ctr/both/inner.gz" })
        {
            await services.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = neighbour, ContentBody = neighbour });
        }

        int Lists() => proxy.Proxy.Requests.Count(r => r.Method == "GET" && r.Query.Contains("list-type=2", StringComparison.Ordinal));
        int Heads() => proxy.Proxy.Requests.Count(r => r.Method == "HEAD");

        // The object: was read as the prefix ".../file.json.gz/", which holds nothing.
        var single = NewStore(bucket, key, serviceUrl: proxy.Proxy.Url);
        proxy.Proxy.ClearLog();
        var listed = Assert.Single(await ToListAsync(single.ListAsync(string.Empty, CancellationToken.None)));
        Assert.Equal(new StoredObject(string.Empty, body.Length), listed);
        Assert.Equal((1, 1), (Lists(), Heads()));
        Assert.Equal($"s3://{bucket}/{key}", single.Describe(string.Empty));
        Assert.Equal(body, await ReadAllAsync(single, string.Empty));
        // Known from then on: listed again, or under an hour prefix (where it is not), it costs no request.
        proxy.Proxy.ClearLog();
        Assert.Single(await ToListAsync(single.ListAsync(string.Empty, CancellationToken.None)));
        Assert.Empty(await ToListAsync(single.ListAsync("2026/10/04/09/", CancellationToken.None)));
        Assert.Equal((0, 0), (Lists(), Heads()));

        // A prefix that holds objects costs its LIST and no HEAD, and one that is also an object's key is a prefix.
        proxy.Proxy.ClearLog();
        var folder = NewStore(bucket, "connect/ctr/2026/10/04/09", serviceUrl: proxy.Proxy.Url);
        Assert.Equal(["file.json.gz", "file.json.gz.bak", "other.gz"], (await ToListAsync(folder.ListAsync(string.Empty, CancellationToken.None))).Select(o => o.Key));
        Assert.Equal(["inner.gz"], (await ToListAsync(NewStore(bucket, "connect/ctr/both", serviceUrl: proxy.Proxy.Url).ListAsync(string.Empty, CancellationToken.None))).Select(o => o.Key));
        Assert.Equal((2, 0), (Lists(), Heads()));

        // Neither a prefix nor an object: empty, after one HEAD.
        proxy.Proxy.ClearLog();
        var typo = NewStore(bucket, "connect/ctr/2026/10/04/09/file.json", serviceUrl: proxy.Proxy.Url);
        Assert.Empty(await ToListAsync(typo.ListAsync(string.Empty, CancellationToken.None)));
        Assert.Equal((1, 1), (Lists(), Heads()));
        Assert.Equal($"s3://{bucket}/connect/ctr/2026/10/04/09/file.json/", typo.Describe(string.Empty));

        // A role that may read only under the real prefix is refused the HEAD (403): still an empty source, not a failure.
        using var forbidding = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions { FailWith = r => r.Method == "HEAD" ? 403 : null }));
        Assert.Empty(await ToListAsync(NewStore(bucket, "connect/crt", serviceUrl: forbidding.Proxy.Url).ListAsync(string.Empty, CancellationToken.None)));
        Assert.Single(forbidding.Proxy.Requests, r => r.Method == "HEAD");
    }

    [Fact]
    public async Task A_refused_request_names_the_operation_and_the_object_and_keeps_the_S3_error()
    {
        var bucket = await services.CreateBucketAsync("denied");
        await NewStore(bucket, "p/").PutAsync("a.json", new MemoryStream([1, 2, 3]), CancellationToken.None);
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port, new FaultProxyOptions { FailWith = _ => 403 }));
        var store = NewStore(bucket, "p/", serviceUrl: proxy.Proxy.Url);

        async Task<AmazonS3Exception> Refused(Func<Task> operation, string expected)
        {
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(operation);
            output.WriteLine(e.Message);
            Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
            Assert.EndsWith(" failed: Injected by FaultInjectingProxy", e.Message, StringComparison.Ordinal); // the SDK's message, which named nothing
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, e.StatusCode); // what exit codes and retries go by
            Assert.Equal("InternalError", e.ErrorCode);
            return e;
        }

        await Refused(() => store.OpenReadAsync("a.json", CancellationToken.None), $"Reading s3://{bucket}/p/a.json failed: ");
        await Refused(() => store.PutAsync("b.json", new MemoryStream([1]), CancellationToken.None), $"Writing s3://{bucket}/p/b.json failed: ");
        await Refused(() => store.DeleteAsync("a.json", CancellationToken.None), $"Deleting s3://{bucket}/p/a.json failed: ");
        await Refused(() => ToListAsync(store.ListAsync("2026/", CancellationToken.None)), $"Listing s3://{bucket}/p/2026/ failed: ");
        using var tree = new LocalTree("v1", "d/dt=1/a", "manifest.json");
        proxy.Proxy.Options.FailWith = r => r.Header("x-amz-copy-source") is not null ? 403 : null;
        var copy = await Refused(() => store.PublishAsync(tree.Plan(["d/dt=1/"]), CancellationToken.None), $"Copying s3://{bucket}/p/_staging/");
        Assert.Contains($" to s3://{bucket}/p/d/dt=1/a failed: ", copy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_that_fails_under_the_SDK_names_the_operation_and_the_object_too()
    {
        // A port nobody listens on: the SDK lets the HttpRequestException ("Connection refused") through as it is.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var store = NewStore("nowhere", "p/", new S3StoreOptions { MaxErrorRetry = 0 }, serviceUrl: $"http://127.0.0.1:{port}");

        async Task Failed(Func<Task> operation, string expected)
        {
            var e = await Assert.ThrowsAsync<AmazonClientException>(operation);
            output.WriteLine(e.Message);
            Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
            Assert.IsType<HttpRequestException>(e.InnerException);
        }

        await Failed(() => ToListAsync(store.ListAsync("2026/", CancellationToken.None)), "Listing s3://nowhere/p/2026/ failed: ");
        await Failed(() => store.OpenReadAsync("a.json", CancellationToken.None), "Reading s3://nowhere/p/a.json failed: ");
        await Failed(() => store.FindAsync("a.json", CancellationToken.None), "Looking up s3://nowhere/p/a.json failed: ");
    }

    [Fact]
    public async Task Reading_a_missing_key_is_FileNotFound()
    {
        var store = await NewStoreAsync();
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync("nope.json", CancellationToken.None));
        Assert.Contains("nope.json", e.Message, StringComparison.Ordinal);
        Assert.Equal($"s3://{store.Root.Bucket}/{store.Root.Prefix}nope.json", store.Describe("nope.json"));
    }

    [Fact]
    public async Task Publish_replaces_partitions_as_a_whole_and_writes_the_manifest_last()
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("publish");
        var store = NewStore(bucket, "out/", new S3StoreOptions { PublishConcurrency = 3 }, proxy.Proxy.Url);
        using var v1 = new LocalTree("v1", "charges/dt=2026-10-01/part-0.parquet", "charges/dt=2026-10-01/part-1.parquet",
            "charges/dt=2026-10-01/part-2.parquet", "charges/dt=2026-10-02/part-0.parquet", "manifest.json");
        await store.PublishAsync(v1.Plan(["charges/dt=2026-10-01/", "charges/dt=2026-10-02/"]), CancellationToken.None);
        proxy.Proxy.ClearLog();

        using var v2 = new LocalTree("v2", "charges/dt=2026-10-01/part-0.parquet", "charges/dt=2026-10-01/part-3.parquet", "manifest.json");
        await store.PublishAsync(v2.Plan(["charges/dt=2026-10-01"]), CancellationToken.None);

        var after = await ToListAsync(store.ListAsync(string.Empty, CancellationToken.None));
        Assert.Equal(
            ["charges/dt=2026-10-01/part-0.parquet", "charges/dt=2026-10-01/part-3.parquet", "charges/dt=2026-10-02/part-0.parquet", "manifest.json"],
            after.Select(o => o.Key));
        Assert.Equal("v2:charges/dt=2026-10-01/part-0.parquet", await ReadTextAsync(store, "charges/dt=2026-10-01/part-0.parquet"));
        Assert.Equal("v1:charges/dt=2026-10-02/part-0.parquet", await ReadTextAsync(store, "charges/dt=2026-10-02/part-0.parquet"));
        Assert.Equal("v2:manifest.json", await ReadTextAsync(store, "manifest.json"));

        // Order of writes as S3 saw them: staged puts, copies, prunes, the manifest, then the staging deletes.
        var writes = proxy.Proxy.Requests.Where(r => r.Method is "PUT" or "DELETE" or "POST").ToList();
        var manifestPut = Assert.Single(writes, r => r.Method == "PUT" && r.Path.EndsWith("/out/manifest.json", StringComparison.Ordinal));
        Assert.Null(manifestPut.Header("x-amz-copy-source"));
        foreach (var w in writes)
        {
            output.WriteLine($"{w.Index} {w.Method} {w.Target} copy={w.Header("x-amz-copy-source")}");
        }

        var stagedPuts = writes.Where(r => r.Method == "PUT" && r.Path.Contains("/out/_staging/", StringComparison.Ordinal)).ToList();
        var copies = writes.Where(r => r.Header("x-amz-copy-source") is not null).ToList();
        var prunes = writes.Where(r => r.Method == "DELETE" && !r.Path.Contains("/_staging/", StringComparison.Ordinal)).ToList();
        var stagingDeletes = writes.Where(r => r.Method == "DELETE" && r.Path.Contains("/_staging/", StringComparison.Ordinal)).ToList();
        // Distinct paths: a request the SDK retried shows up twice in the log.
        Assert.Equal(2, stagedPuts.Select(r => r.Path).Distinct().Count());
        Assert.Equal(2, copies.Select(r => r.Path).Distinct().Count());
        Assert.Equal(2, prunes.Select(r => r.Path).Distinct().Count()); // part-1, part-2
        Assert.Equal(2, stagingDeletes.Select(r => r.Path).Distinct().Count());
        Assert.True(stagedPuts.Max(r => r.Index) < copies.Min(r => r.Index), "all staged before any copy");
        Assert.True(copies.Max(r => r.Index) < prunes.Min(r => r.Index), "all copied before any prune");
        Assert.True(prunes.Max(r => r.Index) < manifestPut.Index, "manifest after every partition is replaced");
        Assert.True(manifestPut.Index < stagingDeletes.Min(r => r.Index), "staging removed after the manifest");
        Assert.Empty(await ToListAsync(store.ListAsync(S3ObjectStore.StagingFolder, CancellationToken.None)));
    }

    [Fact]
    public async Task A_staged_object_that_cannot_be_deleted_is_left_with_a_warning_after_the_manifest()
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("stagingleft");
        var warnings = new List<string>();
        var store = NewStore(bucket, "out/", new S3StoreOptions { MaxErrorRetry = 1, Warn = warnings.Add }, proxy.Proxy.Url);
        using var v1 = new LocalTree("v1", "d/dt=1/a", "d/dt=2/a", "manifest.json");
        await store.PublishAsync(v1.Plan(["d/dt=1/", "d/dt=2/"]), CancellationToken.None);

        // A policy that denies deleting one staged object (the explorer's case: 403 on one partition's copy).
        proxy.Proxy.Options.FailWith = r => r.Method == "DELETE" && r.Path.Contains("/_staging/", StringComparison.Ordinal)
            && r.Path.EndsWith("/d/dt=2/a", StringComparison.Ordinal) ? 403 : null;
        using var v2 = new LocalTree("v2", "d/dt=1/a", "d/dt=2/a", "manifest.json");
        await store.PublishAsync(v2.Plan(["d/dt=1/", "d/dt=2/"]), CancellationToken.None);

        // Published: every partition and the manifest are the new run's.
        Assert.Equal("v2:d/dt=1/a", await ReadTextAsync(store, "d/dt=1/a"));
        Assert.Equal("v2:d/dt=2/a", await ReadTextAsync(store, "d/dt=2/a"));
        Assert.Equal("v2:manifest.json", await ReadTextAsync(store, "manifest.json"));
        // Only the copy that could not be deleted is left, and the warning names it and where it lies.
        var left = Assert.Single(await ToListAsync(store.ListAsync(S3ObjectStore.StagingFolder, CancellationToken.None)));
        Assert.EndsWith("/d/dt=2/a", left.Key, StringComparison.Ordinal);
        var warning = Assert.Single(warnings);
        output.WriteLine(warning);
        Assert.Contains($"1 of 2 staged object(s) could not be deleted and stay under s3://{bucket}/out/{left.Key[..^"d/dt=2/a".Length]}", warning, StringComparison.Ordinal);
        Assert.Contains("(d/dt=2/a;", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_while_staging_leaves_the_published_partition_and_manifest_untouched()
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("publishfail");
        var store = NewStore(bucket, string.Empty, new S3StoreOptions { MaxErrorRetry = 1 }, proxy.Proxy.Url);
        using var v1 = new LocalTree("v1", "charges/dt=2026-10-01/part-0.parquet", "charges/dt=2026-10-01/part-1.parquet", "manifest.json");
        await store.PublishAsync(v1.Plan(["charges/dt=2026-10-01/"]), CancellationToken.None);
        var before = await SnapshotAsync(store);

        // Every upload of one staged file fails (500 from S3, retried by the SDK, still failing).
        proxy.Proxy.Options.FailWith = r => r.Method == "PUT" && r.Path.Contains("_staging/", StringComparison.Ordinal)
            && r.Path.EndsWith("part-9.parquet", StringComparison.Ordinal) ? 500 : null;
        using var v2 = new LocalTree("v2", "charges/dt=2026-10-01/part-0.parquet", "charges/dt=2026-10-01/part-9.parquet", "manifest.json");

        await Assert.ThrowsAsync<AmazonS3Exception>(() => store.PublishAsync(v2.Plan(["charges/dt=2026-10-01/"]), CancellationToken.None));

        Assert.Equal(before, await SnapshotAsync(store)); // same keys, same bytes, no staging leftovers
        Assert.True(proxy.Proxy.Count(InjectedFault.Failed) >= 2);
    }

    [Fact]
    public async Task A_failure_after_copying_still_leaves_the_old_manifest()
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("copyfail");
        var store = NewStore(bucket, "out/", new S3StoreOptions { MaxErrorRetry = 1 }, proxy.Proxy.Url);
        using var v1 = new LocalTree("v1", "d/dt=1/a", "d/dt=1/b", "manifest.json");
        await store.PublishAsync(v1.Plan(["d/dt=1/"]), CancellationToken.None);

        // Pruning fails: copies are in place, the stale object cannot be removed.
        proxy.Proxy.Options.FailWith = r => r.Method == "DELETE" && r.Path.EndsWith("/d/dt=1/b", StringComparison.Ordinal) ? 500 : null;
        using var v2 = new LocalTree("v2", "d/dt=1/a", "manifest.json");

        await Assert.ThrowsAsync<AmazonS3Exception>(() => store.PublishAsync(v2.Plan(["d/dt=1/"]), CancellationToken.None));

        Assert.Equal("v1:manifest.json", await ReadTextAsync(store, "manifest.json"));
        Assert.Empty(await ToListAsync(store.ListAsync(S3ObjectStore.StagingFolder, CancellationToken.None)));
    }

    [Theory]
    [InlineData(S3ServerSideEncryption.S3Managed, null, "AES256")]
    [InlineData(S3ServerSideEncryption.Kms, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "aws:kms")]
    [InlineData(S3ServerSideEncryption.None, null, null)]
    public async Task Server_side_encryption_is_requested_on_every_put_and_copy(S3ServerSideEncryption sse, string? keyId, string? header)
    {
        using var proxy = new ProxyScope(new FaultInjectingProxy(services.S3Port));
        var bucket = await services.CreateBucketAsync("sse");
        var store = NewStore(bucket, string.Empty, new S3StoreOptions { Sse = sse, KmsKeyId = keyId, PartSize = 5 * 1024 * 1024 }, proxy.Proxy.Url);
        using var tree = new LocalTree("v1", "p/dt=1/a", "manifest.json");

        await store.PublishAsync(tree.Plan(["p/dt=1/"]), CancellationToken.None);
        await store.PutAsync("multi", new NonSeekableStream(RandomBytes(6 * 1024 * 1024, 1)), CancellationToken.None);

        var writes = proxy.Proxy.Requests
            .Where(r => (r.Method == "PUT" && !r.Query.Contains("partNumber", StringComparison.Ordinal)) || (r.Method == "POST" && r.Query.StartsWith("uploads", StringComparison.Ordinal)))
            .ToList();
        Assert.Equal(4, writes.Count); // staged put, copy, manifest put, initiate multipart
        Assert.All(writes, r => Assert.Equal(header, r.Header("x-amz-server-side-encryption")));
        Assert.All(writes, r => Assert.Equal(keyId, r.Header("x-amz-server-side-encryption-aws-kms-key-id")));
    }

    [Fact]
    public void Options_reject_a_KMS_key_with_SSE_S3()
    {
        Assert.Throws<ArgumentException>(() => new S3StoreOptions { Sse = S3ServerSideEncryption.S3Managed, KmsKeyId = "k" }.EffectiveSse);
        Assert.Equal(S3ServerSideEncryption.Kms, new S3StoreOptions { KmsKeyId = "k" }.EffectiveSse);
    }

    [Fact]
    public async Task Create_with_an_endpoint_url_uses_path_style_and_the_default_chains()
    {
        var bucket = await services.CreateBucketAsync("factory");
        var options = new S3StoreOptions
        {
            EndpointUrl = services.S3ServiceUrl,
            Region = "eu-west-1",
            Credentials = AwsServicesFixture.S3Credentials,
        };
        var config = S3ObjectStore.CreateConfig(options);
        Assert.True(config.ForcePathStyle);
        Assert.Equal(services.S3ServiceUrl, config.ServiceURL.TrimEnd('/'));
        Assert.Equal("eu-west-1", config.AuthenticationRegion);
        Assert.Equal(Amazon.Runtime.RequestRetryMode.Standard, config.RetryMode);

        using var store = S3ObjectStore.Create(new Uri($"s3://{bucket}/runs/2026-10"), options);
        await store.PutAsync("hello.txt", new MemoryStream("hi"u8.ToArray()), CancellationToken.None);

        Assert.Equal("runs/2026-10/", store.Root.Prefix);
        Assert.Equal("hi", await ReadTextAsync(store, "hello.txt"));
        Assert.Equal("runs/2026-10/hello.txt", Assert.Single((await services.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects).Key);
    }

    private async Task<S3ObjectStore> NewStoreAsync(S3StoreOptions? options = null) =>
        NewStore(await services.CreateBucketAsync("store"), "ctr/", options);

    private S3ObjectStore NewStore(string bucket, string prefix, S3StoreOptions? options = null, string? serviceUrl = null)
    {
        var client = services.CreateS3Client(serviceUrl, options?.MaxErrorRetry ?? 4);
        var store = new S3ObjectStore(client, ConnectReconcile.Aws.S3.S3Location.Parse($"s3://{bucket}/{prefix}"), options, ownsClient: true);
        _disposables.Add(store);
        return store;
    }

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, CancellationToken.None);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, StoredObject listed)
    {
        await using var stream = await store.OpenReadAsync(listed, CancellationToken.None);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<string> ReadTextAsync(IObjectStore store, string key) => Encoding.UTF8.GetString(await ReadAllAsync(store, key));

    private static async Task<List<StoredObject>> ToListAsync(IAsyncEnumerable<StoredObject> items)
    {
        var list = new List<StoredObject>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private static async Task<string> SnapshotAsync(IObjectStore store)
    {
        var text = new StringBuilder();
        await foreach (var o in store.ListAsync(string.Empty, CancellationToken.None))
        {
            text.Append(o.Key).Append('=').Append(await ReadTextAsync(store, o.Key)).Append('\n');
        }

        return text.ToString();
    }

    internal static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A local output tree whose files contain "&lt;version&gt;:&lt;path&gt;".</summary>
    private sealed class LocalTree : IDisposable
    {
        private readonly string[] _files;

        public LocalTree(string version, params string[] files)
        {
            Root = Directory.CreateTempSubdirectory("publish-").FullName;
            _files = files;
            foreach (var f in files)
            {
                var path = Path.Combine(Root, f);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, $"{version}:{f}");
            }
        }

        public string Root { get; }

        public PublishPlan Plan(IReadOnlyList<string> partitions) =>
            new(Root, partitions, _files.Where(f => f != "manifest.json").ToList(), "manifest.json");

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private sealed class ProxyScope(FaultInjectingProxy proxy) : IDisposable
    {
        public FaultInjectingProxy Proxy { get; } = proxy;

        public void Dispose() => Proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>A stream that cannot seek or tell its length, like a gzip or network stream.</summary>
    private sealed class NonSeekableStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7777));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
