using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ConnectReconcile.Cli;

/// <summary>
/// One log line per entry on a terminal (<c>12:00:00 warn: message</c>), with the message and exception
/// escaped by <see cref="ConsoleText"/>: log messages quote data (object keys, queue names, invoice text), and
/// the built-in simple formatter would let a control character in them move the cursor or erase the line.
/// When stderr is not a terminal the JSON formatter is used instead, whose encoding escapes them already.
/// With NO_COLOR set the level is printed without colour, as Spectre then prints the tables and progress.
/// </summary>
public sealed class TerminalLogFormatter : ConsoleFormatter
{
    public const string FormatterName = "connect-reconcile-terminal";

    private readonly bool _colour;

    public TerminalLogFormatter()
        : this(Environment.GetEnvironmentVariable("NO_COLOR"))
    {
    }

    /// <param name="noColor">NO_COLOR's value: set at all (even empty, as Spectre reads it), no colour.</param>
    internal TerminalLogFormatter(string? noColor)
        : base(FormatterName) => _colour = noColor is null;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var (level, colour) = logEntry.LogLevel switch
        {
            LogLevel.Trace => ("trce", "\e[90m"),
            LogLevel.Debug => ("dbug", "\e[90m"),
            LogLevel.Information => ("info", "\e[32m"),
            LogLevel.Warning => ("warn", "\e[33m"),
            LogLevel.Error => ("fail", "\e[31m"),
            _ => ("crit", "\e[1;31m"),
        };
        textWriter.Write(DateTimeOffset.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        if (_colour)
        {
            textWriter.Write(colour);
            textWriter.Write(level);
            textWriter.Write("\e[0m");
        }
        else
        {
            textWriter.Write(level);
        }

        textWriter.Write(": ");
        textWriter.Write(ConsoleText.Escape(message));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(' ');
            textWriter.Write(ConsoleText.Escape(exception.ToString()));
        }

        textWriter.WriteLine();
    }
}
