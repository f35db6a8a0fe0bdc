using System.Runtime.CompilerServices;

namespace ConnectReconcile.Io.Storage;

/// <summary>
/// A local folder as an object store. Publishing renames whole partition directories into place
/// (atomic on one filesystem), so a reader sees the old partition or the new one, never half of one.
/// </summary>
public sealed class LocalObjectStore : IObjectStore
{
    public const string StagingFolder = "_staging";

    /// <summary>Held while a run publishes into the folder (beside <see cref="StagingFolder"/>; listed by neither).</summary>
    public const string PublishLock = "_staging.lock";

    /// <summary>How long a publish waits for another run's publish into the same folder before it gives up.</summary>
    public static readonly TimeSpan PublishWait = TimeSpan.FromMinutes(30);

    public LocalObjectStore(string root)
        : this(root, ReadFolder)
    {
    }

    /// <param name="readFolder">Lists one folder's files and subfolders (a test stands in a folder it cannot enter, as root can enter any).</param>
    internal LocalObjectStore(string root, Func<string, FolderEntries> readFolder)
    {
        Root = Path.GetFullPath(root);
        _readFolder = readFolder;
    }

    private readonly Func<string, FolderEntries> _readFolder;

    /// <summary>Folders the listing could not enter, by key, with why: opening one fails as an unreadable file does.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Exception> _unlistable = new(StringComparer.Ordinal);

    /// <summary>What one folder holds: its files and its subfolders, by path.</summary>
    internal sealed record FolderEntries(IReadOnlyList<string> Files, IReadOnlyList<string> Folders);

    public string Root { get; }

