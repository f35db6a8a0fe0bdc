using System.Buffers.Binary;
using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;
using Snappier;

namespace ConnectReconcile.Io.Parquet;

/// <summary>What a row group's column chunk holds, for the footer. Offsets are absolute in the file.</summary>
internal sealed record ChunkMeta(
    int PhysicalType, int Codec, int[] Encodings, long Values, long UncompressedBytes, long CompressedBytes,
    long DataPageOffset, long? DictionaryPageOffset, long Nulls, byte[]? Min, byte[]? Max);

/// <summary>One row group: its chunks in schema order, row count and where it starts.</summary>
internal sealed record RowGroupMeta(IReadOnlyList<ChunkMeta> Columns, long Rows, long Offset);

internal static class ParquetFormat
{
    /// <summary>A Parquet file starts and ends with these four bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "PAR1"u8;
}

/// <summary>
/// Writes flat row classes (the output tables' rows in Rows.cs, audit rows) as Parquet without a value-by-value
/// detour through general-purpose machinery: each column chunk is one v1 data page, Snappy-compressed but for
/// columns of random ids (<see cref="RandomIdsAttribute"/>),
/// strings are dictionary-encoded where that is clearly smaller (a PLAIN dictionary page, RLE indices),
/// everything else is PLAIN; statistics carry null counts and min/max. The schema is the one
/// Parquet.Net's <c>ParquetSerializer</c> infers from the same class (names from JsonPropertyName,
/// strings optional, <c>ParquetDecimal</c> precision/scale, <c>ParquetTimestamp</c> micros), so the
/// documented column contract is unchanged. Why: Parquet.Net spends ~150 ns and ~37 bytes of garbage per
/// value (UTF-8 and big-integer buffers), about 16 s of CPU for the ~110 M values a 1 M-CTR month writes.
/// Rows reach the columns through a <see cref="RowGroupBuilder{T}"/>, a block of rows at a time.
/// Layout reference: the Parquet format specification (parquet.thrift, Encodings.md).
/// </summary>
internal static class FlatParquetWriter<T>
    where T : class
{
    private static readonly Column[] Columns = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .OrderBy(p => p.MetadataToken).Select(Column.For).ToArray();

    // The buffers a row group is written with, kept for the next one. A table's row groups are written
    // one at a time, so one set per table is the rule; a second writer at the same time makes its own.
    // (Kept per thread, they were grown again on every new pool thread: ~55 MB of large-object
    // allocations in a 1 M-CTR replay.)
    private static Scratch? s_spare;

    /// <summary>Rows copied out of a list and added to a builder this many at a time (see <see cref="RowGroupBuilder{T}"/>).</summary>
    internal const int Block = 256;

    internal static ColumnBuffer[] NewBuffers() => Columns.Select(c => c.NewBuffer()).ToArray();

    /// <summary>Adds rows to the columns' buffers (one pass per column over rows that are still in cache).</summary>
    internal static void Append(ReadOnlySpan<T> rows, ColumnBuffer[] buffers)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            Columns[i].Append(rows, buffers[i]);
        }
    }

    /// <summary>Appends one row group at the stream's position (after the magic or the previous group); see the other overload.</summary>
    public static RowGroupMeta WriteRowGroup(Stream stream, IReadOnlyList<T> rows, IncrementalHash? hash = null)
    {
        var scratch = Interlocked.Exchange(ref s_spare, null) ?? new Scratch();
        var builder = scratch.Builder;
        var block = scratch.Rows(Math.Min(Block, rows.Count));
        try
        {
            for (var start = 0; start < rows.Count; start += Block)
            {
                var n = Math.Min(Block, rows.Count - start);
                for (var i = 0; i < n; i++)
                {
                    block[i] = rows[start + i];
                }

                builder.Add(block.AsSpan(0, n));
            }

            return WriteRowGroup(stream, builder, hash, scratch);
        }
        finally
        {
            Array.Clear(block); // the kept array must not keep rows alive
            s_spare = scratch;
        }
    }

    /// <summary>
    /// Appends the builder's rows as one row group at the stream's position (after the magic or the
    /// previous group), adding the bytes written to <paramref name="hash"/> when there is one; the
    /// builder is empty afterwards.
    /// </summary>
    public static RowGroupMeta WriteRowGroup(Stream stream, RowGroupBuilder<T> rows, IncrementalHash? hash = null)
    {
        var scratch = Interlocked.Exchange(ref s_spare, null) ?? new Scratch();
        try
        {
            return WriteRowGroup(stream, rows, hash, scratch);
        }
        finally
        {
            s_spare = scratch;
        }
    }

    private static RowGroupMeta WriteRowGroup(Stream stream, RowGroupBuilder<T> rows, IncrementalHash? hash, Scratch scratch)
    {
        var start = stream.Position;
        var chunks = new ChunkMeta[Columns.Length];
        try
        {
            for (var i = 0; i < Columns.Length; i++)
            {
                scratch.Chunk.Clear();
                scratch.Codec = Columns[i].Codec;
                var chunk = Columns[i].Write(rows.Buffers[i], rows.Count, scratch);
                var at = stream.Position;
                stream.Write(scratch.Chunk.WrittenSpan);
                hash?.AppendData(scratch.Chunk.WrittenSpan);
                chunks[i] = chunk with
                {
                    DataPageOffset = at + chunk.DataPageOffset,
                    DictionaryPageOffset = chunk.DictionaryPageOffset is { } dictionary ? at + dictionary : null,
                };
            }

            return new RowGroupMeta(chunks, rows.Count, start);
        }
        finally
        {
            rows.Clear(); // nor may the buffers keep strings alive
        }
    }

    /// <summary>The footer: FileMetaData, its length, the closing magic.</summary>
    public static byte[] Footer(IReadOnlyList<RowGroupMeta> groups)
    {
        var sink = new ByteSink(4096);
        var w = new ThriftCompactWriter(sink);
        w.I32Field(1, 1);
        w.BeginListField(2, ThriftCompactWriter.Struct, Columns.Length + 1);
        w.BeginListStruct();
        w.StringField(4, "root");
        w.I32Field(5, Columns.Length);
        w.EndStruct();
        foreach (var column in Columns)
        {
            w.BeginListStruct();
            column.WriteSchemaElement(w);
            w.EndStruct();
        }

        w.I64Field(3, groups.Sum(g => g.Rows));
        w.BeginListField(4, ThriftCompactWriter.Struct, groups.Count);
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            w.BeginListStruct();
            w.BeginListField(1, ThriftCompactWriter.Struct, group.Columns.Count);
            for (var c = 0; c < group.Columns.Count; c++)
            {
                WriteColumnChunk(w, Columns[c].Name, group.Columns[c]);
            }

            w.I64Field(2, group.Columns.Sum(c => c.UncompressedBytes));
            w.I64Field(3, group.Rows);
            w.I64Field(5, group.Offset);
            w.I64Field(6, group.Columns.Sum(c => c.CompressedBytes));
            w.I16Field(7, checked((short)g));
            w.EndStruct();
        }

        w.StringField(6, "ConnectReconcile");

        // TypeDefinedOrder for every column: readers may then trust min_value/max_value.
        w.BeginListField(7, ThriftCompactWriter.Struct, Columns.Length);
        foreach (var _ in Columns)
        {
            w.BeginListStruct();
            w.BeginStruct(1);
            w.EndStruct();
            w.EndStruct();
        }

        w.EndMessage();
        var footer = new byte[sink.Length + 8];
        sink.WrittenSpan.CopyTo(footer);
        BinaryPrimitives.WriteInt32LittleEndian(footer.AsSpan(sink.Length), sink.Length);
        ParquetFormat.Magic.CopyTo(footer.AsSpan(sink.Length + 4));
        return footer;
    }

    private static void WriteColumnChunk(ThriftCompactWriter w, string name, ChunkMeta chunk)
    {
        w.BeginListStruct();
        w.I64Field(2, chunk.DictionaryPageOffset ?? chunk.DataPageOffset);
        w.BeginStruct(3);
        w.I32Field(1, chunk.PhysicalType);
        w.BeginListField(2, ThriftCompactWriter.I32, chunk.Encodings.Length);
        foreach (var encoding in chunk.Encodings)
        {
            w.I32Element(encoding);
        }

        w.BeginListField(3, ThriftCompactWriter.Binary, 1);
        w.BinaryValue(Encoding.UTF8.GetBytes(name));
        w.I32Field(4, chunk.Codec);
        w.I64Field(5, chunk.Values);
        w.I64Field(6, chunk.UncompressedBytes);
        w.I64Field(7, chunk.CompressedBytes);
        w.I64Field(9, chunk.DataPageOffset);
        if (chunk.DictionaryPageOffset is { } dictionary)
        {
            w.I64Field(11, dictionary);
        }

        w.BeginStruct(12);
        w.I64Field(3, chunk.Nulls);
        if (chunk.Max is { } max && chunk.Min is { } min)
        {
            w.BinaryField(5, max);
            w.BinaryField(6, min);
        }

        w.EndStruct();
        w.EndStruct();
        w.EndStruct();
    }

    /// <summary>Buffers reused across chunks and row groups, so a row group allocates little beyond its metadata.</summary>
    private sealed class Scratch
    {
        private RowGroupBuilder<T>? _builder;

        public readonly ByteSink Body = new();
        public readonly ByteSink Chunk = new();
        public readonly ByteSink Header = new(256);
        public readonly Dictionary<string, int> Dictionary = new(StringComparer.Ordinal);
        public readonly List<string> DictionaryValues = [];

        // In front of Dictionary: a value's index by the string instance, one slot per identity-hash bucket.
        // A column's few distinct values are mostly the same few instances (pooled while parsing, or
        // constants), so most rows find theirs here without hashing their characters.
        public readonly string?[] KnownInstances = new string?[256];
        public readonly int[] KnownIndices = new int[256];
        public byte[] Compressed = new byte[64 * 1024];

        /// <summary>The codec of the chunk being written (its column's).</summary>
        public int Codec;
        private ThriftCompactWriter? _headerWriter;
        private int[] _indices = [];
        private int[] _starts = [];
        private bool[] _present = [];
        private T[] _rows = [];

        /// <summary>Column buffers for rows given as a list.</summary>
        public RowGroupBuilder<T> Builder => _builder ??= new RowGroupBuilder<T>();

        public T[] Rows(int n) => ColumnBuffer.Sized(ref _rows, n);

        public int[] Indices(int n) => ColumnBuffer.Sized(ref _indices, n);

        /// <summary>n + 1 slots: where each PLAIN string starts in the body, then the end.</summary>
        public int[] Starts(int n) => ColumnBuffer.Sized(ref _starts, n + 1);

        public bool[] Present(int n) => ColumnBuffer.Sized(ref _present, n);

        public ThriftCompactWriter HeaderWriter => _headerWriter ??= new ThriftCompactWriter(Header);
    }

    private static class Codec
    {
        public const int Uncompressed = 0;
        public const int Snappy = 1;
    }

    private static class PageType
    {
        public const int Data = 0;
        public const int Dictionary = 2;
    }

    private static class PageEncoding
    {
        public const int Plain = 0;
        public const int PlainDictionary = 2;
        public const int Rle = 3;
    }

    private static class Physical
    {
        public const int Boolean = 0;
        public const int Int32 = 1;
        public const int Int64 = 2;
        public const int ByteArray = 6;
        public const int FixedLenByteArray = 7;
    }

    /// <summary>A property's getter as one open-instance delegate: the nullable property's, or the plain one's.</summary>
    private readonly struct Getter<TValue>(MethodInfo getter, bool optional)
        where TValue : struct
    {
        private readonly Func<T, TValue>? _required = optional ? null : getter.CreateDelegate<Func<T, TValue>>();
        private readonly Func<T, TValue?>? _optional = optional ? getter.CreateDelegate<Func<T, TValue?>>() : null;

        public bool TryGet(T row, out TValue value)
        {
            if (_required is { } required)
            {
                value = required(row);
                return true;
            }

            var maybe = _optional!(row);
            value = maybe.GetValueOrDefault();
            return maybe.HasValue;
        }
    }

    private abstract class Column(string name, bool optional)
    {
        public string Name => name;

        public int Codec { get; private init; } = FlatParquetWriter<T>.Codec.Snappy;

        public static Column For(PropertyInfo property)
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.Name;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var optional = type != property.PropertyType || type == typeof(string);
            var getter = property.GetGetMethod()!;
            if (type == typeof(string))
            {
                var randomIds = property.IsDefined(typeof(RandomIdsAttribute));
                return new StringColumn(name, getter.CreateDelegate<Func<T, string?>>(), randomIds)
                {
                    Codec = randomIds ? FlatParquetWriter<T>.Codec.Uncompressed : FlatParquetWriter<T>.Codec.Snappy,
                };
            }

            if (type == typeof(bool) && !optional)
            {
                return new BoolColumn(name, getter.CreateDelegate<Func<T, bool>>());
            }

            if (type == typeof(int))
            {
                return new IntegerColumn<int, AsInt32>(name, optional, new(getter, optional), Physical.Int32, ConvertedType.Int32, LogicalInteger(32));
            }

            if (type == typeof(DateOnly))
            {
                return new IntegerColumn<DateOnly, AsDays>(name, optional, new(getter, optional), Physical.Int32, ConvertedType.Date, w =>
                {
                    w.BeginStruct(6);
                    w.EndStruct();
                });
            }

            if (type == typeof(long))
            {
                return new IntegerColumn<long, AsInt64>(name, optional, new(getter, optional), Physical.Int64, ConvertedType.Int64, LogicalInteger(64));
            }

            if (type == typeof(DateTime) && property.GetCustomAttribute<ParquetTimestampAttribute>() is { Resolution: ParquetTimestampResolution.Microseconds })
            {
                return new IntegerColumn<DateTime, AsMicros>(name, optional, new(getter, optional), Physical.Int64, ConvertedType.TimestampMicros, null);
            }

            if (type == typeof(decimal) && property.GetCustomAttribute<ParquetDecimalAttribute>() is { } dec)
            {
                return dec.Precision <= 18
                    ? new IntegerColumn<decimal, AsUnscaled64>(name, optional, new(getter, optional), Physical.Int64, ConvertedType.Decimal, w => DecimalLogical(w, dec), dec)
                    : new FixedDecimalColumn(name, optional, new(getter, optional), dec);
            }

            throw new NotSupportedException($"{typeof(T).Name}.{property.Name}: {property.PropertyType} has no Parquet mapping here.");
        }

        public abstract ColumnBuffer NewBuffer();

        /// <summary>Adds the rows' values to the buffer (made by <see cref="NewBuffer"/>).</summary>
        public abstract void Append(ReadOnlySpan<T> rows, ColumnBuffer buffer);

        /// <summary>The chunk of the buffer's <paramref name="rows"/> values, in <see cref="Scratch.Chunk"/>.</summary>
        public abstract ChunkMeta Write(ColumnBuffer buffer, int rows, Scratch scratch);

        public abstract void WriteSchemaElement(ThriftCompactWriter w);

        /// <summary>The schema element's fields shared by every column (type, repetition, name, ...).</summary>
        protected void SchemaElement(ThriftCompactWriter w, int physical, int? typeLength, int? converted, ParquetDecimalAttribute? dec, Action<ThriftCompactWriter>? logical)
        {
            w.I32Field(1, physical);
            if (typeLength is { } length)
            {
                w.I32Field(2, length);
            }

            w.I32Field(3, optional ? 1 : 0);
            w.StringField(4, name);
            if (converted is { } c)
            {
                w.I32Field(6, c);
            }

            if (dec is not null)
            {
                w.I32Field(7, dec.Scale);
                w.I32Field(8, dec.Precision);
            }

            if (logical is not null)
            {
                w.BeginStruct(10);
                logical(w);
                w.EndStruct();
            }
        }

        /// <summary>
        /// Finishes a chunk: the body in <see cref="Scratch.Body"/> becomes one compressed data page after
        /// an optional dictionary page already in <see cref="Scratch.Chunk"/>.
        /// </summary>
        protected static ChunkMeta DataPage(Scratch scratch, int physical, int encoding, int values, long nulls, byte[]? min, byte[]? max, long? dictionaryOffset, long dictionaryBytes)
        {
            var dataOffset = scratch.Chunk.Length;
            var uncompressed = dictionaryBytes + Page(scratch, PageType.Data, 5, h =>
            {
                h.I32Field(1, values);
                h.I32Field(2, encoding);
                h.I32Field(3, PageEncoding.Rle);
                h.I32Field(4, PageEncoding.Rle);
            });
            int[] encodings = encoding == PageEncoding.Plain ? [PageEncoding.Plain, PageEncoding.Rle] : [PageEncoding.PlainDictionary, PageEncoding.Rle];
            return new ChunkMeta(physical, scratch.Codec, encodings, values, uncompressed, scratch.Chunk.Length, dataOffset, dictionaryOffset, nulls, min, max);
        }

        /// <summary>Writes the PLAIN values in <see cref="Scratch.Body"/> as a dictionary page; returns its uncompressed size with header.</summary>
        protected static long DictionaryPage(Scratch scratch, int count) => Page(scratch, PageType.Dictionary, 7, h =>
        {
            h.I32Field(1, count);
            h.I32Field(2, PageEncoding.PlainDictionary);
        });

        /// <summary>
        /// Appends the body to the chunk as one page in the chunk's codec: the PageHeader (type, sizes, then the
        /// type's own header struct in <paramref name="headerField"/>), then the compressed bytes.
        /// Returns the page's uncompressed size with its header, as the footer counts it.
        /// </summary>
        private static long Page(Scratch scratch, int type, short headerField, Action<ThriftCompactWriter> typeHeader)
        {
            var h = scratch.HeaderWriter;
            var compressed = scratch.Codec == FlatParquetWriter<T>.Codec.Snappy ? Compress(scratch) : scratch.Body.WrittenSpan;
            scratch.Header.Clear();
            h.I32Field(1, type);
            h.I32Field(2, scratch.Body.Length);
            h.I32Field(3, compressed.Length);
            h.BeginStruct(headerField);
            typeHeader(h);
            h.EndStruct();
            h.EndMessage();
            scratch.Chunk.Append(scratch.Header.WrittenSpan);
            scratch.Chunk.Append(compressed);
            return scratch.Header.Length + scratch.Body.Length;
        }

        /// <summary>
        /// Definition levels (bit width 1) of an optional column, length-prefixed as v1 pages want: one RLE
        /// run when all values or none are present, else bit-packed groups of eight.
        /// </summary>
        protected void Levels(ByteSink body, ReadOnlySpan<bool> present, int nulls)
        {
            if (!optional)
            {
                return;
            }

            var lengthAt = body.Length;
            body.AppendInt32(0);
            if (nulls == 0 || nulls == present.Length)
            {
                body.AppendVarUInt((ulong)present.Length << 1);
                body.AppendByte(nulls == 0 ? (byte)1 : (byte)0);
            }
            else
            {
                var groups = (present.Length + 7) / 8;
                body.AppendVarUInt(((ulong)groups << 1) | 1);
                var bits = body.GetSpan(groups)[..groups];
                bits.Clear();
                for (var i = 0; i < present.Length; i++)
                {
                    if (present[i])
                    {
                        bits[i >> 3] |= (byte)(1 << (i & 7));
                    }
                }

                body.Advance(groups);
            }

            body.PatchInt32(lengthAt, body.Length - lengthAt - 4);
        }

        /// <summary>
        /// Adds the rows' present values, converted, to <paramref name="buffer"/> (nulls only in its
        /// presence flags). Generic over the conversion so each column's loop is compiled for its type.
        /// </summary>
        protected static void Append<TValue, TOut, TConvert>(ReadOnlySpan<T> rows, Getter<TValue> get, int scale, Values<TOut> buffer)
            where TValue : struct
            where TOut : struct, INumber<TOut>, IMinMaxValue<TOut>
            where TConvert : struct, IConversion<TValue, TOut>
        {
            var values = buffer.Reserve(rows.Length, out var present);
            var n = buffer.Count;
            var (min, max) = (buffer.Min, buffer.Max);
            for (var i = 0; i < rows.Length; i++)
            {
                if (get.TryGet(rows[i], out var value))
                {
                    var v = TConvert.Convert(value, scale);
                    values[n++] = v;
                    min = TOut.Min(min, v);
                    max = TOut.Max(max, v);
                    present[i] = true;
                }
                else
                {
                    present[i] = false;
                }
            }

            buffer.Added(rows.Length, n, min, max);
        }

        private static ReadOnlySpan<byte> Compress(Scratch scratch)
        {
            var max = Snappy.GetMaxCompressedLength(scratch.Body.Length);
            if (scratch.Compressed.Length < max)
            {
                scratch.Compressed = new byte[Math.Max(max, scratch.Compressed.Length * 2)];
            }

            var length = Snappy.Compress(scratch.Body.WrittenSpan, scratch.Compressed);
            return scratch.Compressed.AsSpan(0, length);
        }

        private static Action<ThriftCompactWriter> LogicalInteger(sbyte bits) => w =>
        {
            w.BeginStruct(10);
            w.I8Field(1, bits);
            w.BoolField(2, true);
            w.EndStruct();
        };

        protected static void DecimalLogical(ThriftCompactWriter w, ParquetDecimalAttribute dec)
        {
            w.BeginStruct(5);
            w.I32Field(1, dec.Scale);
            w.I32Field(2, dec.Precision);
            w.EndStruct();
        }

        protected static class ConvertedType
        {
            public const int Utf8 = 0;
            public const int Decimal = 5;
            public const int Date = 6;
            public const int TimestampMicros = 10;
            public const int Int32 = 17;
            public const int Int64 = 18;
        }
    }

    private sealed class StringColumn(string name, Func<T, string?> get, bool randomIds) : Column(name, optional: true)
    {
        // Dictionary-encode when that makes the page clearly smaller: the distinct values once, then a
        // run of indices per change of value, under three quarters of every value PLAIN (Snappy
        // shortens a PLAIN page's adjacent repeats too, so a small gain is none). Ids on a chain's
        // several adjacent rows qualify (charges, segments), ids on one or two rows do not. Checked
        // on lengths in chars (the values are ASCII but for names), before anything is encoded, and
        // first on the first Sample values, so a column of ids unique to their rows stops there.
        private const int Sample = 1024;

        public override void WriteSchemaElement(ThriftCompactWriter w) =>
            SchemaElement(w, Physical.ByteArray, null, ConvertedType.Utf8, null, static w =>
            {
                w.BeginStruct(1);
                w.EndStruct();
            });

        public override ColumnBuffer NewBuffer() => new Items<string?>();

        public override void Append(ReadOnlySpan<T> rows, ColumnBuffer buffer) => ((Items<string?>)buffer).Add(rows, get);

        public override ChunkMeta Write(ColumnBuffer buffer, int rows, Scratch scratch)
        {
            var values = ((Items<string?>)buffer).Values;
            var present = scratch.Present(rows).AsSpan(0, rows);
            var nulls = 0;
            for (var i = 0; i < values.Length; i++)
            {
                present[i] = values[i] is not null;
                nulls += present[i] ? 0 : 1;
            }

            return TryDictionary(values, present, nulls, scratch) ?? Plain(values, present, nulls, scratch);
        }

        private ChunkMeta? TryDictionary(ReadOnlySpan<string?> values, ReadOnlySpan<bool> present, int nulls, Scratch scratch)
        {
            var dictionary = scratch.Dictionary;
            var distinct = scratch.DictionaryValues;
            dictionary.Clear();
            distinct.Clear();
            var (known, knownAt) = (scratch.KnownInstances, scratch.KnownIndices);
            Array.Clear(known);
            var indices = scratch.Indices(values.Length);
            var count = 0;
            long plainChars = 0, distinctChars = 0;
            var runs = 0;
            string? last = null;
            var (lastIndex, lastLength) = (-1, 0);
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                if (!ReferenceEquals(value, last))
                {
                    // Random ids are mostly new to the row group: their identity hash would be made (written
                    // into each string's header, a cache miss on old strings) only to miss the cache.
                    var slot = randomIds ? -1 : RuntimeHelpers.GetHashCode(value) & (known.Length - 1);
                    int at;
                    if (slot >= 0 && ReferenceEquals(known[slot], value))
                    {
                        at = knownAt[slot];
                    }
                    else
                    {
                        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(dictionary, value, out var exists);
                        if (!exists)
                        {
                            entry = distinct.Count;
                            distinct.Add(value);
                            distinctChars += 4 + value.Length;
                        }

                        at = entry;
                        if (slot >= 0)
                        {
                            (known[slot], knownAt[slot]) = (value, at);
                        }
                    }

                    runs += at == lastIndex ? 0 : 1;
                    (last, lastIndex, lastLength) = (value, at, value.Length);
                }

                plainChars += 4 + lastLength; // from the run's first value: a row's string may be far off in memory
                indices[count++] = lastIndex;
                if (count == Sample && !Smaller(distinct.Count, distinctChars, runs, plainChars))
                {
                    return null; // ids unique to their rows: decided on the first values, without hashing every one
                }
            }

            if (distinct.Count == 0 || !Smaller(distinct.Count, distinctChars, runs, plainChars))
            {
                return null; // all null (the PLAIN page is levels only), or not clearly smaller
            }

            // Dictionary page: the distinct values, PLAIN.
            scratch.Body.Clear();
            var (min, max) = (-1, -1);
            var starts = scratch.Starts(distinct.Count);
            for (var i = 0; i < distinct.Count; i++)
            {
                starts[i] = scratch.Body.Length;
                AppendPlain(scratch.Body, distinct[i]);
                (min, max) = Track(scratch.Body, starts, i, min, max);
            }

            starts[distinct.Count] = scratch.Body.Length;
            var minValue = min < 0 ? null : Slice(scratch.Body, starts, min);
            var maxValue = max < 0 ? null : Slice(scratch.Body, starts, max);
            var dictionaryBytes = DictionaryPage(scratch, distinct.Count);

            // Data page: definition levels, then the bit width and RLE runs of dictionary indices.
            scratch.Body.Clear();
            Levels(scratch.Body, present, nulls);
            var width = IndexBitWidth(distinct.Count);
            scratch.Body.AppendByte((byte)width);
            var byteWidth = (width + 7) / 8;
            Span<byte> index = stackalloc byte[4];
            for (var i = 0; i < count;)
            {
                var run = 1;
                while (i + run < count && indices[i + run] == indices[i])
                {
                    run++;
                }

                scratch.Body.AppendVarUInt((ulong)run << 1);
                BinaryPrimitives.WriteInt32LittleEndian(index, indices[i]);
                scratch.Body.Append(index[..byteWidth]);
                i += run;
            }

            return DataPage(scratch, Physical.ByteArray, PageEncoding.PlainDictionary, values.Length, nulls, minValue, maxValue, 0, dictionaryBytes);
        }

        /// <summary>Whether the dictionary (values once, then a run length and an index per run) is under 3/4 of PLAIN.</summary>
        private static bool Smaller(int distinct, long distinctChars, int runs, long plainChars)
        {
            var indexBytes = (IndexBitWidth(distinct) + 7) / 8;
            return 4 * (distinctChars + ((long)runs * (1 + indexBytes))) < 3 * plainChars;
        }

        /// <summary>The bit width of dictionary indices below <paramref name="distinct"/> (at least 1).</summary>
        private static int IndexBitWidth(int distinct) => Math.Max(1, 32 - BitOperations.LeadingZeroCount((uint)Math.Max(0, distinct - 1)));

        private ChunkMeta Plain(ReadOnlySpan<string?> values, ReadOnlySpan<bool> present, int nulls, Scratch scratch)
        {
            scratch.Body.Clear();
            Levels(scratch.Body, present, nulls);
            var (min, max) = (-1, -1);
            var starts = scratch.Starts(values.Length);
            var n = 0;
            string? last = null;
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                starts[n] = scratch.Body.Length;
                if (ReferenceEquals(value, last))
                {
                    // The same id on adjacent rows (a chain's rows): copy its bytes; min and max cannot change.
                    var length = starts[n] - starts[n - 1];
                    var target = scratch.Body.GetSpan(length);
                    scratch.Body.WrittenSpan.Slice(starts[n - 1], length).CopyTo(target);
                    scratch.Body.Advance(length);
                }
                else
                {
                    AppendPlain(scratch.Body, value);
                    (min, max) = Track(scratch.Body, starts, n, min, max);
                    last = value;
                }

                n++;
            }

            starts[n] = scratch.Body.Length;
            var minValue = min < 0 ? null : Slice(scratch.Body, starts, min);
            var maxValue = max < 0 ? null : Slice(scratch.Body, starts, max);
            return DataPage(scratch, Physical.ByteArray, PageEncoding.Plain, values.Length, nulls, minValue, maxValue, null, 0);
        }

        private static void AppendPlain(ByteSink body, string value)
        {
            var span = body.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
            var length = Encoding.UTF8.GetBytes(value, span[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(span, length);
            body.Advance(4 + length);
        }

        /// <summary>Min/max by unsigned byte order of the UTF-8 bytes (the order the format defines for strings).</summary>
        private static (int Min, int Max) Track(ByteSink body, int[] starts, int i, int min, int max)
        {
            var value = Bytes(body, starts[i], body.Length);
            if (min < 0)
            {
                return (i, i);
            }

            if (value.SequenceCompareTo(Bytes(body, starts[min], starts[min + 1])) < 0)
            {
                min = i;
            }

            if (value.SequenceCompareTo(Bytes(body, starts[max], starts[max + 1])) > 0)
            {
                max = i;
            }

            return (min, max);
        }

        private static ReadOnlySpan<byte> Bytes(ByteSink body, int start, int end) => body.WrittenSpan[(start + 4)..end];

        private static byte[] Slice(ByteSink body, int[] starts, int i) => Bytes(body, starts[i], starts[i + 1]).ToArray();
    }

    private sealed class BoolColumn(string name, Func<T, bool> get) : Column(name, optional: false)
    {
        public override void WriteSchemaElement(ThriftCompactWriter w) => SchemaElement(w, Physical.Boolean, null, null, null, null);

        public override ColumnBuffer NewBuffer() => new Items<bool>();

        public override void Append(ReadOnlySpan<T> rows, ColumnBuffer buffer) => ((Items<bool>)buffer).Add(rows, get);

        public override ChunkMeta Write(ColumnBuffer buffer, int rows, Scratch scratch)
        {
            var values = ((Items<bool>)buffer).Values;
            scratch.Body.Clear();
            var bytes = (rows + 7) / 8;
            var bits = scratch.Body.GetSpan(bytes)[..bytes];
            bits.Clear();
            var trues = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i])
                {
                    bits[i >> 3] |= (byte)(1 << (i & 7));
                    trues++;
                }
            }

            scratch.Body.Advance(bytes);
            // Statistics as for any column (false < true, one byte each), so a reader can skip a row
            // group of `WHERE orphan` with no orphan in it.
            byte[]? min = rows == 0 ? null : [trues == rows ? (byte)1 : (byte)0];
            byte[]? max = rows == 0 ? null : [trues > 0 ? (byte)1 : (byte)0];
            return DataPage(scratch, Physical.Boolean, PageEncoding.Plain, rows, 0, min, max, null, 0);
        }
    }

    /// <summary>INT32 or INT64 values, PLAIN (little-endian, as is this machine), gathered as longs.</summary>
    private sealed class IntegerColumn<TValue, TConvert>(string name, bool optional, Getter<TValue> get, int physical, int converted, Action<ThriftCompactWriter>? logical, ParquetDecimalAttribute? dec = null)
        : Column(name, optional)
        where TValue : struct
        where TConvert : struct, IConversion<TValue, long>
    {
        private readonly int _scale = dec?.Scale ?? 0;

        public override void WriteSchemaElement(ThriftCompactWriter w) => SchemaElement(w, physical, null, converted, dec, logical);

        public override ColumnBuffer NewBuffer() => new Values<long>();

        public override void Append(ReadOnlySpan<T> rows, ColumnBuffer buffer) => Append<TValue, long, TConvert>(rows, get, _scale, (Values<long>)buffer);

        public override ChunkMeta Write(ColumnBuffer buffer, int rows, Scratch scratch)
        {
            var (values, present, n, min, max) = (Values<long>)buffer;
            scratch.Body.Clear();
            Levels(scratch.Body, present, present.Length - n);
            if (physical == Physical.Int64)
            {
                scratch.Body.Append(MemoryMarshal.AsBytes(values.AsSpan(0, n)));
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    scratch.Body.AppendInt32(checked((int)values[i]));
                }
            }

            return DataPage(scratch, physical, PageEncoding.Plain, present.Length, present.Length - n, n == 0 ? null : Le(min), n == 0 ? null : Le(max), null, 0);
        }

        private byte[] Le(long value) => physical == Physical.Int64 ? BitConverter.GetBytes(value) : BitConverter.GetBytes(checked((int)value));
    }

    /// <summary>DECIMAL wider than 18 digits: big-endian two's complement in the fewest bytes that hold the precision.</summary>
    private sealed class FixedDecimalColumn(string name, bool optional, Getter<decimal> get, ParquetDecimalAttribute dec) : Column(name, optional)
    {
        private readonly int _length = BytesFor(dec.Precision);

        public override void WriteSchemaElement(ThriftCompactWriter w) =>
            SchemaElement(w, Physical.FixedLenByteArray, _length, ConvertedType.Decimal, dec, w => DecimalLogical(w, dec));

        public override ColumnBuffer NewBuffer() => new Values<Int128>();

        public override void Append(ReadOnlySpan<T> rows, ColumnBuffer buffer) => Append<decimal, Int128, AsUnscaled128>(rows, get, dec.Scale, (Values<Int128>)buffer);

        public override ChunkMeta Write(ColumnBuffer buffer, int rows, Scratch scratch)
        {
            var (values, present, n, min, max) = (Values<Int128>)buffer;
            scratch.Body.Clear();
            Levels(scratch.Body, present, present.Length - n);
            var bytes = scratch.Body.GetSpan(n * _length);
            Span<byte> full = stackalloc byte[16];
            for (var i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteInt128BigEndian(full, values[i]);
                full[(16 - _length)..].CopyTo(bytes[(i * _length)..]);
            }

            scratch.Body.Advance(n * _length);
            return DataPage(scratch, Physical.FixedLenByteArray, PageEncoding.Plain, present.Length, present.Length - n, n == 0 ? null : Be(min), n == 0 ? null : Be(max), null, 0);
        }

        /// <summary>The fewest bytes whose two's complement holds every value of the precision.</summary>
        private static int BytesFor(int precision)
        {
            var length = 1;
            while (BigInteger.Pow(2, (8 * length) - 1) < BigInteger.Pow(10, precision))
            {
                length++;
            }

            return length;
        }

        private byte[] Be(Int128 v)
        {
            var full = new byte[16];
            BinaryPrimitives.WriteInt128BigEndian(full, v);
            return full[(16 - _length)..];
        }
    }
}

