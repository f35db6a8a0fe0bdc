using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ConnectReconcile.Aws.Internal;

namespace ConnectReconcile.Aws.S3;

/// <summary>
/// Streams an S3 object body. When the connection drops (reset, premature end, a read that stalls past
/// <see cref="S3StoreOptions.ReadTimeout"/>), it reopens the object with a ranged GET from the next
/// unread byte, conditioned on the original ETag so a replaced object is never stitched together.
/// Gives up after <see cref="S3StoreOptions.MaxResumeAttempts"/> consecutive failures without progress.
/// </summary>
internal sealed class ResumableS3ReadStream : Stream
{
    private static readonly TimeSpan MaxResumeDelay = TimeSpan.FromSeconds(5);

    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _key;
    private readonly string? _etag;
    private readonly long _length;
    private readonly S3StoreOptions _options;
    private GetObjectResponse? _response;
    private Stream? _body;
    private long _position;
    private bool _disposed;

    public ResumableS3ReadStream(IAmazonS3 client, string bucket, string key, GetObjectResponse first, S3StoreOptions options)
    {
        _client = client;
        _bucket = bucket;
        _key = key;
        _options = options;
        _response = first;
        _body = first.ResponseStream;
        _etag = first.ETag;
        _length = first.ContentLength;
    }

    /// <summary>How many times the body was reopened with a ranged GET.</summary>
    public int Resumes { get; private set; }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>The object's size (known from the first response), although the stream cannot seek.</summary>
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("An S3 object stream cannot seek.");
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0)
        {
            return 0;
        }

        if (_position >= _length)
        {
            await ConfirmEndAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }

        var failures = 0;
        while (true)
        {
            try
            {
                if (_body is null)
                {
                    await ReopenAsync(cancellationToken).ConfigureAwait(false);
                }

                using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                readTimeout.CancelAfter(_options.ReadTimeout);
                var wanted = (int)Math.Min(buffer.Length, _length - _position);
                var read = await _body!.ReadAsync(buffer[..wanted], readTimeout.Token).ConfigureAwait(false);
                if (read > 0)
                {
                    _position += read;
                    return read;
                }

                throw new IOException($"The body of s3://{_bucket}/{_key} ended at byte {_position} of {_length}.");
            }
            catch (Exception e) when (IsResumable(e, cancellationToken))
            {
                DropConnection();
                failures++;
                if (failures > _options.MaxResumeAttempts)
                {
                    throw new IOException(
                        $"Reading s3://{_bucket}/{_key} failed at byte {_position} of {_length} after {failures} attempts: {e.Message}", e);
                }

                await Task.Delay(Backoff.Delay(failures - 1, _options.ResumeBaseDelay, MaxResumeDelay), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void Flush()
    {
    }

    /// <summary>
    /// Reads the current body once more to its end: the SDK validates response checksums (when S3 sends
    /// them) only when the body stream reports its end, and a body longer than announced is corrupt.
    /// </summary>
    private async Task ConfirmEndAsync(CancellationToken cancellationToken)
    {
        if (_body is null)
        {
            return;
        }

        var probe = new byte[1];
        int extra;
        try
        {
            extra = await _body.ReadAsync(probe, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsResumable(e, cancellationToken))
        {
            // All announced bytes arrived; a connection closing right at the end changes nothing.
            DropConnection();
            return;
        }

        DropConnection();
        if (extra > 0)
        {
            throw new InvalidDataException($"s3://{_bucket}/{_key} sent more than the {_length} bytes it announced.");
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("An S3 object stream cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            DropConnection();
        }

        base.Dispose(disposing);
    }

    private async Task ReopenAsync(CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest
        {
            BucketName = _bucket,
            Key = _key,
            ByteRange = new ByteRange(_position, _length - 1),
        };
        if (!string.IsNullOrEmpty(_etag))
        {
            request.EtagToMatch = _etag;
        }

        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new InvalidDataException($"s3://{_bucket}/{_key} was replaced while it was being read (ETag {_etag} no longer matches).", e);
        }

        Resumes++;
        var start = RangeStart(response.ContentRange);
        if (start != _position)
        {
            response.Dispose();
            throw new InvalidDataException(
                $"Resuming s3://{_bucket}/{_key} at byte {_position}: the server answered range '{response.ContentRange}' (status {(int)response.HttpStatusCode}).");
        }

        _response = response;
        _body = response.ResponseStream;
    }

    private static long? RangeStart(string? contentRange)
    {
        // "bytes 100-199/200"
        if (string.IsNullOrEmpty(contentRange))
        {
            return null;
        }

        var text = contentRange.Trim();
        if (text.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            text = text[6..];
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    private void DropConnection()
    {
        try
        {
            _response?.Dispose();
        }
        catch (Exception)
        {
            // The connection is already broken; nothing more to release.
        }

        _response = null;
        _body = null;
    }

    private static bool IsResumable(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        InvalidDataException => false,
        IOException or HttpRequestException => true,
        AmazonServiceException s => s.StatusCode is HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout
            || s.InnerException is IOException or HttpRequestException,
        AmazonClientException c => c.InnerException is IOException or HttpRequestException or OperationCanceledException,
        _ => false,
    };
}
