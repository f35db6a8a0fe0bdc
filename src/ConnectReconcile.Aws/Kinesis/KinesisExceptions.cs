using System.Net;

namespace ConnectReconcile.Aws.Kinesis;

/// <summary>An error answered by Kinesis (JSON <c>__type</c>), after any retries.</summary>
public class KinesisException : Exception
{
    public KinesisException()
    {
        ErrorCode = "Unknown";
    }

    public KinesisException(string message)
        : base(message)
    {
        ErrorCode = "Unknown";
    }

    public KinesisException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorCode = "Unknown";
    }

    public KinesisException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message)
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
        RequestId = requestId;
    }

    /// <summary>The error type, e.g. <c>ResourceNotFoundException</c>.</summary>
    public string ErrorCode { get; }

    public HttpStatusCode StatusCode { get; }

    public string? RequestId { get; }

    /// <summary>Throttling or a server-side failure: worth retrying later.</summary>
    public virtual bool IsRetryable =>
        (int)StatusCode >= 500 || StatusCode == HttpStatusCode.TooManyRequests
        || ErrorCode is "ThrottlingException" or "KMSThrottlingException" or "ServiceUnavailable" or "InternalFailure";
}

/// <summary>The shard's read or write rate was exceeded (retried with backoff before it surfaces).</summary>
public sealed class ProvisionedThroughputExceededException : KinesisException
{
    public ProvisionedThroughputExceededException()
    {
    }

    public ProvisionedThroughputExceededException(string message)
        : base(message)
    {
    }

    public ProvisionedThroughputExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ProvisionedThroughputExceededException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message, errorCode, statusCode, requestId)
    {
    }

    public override bool IsRetryable => true;
}

/// <summary>The shard iterator is older than 5 minutes: get a new one (from the last sequence number read).</summary>
public sealed class ExpiredIteratorException : KinesisException
{
    public ExpiredIteratorException()
    {
    }

    public ExpiredIteratorException(string message)
        : base(message)
    {
    }

    public ExpiredIteratorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ExpiredIteratorException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message, errorCode, statusCode, requestId)
    {
    }

    public override bool IsRetryable => false;
}

/// <summary>The stream (or shard) does not exist.</summary>
public sealed class ResourceNotFoundException : KinesisException
{
    public ResourceNotFoundException()
    {
    }

    public ResourceNotFoundException(string message)
        : base(message)
    {
    }

    public ResourceNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ResourceNotFoundException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message, errorCode, statusCode, requestId)
    {
    }

    public override bool IsRetryable => false;
}

/// <summary>A control-plane rate or an account limit was exceeded (retried with backoff before it surfaces).</summary>
public sealed class LimitExceededException : KinesisException
{
    public LimitExceededException()
    {
    }

    public LimitExceededException(string message)
        : base(message)
    {
    }

    public LimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LimitExceededException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message, errorCode, statusCode, requestId)
    {
    }

    public override bool IsRetryable => true;
}

/// <summary>The stream is not in a state that allows the operation (e.g. still CREATING or UPDATING), or already exists.</summary>
public sealed class ResourceInUseException : KinesisException
{
    public ResourceInUseException()
    {
    }

    public ResourceInUseException(string message)
        : base(message)
    {
    }

    public ResourceInUseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ResourceInUseException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message, errorCode, statusCode, requestId)
    {
    }

    public override bool IsRetryable => false;
}

/// <summary>A request parameter was rejected (bad shard id, sequence number, hash key, ...).</summary>
public sealed class InvalidArgumentException : KinesisException
{
    public InvalidArgumentException()
    {
    }

    public InvalidArgumentException(string message)
        : base(message)
    {
    }

    public InvalidArgumentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InvalidArgumentException(string message, string errorCode, HttpStatusCode statusCode, string? requestId)
        : base(message, errorCode, statusCode, requestId)
    {
    }

    public override bool IsRetryable => false;
}