/// <summary>One column's values of a row group being built (<see cref="RowGroupBuilder{T}"/>).</summary>
internal abstract class ColumnBuffer
{
    public abstract void Clear();

    /// <summary>Adds another buffer's values (of the same column) after this one's.</summary>
    public abstract void Add(ColumnBuffer other);

    /// <summary>The array, grown (doubling) to at least <paramref name="n"/> slots.</summary>
    public static TValue[] Sized<TValue>(ref TValue[] array, int n)
    {
        if (array.Length < n)
        {
            Array.Resize(ref array, Math.Max(n, array.Length * 2));
        }

        return array;
    }
}

/// <summary>Values kept as they are, one per row (strings, with null for a missing one; booleans).</summary>
internal sealed class Items<TValue> : ColumnBuffer
{
    private TValue[] _items = new TValue[1024];

    public int Count { get; private set; }

    public ReadOnlySpan<TValue> Values => _items.AsSpan(0, Count);

    public void Add<TRow>(ReadOnlySpan<TRow> rows, Func<TRow, TValue> get)
    {
        var values = Sized(ref _items, Count + rows.Length).AsSpan(Count, rows.Length);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = get(rows[i]);
        }

        Count += rows.Length;
    }

    public override void Clear()
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TValue>())
        {
            Array.Clear(_items, 0, Count); // a reused buffer must not keep strings alive
        }

        Count = 0;
    }

    public override void Add(ColumnBuffer other)
    {
        var from = (Items<TValue>)other;
        from.Values.CopyTo(Sized(ref _items, Count + from.Count).AsSpan(Count));
        Count += from.Count;
    }
}

