using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Aws.S3;

/// <summary>
/// <see cref="IObjectStore"/> over an S3 prefix (<c>s3://bucket/prefix/</c>). Keys are relative to the
/// prefix. A root that holds nothing as a prefix but names an object (<c>s3://bucket/…/file.json.gz</c>)
/// is that one object, under the empty key, as a local store given a file is. Reads stream and resume
/// after dropped connections; writes carry the configured server-side encryption;
/// <see cref="PublishAsync"/> stages, copies into place, prunes, and writes the manifest last.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    /// <summary>Folder (under the store root) where <see cref="PublishAsync"/> stages uploads.</summary>
    public const string StagingFolder = "_staging/";

    private const int MinPartSize = 5 * 1024 * 1024;

    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly S3StoreOptions _options;
    private readonly S3ServerSideEncryption _sse;

    /// <summary>Set (full key and size) once the root has turned out to name one object rather than a prefix.</summary>
    private volatile StoredObject? _rootObject;

    /// <param name="client">The S3 client (see <see cref="CreateConfig"/> for the defaults used by <see cref="Create(string, S3StoreOptions?)"/>).</param>
    /// <param name="root">Bucket and prefix all keys are relative to.</param>
    /// <param name="options">Encryption, paging, part size and resume settings (endpoint/region/credentials are the client's).</param>
    /// <param name="ownsClient">Dispose <paramref name="client"/> with the store.</param>
    public S3ObjectStore(IAmazonS3 client, S3Location root, S3StoreOptions? options = null, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(root);
        _client = client;
        Root = root;
        _ownsClient = ownsClient;
        _options = options ?? new S3StoreOptions();
        _sse = _options.EffectiveSse;
        if (_options.ListPageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.ListPageSize, "ListPageSize must be 1..1000.");
        }

        if (_options.PartSize < MinPartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.PartSize, "PartSize must be at least 5 MiB.");
        }
    }

    public S3Location Root { get; }

    public IAmazonS3 Client => _client;

    /// <summary>A store for <paramref name="root"/> (<c>s3://bucket/prefix/</c>) with its own client built by <see cref="CreateConfig"/>.</summary>
    public static S3ObjectStore Create(string root, S3StoreOptions? options = null)
    {
        options ??= new S3StoreOptions();
        var location = S3Location.Parse(root);
        var config = CreateConfig(options);
        var client = options.Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(options.Credentials, config);
        return new S3ObjectStore(client, location, options, ownsClient: true);
    }

    public static S3ObjectStore Create(Uri root, S3StoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Create(root.OriginalString, options);
    }

    /// <summary>
    /// The client configuration used by <see cref="Create(string, S3StoreOptions?)"/>: standard retry mode
    /// (throttling and transient errors, <see cref="S3StoreOptions.MaxErrorRetry"/> retries), each attempt
    /// abandoned after <see cref="S3StoreOptions.RequestTimeout"/> without response headers; region from the
    /// options or the SDK chain; a custom endpoint (options, else <c>AWS_ENDPOINT_URL_S3</c>/<c>AWS_ENDPOINT_URL</c>)
    /// sets <c>ServiceURL</c> and path-style addressing. Checksum settings stay at the SDK's defaults.
    /// </summary>
    public static AmazonS3Config CreateConfig(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxErrorRetry,
            Timeout = options.RequestTimeout,
        };

        var endpoint = AwsEndpoints.Resolve(options.EndpointUrl, "S3");
        if (endpoint is null)
        {
            if (options.Region is not null)
            {
                config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
            }
        }
        else
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region
                ?? AwsEndpoints.ResolveRegion(null, includeInstanceMetadata: false)?.SystemName
                ?? "us-east-1";
        }

        return config;
    }

    public string Describe(string key) => $"s3://{Root.Bucket}/{FullKey(key)}";

    /// <summary>The object key of a relative key: the root object's own for the empty key once the root names one.</summary>
    private string FullKey(string key) => key.Length == 0 && _rootObject is { } root ? root.Key : Root.KeyFor(key);

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (_rootObject is { } single)
        {
            // The root is one object: the store's only one, under no prefix but the empty one (listed
            // under every hour prefix of a dated run, it would be read once an hour), and no request.
            if (prefix.Length == 0)
            {
                yield return new StoredObject(string.Empty, single.Size);
            }

            yield break;
        }

        var request = new ListObjectsV2Request
        {
            BucketName = Root.Bucket,
            Prefix = Root.KeyFor(prefix),
            MaxKeys = _options.ListPageSize,
        };

        // S3 lists in UTF-8 byte order, which matches ordinal order for keys without surrogate pairs,
        // but S3-compatible servers do not all sort (s3rver walks its folders depth-first). The contract
        // is ordinal order, so pages are collected and sorted: memory grows with the number of keys
        // under the prefix (about 200 bytes each), which suits hour/day/month prefixes.
        var objects = new List<StoredObject>();
        var sorted = true;
        while (true)
        {
            var response = await NamedAsync("Listing", request.Prefix, () => _client.ListObjectsV2Async(request, cancellationToken)).ConfigureAwait(false);
            foreach (var item in Objects(response))
            {
                sorted &= objects.Count == 0 || string.CompareOrdinal(objects[^1].Key, item.Key) < 0;
                objects.Add(item);
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }

        if (!sorted)
        {
            objects.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        if (objects.Count == 0 && await RootAsObjectAsync(prefix, cancellationToken).ConfigureAwait(false) is { } root)
        {
            objects.Add(root);
        }

        foreach (var item in objects)
        {
            yield return item;
        }
    }

    /// <summary>One page of the listing (up to <paramref name="atMost"/> keys, in the server's order), not every page sorted.</summary>
    public async IAsyncEnumerable<StoredObject> SampleAsync(string prefix, int atMost, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (_rootObject is not null)
        {
            await foreach (var obj in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                yield return obj;
            }

            yield break;
        }

        var request = new ListObjectsV2Request { BucketName = Root.Bucket, Prefix = Root.KeyFor(prefix), MaxKeys = Math.Clamp(atMost, 1, _options.ListPageSize) };
        var response = await NamedAsync("Listing", request.Prefix, () => _client.ListObjectsV2Async(request, cancellationToken)).ConfigureAwait(false);
        var any = false;
        foreach (var item in Objects(response))
        {
            any = true;
            yield return item;
        }

        if (!any && await RootAsObjectAsync(prefix, cancellationToken).ConfigureAwait(false) is { } root)
        {
            yield return root;
        }
    }

    /// <summary>A listing page's objects, keyed relative to the root, without the "folder" placeholder objects consoles make.</summary>
    private IEnumerable<StoredObject> Objects(ListObjectsV2Response response) =>
        (response.S3Objects ?? []).Where(o => !(o.Key.EndsWith('/') && (o.Size ?? 0) == 0)).Select(o => new StoredObject(o.Key[Root.Prefix.Length..], o.Size ?? 0));

    /// <summary>
    /// For a root listing that found nothing: the object the root names, if any, from then on the store's
    /// only one. Only such a root may name an object, so a prefix that holds objects (the usual source)
    /// costs no request more.
    /// </summary>
    private async Task<StoredObject?> RootAsObjectAsync(string prefix, CancellationToken cancellationToken)
    {
        if (prefix.Length != 0 || await RootObjectAsync(cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        _rootObject = found;
        return new StoredObject(string.Empty, found.Size);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => OpenAsync(key, null, cancellationToken);

    /// <summary>
    /// The object at <paramref name="key"/> with its size, by one HEAD (null when there is none), to open as listed
    /// (<see cref="OpenReadAsync(StoredObject, CancellationToken)"/>) without a listing: reference files are granted
    /// s3:GetObject alone, which a HEAD needs too, and a cut answer of a CSV would still parse, with half its rows.
    /// </summary>
    public async Task<StoredObject?> FindAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Root.Bucket, Key = FullKey(key) }, cancellationToken)
                .ConfigureAwait(false);
            return new StoredObject(key, head.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            throw Named("Looking up", FullKey(key), e);
        }
    }

    /// <summary>
    /// As <see cref="OpenReadAsync(string, CancellationToken)"/>, checking the answer against the listed size: a
    /// 200 that announces (and sends) fewer bytes is a cut answer, which the SDK catches only when the ETag is an
    /// MD5 (not for multipart uploads), so the object is asked for again, up to
    /// <see cref="S3StoreOptions.MaxResumeAttempts"/> times, then reported unreadable.
    /// </summary>
    public Task<Stream> OpenReadAsync(StoredObject listed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listed);
        return OpenAsync(listed.Key, listed.Size, cancellationToken);
    }

    private async Task<Stream> OpenAsync(string key, long? listedSize, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = Root.Bucket, Key = FullKey(key) };
        for (var attempt = 0; ; attempt++)
        {
            GetObjectResponse response;
            try
            {
                response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                throw new FileNotFoundException($"{Describe(key)} does not exist ({e.ErrorCode}).", Describe(key), e);
            }
            catch (Exception e) when (IsRequestFailure(e))
            {
                throw Named("Reading", request.Key, e);
            }

            if (listedSize is not { } size || response.ContentLength == size)
            {
                return new ResumableS3ReadStream(_client, Root.Bucket, request.Key, response, _options);
            }

            var answered = response.ContentLength;
            response.Dispose();
            if (attempt >= _options.MaxResumeAttempts)
            {
                throw new IOException(
                    $"{Describe(key)} was answered with {answered} bytes {attempt + 1} times, where its listing says {size}: " +
                    "a cut answer (a proxy or network fault) or an object replaced since it was listed.");
            }

            await Task.Delay(Internal.Backoff.Delay(attempt, _options.ResumeBaseDelay, TimeSpan.FromSeconds(5)), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        await PutObjectAsync(Root.KeyFor(key), content, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        await NamedAsync("Deleting", Root.KeyFor(key), () => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Root.Bucket, Key = Root.KeyFor(key) }, cancellationToken))
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes <paramref name="plan"/> in this order: (1) upload every file to <c>_staging/&lt;unique&gt;/</c>;
    /// (2) copy each staged object to its final key; (3) under each partition prefix, delete objects the plan
    /// does not name; (4) write the manifest; (5) delete the staged objects (single deletes, best effort). A
    /// failure in (1) leaves the published tree untouched; any failure before (4) leaves the previous manifest
    /// in place, and staged objects are removed then too (best effort). After (4) the run is published: a
    /// staged object that cannot be deleted is left under <c>_staging/</c> with a warning
    /// (<see cref="S3StoreOptions.Warn"/>), never a failed run. <paramref name="cancellationToken"/> cancels (1) only:
    /// from the first copy on, a stopped run's publish finishes.
    /// </summary>
    public async Task PublishAsync(PublishPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var manifest = NormalizeRelativeKey(plan.ManifestFile, nameof(plan.ManifestFile));
        var files = plan.Files
            .Select(f => NormalizeRelativeKey(f, nameof(plan.Files)))
            .Where(f => f != manifest)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var partitions = plan.Partitions
            .Select(p => NormalizeRelativeKey(p, nameof(plan.Partitions)))
            .Select(p => p.EndsWith('/') ? p : p + "/")
            .Distinct(StringComparer.Ordinal)
            .ToList();

        foreach (var file in files.Append(manifest))
        {
            var local = LocalPath(plan.LocalRoot, file);
            if (!File.Exists(local))
            {
                throw new FileNotFoundException($"Publish plan names '{file}', but {local} does not exist.", local);
            }

            if (file.StartsWith(StagingFolder, StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{file}' lies in the reserved staging folder {StagingFolder}.", nameof(plan));
            }
        }

        var staging = string.Create(
            CultureInfo.InvariantCulture,
            $"{StagingFolder}{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}/");
        var staged = new List<string>();
        // The token cancels staging only: from the first copy into place on, the publish finishes (IObjectStore.PublishAsync).
        var uploads = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.PublishConcurrency), CancellationToken = cancellationToken };
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.PublishConcurrency) };
        var completed = false;
        try
        {
            // 1. Stage: a failure here leaves the published tree as it was. Uploads already in flight when
            //    another fails are let finish (only the caller's token aborts them): an aborted PUT can still
            //    land on the server after the clean-up below has deleted its key.
            await Parallel.ForEachAsync(files, uploads, async (file, _) =>
            {
                var stagedKey = Root.KeyFor(staging + file);
                lock (staged)
                {
                    staged.Add(stagedKey);
                }

                var stream = new FileStream(LocalPath(plan.LocalRoot, file), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await using (stream.ConfigureAwait(false))
                {
                    await PutObjectAsync(stagedKey, stream, cancellationToken).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);

            // 2. Copy into place (server side).
            await Parallel.ForEachAsync(files, parallel, async (file, ct) =>
            {
                var copy = new CopyObjectRequest
                {
                    SourceBucket = Root.Bucket,
                    SourceKey = Root.KeyFor(staging + file),
                    DestinationBucket = Root.Bucket,
                    DestinationKey = Root.KeyFor(file),
                };
                ApplySse(copy);
                await NamedAsync($"Copying s3://{Root.Bucket}/{copy.SourceKey} to", copy.DestinationKey, () => _client.CopyObjectAsync(copy, ct)).ConfigureAwait(false);
            }).ConfigureAwait(false);

            // 3. Prune each replaced partition of objects the plan does not name.
            var keep = new HashSet<string>(files, StringComparer.Ordinal) { manifest };
            var stale = new List<string>();
            foreach (var partition in partitions)
            {
                await foreach (var o in ListAsync(partition, CancellationToken.None).ConfigureAwait(false))
                {
                    if (!keep.Contains(o.Key))
                    {
                        stale.Add(o.Key);
                    }
                }
            }

            await Parallel.ForEachAsync(stale, parallel, async (key, ct) => await DeleteAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);

            // 4. The manifest, once every partition is in place: the commit point, so readers that start from
            //    it never see a partial publish, and nothing after it can withhold it.
            var manifestStream = new FileStream(LocalPath(plan.LocalRoot, manifest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using (manifestStream.ConfigureAwait(false))
            {
                await PutObjectAsync(Root.KeyFor(manifest), manifestStream, CancellationToken.None).ConfigureAwait(false);
            }

            completed = true;
        }
        finally
        {
            if (!completed && staged.Count > 0)
            {
                await DeleteBestEffortAsync(staged).ConfigureAwait(false);
            }
        }

        // 5. Remove the staging copies (single deletes: DeleteObjects is not needed and races on some servers).
        //    The run is published: a copy that cannot be deleted (a policy without s3:DeleteObject on _staging/)
        //    stays where no table prefix looks, for a lifecycle rule, and the user is told which.
        var left = new List<(string Key, string Error)>();
        await Parallel.ForEachAsync(staged, parallel, async (key, ct) =>
        {
            try
            {
                await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Root.Bucket, Key = key }, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                lock (left)
                {
                    left.Add((key, e.Message));
                }
            }
        }).ConfigureAwait(false);
        if (left.Count > 0)
        {
            left.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            _options.Warn?.Invoke(
                $"Published, but {left.Count} of {staged.Count} staged object(s) could not be deleted and stay under s3://{Root.Bucket}/{Root.KeyFor(staging)} " +
                $"({string.Join(", ", left.Take(3).Select(l => l.Key[Root.KeyFor(staging).Length..]))}{(left.Count > 3 ? ", …" : string.Empty)}; the first failed with: {left[0].Error}). " +
                "Readers never look there; delete them, or let a lifecycle rule on _staging/ expire them.");
        }
    }

    /// <summary>
    /// The object the root names when taken as a key (<c>s3://bucket/2026/10/04/09/file.json.gz</c>, whose
    /// prefix <c>…/file.json.gz/</c> holds nothing): one HEAD, which answers exactly whatever order a
    /// server lists in and brings no neighbouring keys.
    /// </summary>
    private async Task<StoredObject?> RootObjectAsync(CancellationToken cancellationToken)
    {
        if (Root.Prefix.Length == 0)
        {
            return null; // the bucket itself
        }

        var key = Root.Prefix[..^1];
        try
        {
            var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Root.Bucket, Key = key }, cancellationToken)
                .ConfigureAwait(false);
            return new StoredObject(key, head.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            // 403 too: a role allowed to read only under the real prefix is refused a HEAD of a mistyped
            // one, which must still read as an empty source, not as a failed run.
            return null;
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            throw Named("Looking up", key, e);
        }
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>One PutObject for bodies up to <see cref="S3StoreOptions.PartSize"/>, multipart upload above.</summary>
    private Task PutObjectAsync(string fullKey, Stream content, CancellationToken cancellationToken) =>
        NamedAsync("Writing", fullKey, async () =>
        {
            await PutObjectCoreAsync(fullKey, content, cancellationToken).ConfigureAwait(false);
            return true;
        });

    private async Task PutObjectCoreAsync(string fullKey, Stream content, CancellationToken cancellationToken)
    {
        if (content.CanSeek && content.Length - content.Position <= _options.PartSize)
        {
            var put = new PutObjectRequest
            {
                BucketName = Root.Bucket,
                Key = fullKey,
                InputStream = content,
                AutoCloseStream = false,
            };
            ApplySse(put);
            await _client.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
            return;
        }

        var first = await ReadPartAsync(content, cancellationToken).ConfigureAwait(false);
        if (first.Length < _options.PartSize)
        {
            using (first)
            {
                var put = new PutObjectRequest { BucketName = Root.Bucket, Key = fullKey, InputStream = first, AutoCloseStream = false };
                ApplySse(put);
                await _client.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await MultipartUploadAsync(fullKey, content, first, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Up to <see cref="S3StoreOptions.PartSize"/> bytes of <paramref name="content"/>, in a stream at position 0.</summary>
    private async Task<MemoryStream> ReadPartAsync(Stream content, CancellationToken cancellationToken)
    {
        var part = new MemoryStream();
        var buffer = new byte[81920];
        while (part.Length < _options.PartSize)
        {
            var wanted = (int)Math.Min(buffer.Length, _options.PartSize - part.Length);
            var read = await content.ReadAsync(buffer.AsMemory(0, wanted), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            part.Write(buffer, 0, read);
        }

        part.Position = 0;
        return part;
    }

    private async Task MultipartUploadAsync(string fullKey, Stream content, MemoryStream firstPart, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = Root.Bucket, Key = fullKey, ChecksumAlgorithm = ChecksumAlgorithm.CRC32 };
        ApplySse(initiate);
        var upload = await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false);
        var parts = new List<PartETag>();
        try
        {
            var part = firstPart;
            for (var partNumber = 1; part.Length > 0; partNumber++)
            {
                using (part)
                {
                    var response = await _client.UploadPartAsync(
                        new UploadPartRequest
                        {
                            BucketName = Root.Bucket,
                            Key = fullKey,
                            UploadId = upload.UploadId,
                            PartNumber = partNumber,
                            InputStream = part,
                            PartSize = part.Length,
                            ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
                        },
                        cancellationToken).ConfigureAwait(false);
                    parts.Add(new PartETag { PartNumber = partNumber, ETag = response.ETag, ChecksumCRC32 = response.ChecksumCRC32 });
                }

                part = await ReadPartAsync(content, cancellationToken).ConfigureAwait(false);
            }

            part.Dispose();
            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = Root.Bucket, Key = fullKey, UploadId = upload.UploadId, PartETags = parts },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = Root.Bucket, Key = fullKey, UploadId = upload.UploadId },
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: a lifecycle rule for incomplete uploads cleans up what is left.
            }

            throw;
        }
    }

    /// <summary>
    /// Runs one S3 request, naming it and its object in an error (<c>Reading s3://bucket/key failed: Access
    /// Denied</c>): the SDK's message names neither. The error keeps its type, status and S3 error code (which
    /// decide exit codes and retries); the SDK's is its inner exception.
    /// </summary>
    private async Task<T> NamedAsync<T>(string operation, string fullKey, Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            throw Named(operation, fullKey, e);
        }
    }

    /// <summary>
    /// A request that failed, to be named: the SDK's errors, and a connection that failed underneath it (refused,
    /// reset), which the SDK lets through as it is, with a message that names neither request nor object.
    /// </summary>
    private static bool IsRequestFailure(Exception e) => e is AmazonClientException or AmazonServiceException or HttpRequestException or IOException;

    private Exception Named(string operation, string fullKey, Exception e)
    {
        var message = $"{operation} s3://{Root.Bucket}/{fullKey} failed: {e.Message}";
        return e switch
        {
            AmazonS3Exception s3 => new AmazonS3Exception(message, s3, s3.ErrorType, s3.ErrorCode, s3.RequestId, s3.StatusCode),
            AmazonServiceException service => new AmazonServiceException(message, service, service.ErrorType, service.ErrorCode, service.RequestId, service.StatusCode),
            _ => new AmazonClientException(message, e),
        };
    }

    private async Task DeleteBestEffortAsync(IEnumerable<string> fullKeys)
    {
        foreach (var key in fullKeys.ToList())
        {
            try
            {
                await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Root.Bucket, Key = key }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: leftovers stay under _staging/ and never affect readers.
            }
        }
    }

    private void ApplySse(PutObjectRequest r) => (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId) = SseHeaders();

    private void ApplySse(InitiateMultipartUploadRequest r) => (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId) = SseHeaders();

    private void ApplySse(CopyObjectRequest r) => (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId) = SseHeaders();

    private (ServerSideEncryptionMethod?, string?) SseHeaders() => _sse switch
    {
        S3ServerSideEncryption.S3Managed => (ServerSideEncryptionMethod.AES256, null),
        S3ServerSideEncryption.Kms => (ServerSideEncryptionMethod.AWSKMS, _options.KmsKeyId),
        _ => (null, null),
    };

    private static string NormalizeRelativeKey(string key, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key, what);
        var normalized = key.Replace('\\', '/');
        if (normalized.StartsWith('/') || normalized.Split('/').Any(s => s is "." or ".."))
        {
            throw new ArgumentException($"'{key}' in {what} must be a relative path without '.' or '..' segments.", what);
        }

        return normalized;
    }

    private static string LocalPath(string localRoot, string relative) =>
        Path.Combine(localRoot, relative.Replace('/', Path.DirectorySeparatorChar));
}
