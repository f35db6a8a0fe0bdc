using System.Runtime.CompilerServices;

namespace ConnectReconcile.Io.Storage;

/// <summary>
/// A location holds nothing the command can work on (a CTR source with no object at all, no CUR files
/// or rated partitions for the month, no contact to derive a profile from): a wrong path, month or
/// range, the user's to fix, not a failed run.
/// </summary>
public sealed class NothingToReadException(string message) : Exception(message);

/// <summary>An object in a store; <see cref="Key"/> is relative to the store's root, '/'-separated.</summary>
public sealed record StoredObject(string Key, long Size);

/// <summary>
/// The narrow edge every source and sink goes through: a local folder or an S3 prefix.
/// Keys are relative to the store's root and always use '/'.
/// </summary>
public interface IObjectStore
{
    /// <summary>Human-readable location of a key (a path or s3:// URI), for logs and quarantine rows.</summary>
    string Describe(string key);

    /// <summary>Objects whose key starts with <paramref name="prefix"/>, in ordinal key order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="atMost"/> objects under <paramref name="prefix"/>, for a look at a store's
    /// layout: which ones is the store's choice (S3: one page, without the sorting <see cref="ListAsync"/> does).
    /// </summary>
    async IAsyncEnumerable<StoredObject> SampleAsync(string prefix, int atMost, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var n = 0;
        await foreach (var obj in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (n++ >= atMost)
            {
                yield break;
            }

            yield return obj;
        }
    }

    /// <summary>Opens an object for streaming reads (the caller disposes the stream).</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Opens an object as a listing found it: a store that can be answered short (S3 through a faulty proxy:
    /// a 200 whose body and Content-Length stop early) re-reads an object whose answer is not
    /// <see cref="StoredObject.Size"/> bytes, and fails (an <see cref="IOException"/>, an unreadable object)
    /// when it never is, so a cut answer is never taken for a smaller object.
    /// </summary>
    Task<Stream> OpenReadAsync(StoredObject listed, CancellationToken cancellationToken) => OpenReadAsync(listed.Key, cancellationToken);

    Task PutAsync(string key, Stream content, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a finished local output tree so that no reader ever sees a half-written partition:
    /// every partition prefix in <see cref="PublishPlan.Partitions"/> is replaced as a whole (objects
    /// under it that the plan does not name are removed) and the manifest is written last.
    /// <paramref name="cancellationToken"/> cancels only what comes before the first published object changes (waiting
    /// for another run's publish, staging): from there on the publish runs to its end, so a stopped run never leaves
    /// some partitions of its own beside others of the last run.
    /// </summary>
    Task PublishAsync(PublishPlan plan, CancellationToken cancellationToken);
}

/// <summary>
/// What a run publishes: files under <see cref="LocalRoot"/> (relative '/'-separated paths, which
/// become keys under the store root), grouped by the partition prefixes they replace
/// (e.g. <c>charges/dt=2026-10-01/</c>), plus a manifest written after everything else.
/// </summary>
public sealed record PublishPlan(
    string LocalRoot,
    IReadOnlyList<string> Partitions,
    IReadOnlyList<string> Files,
    string ManifestFile);
