using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ConnectReconcile.Io.Decoding;

/// <summary>Firehose's ZIP objects: every file of the archive, in order, as one text.</summary>
public sealed partial class CtrDecoder
{
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
}
