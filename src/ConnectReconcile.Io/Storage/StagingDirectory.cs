using System.Text.RegularExpressions;

namespace ConnectReconcile.Io.Storage;

/// <summary>
/// A run's staging folder, marked alive by a lock file inside it held open with FileShare.None for as
/// long as the run lasts (on Unix an advisory flock, which the kernel drops with the process however it
/// ends). A killed run (SIGKILL, OOM, power) cannot remove its own staging, so creating one removes the
/// sibling staging folders whose run is gone: their lock can be taken, or, without a lock file (a run
/// of an earlier version, or one not yet locked), nothing in them changed for <see cref="UnlockedAge"/>.
/// Only folders named as this type names them are ever touched.
/// </summary>
public sealed class StagingDirectory : IDisposable
{
    public const string LockFile = "staging.lock";

    /// <summary>Names our staging folders in a scratch or temp folder that others share too.</summary>
    public const string ScratchPrefix = "connect-reconcile-";

    /// <summary>The local publish's folder of replaced partitions, beside its staging and removed with it.</summary>
    public const string ReplacedSuffix = "-replaced";

    /// <summary>
    /// How long an unlocked staging folder must lie unchanged before it counts as abandoned: far beyond
    /// the moment between creating a folder and locking it, and beyond any pause in a live run's writing.
    /// </summary>
    public static readonly TimeSpan UnlockedAge = TimeSpan.FromDays(1);

    private readonly FileStream _lock;
    private readonly bool _removeEmptyParent;

    private StagingDirectory(string path, FileStream held, bool removeEmptyParent)
    {
        Folder = path;
        _lock = held;
        _removeEmptyParent = removeEmptyParent;
    }

    public string Folder { get; }

    /// <summary>A run's staging for <paramref name="output"/>: beside a local folder (publishing is a rename), else in the scratch folder.</summary>
    public static StagingDirectory For(IObjectStore output, string? scratch, Action<string>? warn) =>
        output is LocalObjectStore local ? local.CreateStaging(warn) : CreateInScratch(scratch, warn);

    /// <summary>Staging in the scratch folder (default: the temp folder), for an output that is not a local folder.</summary>
    public static StagingDirectory CreateInScratch(string? scratch, Action<string>? warn) =>
        Create(scratch ?? Path.GetTempPath(), ScratchPrefix, removeEmptyParent: false, warn);

    /// <summary>
    /// Creates and locks <c>PARENT/PREFIX&lt;32 hex&gt;</c>, then removes the siblings of runs that are gone,
    /// telling <paramref name="warn"/> how many and how many bytes. <paramref name="removeEmptyParent"/>:
    /// the parent is ours alone (OUT/_staging) and goes once empty, not a shared temp folder.
    /// </summary>
    internal static StagingDirectory Create(string parent, string prefix, bool removeEmptyParent, Action<string>? warn)
    {
        var path = Path.Combine(parent, prefix + Guid.NewGuid().ToString("N"));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(path);
                break;
            }
            catch (DirectoryNotFoundException) when (attempt < 3)
            {
                // Another run removed the emptied parent between our creating it and the folder in it.
            }
        }

        var held = new FileStream(Path.Combine(path, LockFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        var staging = new StagingDirectory(path, held, removeEmptyParent);
        try
        {
            // Where locks are not kept (a filesystem without flock, DOTNET_SYSTEM_IO_DISABLEFILELOCKING) a
            // second open of our own lock succeeds, and a taken lock would prove nothing: go by age alone.
            bool locksHold;
            using (var again = TryLock(held.Name))
            {
                locksHold = again is null;
            }

            var (folders, bytes) = RemoveAbandoned(parent, prefix, Path.GetFileName(path), locksHold);
            if (folders > 0)
            {
                warn?.Invoke($"Removed {folders} staging folder(s) left in {parent} by runs that were killed, {bytes:N0} bytes.");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Clearing up after other runs is no reason for this one to fail.
            warn?.Invoke($"Could not look for staging left in {parent} by runs that were killed: {e.Message}");
        }
        catch
        {
            staging.Dispose();
            throw;
        }

        return staging;
    }

    /// <summary>Deletes the folder; the lock goes last, so no other run can take the folder while it is ours.</summary>
    public void Dispose()
    {
        Delete(Folder, _lock);
        if (_removeEmptyParent)
        {
            try
            {
                Directory.Delete(Path.GetDirectoryName(Folder)!); // fails while another run stages there
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Removes the staging folders under <paramref name="parent"/> whose run is gone (a run's own publish trash with it).</summary>
    private static (int Folders, long Bytes) RemoveAbandoned(string parent, string prefix, string own, bool locksHold)
    {
        var named = new Regex("^" + Regex.Escape(prefix) + "([0-9a-f]{32})(" + ReplacedSuffix + ")?$", RegexOptions.CultureInvariant);
        var runs = new DirectoryInfo(parent).EnumerateDirectories()
            .Where(d => named.IsMatch(d.Name) && d.LinkTarget is null)
            .GroupBy(d => prefix + named.Match(d.Name).Groups[1].Value, StringComparer.Ordinal)
            .Where(g => g.Key != own);
        int folders = 0;
        long bytes = 0;
        foreach (var run in runs)
        {
            var owner = Path.Combine(parent, run.Key);
            var lockFile = Path.Combine(owner, LockFile);
            FileStream? held = null;
            try
            {
                // A publish's trash whose staging is gone is a dead run's: a publish removes its trash first.
                if (locksHold && File.Exists(lockFile))
                {
                    held = TryLock(lockFile);
                    if (held is null)
                    {
                        continue; // alive
                    }
                }
                else if (Directory.Exists(owner) && LastWrite(run) > DateTime.UtcNow - UnlockedAge)
                {
                    continue; // no lock to ask, and not yet unchanged for long enough to be sure
                }

                var size = run.Sum(d => d.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length));
                foreach (var trash in run.Where(d => d.Name != run.Key))
                {
                    trash.Delete(recursive: true);
                }

                Delete(owner, held);
                folders += run.Count();
                bytes += size;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run is removing it too, or it is not ours to delete (another user's): left as it is.
            }
            finally
            {
                held?.Dispose();
            }
        }

        return (folders, bytes);
    }

    /// <summary>The lock, or null when another run holds it (or it cannot be opened).</summary>
    private static FileStream? TryLock(string lockFile)
    {
        try
        {
            return new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static DateTime LastWrite(IEnumerable<DirectoryInfo> folders) =>
        folders.SelectMany(d => d.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Append(d)).Max(i => i.LastWriteTimeUtc);

    /// <summary>
    /// Deletes a staging folder whose lock the caller holds (or that has none): everything but the lock,
    /// then the lock once released (Windows cannot delete a file open without FileShare.Delete).
    /// </summary>
    private static void Delete(string folder, FileStream? held)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().Where(e => e.Name != LockFile).ToList())
                {
                    if (entry is DirectoryInfo dir)
                    {
                        dir.Delete(recursive: true);
                    }
                    else
                    {
                        entry.Delete();
                    }
                }
            }
        }
        finally
        {
            held?.Dispose();
        }

        try
        {
            File.Delete(Path.Combine(folder, LockFile));
            Directory.Delete(folder);
        }
        catch (DirectoryNotFoundException)
        {
            // Released, the empty folder may be taken by another run's clean-up first.
        }
    }
}
