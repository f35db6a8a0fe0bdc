using System.Collections.Concurrent;
using System.Diagnostics;
using ConnectReconcile.Cli;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli.Tests;

/// <summary>Runs the real command tree in-process and captures stdout/stderr.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment(stdout, stderr));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>As <see cref="RunAsync"/>, with the log lines the run wrote ("Level: message").</summary>
    public static async Task<(int Exit, string Out, IReadOnlyList<string> Logs)> RunWithLogsAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var logs = new CollectingLogs();
        var exit = await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment(stdout, new StringWriter(), logs));
        return (exit, stdout.ToString(), logs.Lines);
    }

    /// <summary>
    /// As <see cref="RunWithLogsAsync(string[])"/>, with <paramref name="stop"/> standing for a stop signal (SIGTERM) and
    /// each log line given to <paramref name="onLog"/> as it is written, so a test can stop a run at a chosen point.
    /// </summary>
    public static async Task<(int Exit, string Out, IReadOnlyList<string> Logs)> RunWithLogsAsync(string[] args, Action<string> onLog, CancellationToken stop)
    {
        var stdout = new StringWriter();
        var logs = new CollectingLogs(onLog);
        var exit = await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment(stdout, new StringWriter(), logs), stop);
        return (exit, stdout.ToString(), logs.Lines);
    }

    /// <summary>As <see cref="RunWithLogsAsync(string[])"/>, reading appsettings.json from <paramref name="settingsDirectory"/> (the working directory is the whole process's).</summary>
    public static async Task<(int Exit, string Out, string Err, IReadOnlyList<string> Logs)> RunWithSettingsAsync(string settingsDirectory, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var logs = new CollectingLogs();
        var exit = await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment(stdout, stderr, logs, settingsDirectory));
        return (exit, stdout.ToString(), stderr.ToString(), logs.Lines);
    }

    /// <summary>
    /// Runs the CLI as a child process, with <paramref name="environment"/> added to this one's (a value may be empty:
    /// in-process, setting a variable to "" removes it) and <paramref name="workingDirectory"/> for its appsettings.json.
    /// </summary>
    public static async Task<(int Exit, string Out, string Err)> RunProcessAsync(IReadOnlyDictionary<string, string> environment, string? workingDirectory, params string[] args)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "connect-reconcile.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the CLI.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    private sealed class CollectingLogs(Action<string>? onLog = null) : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel}: {formatter(state, exception)}";
            _lines.Enqueue(line);
            onLog?.Invoke(line);
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>One generated month shared by the end-to-end tests (generation is deterministic).</summary>
public sealed class GeneratedMonth : IDisposable
{
    private readonly TempDir _dir = new();

    public GeneratedMonth()
    {
        Generator.SampleMonth.Generate(new Generator.GeneratorOptions(3_000, 4, 11, Data) { Overwrite = true });
    }

    public string Data => _dir.Sub("data");

    public string Ctr => System.IO.Path.Combine(Data, "ctr");

    public string Agents => System.IO.Path.Combine(Data, "agents.csv");

    public string Numbers => System.IO.Path.Combine(Data, "numbers.csv");

    public string Truth => System.IO.Path.Combine(Data, "truth.json");

    public void Dispose() => _dir.Dispose();
}
