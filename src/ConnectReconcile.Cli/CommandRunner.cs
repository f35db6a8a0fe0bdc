using ConnectReconcile.Io.Storage;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli;

/// <summary>Runs a command body with the promised exit codes: 0 ok, 1 failure, 2 usage, 3 variance.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<CliEnvironment> envFactory, Func<CliEnvironment, Task<int>> body, CancellationToken cancellationToken)
    {
        using var env = envFactory();
        try
        {
            env.CheckSettings(ConnectReconcileCli.Settings);
            return await body(env);
        }
        catch (Exception e) when (e is UsageException or NothingToReadException or Io.Cur.NotACurException)
        {
            await env.Error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            env.Logger.LogWarning("Cancelled; nothing was published.");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            env.Logger.LogError(e, "Failed: {Message}", e.Message);
            return ExitCodes.Failure;
        }
    }
}
