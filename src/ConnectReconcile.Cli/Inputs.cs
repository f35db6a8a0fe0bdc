using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli;

/// <summary>Turns the user's paths into stores and reference data; all file reading of the CLI happens here.</summary>
public static class Inputs
{
    public static bool IsS3(string location) => location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A local folder (or single file) or an <c>s3://bucket/prefix/</c> location (or one object's <c>s3://bucket/key</c>).</summary>
    private static IObjectStore Store(string location, S3Access? s3)
    {
        if (IsS3(location))
        {
            return S3Stores.Create(location, s3);
        }

        return new LocalObjectStore(location);
    }

    /// <summary>
    /// A store to read from (<paramref name="option"/> names it in the error): a local path must exist,
    /// or a typo would read nothing and report an empty, successful run.
    /// </summary>
    public static IObjectStore Existing(string location, string option, S3Access? s3 = null)
    {
        MustExist(location, option);
        return Store(location, s3);
    }

    /// <summary>A store to publish into (<paramref name="option"/> names it in the error): a local path must not be a file.</summary>
    public static IObjectStore Output(string location, string option, S3Access? s3 = null)
    {
        if (!IsS3(location) && File.Exists(location))
        {
            throw new UsageException($"{option} '{location}' is a file; outputs go to a folder (or s3://bucket/prefix/).");
        }

        if (!IsS3(location))
        {
            NoFileAlong(location, option, "outputs go to a folder (or s3://bucket/prefix/)");
        }

        return Store(location, s3);
    }

    /// <summary>A single file to write (<paramref name="option"/> names it in the error): a local path, not a folder.</summary>
    public static string OutputFile(string path, string option)
    {
        if (Directory.Exists(LocalOnly(path, option)))
        {
            throw new UsageException($"{option} '{path}' is a folder; give the file to write.");
        }

        NoFileAlong(path, option, "the file to write must be in a folder");
        return path;
    }

    /// <summary>A local folder to write (<paramref name="option"/> names it in the error): not a file, nor under one.</summary>
    public static string OutputFolder(string path, string option)
    {
        if (File.Exists(LocalOnly(path, option)))
        {
            throw new UsageException($"{option} '{path}' is a file; give the folder to write.");
        }

        NoFileAlong(path, option, "the folder to write must be in a folder");
        return path;
    }

