using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ConnectReconcile.Core.Ctr;

namespace ConnectReconcile.Io.Decoding;

/// <summary>Where something was found: the object it came from, the byte offset (in the decompressed
/// stream) and the index of the JSON value within the object.</summary>
public readonly record struct SourcePosition(string Source, long Offset, long Index);

/// <summary>A record or span of bytes that could not be used, with where it was and why; <see cref="ContactId"/> when the record named one.</summary>
public sealed record QuarantineEntry(SourcePosition Position, string Reason, string Detail, string? ContactId = null);

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
/// once more bytes are in). After an object that is not well-formed JSON, whose end cannot be known,
/// it skips to the next object that starts a line or follows another's closing brace and parses as a
/// record; so garbage, a malformed object or a truncated tail costs one quarantine entry and never the
/// records around it (<see cref="Split"/> hands the malformed bytes on as one object). Only objects
/// over the record limit go through a scanner that finds an object's end by its braces (tracking
/// strings and escapes), without holding it.
/// </summary>
public sealed class CtrDecoder
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
    /// A ZIP archive's entries, read one after the other as one text. Its directory is at its end, so the
    /// object is read into memory first, in order (the caller hashes the bytes as they are read). Without
    /// a readable directory (a cut loses it first) the files are read from their local headers instead.
    /// </summary>
    private void RunZip(Stream input, string source, IDecodeSink sink, RawObjectHandler? onObject, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        input.CopyTo(copy, 1 << 16); // a sized copy: PeekStream seeks only within its first bytes, so it has no Length
        copy.Position = 0;
        ZipArchive? archive = null;
        try
        {
            archive = new ZipArchive(copy, ZipArchiveMode.Read, leaveOpen: true);
            _ = archive.Entries; // the directory is read here, so a damaged one is caught with a missing one
        }
        catch (InvalidDataException)
        {
            archive?.Dispose();
            using var local = new LocalZipEntries(copy.GetBuffer(), (int)copy.Length);
            using var localText = new Utf8Text(local);
            new Scan(this, source, sink, onObject, "ZIP", local).Run(localText, cancellationToken);
            return;
        }

        using (archive)
        {
            using var entries = new ZipEntries(archive);
            using var text = new Utf8Text(entries);
            new Scan(this, source, sink, onObject, "ZIP", null).Run(text, cancellationToken);
        }
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
        private long _index;
        private bool _fillBuffer;          // an object is cut by the buffer's end: read until it is full
        private long _resyncStart = -1;    // a malformed object's offset while skipping to the next record, else -1
        private long _resyncIndex;
        private string? _resyncDetail;
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
                            _garbageEnd = _base + _pos + 1;
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
            (_resyncStart, _resyncIndex, _resyncDetail) = (_base + _pos, _index++, outcome.Detail);
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
                    $"{_resyncDetail} ({end - _resyncStart} bytes set aside, {upTo})"));
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

    /// <summary>
    /// The files of a ZIP archive, in the archive's order, as one stream (folders skipped), each followed by
    /// a line break so a file's first record starts a line whatever the one before ended with. Each file's
    /// CRC-32 is checked at its end (a stored file is not checked otherwise): a mismatch is damage.
    /// </summary>
    private sealed class ZipEntries(ZipArchive archive) : ReadOnlyStream
    {
        private readonly Queue<ZipArchiveEntry> _entries = new(archive.Entries.Where(e => !e.FullName.EndsWith('/')));
        private readonly System.IO.Hashing.Crc32 _crc = new();
        private ZipArchiveEntry? _entry;
        private Stream? _current;
        private bool _separator;

        public override int Read(Span<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                if (_separator)
                {
                    _separator = false;
                    buffer[0] = (byte)'\n';
                    return 1;
                }

                if (_current is null)
                {
                    if (!_entries.TryDequeue(out _entry))
                    {
                        return 0;
                    }

                    _current = _entry.Open();
                    _crc.Reset();
                }

                var n = _current.Read(buffer);
                if (n > 0)
                {
                    _crc.Append(buffer[..n]);
                    return n;
                }

                _current.Dispose();
                _current = null;
                if (_crc.GetCurrentHashAsUInt32() != _entry!.Crc32)
                {
                    throw new InvalidDataException($"the ZIP file '{_entry.FullName}' does not match its CRC-32: its bytes are damaged");
                }

                _separator = true;
            }

            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _current?.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// The files of a ZIP archive whose directory cannot be read (a cut loses it first: it is at the end),
    /// read from their local headers front to back and otherwise as <see cref="ZipEntries"/> reads them;
    /// the file the bytes stop in is read as far as they go. Stored or deflated files only. A file written
    /// as a stream (flag bit 3) has its CRC-32 and sizes in a descriptor after its data: a deflated one
    /// ends itself, and its descriptor is the one whose size is its distance; a stored one ends at the
    /// first such descriptor, or without one (the cut fell inside it) at the cut. Damage stops the reading
    /// as a cut does, not by throwing: an exception inside a read would lose the text that read gathered.
    /// </summary>
    private sealed class LocalZipEntries(byte[] zip, int length) : ReadOnlyStream, IEndCheck
    {
        private const uint LocalHeader = 0x04034b50, DataDescriptor = 0x08074b50, DirectoryHeader = 0x02014b50, EndOfDirectory = 0x06054b50, Zip64EndOfDirectory = 0x06064b50;
        private const int LocalHeaderLength = 30;

        private readonly System.IO.Hashing.Crc32 _crc = new();
        private int _at;                // the local header of the file read or next; once stopped, where the reading stopped
        private int _whole;             // files read whole
        private LocalFile? _file;       // the one being read
        private Stream? _current;
        private long _read;             // of its text
        private bool _separator;
        private string? _stop;          // why the reading stopped, once it did: it always does before the directory's end
        private bool _damaged;

        /// <param name="Descriptor">A stored file written as a stream: its descriptor, found first, is where its data ends.</param>
        private sealed record LocalFile(string Name, bool Streamed, bool Zip64, uint Crc, long Size, int DataStart, int DataEnd, bool Cut, Descriptor? Descriptor)
        {
            public bool Folder => Name.EndsWith('/');
        }

        private readonly record struct Descriptor(int Start, int Length, uint Crc, long Size);

        public string? CutShort(bool insideRecord)
        {
            var detail = $"the ZIP archive has no readable directory, so its files were read from their local headers: {_whole} whole, then at byte {_at} of {length} {_stop}; "
                + (_damaged ? "whatever followed is not read" : "the object was cut short (or its directory damaged), and whatever followed is missing");
            return !insideRecord ? detail : _damaged ? $"the ZIP stream broke inside the object: {detail}" : $"the compressed bytes stop inside the object: {detail}";
        }

        public override int Read(Span<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                if (_separator)
                {
                    _separator = false;
                    buffer[0] = (byte)'\n';
                    return 1;
                }

                if (_current is null && !Open())
                {
                    return 0;
                }

                int n;
                try
                {
                    n = _current!.Read(buffer);
                }
                catch (InvalidDataException e)
                {
                    Stop(damage: e.Message.TrimEnd('.'));
                    return 0;
                }

                if (n > 0)
                {
                    _crc.Append(buffer[..n]);
                    _read += n;
                    if (!_file!.Folder)
                    {
                        return n;
                    }

                    continue; // a folder's bytes are no text: the directory's path skips it
                }

                Close(_file!);
            }

            return 0;
        }

        /// <summary>Opens the file whose local header is at <c>_at</c>; false (saying why) when there is none.</summary>
        private bool Open()
        {
            if (_stop is not null)
            {
                return false;
            }

            var rest = zip.AsSpan(_at, length - _at);
            var signature = rest.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(rest) : 0;
            var nameLength = rest.Length >= LocalHeaderLength ? BinaryPrimitives.ReadUInt16LittleEndian(rest[26..]) : 0;
            var extraLength = rest.Length >= LocalHeaderLength ? BinaryPrimitives.ReadUInt16LittleEndian(rest[28..]) : 0;
            _stop = rest.IsEmpty ? "the bytes end between two files"
                : signature is DirectoryHeader or EndOfDirectory or Zip64EndOfDirectory ? "its directory begins, but cannot be read"
                : rest.Length < 4 || (signature == LocalHeader && rest.Length < LocalHeaderLength + nameLength + extraLength) ? "the bytes end inside a header"
                : signature != LocalHeader ? "come bytes that are neither a file nor its directory"
                : null;
            if (_stop is not null)
            {
                return false;
            }

            var flags = BinaryPrimitives.ReadUInt16LittleEndian(rest[6..]);
            var method = BinaryPrimitives.ReadUInt16LittleEndian(rest[8..]);
            var name = Encoding.UTF8.GetString(rest.Slice(LocalHeaderLength, nameLength));
            if ((flags & 1) != 0 || method is not (0 or 8))
            {
                Stop(damage: $"it is encrypted or compressed by a method other than deflate (method {method})", name);
                return false;
            }

            var streamed = (flags & 8) != 0;
            var compressedSize = (long)BinaryPrimitives.ReadUInt32LittleEndian(rest[18..]);
            var size = (long)BinaryPrimitives.ReadUInt32LittleEndian(rest[22..]);
            var zip64 = ReadZip64Sizes(rest.Slice(LocalHeaderLength + nameLength, extraLength), ref size, ref compressedSize);
            var dataStart = _at + LocalHeaderLength + nameLength + extraLength;

            // Written as a stream, a stored file ends at its descriptor (a deflated one ends itself, and its descriptor is found after it).
            var descriptor = streamed && method == 0 ? FindDescriptor(dataStart, zip64) : null;
            var dataEnd = !streamed ? (int)Math.Min(dataStart + compressedSize, length) : descriptor?.Start ?? length;
            var cut = streamed ? method == 0 && descriptor is null : dataStart + compressedSize > length;
            _file = new LocalFile(name, streamed, zip64, BinaryPrimitives.ReadUInt32LittleEndian(rest[14..]), size, dataStart, dataEnd, cut, descriptor);
            var data = new MemoryStream(zip, dataStart, dataEnd - dataStart, writable: false);
            _current = method == 8 ? new DeflateStream(data, CompressionMode.Decompress) : data;
            _crc.Reset();
            _read = 0;
            return true;
        }

        /// <summary>At a file's end: checks it and moves to the next header, or stops where the bytes stop.</summary>
        private void Close(LocalFile file)
        {
            _current!.Dispose();
            _current = null;
            var descriptor = !file.Streamed ? null : file.Descriptor ?? FindDescriptor(file.DataStart, file.Zip64);
            if (file.Cut || (file.Streamed && descriptor is null))
            {
                // The text up to the cut is read; without its descriptor, whether a deflated file's own data was whole cannot be told.
                (_at, _stop) = (length, $"the bytes end inside file '{file.Name}', {_read} bytes of its text read");
                return;
            }

            var (crc, size, next) = descriptor is { } d ? (d.Crc, d.Size, d.Start + d.Length) : (file.Crc, file.Size, file.DataEnd);
            if (_crc.GetCurrentHashAsUInt32() != crc || _read != size)
            {
                Stop(damage: "it does not match its CRC-32: its bytes are damaged");
                return;
            }

            (_at, _file) = (next, null);
            if (!file.Folder)
            {
                _whole++;
                _separator = true;
            }
        }

        /// <summary>Stops at the damaged file whose header is at <c>_at</c>.</summary>
        private void Stop(string damage, string? name = null)
        {
            _current?.Dispose();
            _current = null;
            (_stop, _damaged) = ($"file '{name ?? _file!.Name}' begins, and is damaged: {damage}", true);
        }

        /// <summary>
        /// The descriptor after the data that starts at <paramref name="dataStart"/>: a signed one, or an
        /// unsigned one just before the next header, whose compressed size is its distance from there.
        /// </summary>
        private Descriptor? FindDescriptor(int dataStart, bool zip64)
        {
            var sizes = zip64 ? 8 : 4;
            var span = zip.AsSpan(0, length);
            for (var from = dataStart; span[from..].IndexOf("PK"u8) is var k and >= 0; from += k + 1)
            {
                var i = from + k;
                var signature = i + 4 <= length ? BinaryPrimitives.ReadUInt32LittleEndian(span[i..]) : 0;
                if (signature == DataDescriptor && i + 8 + 2 * sizes <= length && ReadSize(span[(i + 8)..], zip64) == i - dataStart)
                {
                    return new Descriptor(i, 8 + 2 * sizes, BinaryPrimitives.ReadUInt32LittleEndian(span[(i + 4)..]), ReadSize(span[(i + 8 + sizes)..], zip64));
                }

                var start = i - 4 - 2 * sizes;
                if (signature is LocalHeader or DirectoryHeader && start >= dataStart && ReadSize(span[(start + 4)..], zip64) == start - dataStart)
                {
                    return new Descriptor(start, 4 + 2 * sizes, BinaryPrimitives.ReadUInt32LittleEndian(span[start..]), ReadSize(span[(start + 4 + sizes)..], zip64));
                }
            }

            return null;
        }

        private static long ReadSize(ReadOnlySpan<byte> at, bool zip64) =>
            zip64 ? (long)BinaryPrimitives.ReadUInt64LittleEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);

        /// <summary>A ZIP64 extra field (id 1) holds the sizes that did not fit in the header's four bytes; true when there is one.</summary>
        private static bool ReadZip64Sizes(ReadOnlySpan<byte> extra, ref long size, ref long compressedSize)
        {
            while (extra.Length >= 4)
            {
                var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
                var fieldLength = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]), extra.Length - 4);
                var field = extra.Slice(4, fieldLength);
                if (id == 1)
                {
                    if (size == uint.MaxValue && field.Length >= 8)
                    {
                        size = (long)BinaryPrimitives.ReadUInt64LittleEndian(field);
                        field = field[8..];
                    }

                    if (compressedSize == uint.MaxValue && field.Length >= 8)
                    {
                        compressedSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(field);
                    }

                    return true;
                }

                extra = extra[(4 + fieldLength)..];
            }

            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _current?.Dispose();
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
