using Spectre.Console;
using Spectre.Console.Rendering;

namespace ConnectReconcile.Cli;

/// <summary>
/// Tables of figures (amounts, counts, quantities) on a terminal of any width. Spectre wraps a cell that does
/// not fit, and 318.66 would print as "318.6" above "6": figure columns are never wrapped, the text columns
/// beside them wrap instead, and a terminal too narrow even for the figures gets the rows as lines of text.
/// </summary>
internal static class FigureTables
{
    /// <summary>A text column narrower than this is too crushed to read: the rows are written as lines instead.</summary>
    private const int TextColumnMin = 4;

    /// <summary>A right-aligned column of figures, never wrapped.</summary>
    public static TableColumn Column(string header) => new TableColumn(header).RightAligned().NoWrap();

    public static void Write(IAnsiConsole console, Table table)
    {
        var options = RenderOptions.Create(console, console.Profile.Capabilities);
        if (Needed(table, options) <= console.Profile.Width)
        {
            console.Write(table);
            return;
        }

        // A paragraph a row, "label: header figure, …", word-wrapped: no figure is split.
        var indent = 0;
        if (table.Title is { } title)
        {
            console.Write(new Markup(title.Text, title.Style));
            console.WriteLine();
            indent = 2;
        }

        var headers = table.Columns.Select(c => Plain(c.Header, options)).ToList();
        foreach (var row in table.Rows)
        {
            var cells = row.Select(c => Plain(c, options)).ToList();
            var figures = cells.Select((value, i) => (Header: headers[i], Value: value)).Skip(1).Where(c => c.Value.Length > 0)
                .Select(c => c.Header.Length == 0 ? c.Value : $"{c.Header} {c.Value}");
            console.Write(new Padder(new Text($"{cells[0]}: {string.Join(", ", figures)}"), new Padding(indent, 0, 0, 0)));
        }
    }

    /// <summary>The width the table needs with its figure columns whole and its text columns at <see cref="TextColumnMin"/>.</summary>
    private static int Needed(Table table, RenderOptions options)
    {
        var width = table.Border.Visible ? table.Columns.Count + 1 : 0;
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            var widest = table.Rows.Select(r => r.ElementAt(i)).Append(column.Header).Max(c => c.Measure(options, int.MaxValue).Max);
            width += (column.Padding?.GetWidth() ?? 0) + (column.NoWrap ? widest : Math.Min(widest, TextColumnMin));
        }

        return width;
    }

    private static string Plain(IRenderable cell, RenderOptions options) =>
        string.Concat(cell.Render(options, int.MaxValue).Where(s => !s.IsControlCode).Select(s => s.IsLineBreak ? " " : s.Text)).Trim();
}
