using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ConnectReconcile.Aws.Streaming;

namespace ConnectReconcile.Aws.Tests.Streaming;

/// <summary>The archive is NDJSON even when a Kinesis record holds a pretty-printed CTR.</summary>
public sealed partial class StreamWorkerTests
{
    [Fact]
    public async Task A_pretty_printed_record_is_archived_on_one_line_and_rated_as_its_compact_form()
    {
        var compact = data.RawObjects().Take(40).ToList();
        var pretty = compact.Select((o, i) => i % 3 == 0 ? PrettyPrinted(o) : o).ToList();
        Assert.Contains(pretty, o => o.AsSpan().IndexOf("\r\n"u8) >= 0);

        var runs = new List<string>();
        var streams = new List<string>();
        foreach (var objects in new[] { compact, pretty })
        {
            var stream = await StreamAsserts.NewStreamAsync(services.Kinesis, 1, "pretty");
            var outDir = Path.Combine(_tmp, "out" + runs.Count);
            await PutAsync(stream, objects);
            using var checkpoints = StreamAsserts.Checkpoints(outDir);
            var first = new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, outDir, output));
            Assert.Equal(objects.Count, (await first.RunAsync(CancellationToken.None)).Records);

            // Recovery reads the archive back to the same state (its SHA-256 and CTR count are checked on the way).
            var again = new StreamWorker(services.Kinesis, checkpoints, StreamAsserts.Options(data, stream, outDir, output));
            Assert.Equal(0, (await again.RunAsync(CancellationToken.None)).Records);
            Assert.Equal(first.State.Dedupe.Count, again.State.Dedupe.Count);
            Assert.Equal(first.State.Dedupe.Superseded, again.State.Dedupe.Superseded);
            runs.Add(outDir);
            streams.Add(stream);
        }

        // Every line of the archive is one JSON object, one per archived CTR.
        var lines = new List<string>();
        foreach (var archive in Directory.EnumerateFiles(Path.Combine(runs[1], "_stream", "ctr"), "*.ndjson.gz").Order(StringComparer.Ordinal))
        {
            await using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, new UTF8Encoding(false, true));
            lines.AddRange((await reader.ReadToEndAsync()).Split('\n')[..^1]);
        }

        var manifests = await new StreamArchive(new Io.Storage.LocalObjectStore(runs[1])).ReadManifestsAsync(streams[1], CancellationToken.None);
        Assert.Equal(manifests.Sum(m => m.Ctrs), lines.Count);
        Assert.All(lines, line =>
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        });

        StreamAsserts.SameBytes(StreamAsserts.RatedPartitions(runs[0]), StreamAsserts.RatedPartitions(runs[1]), "pretty-printed records vs compact ones");
    }

    /// <summary>The same JSON with CRLF and indentation between its tokens (strings untouched), as a hand-made put might be.</summary>
    private static byte[] PrettyPrinted(byte[] json)
    {
        var result = new List<byte>(json.Length * 2);
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                result.Add(b);
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }

                continue;
            }

            if (b is (byte)'}' or (byte)']')
            {
                result.AddRange("\r\n"u8.ToArray());
            }

            result.Add(b);
            inString = b == (byte)'"';
            if (b is (byte)'{' or (byte)'[' or (byte)',')
            {
                result.AddRange("\r\n  "u8.ToArray());
            }
            else if (b == (byte)':')
            {
                result.Add((byte)' ');
            }
        }

        return [.. result];
    }
}
