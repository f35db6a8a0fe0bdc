using System.Text;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Core.Tests;

public sealed class CtrParserTests
{
    public static TheoryData<string> RealFiles() =>
        [.. Directory.EnumerateFiles(Path.Combine(Fixtures.Root, "ctr", "real"), "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(RealFiles))]
    public void Parsing_in_place_takes_a_whole_object_exactly_as_parsing_it_alone_and_never_a_cut_one(string file)
    {
        var parser = new CtrParser();
        foreach (var value in Fixtures.SplitValues(File.ReadAllBytes(Path.Combine(Fixtures.Root, "ctr", "real", file))))
        {
            // Followed by the start of the next object, as in a read buffer.
            var buffered = value.Concat(Encoding.UTF8.GetBytes("{\"ContactId\":")).ToArray();
            Assert.True(parser.TryParseLeading(buffered, out var length, out var outcome));
            Assert.Equal(value.Length, length);
            Assert.Equal(parser.Parse(value), outcome);

            // Cut anywhere (after a nested object closes, inside a string, between tokens): not taken.
            for (var cut = 1; cut < value.Length; cut++)
            {
                Assert.False(parser.TryParseLeading(value.AsSpan(0, cut), out _, out _), $"{file}: taken when cut at {cut}");
            }
        }
    }

    [Fact]
    public void Parsing_in_place_leaves_malformed_json_to_the_caller()
    {
        var parser = new CtrParser();
        var malformed = """{"ContactId":"x","Channel":VOICE} {"ContactId":"y"}"""u8.ToArray();
        Assert.False(parser.TryParseLeading(malformed, out _, out _));
        Assert.Equal(QuarantineReasons.MalformedJson, parser.Parse(malformed.AsSpan(0, malformed.AsSpan().IndexOf((byte)' '))).Reason);
    }
}
