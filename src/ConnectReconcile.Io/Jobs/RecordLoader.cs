using ConnectReconcile.Core.Chains;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Jobs;

/// <summary>An input object as the manifest records it.</summary>
public sealed record InputFile(string Key, long Bytes, string Sha256, long Records, long Quarantined);

/// <summary>Progress of a run, for a progress bar or periodic log lines.</summary>
public sealed record JobProgress(string Phase, long Done, long Total, long BytesDone, long BytesTotal, long Records);

/// <summary>The deduplicated records of a source, with everything set aside on the way.</summary>
public sealed record LoadedRecords(
    Deduplicator Dedupe,
    IReadOnlyList<QuarantineEntry> Quarantined,
    IReadOnlyList<InputFile> Inputs,
    long Read);

/// <summary>The first half of every job: select → decode (in parallel, merged in arrival order) → dedupe.
/// With <paramref name="keep"/> only the records it accepts are deduplicated and held (the rest are still counted as read).</summary>
public sealed class RecordLoader(IObjectStore source, int parallelism, string? hourPattern = null, bool strict = false, KeepRecord? keep = null)
{
    public async Task<LoadedRecords> LoadAsync(DateOnly? from, DateOnly? to, int lookAheadHours, IProgress<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var objects = await new InputSelector(hourPattern).SelectAsync(source, from, to, lookAheadHours, cancellationToken).ConfigureAwait(false);
        return await LoadAsync(objects, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Decodes the given objects (in arrival order) and keeps every winning record; <paramref name="observe"/> sees each object decoded.</summary>
    public async Task<LoadedRecords> LoadAsync(IReadOnlyList<StoredObject> objects, IProgress<JobProgress>? progress, CancellationToken cancellationToken, Action<DecodedObject>? observe = null)
    {
        var totalBytes = objects.Sum(o => o.Size);
        var dedupe = new Deduplicator();
        var quarantined = new List<QuarantineEntry>();
        var inputs = new List<InputFile>(objects.Count);
        long read = 0, bytes = 0;
        var decoder = new ObjectDecoder(source, parallelism, strict, keep: keep);
        await foreach (var decoded in decoder.DecodeInOrderAsync(objects, cancellationToken).ConfigureAwait(false))
        {
            observe?.Invoke(decoded);
            foreach (var (record, _) in decoded.Records)
            {
                dedupe.Offer(record);
            }

            quarantined.AddRange(decoded.Quarantined);
            read += decoded.Records.Count + decoded.Dropped + decoded.Quarantined.Count;
            bytes += decoded.Input.Size;
            inputs.Add(new InputFile(decoded.Input.Key, decoded.Bytes, decoded.Sha256, decoded.Records.Count + decoded.Dropped, decoded.Quarantined.Count));
            progress?.Report(new JobProgress("decode", inputs.Count, objects.Count, bytes, totalBytes, read));
        }

        return new LoadedRecords(dedupe, quarantined, inputs, read);
    }
}
