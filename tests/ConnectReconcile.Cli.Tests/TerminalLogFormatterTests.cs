using ConnectReconcile.Cli;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConnectReconcile.Cli.Tests;

public sealed class TerminalLogFormatterTests
{
    [Fact]
    public void A_logged_object_key_cannot_move_the_cursor_or_start_a_line_of_its_own()
    {
        // An object key as `load` logs it: raw, an ESC sequence would erase the line and a line feed fake another entry.
        const string Key = "ctr/2026/10/14/10/evil\u001b[2K\r\nFAKE info: all loaded\u0007.gz";
        var entry = new LogEntry<string>(LogLevel.Warning, "connect-reconcile", new EventId(0), $"Not loaded: {Key}", null, (s, _) => s);
        using var text = new StringWriter();

        new TerminalLogFormatter().Write(entry, null, text);

        var line = text.ToString();
        Assert.Contains(@"Not loaded: ctr/2026/10/14/10/evil\u001B[2K\r\nFAKE info: all loaded\u0007.gz", line, StringComparison.Ordinal);
        Assert.EndsWith(Environment.NewLine, line, StringComparison.Ordinal);
        Assert.Single(line.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        // The only escape sequences left are the formatter's own colour for the level and its reset.
        Assert.Equal(["\u001b[33mwarn\u001b[0m"], System.Text.RegularExpressions.Regex.Matches(line, "\u001b\\[[0-9;]*m[a-z]*\u001b\\[0m").Select(m => m.Value));
        Assert.Equal(2, line.Count(ch => ch == '\u001b'));
    }
}
