using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;
using ConnectReconcile.Aws.Internal;

namespace ConnectReconcile.Aws.Kinesis;

/// <summary>
/// Kinesis Data Streams over <see cref="HttpClient"/>: JSON 1.1 protocol (<c>X-Amz-Target: Kinesis_20131202.&lt;Op&gt;</c>),
/// requests signed with AWSSDK.Core's public SigV4 signer, credentials and region from the SDK chains.
/// Every attempt has a deadline (<see cref="KinesisClientOptions.RequestTimeout"/>); throttling, 5xx,
/// timeouts and network errors are retried with exponential backoff and jitter, at most
/// <see cref="KinesisClientOptions.MaxRetries"/> times.
/// </summary>
public sealed class KinesisClient : IKinesisClient
{
    /// <summary>Service name used in the SigV4 scope.</summary>
    public const string SigningService = "kinesis";

    internal const string ContentType = "application/x-amz-json-1.1";
    internal const string TargetPrefix = "Kinesis_20131202.";

    private const int MaxRecordsPerPut = 500;
    private const int MaxBytesPerPut = 5 * 1024 * 1024;
    private const int MaxBytesPerRecord = 1024 * 1024;

    private static readonly MediaTypeHeaderValue JsonContentType = new(ContentType);

    private readonly HttpClient _http;
    private readonly KinesisClientOptions _options;
    private readonly RegionEndpoint _region;
    private readonly SemaphoreSlim _credentialsLock = new(1, 1);
    private AWSCredentials? _credentials;