/// <summary>Numeric values: the present ones packed, a presence flag per row, and their min and max so far.</summary>
internal sealed class Values<TOut> : ColumnBuffer
    where TOut : struct, INumber<TOut>, IMinMaxValue<TOut>
{
    private TOut[] _items = new TOut[1024];
    private bool[] _present = new bool[1024];
    private int _rows;

    public int Count { get; private set; }

    public TOut Min { get; private set; } = TOut.MaxValue;

    public TOut Max { get; private set; } = TOut.MinValue;

    /// <summary>Room for <paramref name="rows"/> more values after <see cref="Count"/>, and their presence flags.</summary>
    public TOut[] Reserve(int rows, out Span<bool> present)
    {
        present = ColumnBuffer.Sized(ref _present, _rows + rows).AsSpan(_rows, rows);
        return ColumnBuffer.Sized(ref _items, Count + rows);
    }

    public void Added(int rows, int count, TOut min, TOut max) => (_rows, Count, Min, Max) = (_rows + rows, count, min, max);

    public void Deconstruct(out TOut[] values, out ReadOnlySpan<bool> present, out int count, out TOut min, out TOut max)
    {
        (values, count, min, max) = (_items, Count, Min, Max);
        present = _present.AsSpan(0, _rows);
    }

    public override void Clear() => (_rows, Count, Min, Max) = (0, 0, TOut.MaxValue, TOut.MinValue);

    public override void Add(ColumnBuffer other)
    {
        var from = (Values<TOut>)other;
        var values = Reserve(from._rows, out var present);
        from._items.AsSpan(0, from.Count).CopyTo(values.AsSpan(Count));
        from._present.AsSpan(0, from._rows).CopyTo(present);
        Added(from._rows, Count + from.Count, TOut.Min(Min, from.Min), TOut.Max(Max, from.Max));
    }
}

