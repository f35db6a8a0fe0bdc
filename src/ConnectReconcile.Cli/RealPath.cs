namespace ConnectReconcile.Cli;

/// <summary>
/// A local path as the file system sees it, with every symbolic link along it resolved (as realpath(3)
/// does), so two paths to one folder compare equal. Only the part that exists can be resolved: the rest
/// (a folder a run is about to create) is appended as given.
/// </summary>
internal static class RealPath
{
    /// <summary>As the kernel's limit on links followed in one lookup: a cycle of links ends here.</summary>
    private const int MaxLinks = 40;

    private static readonly char[] Separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    public static string Of(string path)
    {
        // From the full path, '..' collapsed as the stores do (they open Path.GetFullPath of it).
        var full = Path.GetFullPath(path);
        var resolved = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Names(full[resolved.Length..]).Reverse());
        var links = 0;
        while (pending.TryPop(out var name))
        {
            if (name == ".")
            {
                continue;
            }

            if (name == "..")
            {
                // After a link, '..' is the parent of where the link led, not of the link.
                resolved = Path.GetDirectoryName(resolved) ?? resolved;
                continue;
            }

            var next = Path.Combine(resolved, name);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
                if (target is null && !Path.Exists(next))
                {
                    return Rest(next, pending);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Rest(next, pending); // not ours to look into: opening it will say why
            }

            if (target is null)
            {
                resolved = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return Rest(next, pending);
            }

            // The link's target, relative to the link's folder unless rooted, takes the link's place.
            if (Path.IsPathRooted(target))
            {
                resolved = Path.GetPathRoot(target)!;
                target = target[resolved.Length..];
            }

            foreach (var part in Names(target).Reverse())
            {
                pending.Push(part);
            }
        }

        return resolved;
    }

    private static IEnumerable<string> Names(string relative) => relative.Split(Separators, StringSplitOptions.RemoveEmptyEntries);

    private static string Rest(string resolved, Stack<string> pending) => Path.GetFullPath(Path.Combine([resolved, .. pending]));
}