    public KinesisClient(KinesisClientOptions? options = null)
    {
        _options = options ?? new KinesisClientOptions();
        var endpoint = AwsEndpoints.Resolve(_options.EndpointUrl, "KINESIS");
        _region = AwsEndpoints.ResolveRegion(_options.Region, includeInstanceMetadata: endpoint is null)
            ?? (endpoint is not null
                ? RegionEndpoint.USEast1
                : throw new InvalidOperationException("No AWS region configured for Kinesis (set --region, AWS_REGION or a profile)."));
        Endpoint = new Uri((endpoint ?? $"https://kinesis.{_region.SystemName}.{_region.PartitionDnsSuffix}") + "/");
        Region = _region.SystemName;
        _credentials = _options.Credentials;
        var handler = _options.HttpHandler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = _options.RequestTimeout < TimeSpan.FromSeconds(10) ? _options.RequestTimeout : TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Endpoint { get; }

    /// <summary>Region used in the signing scope.</summary>
    public string Region { get; }

    public async Task CreateStreamAsync(string streamName, int shardCount, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        using var _ = await SendAsync("CreateStream", w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteNumber("ShardCount", shardCount);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteStreamAsync(string streamName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        using var _ = await SendAsync("DeleteStream", w => w.WriteString("StreamName", streamName), cancellationToken).ConfigureAwait(false);
    }

    public async Task<StreamSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        using var doc = await SendAsync("DescribeStreamSummary", w => w.WriteString("StreamName", streamName), cancellationToken)
            .ConfigureAwait(false);
        var s = doc.RootElement.GetProperty("StreamDescriptionSummary");
        return new StreamSummary(
            s.GetProperty("StreamName").GetString()!,
            OptionalString(s, "StreamARN"),
            s.GetProperty("StreamStatus").GetString()!,
            OptionalInt(s, "RetentionPeriodHours"),
            s.TryGetProperty("StreamCreationTimestamp", out var created) ? ParseTimestamp(created) : null,
            OptionalInt(s, "OpenShardCount"),
            OptionalString(s, "EncryptionType"),
            s.TryGetProperty("StreamModeDetails", out var mode) && mode.ValueKind == JsonValueKind.Object ? OptionalString(mode, "StreamMode") : null);
    }

    public async Task<ListShardsPage> ListShardsPageAsync(string? streamName, string? nextToken, int? maxResults, CancellationToken cancellationToken)
    {
        if (streamName is null && nextToken is null)
        {
            throw new ArgumentException("ListShards needs a stream name (first page) or a NextToken (later pages).");
        }

        using var doc = await SendAsync("ListShards", w =>
        {
            // The service rejects StreamName together with NextToken.
            if (nextToken is not null)
            {
                w.WriteString("NextToken", nextToken);
            }
            else
            {
                w.WriteString("StreamName", streamName);
            }

            if (maxResults is not null)
            {
                w.WriteNumber("MaxResults", maxResults.Value);
            }
        }, cancellationToken).ConfigureAwait(false);

        var shards = new List<KinesisShard>();
        if (doc.RootElement.TryGetProperty("Shards", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in array.EnumerateArray())
            {
                var range = s.GetProperty("SequenceNumberRange");
                shards.Add(new KinesisShard(
                    s.GetProperty("ShardId").GetString()!,
                    OptionalString(s, "ParentShardId"),
                    OptionalString(s, "AdjacentParentShardId"),
                    ParseHashKeyRange(s.GetProperty("HashKeyRange")),
                    new SequenceNumberRange(range.GetProperty("StartingSequenceNumber").GetString()!, OptionalString(range, "EndingSequenceNumber"))));
            }
        }

        return new ListShardsPage(shards, OptionalString(doc.RootElement, "NextToken"));
    }

    public async Task<IReadOnlyList<KinesisShard>> ListShardsAsync(string streamName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        var all = new List<KinesisShard>();
        var page = await ListShardsPageAsync(streamName, null, null, cancellationToken).ConfigureAwait(false);
        all.AddRange(page.Shards);
        while (page.NextToken is not null)
        {
            page = await ListShardsPageAsync(null, page.NextToken, null, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Shards);
        }

        return all;
    }

    public async Task<string> GetShardIteratorAsync(string streamName, string shardId, ShardIteratorPosition position, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        ArgumentException.ThrowIfNullOrEmpty(shardId);
        if (position.Type is ShardIteratorType.AtSequenceNumber or ShardIteratorType.AfterSequenceNumber && string.IsNullOrEmpty(position.SequenceNumber))
        {
            throw new ArgumentException($"{position.WireName} needs a sequence number.", nameof(position));
        }

        if (position.Type == ShardIteratorType.AtTimestamp && position.Timestamp is null)
        {
            throw new ArgumentException("AT_TIMESTAMP needs a timestamp.", nameof(position));
        }

        using var doc = await SendAsync("GetShardIterator", w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteString("ShardId", shardId);
            w.WriteString("ShardIteratorType", position.WireName);
            if (position.Type is ShardIteratorType.AtSequenceNumber or ShardIteratorType.AfterSequenceNumber)
            {
                w.WriteString("StartingSequenceNumber", position.SequenceNumber);
            }

            if (position.Type == ShardIteratorType.AtTimestamp)
            {
                w.WriteNumber("Timestamp", position.Timestamp!.Value.ToUnixTimeMilliseconds() / 1000m);
            }
        }, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.GetProperty("ShardIterator").GetString()!;
    }

    public async Task<GetRecordsResult> GetRecordsAsync(string shardIterator, int? limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(shardIterator);
        if (limit is < 1 or > 10000)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "GetRecords limit must be 1..10000.");
        }

        using var doc = await SendAsync("GetRecords", w =>
        {
            w.WriteString("ShardIterator", shardIterator);
            if (limit is not null)
            {
                w.WriteNumber("Limit", limit.Value);
            }
        }, cancellationToken).ConfigureAwait(false);

        var root = doc.RootElement;
        var records = new List<KinesisRecord>();
        if (root.TryGetProperty("Records", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in array.EnumerateArray())
            {
                records.Add(new KinesisRecord(
                    r.GetProperty("SequenceNumber").GetString()!,
                    r.TryGetProperty("ApproximateArrivalTimestamp", out var arrival) ? ParseTimestamp(arrival) ?? default : default,
                    r.GetProperty("Data").GetBytesFromBase64(),
                    r.GetProperty("PartitionKey").GetString()!,
                    OptionalString(r, "EncryptionType")));
            }
        }

        var children = new List<ChildShard>();
        if (root.TryGetProperty("ChildShards", out var childArray) && childArray.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in childArray.EnumerateArray())
            {
                var parents = c.TryGetProperty("ParentShards", out var p) && p.ValueKind == JsonValueKind.Array
                    ? p.EnumerateArray().Select(x => x.GetString()!).ToList()
                    : [];
                children.Add(new ChildShard(
                    c.GetProperty("ShardId").GetString()!,
                    parents,
                    c.TryGetProperty("HashKeyRange", out var h) && h.ValueKind == JsonValueKind.Object ? ParseHashKeyRange(h) : null));
            }
        }

