using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Cli;

/// <summary>Builds S3 stores; kept apart so the AWS edge is wired in one place.</summary>
internal static class S3Stores
{
    public static IObjectStore Create(string location, string? endpointUrl) =>
        throw new UsageException($"S3 locations are not wired yet ({location}, endpoint {endpointUrl ?? "default"}).");
}
