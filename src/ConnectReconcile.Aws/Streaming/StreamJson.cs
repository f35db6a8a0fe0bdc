using System.Text;
using System.Text.Json;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>The stream's own JSON documents (batch manifests, days-closed records): written and read one way.</summary>
internal static class StreamJson
{
    /// <summary>The document <paramref name="write"/> writes, indented, with one trailing newline.</summary>
    public static string Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Parses a document, refusing one whose <c>format</c> is not <paramref name="format"/> (<paramref name="what"/> names it).</summary>
    public static JsonDocument Parse(ReadOnlySpan<byte> json, string format, string what)
    {
        var doc = JsonDocument.Parse(json.ToArray());
        var found = doc.RootElement.GetProperty("format").GetString();
        if (found != format)
        {
            doc.Dispose();
            throw new InvalidDataException($"Unknown {what} format '{found}'.");
        }

        return doc;
    }
}
