using System.Buffers.Binary;
using System.IO.Compression;

namespace ConnectReconcile.Io.Decoding;

/// <summary>
/// Inflates gzip (every member) and, once read to the end, tells whether the compressed bytes ended
/// like a whole gzip object. .NET's <see cref="GZipStream"/> ends quietly when the compressed bytes
/// stop early (its truncation check was reverted upstream, dotnet/runtime #72742) or go on with bytes
/// that are not gzip, so a file cut between two records or lines would otherwise lose the rest
/// unreported. Which of the two it was, the trailer cannot tell.
/// </summary>
internal sealed class CheckedGzipStream(Stream compressed, bool leaveOpen) : ReadOnlyStream
{
    private readonly TailStream _tail = new(compressed);
    private GZipStream? _inflater;
    private long _inflated;

    /// <summary>
    /// After the end: whether the bytes read end like a whole gzip object that inflated to what was
    /// read here. The trailer's ISIZE (the length mod 2^32 of the last member's output) is never more
    /// than the whole output; the last four bytes of a cut object are compressed data, as likely to
    /// hold any value: one at or below a few megabytes once in a thousand times or less. (18 bytes:
    /// the smallest header and trailer.) Counted in inflated bytes, not in the text above: UTF-16
    /// input is transcoded after this.
    /// </summary>
    public bool EndsWhole => _tail.BytesRead >= 18 && _tail.LastFourBytes <= _inflated;

    private GZipStream Inflater => _inflater ??= new GZipStream(_tail, CompressionMode.Decompress, leaveOpen: true);

    public override int Read(Span<byte> buffer)
    {
        var n = Inflater.Read(buffer);
        _inflated += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await Inflater.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _inflated += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inflater?.Dispose();
            if (!leaveOpen)
            {
                compressed.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Passes reads through and keeps the last eight bytes: a whole gzip object ends with a trailer.</summary>
    private sealed class TailStream(Stream inner) : ReadOnlyStream
    {
        private readonly byte[] _tail = new byte[8];

        public long BytesRead { get; private set; }

        /// <summary>ISIZE, if the bytes read so far ended the object.</summary>
        public uint LastFourBytes => BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4));

        public override int Read(Span<byte> buffer) => Keep(buffer, inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Keep(buffer.Span, n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Keep(Span<byte> buffer, int n)
        {
            if (n >= _tail.Length)
            {
                buffer.Slice(n - _tail.Length, _tail.Length).CopyTo(_tail);
            }
            else if (n > 0)
            {
                _tail.AsSpan(n).CopyTo(_tail); // shift left by n
                buffer[..n].CopyTo(_tail.AsSpan(_tail.Length - n));
            }

            BytesRead += n;
            return n;
        }
    }
}

/// <summary>What the decoder's streams share: they only read, and (but for a peek-back) forward.</summary>
internal abstract class ReadOnlyStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public abstract override int Read(Span<byte> buffer);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