    /// <summary>
    /// Fails with a usage error when a folder above <paramref name="location"/> is a file: creating it then failed
    /// with a stack trace only after the whole source was read and rated.
    /// </summary>
    private static void NoFileAlong(string location, string option, string instead)
    {
        for (var above = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(location))); above is not null; above = Path.GetDirectoryName(above))
        {
            if (Directory.Exists(above))
            {
                return;
            }

            if (File.Exists(above))
            {
                throw new UsageException($"{option} '{location}' lies under '{above}', which is a file; {instead}.");
            }
        }
    }

    /// <summary>
    /// A path the command reads or writes as a local file. An s3:// one is refused: taken as a local
    /// path it would land in a folder named <c>s3:</c> while the run reported it uploaded.
    /// </summary>
    public static string LocalOnly(string path, string option) =>
        IsS3(path) ? throw new UsageException($"{option} '{path}' must be a local path: this command reads or writes it locally only (copy it to or from S3, e.g. with aws s3 cp).") : path;

    /// <summary>
    /// Fails with a usage error when <paramref name="output"/> (--out) lies inside <paramref name="source"/>
    /// (--source): every later run of that source would read the outputs back as CTRs and quarantine them.
    /// Local paths are compared as written and with their symbolic links resolved, as either may lead into
    /// the source (a link to the source folder, or a link to it along --out).
    /// </summary>
    public static void OutsideSource(string output, string source)
    {
        if (IsS3(output) != IsS3(source) || (!IsS3(source) && !File.Exists(source) && !Directory.Exists(source)))
        {
            return; // a source that does not exist is reported as such when it is opened
        }

        if (IsS3(output))
        {
            if (Under(output["s3://".Length..], source["s3://".Length..], '/'))
            {
                throw Inside("");
            }

            return;
        }

        if (Under(Path.GetFullPath(output), Path.GetFullPath(source), Path.DirectorySeparatorChar))
        {
            throw Inside("");
        }

        var (realOutput, realSource) = (RealPath.Of(output), RealPath.Of(source));
        if (Under(realOutput, realSource, Path.DirectorySeparatorChar))
        {
            throw Inside($" (through a symbolic link: '{realOutput}' is in '{realSource}')");
        }

        UsageException Inside(string how) =>
            new($"--out '{output}' is inside --source '{source}'{how}: later runs would read the outputs as CTRs. Write them elsewhere.");

        static bool Under(string inner, string outer, char separator) =>
            (inner.TrimEnd(separator) + separator).StartsWith(outer.TrimEnd(separator) + separator, StringComparison.Ordinal);
    }

    /// <summary>
    /// Fails with a usage error when a local input path is neither a file nor a folder. S3 locations, and
    /// folders holding nothing, are checked by listing them (<see cref="Io.Jobs.InputSelector"/>).
    /// </summary>
    private static void MustExist(string location, string option)
    {
        if (!IsS3(location) && !File.Exists(location) && !Directory.Exists(location))
        {
            throw new UsageException($"{option} '{location}' does not exist.");
        }
    }

    public static RateCard RateCard(string? path, S3Access? s3 = null) =>
        path is null ? BuiltInRateCards.Default : Read(path, "rate card", Core.Rating.RateCard.FromJson, s3);

    /// <param name="warn">Told of desk phones written without a country code, which may be read as another country's.</param>
    public static AgentDirectory Agents(string? path, Action<string> warn, S3Access? s3 = null)
    {
        if (path is null)
        {
            return AgentDirectory.Empty;
        }

        var directory = Read(path, "agent directory", ReferenceReaders.ReadAgents, s3);
        if (directory.DeskPhonesWithoutCountryCode() is [var first, ..] unmarked)
        {
            var e164 = PhoneNumbers.AsE164(first.DeskPhoneNumber)!;
            warn($"{unmarked.Count} desk phone number(s) in the agent directory {path} have no country code ('+' or '00'), so their first digits are read as one: " +
                $"{first.Key}'s reads as {PhoneNumbers.Mask(e164)} ({PhoneNumbers.CountryOf(e164)}). If that is not the country meant, write them in E.164 (+1 206 555 0147).");
        }

        return directory;
    }

    /// <param name="warn">Told of numbers written in national form, which match no CTR's number (those are E.164).</param>
    public static NumberInventory Numbers(string? path, Action<string> warn, S3Access? s3 = null)
    {
        if (path is null)
        {
            return NumberInventory.Missing;
        }

        var inventory = Read(path, "number inventory", ReferenceReaders.ReadNumbers, s3);
        if (inventory.WithoutCountryCode() is [var first, ..] unmarked)
        {
            warn($"{unmarked.Count} number(s) in the number inventory {path} have no country code ('+' or '00'), so their first digits are read as one: " +
                $"the first reads as {PhoneNumbers.Mask(first.Number)} ({PhoneNumbers.CountryOf(first.Number)}) where {(first.CountryNotGiven ? "its row gives no country" : $"its row says {first.Country}")}. " +
                "CTRs give numbers in E.164, so these match none of them (calls to them are typed by prefix, and reconcile lists them as unlisted numbers): " +
                "write them in E.164 (+1 206 555 0147).");
        }

        return inventory;
    }

    public static BillingPolicy Policy(string? text)
    {
        try
        {
            return BillingPolicy.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Reads and parses a reference file; a file that does not parse is a usage error naming it.</summary>
    private static T Read<T>(string path, string what, Func<string, T> parse, S3Access? s3)
    {
        var text = ReadText(path, what, s3);
        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw new UsageException($"The {what} '{path}' is not valid: {e.Message}");
        }
    }

    private static string ReadText(string path, string what, S3Access? s3)
    {
        if (IsS3(path))
        {
            // s3://bucket/key: read through the same store as the data (the deployed task passes S3 locations).
            var slash = path.LastIndexOf('/');
            using var store = S3Stores.CreateS3(path[..(slash + 1)], s3);
            var key = path[(slash + 1)..];
            try
            {
                // Opened at the size S3 gives it, so an answer cut short (a 200 whose body and Content-Length stop
                // early) is read again, never taken for a shorter file.
                var found = store.FindAsync(key, CancellationToken.None).GetAwaiter().GetResult()
                    ?? throw new FileNotFoundException($"{store.Describe(key)} does not exist.");
                using var stream = store.OpenReadAsync(found, CancellationToken.None).GetAwaiter().GetResult();
                using var reader = new StreamReader(stream);
                return reader.ReadToEnd();
            }
            catch (Exception e) when (e is not UsageException)
            {
                throw new UsageException($"Cannot read the {what} at '{path}': {e.Message}");
            }
        }

        if (Directory.Exists(path))
        {
            throw new UsageException($"The {what} file '{path}' is a folder; give the file itself.");
        }

        if (!File.Exists(path))
        {
            throw new UsageException($"The {what} file '{path}' does not exist.");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file without read permission throws UnauthorizedAccessException, which is no IOException.
            throw new UsageException($"Cannot read the {what} file '{path}': {e.Message}");
        }
    }

    /// <summary>
    /// The secret key in <c>--hash-key-file</c>, as its trimmed UTF-8 bytes. The setting's value is echoed
    /// only once it names a file: one that names nothing may be the key itself, pasted where its path goes.
    /// </summary>
    public static byte[] HashKey(string keyFile)
    {
        var path = LocalOnly(keyFile, "--hash-key-file");
        if (Directory.Exists(path))
        {
            throw new UsageException($"--hash-key-file '{path}' is a folder; give the file holding the key.");
        }

        if (!File.Exists(path))
        {
            // Not quoted: a CONNECT_RECONCILE_HASH_KEY_FILE holding the key rather than its path would print the key.
            throw new UsageException($"The --hash-key-file path does not exist (a value of {path.Length} characters, not shown: it may be the key itself). Give the path of a file holding the key.");
        }

        try
        {
            return System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(path).Trim());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--hash-key-file '{path}' cannot be read: {e.Message}");
        }
    }
}
