using ConnectReconcile.Io.Storage;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli;

/// <summary>Runs a command body with the promised exit codes: 0 ok, 1 failure, 2 usage, 3 variance.</summary>
internal static class CommandRunner
{
    /// <param name="cancelled">What a cancelled run leaves behind, for its log line (runs that publish atomically publish nothing).</param>
    public static async Task<int> RunAsync(Func<CliEnvironment> envFactory, Func<CliEnvironment, Task<int>> body, CancellationToken cancellationToken,
        string cancelled = "Cancelled; nothing was published.")
    {
        using var env = envFactory();
        try
        {
            env.CheckSettings(ConnectReconcileCli.Settings);
            return await body(env);
        }
        catch (Exception e) when (e is UsageException or NothingToReadException or Io.Cur.NotACurException or Io.Cur.CalibrationInputException)
        {
            await env.UsageErrorAsync(e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (MissingBucket(e) is { } missing)
        {
            // A typo in a bucket's name is the user's to fix, as a typo in a prefix is (exit 2), not a failed run.
            await env.UsageErrorAsync($"{missing.Message.TrimEnd('.')} (NoSuchBucket): check the bucket of every s3:// location given (--source, --out, reference files).");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            env.Logger.LogWarning("{Cancelled}", cancelled);
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            // On a terminal the message (a person reads it: "Access to the path … is denied"); in the JSON log,
            // which an operator searches, the exception with its stack too.
            env.Logger.LogError(env.IsTerminal ? null : e, "Failed: {Message}", e.Message);
            return ExitCodes.Failure;
        }
    }

    private static Amazon.S3.AmazonS3Exception? MissingBucket(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Amazon.S3.AmazonS3Exception { ErrorCode: "NoSuchBucket" } s3)
            {
                return s3;
            }
        }

        return null;
    }
}