/// <summary>
/// A row group's values column by column, added a block of rows at a time, so a caller can map its
/// output into a small block of reused rows (still in cache while every column reads them) and
/// build a row group in parts, joined in order.
/// </summary>
internal sealed class RowGroupBuilder<T>
    where T : class
{
    internal ColumnBuffer[] Buffers { get; } = FlatParquetWriter<T>.NewBuffers();

    public int Count { get; private set; }

    public void Add(ReadOnlySpan<T> rows)
    {
        FlatParquetWriter<T>.Append(rows, Buffers);
        Count += rows.Length;
    }

    /// <summary>Moves another builder's rows after this one's (the other is empty afterwards).</summary>
    public void Add(RowGroupBuilder<T> other)
    {
        for (var i = 0; i < Buffers.Length; i++)
        {
            Buffers[i].Add(other.Buffers[i]);
        }

        Count += other.Count;
        other.Clear();
    }

    public void Clear()
    {
        foreach (var buffer in Buffers)
        {
            buffer.Clear();
        }

        Count = 0;
    }
}

/// <summary>How a property's value becomes its column's physical value (static, so each gather loop is compiled for its column type).</summary>
internal interface IConversion<TValue, TOut>
{
    static abstract TOut Convert(TValue value, int scale);
}

internal readonly struct AsInt32 : IConversion<int, long>
{
    public static long Convert(int value, int scale) => value;
}

