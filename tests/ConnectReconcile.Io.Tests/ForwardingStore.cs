using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// A store that hands every call to another: as it is, a local folder that is not a
/// <see cref="LocalObjectStore"/> (as S3 is not); tests override what they watch or change.
/// </summary>
internal class ForwardingStore(IObjectStore inner) : IObjectStore
{
    public string Describe(string key) => inner.Describe(key);

    public virtual IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public virtual Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => inner.PutAsync(key, content, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task PublishAsync(PublishPlan plan, CancellationToken cancellationToken) => inner.PublishAsync(plan, cancellationToken);
}
