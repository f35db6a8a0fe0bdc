using System.Buffers;
using System.Globalization;
using System.Text;

namespace ConnectReconcile.Cli;

/// <summary>
/// Text from data (CTR names, ids, attributes, file names) made safe to print on a terminal: every C0 or C1
/// control character, DEL and the Unicode line and paragraph separators become a visible escape
/// (<c>\r</c>, <c>\n</c>, <c>\t</c>, else <c>\u001B</c>), so a queue named <c>"sales\u001b[2K\rTotal: 0.00"</c>
/// can neither move the cursor, erase or hide what is printed, nor break a line. A backslash is printed as it
/// is (a Windows path stays readable), so <c>\r</c> in the output may also be those two characters in the data;
/// <c>--json</c> is the exact form.
/// </summary>
internal static class ConsoleText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c), '\u2028', '\u2029']);

    /// <summary><paramref name="text"/> with each unsafe character escaped; the same string when it has none.</summary>
    public static string Escape(string text)
    {
        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16).Append(text.AsSpan(0, first));
        foreach (var ch in text.AsSpan(first))
        {
            _ = ch switch
            {
                '\r' => escaped.Append(@"\r"),
                '\n' => escaped.Append(@"\n"),
                '\t' => escaped.Append(@"\t"),
                _ when Unsafe.Contains(ch) => escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}"),
                _ => escaped.Append(ch),
            };
        }

        return escaped.ToString();
    }

    /// <summary>Writes lines escaped, each ended by the writer's own line break (the only line breaks printed).</summary>
    public sealed class Writer(TextWriter inner)
    {
        public void WriteLine(string line)
        {
            inner.Write(Escape(line));
            inner.WriteLine();
        }

        public void WriteLine() => inner.WriteLine();
    }
}
