using ConnectReconcile.Cli.Commands;
using ConnectReconcile.Io.Jobs;

namespace ConnectReconcile.Cli.Tests;

/// <summary>The periodic progress lines a scheduled (non-terminal) run logs as JSON.</summary>
public sealed class ProgressDisplayTests
{
    [Theory]
    [InlineData("rate", 0, 0, 0, 0)] // the last days' rating before its first step: nothing done yet
    [InlineData("rate", 0, 31, 0, 0)]
    [InlineData("re-read", 0, 12, 0, 0)]
    [InlineData("decode", 0, 40, 0, 0)]
    public void A_line_with_nothing_done_yet_is_written_to_the_json_log_without_an_eta(string phase, long done, long total, long bytesDone, long bytesTotal)
    {
        // The JSON log cannot write NaN: the ETA of "nothing done" threw on the thread pool and ended the run.
        using var env = new CliEnvironment(new StringWriter(), new StringWriter());
        Assert.False(env.IsTerminal);
        ProgressDisplay.Log(env.Logger, new JobProgress(phase, done, total, bytesDone, bytesTotal, 123_456), 3.5);
    }

    [Fact]
    public void A_line_part_way_gives_the_eta()
    {
        var lines = new List<string>();
        using var env = new CliEnvironment(new StringWriter(), new StringWriter(), new ListLogs(lines));
        ProgressDisplay.Log(env.Logger, new JobProgress("decode", 10, 40, 250, 1000, 5000), 2.0);
        ProgressDisplay.Log(env.Logger, new JobProgress("rate", 0, 31, 0, 0, 5000), 2.0);
        Assert.Equal(["decode: 10/40 objects, 5000 records (2500/s), 25 % done, about 6 s left", "rate: 0/31 steps, 5000 records (2500/s), starting"], lines);
    }

    private sealed class ListLogs(List<string> lines) : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
