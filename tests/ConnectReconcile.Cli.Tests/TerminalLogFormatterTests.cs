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

        new TerminalLogFormatter(noColor: null).Write(entry, null, text);

        var line = text.ToString();
        Assert.Contains(@"Not loaded: ctr/2026/10/14/10/evil\u001B[2K\r\nFAKE info: all loaded\u0007.gz", line, StringComparison.Ordinal);
        Assert.EndsWith(Environment.NewLine, line, StringComparison.Ordinal);
        Assert.Single(line.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        // The only escape sequences left are the formatter's own colour for the level and its reset.
        Assert.Equal(["\u001b[33mwarn\u001b[0m"], System.Text.RegularExpressions.Regex.Matches(line, "\u001b\\[[0-9;]*m[a-z]*\u001b\\[0m").Select(m => m.Value));
        Assert.Equal(2, line.Count(ch => ch == '\u001b'));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("")] // set at all, as Spectre reads it for the tables and progress
    public void With_NO_COLOR_set_the_level_is_printed_without_colour(string noColor)
    {
        var entry = new LogEntry<string>(LogLevel.Information, "connect-reconcile", new EventId(0), "Rating ctr/ → out/", null, (s, _) => s);
        using var text = new StringWriter();

        new TerminalLogFormatter(noColor).Write(entry, null, text);

        Assert.Matches(@"^\d\d:\d\d:\d\d info: Rating ctr/ → out/\r?\n$", text.ToString());
    }
}
