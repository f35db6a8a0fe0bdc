using System.Buffers;
using System.IO.Compression;
using System.Text;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Io.Decoding;

/// <summary>Where something was found: the object it came from, the byte offset (in the decompressed
/// stream) and the index of the JSON value within the object.</summary>
public readonly record struct SourcePosition(string Source, long Offset, long Index);

/// <summary>A record or span of bytes that could not be used, with where it was and why; <see cref="ContactId"/> when the record named one.</summary>
public sealed record QuarantineEntry(SourcePosition Position, string Reason, string Detail, string? ContactId = null)
{
    /// <summary>The input objects that could not be opened or read (one entry each, the first), which every reader of CTRs reports.</summary>
    public static IReadOnlyList<QuarantineEntry> UnreadableObjects(IEnumerable<QuarantineEntry> quarantined) =>
        quarantined.Where(q => q.Reason == QuarantineReasons.UnreadableObject).DistinctBy(q => q.Position.Source, StringComparer.Ordinal).ToList();
}

/// <summary>Receives what the decoder finds, in the order it appears in the object.</summary>
public interface IDecodeSink
{
    void OnRecord(ContactRecord record, SourcePosition position);

    void OnQuarantine(QuarantineEntry entry);
}

/// <summary>Receives the raw bytes of each top-level JSON object (valid only during the call).</summary>
public delegate void RawObjectHandler(ReadOnlySpan<byte> json, SourcePosition position);

/// <summary>
/// Decodes every framing users have: one object, objects concatenated with no delimiter (Firehose's
/// <c>}{</c>, pretty-printed or not), newline-delimited JSON and JSON arrays, optionally compressed as
/// Firehose can (gzip, ZIP or Snappy's framing format, recognised by their magic bytes, not the name),
/// UTF-8 with or without a byte-order mark or UTF-16 with one. It streams: each object is parsed straight from the buffer (one cut by the buffer's end
/// once more bytes are in). After an object that is not well-formed JSON it skips to the next object:
/// the one after its closing brace when its braces balance, else (its end cannot be known) the next that
/// starts a line or follows another's closing brace and parses as a record; so garbage, a malformed object or a truncated tail costs one quarantine entry and never the
/// records around it (<see cref="Split"/> hands the malformed bytes on as one object). Only objects
/// over the record limit go through a scanner that finds an object's end by its braces (tracking
/// strings and escapes), without holding it.
/// </summary>
public sealed partial class CtrDecoder
{
    /// <summary>Kinesis caps a record at 1 MiB; anything far beyond that is not a CTR.</summary>
    public const int MaxRecordBytes = 8 * 1024 * 1024;

