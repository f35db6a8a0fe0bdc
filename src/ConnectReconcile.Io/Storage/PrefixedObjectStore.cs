using System.Runtime.CompilerServices;

namespace ConnectReconcile.Io.Storage;

/// <summary>A view of another store under a key prefix (e.g. the stream worker's <c>_stream/ctr/</c> archive).</summary>
public sealed class PrefixedObjectStore(IObjectStore inner, string prefix) : IObjectStore
{
    private readonly string _prefix = prefix.EndsWith('/') ? prefix : prefix + "/";

    public string Describe(string key) => inner.Describe(_prefix + key);

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var obj in inner.ListAsync(_prefix + prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return obj with { Key = obj.Key[_prefix.Length..] };
        }
    }

    public async IAsyncEnumerable<StoredObject> SampleAsync(string prefix, int atMost, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var obj in inner.SampleAsync(_prefix + prefix, atMost, cancellationToken).ConfigureAwait(false))
        {
            yield return obj with { Key = obj.Key[_prefix.Length..] };
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(_prefix + key, cancellationToken);

    public Task<Stream> OpenReadAsync(StoredObject listed, CancellationToken cancellationToken) =>
        inner.OpenReadAsync(listed with { Key = _prefix + listed.Key }, cancellationToken);

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => inner.PutAsync(_prefix + key, content, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(_prefix + key, cancellationToken);

    public Task PublishAsync(PublishPlan plan, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Publish through the root store: partitions are named from its root.");
}
