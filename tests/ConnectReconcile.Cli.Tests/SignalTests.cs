using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ConnectReconcile.Cli.Tests;

/// <summary>The CLI as a child process, sent SIGTERM as a scheduler stops a task.</summary>
public sealed class SignalTests
{
    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public async Task SIGTERM_while_the_command_line_is_still_being_read_cancels_the_run_instead_of_killing_the_process()
    {
        // The command tree is built and parsed for half a second or more before the invocation takes signals: a SIGTERM
        // then ended the process with 143 and nothing logged (the stream worker a scheduler stopped as it started).
        using var dir = new TempDir();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "connect-reconcile.dll"), "replay", "--source", Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios"), "--out", dir.Sub("out") })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();

        // Once the runtime has loaded the tool's assembly, Main is about to run; 0.1 s on, the tree is still being built.
        var maps = $"/proc/{process.Id}/maps";
        var waited = Stopwatch.StartNew();
        while (!process.HasExited && waited.Elapsed < TimeSpan.FromSeconds(30) && !(await File.ReadAllTextAsync(maps)).Contains("connect-reconcile.dll", StringComparison.Ordinal))
        {
            await Task.Delay(5);
        }

        await Task.Delay(100);
        Assert.Equal(0, Kill(process.Id, Sigterm)); // at once: starting kill(1) takes longer than the window

        await process.WaitForExitAsync();
        var log = await stderr + await stdout;
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}:\n{log}");
        Assert.Contains("Cancelled; nothing was published.", log, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Sub("out"), "charges")));
    }
}