    private static readonly SearchValues<byte> InString = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> InObject = SearchValues.Create("\"{}"u8);
    private static readonly SearchValues<byte> Skipping = SearchValues.Create("\"{}\\\n"u8);

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];

    private static ReadOnlySpan<byte> ZipMagic => "PK\u0003\u0004"u8; // a local file header

    private static ReadOnlySpan<byte> EmptyZipMagic => "PK\u0005\u0006"u8; // an archive of no files is its end record alone

    /// <summary>The stream identifier chunk Snappy's framing format starts with (Firehose's "Snappy").</summary>
    private static ReadOnlySpan<byte> SnappyFramingMagic => [0xff, 0x06, 0x00, 0x00, (byte)'s', (byte)'N', (byte)'a', (byte)'P', (byte)'p', (byte)'Y'];

    private readonly CtrParser _parser = new();

    public void Decode(Stream raw, string source, IDecodeSink sink, CancellationToken cancellationToken = default) =>
        Run(raw, source, sink, null, cancellationToken);

    /// <summary>
    /// Frames without parsing: each top-level object's bytes go to <paramref name="onObject"/> (for
    /// loading a stream or archiving records as they came); garbage and damage still go to the sink.
    /// </summary>
    public void Split(Stream raw, string source, RawObjectHandler onObject, IDecodeSink sink, CancellationToken cancellationToken = default) =>
        Run(raw, source, sink, onObject, cancellationToken);

    private void Run(Stream raw, string source, IDecodeSink sink, RawObjectHandler? onObject, CancellationToken cancellationToken)
    {
        Span<byte> magic = stackalloc byte[PeekStream.Reach];
        var seekable = Peek(raw, magic, out var n);
        var head = magic[..n];
        if (head.StartsWith(ZipMagic) || head.StartsWith(EmptyZipMagic))
        {
            RunZip(seekable, source, sink, onObject, cancellationToken);
            return;
        }

        // The caller owns the raw stream (it reads the hash off it afterwards): leave it open.
        using var gzip = head.StartsWith(GzipMagic) ? new CheckedGzipStream(seekable, leaveOpen: true) : null;
        using var snappy = head.SequenceEqual(SnappyFramingMagic) ? new Snappier.SnappyStream(seekable, CompressionMode.Decompress, leaveOpen: true) : null;
        using var text = new Utf8Text((Stream?)gzip ?? (Stream?)snappy ?? seekable);
        new Scan(this, source, sink, onObject, gzip is not null ? "gzip" : snappy is not null ? "Snappy" : null, gzip is null ? null : new GzipEnd(gzip)).Run(text, cancellationToken);
    }

    /// <summary>
    /// Reads the stream's first bytes into <paramref name="head"/> (at most <see cref="PeekStream.Reach"/>)
    /// and returns a stream that reads from the start again.
    /// </summary>
    private static Stream Peek(Stream stream, Span<byte> head, out int count)
    {
        var seekable = stream.CanSeek ? stream : new PeekStream(stream);
        count = seekable.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        seekable.Seek(-count, SeekOrigin.Current);
        return seekable;
    }

    /// <summary>What is under the scan's input and can tell, once it was read to the end, that the object was cut short.</summary>
    private interface IEndCheck
    {
        /// <summary>Null when the object ended whole; else the report of the cut, which fell inside a record when <paramref name="insideRecord"/>.</summary>
        string? CutShort(bool insideRecord);
    }

    /// <summary>A gzip object ends whole with a whole member's trailer (<see cref="CheckedGzipStream"/>).</summary>
    private sealed class GzipEnd(CheckedGzipStream gzip) : IEndCheck
    {
        public string? CutShort(bool insideRecord) => gzip.EndsWhole ? null
            : insideRecord ? "the compressed bytes stop inside the object: the object was cut short, and whatever followed is missing"
            : "the gzip stream does not end with a whole member: the object was cut short (or has bytes after its gzip data), and whatever followed is missing";
    }

    /// <param name="compression">The input's compression (gzip, ZIP, Snappy), null when it has none.</param>
    /// <param name="end">What under the scan's input can tell whether it ended whole.</param>
    private sealed class Scan(CtrDecoder owner, string source, IDecodeSink sink, RawObjectHandler? onObject, string? compression, IEndCheck? end)
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        private long _base;            // absolute offset of _buffer[0]
        private int _end;              // bytes valid in _buffer
        private int _pos;              // scan position
        private int _valueStart = -1;  // start of the current object in _buffer, -1 if none retained
        private long _valueOffset;     // absolute offset of the current object
        private int _depth;
        private bool _inString;
        private bool _pendingEscape;
        private bool _oversized;
        private long _garbageStart = -1;
        private long _garbageEnd;
        private byte _garbageLast;         // the garbage's last byte that is not white space
        private long _index;
        private bool _fillBuffer;          // an object is cut by the buffer's end: read until it is full
        private long _resyncStart = -1;    // a malformed object's offset while skipping to the next record, else -1
        private long _resyncIndex;
        private string? _resyncDetail;
        private string? _resyncContactId;
        private byte _lastSignificant;     // while skipping: the last byte before _pos other than ' ', '\t', '\r'
        private int _resyncDepth;          // while skipping: braces open since the malformed object's '{', outside strings
        private bool _resyncInString;
        private bool _resyncEscape;

        public void Run(Stream input, CancellationToken cancellationToken)
        {
            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!Fill(input))
                    {
                        break;
                    }

                    ScanBuffer();
                }

                Finish(end: end);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                // Damaged bytes (bad deflate data, a stream that ends early): keep what came before, report the rest.
                // Other read errors (a network read that gave up) propagate: the object is unreadable, not damaged.
                Finish(damage: e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }

        private bool Fill(Stream input)
        {
            // The scan breaks off at the buffer's end (inside a long string, say) before its own size
            // check: stop retaining an oversized object here too, or the buffer doubles without bound.
            if (_valueStart >= 0 && _pos - _valueStart > MaxRecordBytes)
            {
                _oversized = true;
                _valueStart = -1;
            }

            // Keep only the unfinished object; grow the buffer when a single object fills it.
            var keepFrom = _valueStart >= 0 ? _valueStart : _pos;
            if (keepFrom > 0)
            {
                Buffer.BlockCopy(_buffer, keepFrom, _buffer, 0, _end - keepFrom);
                _base += keepFrom;
                _end -= keepFrom;
                _pos -= keepFrom;
                if (_valueStart >= 0)
                {
                    _valueStart = 0;
                }
            }

            if (_end == _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }

            // The first read holds at least a byte-order mark's worth, however short the stream's reads are; an
            // object cut by the buffer's end is parsed again once the buffer is full, so at most a few times.
            var free = _buffer.AsSpan(_end);
            var read = _base + _end == 0 ? input.ReadAtLeast(_buffer, Utf8ByteOrderMark.Length, throwOnEndOfStream: false)
                : _fillBuffer ? input.ReadAtLeast(free, free.Length, throwOnEndOfStream: false)
                : input.Read(free);
            _fillBuffer = false;
            _end += read;
            return read > 0;
        }

        private void ScanBuffer()
        {
            var span = _buffer.AsSpan(0, _end);
            while (_pos < _end)
            {
                if (_resyncStart >= 0)
                {
                    if (!Resync(span))
                    {
                        return;
                    }
                }
                else if (_inString)
                {
                    if (_pendingEscape)
                    {
                        _pendingEscape = false;
                        _pos++;
                        continue;
                    }

                    var i = span[_pos..].IndexOfAny(InString);
                    if (i < 0)
                    {
                        _pos = _end;
                        break;
                    }

                    _pos += i;
                    if (span[_pos] == (byte)'\\')
                    {
                        _pendingEscape = true;
                        _pos++;
                    }
                    else
                    {
                        _inString = false;
                        _pos++;
                    }
                }
                else if (_depth > 0)
                {
                    var i = span[_pos..].IndexOfAny(InObject);
                    if (i < 0)
                    {
                        _pos = _end;
                        break;
                    }

                    _pos += i;
                    var b = span[_pos++];
                    if (b == (byte)'"')
                    {
                        _inString = true;
                    }
                    else if (b == (byte)'{')
                    {
                        _depth++;
                    }
                    else if (--_depth == 0)
                    {
                        EmitObject();
                    }
                }
                else
                {
                    var b = span[_pos];
                    if (_base + _pos == 0 && span.StartsWith(Utf8ByteOrderMark))
                    {
                        // A text file saved by a Windows editor or PowerShell starts with one: encoding, not data.
                        _pos += Utf8ByteOrderMark.Length;
                        continue;
                    }

                    if (b == (byte)'{')
                    {
                        if (_garbageStart >= 0 && _garbageLast is (byte)':' or (byte)',' or (byte)'[')
                        {
                            // Garbage that ends where a value goes ("…"Queue": {"): the tail of a record cut off in another
                            // object. Its nested objects (an endpoint, the queue) are not records: only a whole valid record ends it.
                            var nested = owner._parser.ParseLeading(span[_pos..], out var whole, out var found);
                            if (nested == LeadingParse.Incomplete && _end - _pos <= MaxRecordBytes)
                            {
                                _fillBuffer = true;
                                return;
                            }

                            if (nested != LeadingParse.Parsed || whole > MaxRecordBytes || found.Record is null)
                            {
                                (_garbageEnd, _garbageLast) = (_base + _pos + 1, b);
                                _pos++;
                                continue;
                            }

                            FlushGarbage();
                            Emit(span.Slice(_pos, whole), found);
                            continue;
                        }

                        FlushGarbage();
                        // Decode parses the object; Split (raw objects for a stream) only measures it.
                        var outcome = default(ParseOutcome);
                        var status = onObject is null ? owner._parser.ParseLeading(span[_pos..], out var length, out outcome) : CtrParser.MeasureLeading(span[_pos..], out length, out outcome);
                        switch (status)
                        {
                            case LeadingParse.Parsed when length <= MaxRecordBytes:
                                Emit(span.Slice(_pos, length), outcome);
                                continue;
                            case LeadingParse.Invalid:
                                BeginResync(outcome);
                                continue;
                            case LeadingParse.Incomplete when _end - _pos <= MaxRecordBytes:
                                _fillBuffer = true; // parsed again with more bytes
                                return;
                        }

                        // Over the record limit: the scan below finds its end without holding it.
                        _valueStart = _pos;
                        _valueOffset = _base + _pos;
                        _depth = 1;
                        _pos++;
                    }
                    else if (_garbageStart < 0 && b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',' or (byte)'[' or (byte)']')
                    {
                        _pos++;
                    }
                    else
                    {
                        if (_garbageStart < 0)
                        {
                            _garbageStart = _base + _pos;
                        }

                        if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
                        {
                            (_garbageEnd, _garbageLast) = (_base + _pos + 1, b);
                        }

                        _pos++;
                    }
                }

                if (_valueStart >= 0 && _pos - _valueStart > MaxRecordBytes)
                {
                    _oversized = true;
                    _valueStart = -1; // stop retaining; keep tracking depth to find its end
                }
            }
        }

        /// <summary>
        /// A malformed object at <c>_pos</c>: looked for from its second byte, since where the JSON broke the next
        /// record may have begun ("…Chann{"AWS…). Split keeps the bytes, to hand them on as one object as replay
        /// reports them as one record.
        /// </summary>
        private void BeginResync(ParseOutcome outcome)
        {
            (_resyncStart, _resyncIndex, _resyncDetail, _resyncContactId) = (_base + _pos, _index++, outcome.Detail, outcome.ContactId);
            _valueStart = onObject is null ? -1 : _pos;
            (_resyncDepth, _resyncInString, _resyncEscape) = (1, false, false);
            _lastSignificant = (byte)'{';
            _pos++;
        }

        /// <summary>
        /// After a malformed object: skips to where the next object starts and reports the bytes skipped as the
        /// malformed object. Where its braces close (a record whose braces and quotes balance, with a bad value
        /// inside) the next '{' starts an object, whatever it holds: a record, an event that is not a CTR, or
        /// another malformed object. Where they do not (a cut line), the next '{' that starts a line or follows a
        /// '}', ']', ',' or '[' and parses as a record (or a rejected one that looks like a CTR), or any '{' that
        /// parses as a whole valid record: nested objects of the damaged record (an endpoint, a queue) are not
        /// CTRs and are skipped with it. False when more bytes are needed.
        /// </summary>
        private bool Resync(ReadOnlySpan<byte> span)
        {
            while (true)
            {
                if (_resyncEscape)
                {
                    if (_pos == _end)
                    {
                        return false;
                    }

                    (_resyncEscape, _lastSignificant) = (false, span[_pos++]);
                    continue;
                }

                var i = span[_pos..].IndexOfAny(Skipping);
                var upTo = i < 0 ? _end : _pos + i;
                var skipped = span[_pos..upTo].TrimEnd(" \t\r"u8);
                if (!skipped.IsEmpty)
                {
                    _lastSignificant = skipped[^1];
                }

                _pos = upTo;
                if (i < 0)
                {
                    return false;
                }

                var b = span[_pos];
                if (b != (byte)'{')
                {
                    TrackBraces(b);
                    _lastSignificant = b;
                    _pos++;
                    continue;
                }

                var topLevel = _resyncDepth == 0 && !_resyncInString;
                var boundary = _lastSignificant is (byte)'\n' or (byte)'}' or (byte)']' or (byte)',' or (byte)'[';
                var status = owner._parser.ParseLeading(span[_pos..], out var length, out var outcome);
                if (status == LeadingParse.Incomplete && _end - _pos <= MaxRecordBytes)
                {
                    _fillBuffer = true;
                    return false;
                }

                if (topLevel && status == LeadingParse.Invalid)
                {
                    EndResync(_base + _pos, "up to the next record");
                    BeginResync(outcome);
                    continue;
                }

                // Inside the damaged record's braces, at a boundary anything that looks like a CTR; elsewhere (the next
                // record glued to a cut one, "…Addr{"AWSAccountId"…) only a whole, valid record.
                if (status == LeadingParse.Parsed && length <= MaxRecordBytes
                    && (topLevel || (boundary ? outcome.Reason != QuarantineReasons.NotACtr : outcome.Record is not null)))
                {
                    EndResync(_base + _pos, "up to the next record");
                    Emit(span.Slice(_pos, length), outcome);
                    return true;
                }

                TrackBraces(b);
                _lastSignificant = b;
                _pos++;
            }
        }

        /// <summary>The malformed object's braces, outside its strings; a raw line break ends a string (a cut line).</summary>
        private void TrackBraces(byte b)
        {
            if (_resyncInString)
            {
                (_resyncInString, _resyncEscape) = (b is not ((byte)'"' or (byte)'\n'), b == (byte)'\\');
            }
            else if (b == (byte)'"')
            {
                _resyncInString = true;
            }
            else if (b == (byte)'{')
            {
                _resyncDepth++;
            }
            else if (b == (byte)'}' && _resyncDepth > 0)
            {
                _resyncDepth--;
            }
        }

        /// <summary>The malformed object's bytes up to <paramref name="end"/>: one quarantine entry, or for Split one object, as they came.</summary>
        private void EndResync(long end, string upTo)
        {
            var position = new SourcePosition(source, _resyncStart, _resyncIndex);
            if (onObject is not null && _valueStart >= 0)
            {
                onObject(_buffer.AsSpan(_valueStart, (int)(end - _base) - _valueStart), position);
            }
            else
            {
                // Split holds at most a record's worth: a longer one is reported here, as the scan reports an oversized object.
                sink.OnQuarantine(new QuarantineEntry(position, onObject is null ? QuarantineReasons.MalformedJson : QuarantineReasons.RecordTooLarge,
                    $"{_resyncDetail} ({end - _resyncStart} bytes set aside, {upTo})", onObject is null ? _resyncContactId : null));
            }

            (_resyncStart, _valueStart, _oversized) = (-1, -1, false);
        }

        /// <summary>An object found whole at <c>_pos</c>: its record (or rejection) to the sink, or its bytes to <see cref="Split"/>'s handler.</summary>
        private void Emit(ReadOnlySpan<byte> json, ParseOutcome outcome)
        {
            var position = new SourcePosition(source, _base + _pos, _index++);
            if (onObject is null)
            {
                Deliver(outcome, position);
            }
            else
            {
                onObject(json, position);
            }

            _pos += json.Length;
        }

        private void EmitObject()
        {
            var position = new SourcePosition(source, _valueOffset, _index++);
            if (_oversized || _valueStart < 0)
            {
                _oversized = false;
                sink.OnQuarantine(new QuarantineEntry(position, QuarantineReasons.RecordTooLarge, $"object larger than {MaxRecordBytes} bytes"));
            }
            else if (onObject is not null)
            {
                onObject(_buffer.AsSpan(_valueStart, _pos - _valueStart), position);
            }
            else
            {
                Deliver(owner._parser.Parse(_buffer.AsSpan(_valueStart, _pos - _valueStart)), position);
            }

            _valueStart = -1;
        }

        private void Deliver(ParseOutcome outcome, SourcePosition position)
        {
            if (outcome.Record is { } record)
            {
                sink.OnRecord(record, position);
            }
            else
            {
                sink.OnQuarantine(new QuarantineEntry(position, outcome.Reason!, outcome.Detail!, outcome.ContactId));
            }
        }

        private void FlushGarbage()
        {
            if (_garbageStart < 0)
            {
                return;
            }

            var position = new SourcePosition(source, _garbageStart, _index++);
            sink.OnQuarantine(new QuarantineEntry(position, QuarantineReasons.NotJson, $"{_garbageEnd - _garbageStart} bytes that are not a JSON object"));
            _garbageStart = -1;
        }

        /// <summary>Reports what the end of the input left unread.</summary>
        /// <param name="damage">Why reading broke off, when it did.</param>
        /// <param name="end">
        /// What can tell the input was cut short (a gzip without its last trailer, a ZIP without its
        /// directory): a cut between two records would otherwise lose the rest unreported.
        /// </param>
        private void Finish(Exception? damage = null, IEndCheck? end = null)
        {
            FlushGarbage();
            var unfinished = _depth > 0 || _pos < _end; // an object begun: one the scan held (_depth), or one waiting for more bytes
            var cutShort = end?.CutShort(insideRecord: _resyncStart < 0 && unfinished);
            if (_resyncStart >= 0)
            {
                EndResync(_base + _end, damage is null && cutShort is null ? "to the end: no record follows it" : "to where the stream broke");
            }
            else if (unfinished)
            {
                var position = new SourcePosition(source, _depth > 0 ? _valueOffset : _base + _pos, _index++);
                var why = cutShort
                    ?? (damage is null ? "the object ends before its closing brace" : $"the {compression ?? "byte"} stream broke inside the object: {damage.Message}");
                sink.OnQuarantine(new QuarantineEntry(position, QuarantineReasons.TruncatedRecord, why));
            }
            else if (cutShort is not null || damage is not null)
            {
                var position = new SourcePosition(source, _base + _end, _index++);
                sink.OnQuarantine(new QuarantineEntry(position, compression is null ? QuarantineReasons.UnreadableObject : QuarantineReasons.CorruptCompression, damage?.Message ?? cutShort!));
            }
        }
    }

    /// <summary>
    /// The text as UTF-8: UTF-16 with its byte-order mark (what Windows PowerShell's <c>&gt;</c> and
    /// <c>Out-File</c> write) is transcoded, anything else passes through. It looks at the first bytes
    /// on the first read, inside the scan, so damaged gzip there is reported like damage anywhere else.
    /// </summary>
    private sealed class Utf8Text(Stream inner) : ReadOnlyStream
    {
        private Stream? _text;
        private Stream? _transcoder;

        public override int Read(Span<byte> buffer) => (_text ??= Open()).Read(buffer);

        private Stream Open()
        {
            Span<byte> mark = stackalloc byte[2];
            var peek = Peek(inner, mark, out var n);
            Encoding? utf16 = n < 2 ? null : (mark[0], mark[1]) switch
            {
                (0xFF, 0xFE) => Encoding.Unicode,
                (0xFE, 0xFF) => Encoding.BigEndianUnicode,
                _ => null,
            };
            // The mark becomes UTF-8's, which the scan skips at the start.
            return utf16 is null ? peek : _transcoder = Encoding.CreateTranscodingStream(peek, utf16, Encoding.UTF8, leaveOpen: true);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _transcoder?.Dispose(); // it leaves the stream under it open; the caller owns that one
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A forward-only stream that lets the first bytes be read twice (for the compression's magic).</summary>
    private sealed class PeekStream(Stream inner) : ReadOnlyStream
    {
        /// <summary>How many of the first bytes can be read twice: the longest magic looked for.</summary>
        public const int Reach = 10;

        private readonly byte[] _head = new byte[Reach];
        private int _headLength = -1;
        private int _headPos;
        private long _position;

        public override bool CanSeek => true; // only the tiny peek-back of the first bytes is supported
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            EnsureHead();
            if (_headPos < _headLength)
            {
                var n = Math.Min(buffer.Length, _headLength - _headPos);
                _head.AsSpan(_headPos, n).CopyTo(buffer);
                _headPos += n;
                _position += n;
                return n;
            }

            var read = inner.Read(buffer);
            _position += read;
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            EnsureHead();
            var target = origin == SeekOrigin.Current ? _position + offset : origin == SeekOrigin.Begin ? offset : throw new NotSupportedException();
            if (target < 0 || target > _headLength || _position > _headLength)
            {
                throw new NotSupportedException("Only the first bytes can be re-read.");
            }

            _headPos = (int)target;
            _position = target;
            return target;
        }

        private void EnsureHead()
        {
            if (_headLength < 0)
            {
                _headLength = inner.ReadAtLeast(_head, _head.Length, throwOnEndOfStream: false);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