    public string Describe(string key) => key.Length == 0 ? Root : Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar));

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (File.Exists(Root))
        {
            // A single file given as the source: it is the store's only object, under no prefix but the
            // empty one (listed under every hour prefix of a dated run, it was read once an hour).
            if (prefix.Length == 0)
            {
                yield return new StoredObject(string.Empty, new FileInfo(Root).Length);
            }

            yield break;
        }

        // Walk only the folder the prefix names (an hour prefix must not walk the whole month).
        var folder = prefix.LastIndexOf('/') is var slash and >= 0 ? Path.Combine(Root, prefix[..slash]) : Root;
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var keys = FilesUnder(folder)
            .Select(f => (Key: KeyOf(f.Path), f.Path, f.Unlistable))
            .Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal) && !f.Key.StartsWith(StagingFolder + "/", StringComparison.Ordinal) && f.Key != PublishLock)
            .OrderBy(f => f.Key, StringComparer.Ordinal);
        foreach (var (key, path, unlistable) in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (unlistable is not null)
            {
                // A folder that cannot be entered is listed as one object whose opening fails with why, so a reader
                // quarantines it as it does a file without read permission, instead of the whole run failing.
                _unlistable[key] = unlistable;
                yield return new StoredObject(key, 0);
                continue;
            }

            yield return new StoredObject(key, new FileInfo(path).Length);
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) =>
        _unlistable.TryGetValue(key, out var why) ? Task.FromException<Stream>(why) :
        Task.FromResult<Stream>(new FileStream(Describe(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var path = Describe(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        await using (var file = File.Create(temp))
        {
            await content.CopyToAsync(file, cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(Describe(key));
        return Task.CompletedTask;
    }

    /// <summary>
    /// A run's scratch folder on the same filesystem as the store, so publishing is a rename; creating it
    /// removes the staging that killed runs left (<paramref name="warn"/> is told), disposing it deletes it.
    /// </summary>
    public StagingDirectory CreateStaging(Action<string>? warn = null) =>
        StagingDirectory.Create(Path.Combine(Root, StagingFolder), string.Empty, removeEmptyParent: true, warn);

    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Root, PublishLock);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (File.Exists(path))
            {
                if (waited.Elapsed > PublishWait)
                {
                    throw new IOException($"Another run has been publishing into {Root} for {PublishWait.TotalMinutes:0} min (it holds {path}); nothing of this run was published.", e);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>Swaps in the plan's partitions, then writes its manifest; a folder staged here stays its owner's to delete.</summary>
    public async Task PublishAsync(PublishPlan plan, CancellationToken cancellationToken)
    {
        var staged = Path.GetFullPath(plan.LocalRoot);
        if (staged.StartsWith(Path.Combine(Root, StagingFolder), StringComparison.Ordinal))
        {
            await SwapInAsync(plan, staged, cancellationToken);
            return;
        }

        // Staged elsewhere (another filesystem): copy into our staging area first so the swap is a rename.
        using var local = CreateStaging();
        foreach (var file in plan.Files.Append(plan.ManifestFile))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = Path.Combine(local.Folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(staged, file), target, overwrite: true);
        }

        await SwapInAsync(plan, local.Folder, cancellationToken);
    }

    /// <param name="cancellationToken">Cancels the wait for the lock only: nothing has changed until it is taken, and from then on the swap finishes.</param>
    private async Task SwapInAsync(PublishPlan plan, string staged, CancellationToken cancellationToken)
    {
        // One publish at a time into a folder: two runs swapping the same day's tables in turn (a nightly during
        // a replay) left a day whose tables came from both. The lock is a flock the kernel drops with a killed run.
        using var publishing = await LockAsync(cancellationToken);
        var trash = staged + StagingDirectory.ReplacedSuffix;
        foreach (var partition in plan.Partitions)
        {
            var relative = partition.TrimEnd('/');
            var live = Path.Combine(Root, relative);
            var fresh = Path.Combine(staged, relative);
            if (!Directory.Exists(fresh))
            {
                Directory.CreateDirectory(fresh); // an emptied partition replaces a stale one
            }

            Directory.CreateDirectory(Path.GetDirectoryName(live)!);
            if (Directory.Exists(live))
            {
                var old = Path.Combine(trash, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(old)!);
                if (AtomicSwap.TryExchange(fresh, live))
                {
                    // The partition was never missing; the old one now sits where the new one was staged.
                    Directory.Move(fresh, old);
                    continue;
                }

                Directory.Move(live, old);
            }

            Directory.Move(fresh, live);
        }

        await using (var manifest = File.OpenRead(Path.Combine(staged, plan.ManifestFile)))
        {
            await PutAsync(plan.ManifestFile, manifest, CancellationToken.None);
        }

        DeleteQuietly(trash);
    }

    private static void DeleteQuietly(string dir)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Every file below the folder, through linked folders too, but never twice into one folder: a link
    /// to a parent would otherwise be walked until the path is too long, reading every file dozens of times.
    /// </summary>
    /// <remarks>A folder that cannot be read comes back as one entry with why (its key ends in '/').</remarks>
    private IEnumerable<(string Path, Exception? Unlistable)> FilesUnder(string folder)
    {
        var walked = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Path, string Real)>();
        pending.Push((folder, RealPath(folder)));
        while (pending.TryPop(out var dir))
        {
            if (!walked.Add(dir.Real))
            {
                continue;
            }

            var (entries, unreadable) = TryReadFolder(dir.Path);
            if (unreadable is not null)
            {
                yield return (dir.Path + Path.DirectorySeparatorChar, unreadable);
                continue;
            }

            foreach (var file in entries!.Files)
            {
                yield return (file, null);
            }

            // Pushed in reverse, so folders are walked in name order and the path kept for a folder reached twice is always the same.
            foreach (var sub in entries.Folders.Order(StringComparer.Ordinal).Reverse())
            {
                pending.Push((sub, new DirectoryInfo(sub).LinkTarget is null ? Path.Combine(dir.Real, Path.GetFileName(sub)) : RealPath(sub)));
            }
        }
    }

    private (FolderEntries? Entries, Exception? Unreadable) TryReadFolder(string folder)
    {
        try
        {
            return (_readFolder(folder), null);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return (null, e);
        }
    }

    /// <summary>Read whole, so a folder that cannot be read fails here, where the walk can set it aside.</summary>
    internal static FolderEntries ReadFolder(string folder) =>
        new([.. Directory.EnumerateFiles(folder, "*", SearchOption.TopDirectoryOnly)], [.. Directory.EnumerateDirectories(folder, "*", SearchOption.TopDirectoryOnly)]);

    /// <summary>A file's key, or an unreadable folder's with a '/' after it (the root's is the empty key, as a single-file source's is).</summary>
    private string KeyOf(string path)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(path);
        var key = Path.GetRelativePath(Root, trimmed) is var relative and not "." ? relative.Replace(Path.DirectorySeparatorChar, '/') : string.Empty;
        return key.Length > 0 && trimmed.Length != path.Length ? key + "/" : key;
    }

    private static string RealPath(string folder) => new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(folder);
}

/// <summary>
/// Swaps two directories in one step where the kernel can (Linux <c>renameat2</c> with
/// <c>RENAME_EXCHANGE</c>), so a reader, or a crash, never finds the partition missing between
/// moving the old one out and the new one in.
/// </summary>
internal static partial class AtomicSwap
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    public static bool TryExchange(string a, string b)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return RenameAt2(AtFdCwd, a, AtFdCwd, b, RenameExchange) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a libc without renameat2: the two renames instead
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
