using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli;

/// <summary>Turns the user's paths into stores and reference data; all file reading of the CLI happens here.</summary>
public static class Inputs
{
    public static bool IsS3(string location) => location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A local folder (or single file) or an <c>s3://bucket/prefix/</c> location.</summary>
    public static IObjectStore Store(string location, string? endpointUrl = null)
    {
        if (IsS3(location))
        {
            return S3Stores.Create(location, endpointUrl);
        }

        return new LocalObjectStore(location);
    }

    public static RateCard RateCard(string? path, string? endpointUrl = null) =>
        path is null ? BuiltInRateCards.Default : Core.Rating.RateCard.FromJson(ReadText(path, "rate card", endpointUrl));

    public static AgentDirectory Agents(string? path, string? endpointUrl = null) =>
        path is null ? AgentDirectory.Empty : ReferenceReaders.ReadAgents(ReadText(path, "agent directory", endpointUrl));

    public static NumberInventory Numbers(string? path, string? endpointUrl = null) =>
        path is null ? NumberInventory.Missing : ReferenceReaders.ReadNumbers(ReadText(path, "number inventory", endpointUrl));

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

    private static string ReadText(string path, string what, string? endpointUrl)
    {
        if (IsS3(path))
        {
            // s3://bucket/key: read through the same store as the data (the deployed task passes S3 locations).
            var slash = path.LastIndexOf('/');
            var store = S3Stores.Create(path[..(slash + 1)], endpointUrl);
            try
            {
                using var stream = store.OpenReadAsync(path[(slash + 1)..], CancellationToken.None).GetAwaiter().GetResult();
                using var reader = new StreamReader(stream);
                return reader.ReadToEnd();
            }
            catch (Exception e) when (e is not UsageException)
            {
                throw new UsageException($"Cannot read the {what} at '{path}': {e.Message}");
            }
        }

        if (!File.Exists(path))
        {
            throw new UsageException($"The {what} file '{path}' does not exist.");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new UsageException($"Cannot read the {what} file '{path}': {e.Message}");
        }
    }
}
