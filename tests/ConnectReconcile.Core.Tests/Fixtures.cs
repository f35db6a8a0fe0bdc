using System.Text;
using System.Text.Json;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Core.Tests;

/// <summary>Access to tests/fixtures (copied beside the test assembly) and a minimal JSON splitter.</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string ScenarioDir(string name) => Path.Combine(Root, "scenarios", name);

    public static IEnumerable<string> ScenarioNames() =>
        Directory.EnumerateDirectories(Path.Combine(Root, "scenarios")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    /// <summary>Each top-level JSON value of a concatenated (Firehose-style) file, as raw UTF-8.</summary>
    public static IReadOnlyList<byte[]> SplitValues(byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        var values = new List<byte[]>();
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            values.Add(bytes[start..(int)reader.BytesConsumed]);
        }

        return values;
    }

    public static IReadOnlyList<ContactRecord> ParseAll(string path)
    {
        var parser = new CtrParser();
        return SplitValues(File.ReadAllBytes(path)).Select(v => parser.Parse(v).Record ?? throw new InvalidDataException(Encoding.UTF8.GetString(v)[..80])).ToList();
    }
}