internal readonly struct AsInt64 : IConversion<long, long>
{
    public static long Convert(long value, int scale) => value;
}

/// <summary>DATE: days since 1970-01-01.</summary>
internal readonly struct AsDays : IConversion<DateOnly, long>
{
    private const int UnixEpochDay = 719162; // DateOnly(1970, 1, 1).DayNumber

    public static long Convert(DateOnly value, int scale) => value.DayNumber - UnixEpochDay;
}

/// <summary>TIMESTAMP(MICROS): microseconds since the Unix epoch.</summary>
internal readonly struct AsMicros : IConversion<DateTime, long>
{
    public static long Convert(DateTime value, int scale) => (value.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}

/// <summary>DECIMAL of up to 18 digits as INT64.</summary>
internal readonly struct AsUnscaled64 : IConversion<decimal, long>
{
    public static long Convert(decimal value, int scale) => checked((long)AsUnscaled128.Convert(value, scale));
}

/// <summary>DECIMAL as its unscaled 128-bit integer.</summary>
internal readonly struct AsUnscaled128 : IConversion<decimal, Int128>
{
    private static readonly Int128[] PowersOfTen = Enumerable.Range(0, 39).Select(i => Int128.CreateChecked(BigInteger.Pow(10, i))).ToArray();

    /// <summary>
    /// The value × 10^scale, truncated toward zero (as Parquet.Net stores decimals): first truncated to
    /// the scale in decimal arithmetic (exact, and cheaper than dividing the 128-bit mantissa), then the
    /// 96-bit mantissa scaled up, so no rounding in between.
    /// </summary>
    public static Int128 Convert(decimal value, int scale)
    {
        if (value.Scale > scale)
        {
            value = decimal.Round(value, scale, MidpointRounding.ToZero);
        }

        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = (Int128)(((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0]);
        var unscaled = mantissa * PowersOfTen[scale - value.Scale];
        return bits[3] < 0 ? -unscaled : unscaled;
    }
}