        long? behind = root.TryGetProperty("MillisBehindLatest", out var mbl) && mbl.ValueKind == JsonValueKind.Number ? mbl.GetInt64() : null;
        return new GetRecordsResult(records, OptionalString(root, "NextShardIterator"), behind, children);
    }

    public async Task<PutRecordsResult> PutRecordsAsync(string streamName, IReadOnlyList<PutRecordsEntry> records, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count is 0 or > MaxRecordsPerPut)
        {
            throw new ArgumentOutOfRangeException(nameof(records), records.Count, $"PutRecords takes 1..{MaxRecordsPerPut} records.");
        }

        long total = 0;
        foreach (var r in records)
        {
            var size = r.Data.Length + Encoding.UTF8.GetByteCount(r.PartitionKey);
            if (size > MaxBytesPerRecord)
            {
                throw new ArgumentException($"A record of {size} bytes exceeds the 1 MiB limit (data + partition key).", nameof(records));
            }

            total += size;
        }

        if (total > MaxBytesPerPut)
        {
            throw new ArgumentException($"PutRecords payload of {total} bytes exceeds 5 MiB; split the batch.", nameof(records));
        }

        using var doc = await SendAsync("PutRecords", w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteStartArray("Records");
            foreach (var r in records)
            {
                w.WriteStartObject();
                w.WriteBase64String("Data", r.Data.Span);
                w.WriteString("PartitionKey", r.PartitionKey);
                if (r.ExplicitHashKey is not null)
                {
                    w.WriteString("ExplicitHashKey", r.ExplicitHashKey);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }, cancellationToken).ConfigureAwait(false);

        var root = doc.RootElement;
        var results = new List<PutRecordsResultEntry>(records.Count);
        var index = 0;
        foreach (var r in root.GetProperty("Records").EnumerateArray())
        {
            results.Add(new PutRecordsResultEntry(
                index++,
                OptionalString(r, "SequenceNumber"),
                OptionalString(r, "ShardId"),
                OptionalString(r, "ErrorCode"),
                OptionalString(r, "ErrorMessage")));
        }

        var failed = root.TryGetProperty("FailedRecordCount", out var f) && f.ValueKind == JsonValueKind.Number
            ? f.GetInt32()
            : results.Count(r => !r.Succeeded);
        return new PutRecordsResult(failed, results, OptionalString(root, "EncryptionType"));
    }

    public async Task SplitShardAsync(string streamName, string shardToSplit, string newStartingHashKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        ArgumentException.ThrowIfNullOrEmpty(shardToSplit);
        ArgumentException.ThrowIfNullOrEmpty(newStartingHashKey);
        using var _ = await SendAsync("SplitShard", w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteString("ShardToSplit", shardToSplit);
            w.WriteString("NewStartingHashKey", newStartingHashKey);
        }, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _http.Dispose();
        _credentialsLock.Dispose();
    }

    /// <summary>Builds the signed HTTP request for one attempt (exposed to tests to check the signature).</summary>
    internal async Task<HttpRequestMessage> CreateSignedRequestAsync(string operation, byte[] payload, CancellationToken cancellationToken)
    {
        var credentials = await GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        var target = TargetPrefix + operation;
        var signing = new AWSSigningRequest
        {
            HttpMethod = HttpMethod.Post,
            RequestUri = Endpoint,
            Content = payload,
        };
        signing.Headers["Content-Type"] = ContentType;
        signing.Headers["X-Amz-Target"] = target;
        var signed = await AWSSigV4Signer.SignAsync(
            signing,
            new AWSSigV4Parameters
            {
                Credentials = credentials,
                Region = _region,
                Service = SigningService,
                SignedAt = _options.TimeProvider.GetUtcNow().UtcDateTime,
            },
            cancellationToken).ConfigureAwait(false);

        var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = new ByteArrayContent(payload),
        };
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        foreach (var (name, value) in signed.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    private async Task<AWSCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        if (_credentials is not null)
        {
            return _credentials;
        }

        await _credentialsLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _credentials ??= await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync(null).ConfigureAwait(false);
        }
        finally
        {
            _credentialsLock.Release();
        }
    }

    private async Task<JsonDocument> SendAsync(string operation, Action<Utf8JsonWriter> writeBody, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeBody(writer);
            writer.WriteEndObject();
        }

        var payload = buffer.WrittenSpan.ToArray();
        for (var attempt = 0; ; attempt++)
        {
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(_options.RequestTimeout);
                try
                {
                    using var request = await CreateSignedRequestAsync(operation, payload, deadline.Token).ConfigureAwait(false);
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
                    var body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
                    }

                    var error = MapError(operation, response, body);
                    if (!error.IsRetryable || attempt >= _options.MaxRetries)
                    {
                        throw error;
                    }
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= _options.MaxRetries)
                    {
                        throw new TimeoutException(
                            $"Kinesis {operation} at {AwsEndpoints.ForDisplay(Endpoint)} did not answer within {_options.RequestTimeout.TotalSeconds:0.###} s ({attempt + 1} attempts).", e);
                    }
                }
                catch (HttpRequestException) when (attempt < _options.MaxRetries)
                {
                    // Connection refused/reset, DNS: retried below.
                }
            }

            await Task.Delay(Backoff.Delay(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay), cancellationToken).ConfigureAwait(false);
        }
    }

    internal static KinesisException MapError(string operation, HttpResponseMessage response, byte[] body)
    {
        string? type = null;
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                type = OptionalString(doc.RootElement, "__type");
                message = OptionalString(doc.RootElement, "message") ?? OptionalString(doc.RootElement, "Message");
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 512)));
        }

        if (string.IsNullOrEmpty(type) && response.Headers.TryGetValues("x-amzn-ErrorType", out var headerTypes))
        {
            type = headerTypes.FirstOrDefault();
        }

        type = NormalizeErrorType(type, response.StatusCode);
        var requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
        // The endpoint named: a setting that sent the calls elsewhere (an S3 endpoint, say) shows at once.
        var text = $"Kinesis {operation} at {AwsEndpoints.ForDisplay(response.RequestMessage?.RequestUri)} failed with {type} (HTTP {(int)response.StatusCode}): {message}";
        return type switch
        {
            "ProvisionedThroughputExceededException" => new ProvisionedThroughputExceededException(text, type, response.StatusCode, requestId),
            "ExpiredIteratorException" => new ExpiredIteratorException(text, type, response.StatusCode, requestId),
            "ResourceNotFoundException" => new ResourceNotFoundException(text, type, response.StatusCode, requestId),
            "LimitExceededException" => new LimitExceededException(text, type, response.StatusCode, requestId),
            "ResourceInUseException" => new ResourceInUseException(text, type, response.StatusCode, requestId),
            "InvalidArgumentException" => new InvalidArgumentException(text, type, response.StatusCode, requestId),
            _ => new KinesisException(text, type, response.StatusCode, requestId),
        };
    }

    /// <summary><c>aws.protocoltests#Name:extra</c> → <c>Name</c>; empty → a name derived from the status.</summary>
    internal static string NormalizeErrorType(string? type, HttpStatusCode status)
    {
        if (!string.IsNullOrWhiteSpace(type))
        {
            var hash = type.LastIndexOf('#');
            if (hash >= 0)
            {
                type = type[(hash + 1)..];
            }

            var colon = type.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                type = type[..colon];
            }

            type = type.Trim();
            if (type.Length > 0)
            {
                return type;
            }
        }

        return (int)status >= 500 ? "InternalFailure" : status == HttpStatusCode.TooManyRequests ? "ThrottlingException" : "UnknownError";
    }

    private static HashKeyRange ParseHashKeyRange(JsonElement e) =>
        new(e.GetProperty("StartingHashKey").GetString()!, e.GetProperty("EndingHashKey").GetString()!);

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? OptionalInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    /// <summary>JSON 1.1 timestamps are epoch seconds with a fraction; ISO strings are accepted too.</summary>
    internal static DateTimeOffset? ParseTimestamp(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(e.GetDecimal() * 1000m, MidpointRounding.AwayFromZero)),
        JsonValueKind.String when DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
        _ => null,
    };
}
