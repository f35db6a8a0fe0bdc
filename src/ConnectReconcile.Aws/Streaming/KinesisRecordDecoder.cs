using ConnectReconcile.Aws.Kinesis;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Io.Decoding;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>A CTR taken from a Kinesis record: the parsed record, the exact bytes of its JSON object (for the archive) and where it was in the record.</summary>
public sealed record AcceptedCtr(ContactRecord Record, byte[] Json, SourcePosition Position);

/// <summary>What one Kinesis record held: normally one CTR; agent events, garbage and damaged JSON become quarantine entries.</summary>
public sealed record DecodedKinesisRecord(
    string ShardId,
    KinesisRecord Record,
    IReadOnlyList<AcceptedCtr> Ctrs,
    IReadOnlyList<QuarantineEntry> Quarantined);

/// <summary>
/// Decodes the Data of Kinesis records with the same framing and parser as files (<see cref="CtrDecoder.Split"/>
/// + <see cref="CtrParser"/>): one CTR per record is the rule, but a record holding several objects (or gzip)
/// is still read whole. Quarantine sources are <c>kinesis://STREAM/SHARD/SEQUENCE</c>. Not thread-safe: one per shard.
/// </summary>
public sealed class KinesisRecordDecoder
{
    private readonly CtrDecoder _framer = new();
    private readonly CtrParser _parser = new();

    public static string SourceOf(string streamName, string shardId, string sequenceNumber) => $"kinesis://{streamName}/{shardId}/{sequenceNumber}";

    public DecodedKinesisRecord Decode(string streamName, string shardId, KinesisRecord record)
    {
        var source = SourceOf(streamName, shardId, record.SequenceNumber);
        var ctrs = new List<AcceptedCtr>(1);
        var sink = new Sink();
        using (var data = new MemoryStream(record.Data, writable: false))
        {
            _framer.Split(data, source, (json, position) =>
            {
                var outcome = _parser.Parse(json);
                if (outcome.Record is { } parsed)
                {
                    ctrs.Add(new AcceptedCtr(parsed, json.ToArray(), position));
                }
                else
                {
                    sink.OnQuarantine(new QuarantineEntry(position, outcome.Reason!, outcome.Detail!, outcome.ContactId));
                }
            }, sink);
        }

        if (ctrs.Count == 0 && sink.Quarantined.Count == 0)
        {
            sink.OnQuarantine(new QuarantineEntry(new SourcePosition(source, 0, 0), QuarantineReasons.NotJson, $"a record of {record.Data.Length} bytes with no JSON object"));
        }

        return new DecodedKinesisRecord(shardId, record, ctrs, sink.Quarantined);
    }

    private sealed class Sink : IDecodeSink
    {
        public List<QuarantineEntry> Quarantined { get; } = [];

        public void OnRecord(ContactRecord record, SourcePosition position)
        {
            // Split hands objects to the raw handler; records never come here.
        }

        public void OnQuarantine(QuarantineEntry entry) => Quarantined.Add(entry);
    }
}
