namespace ConnectReconcile.Io.Parquet;

/// <summary>
/// The part of Thrift's compact protocol that Parquet's footer and page headers need (structs, i8/i16/
/// i32/i64, bool, binary, lists). Parquet.Net's own Thrift writer is internal, so page headers and the
/// footer are written here; <see cref="FlatParquetWriter{T}"/> documents the layout.
/// </summary>
internal sealed class ThriftCompactWriter(ByteSink sink)
{
    public const byte Bool = 1;
    public const byte I8 = 3;
    public const byte I16 = 4;
    public const byte I32 = 5;
    public const byte I64 = 6;
    public const byte Binary = 8;
    public const byte List = 9;
    public const byte Struct = 12;

    private readonly Stack<short> _lastIds = new();
    private short _lastId;

    public void BeginStruct(short id)
    {
        FieldHeader(id, Struct);
        _lastIds.Push(_lastId);
        _lastId = 0;
    }

    /// <summary>A struct that is an element of a list (no field header).</summary>
    public void BeginListStruct()
    {
        _lastIds.Push(_lastId);
        _lastId = 0;
    }

    public void EndStruct()
    {
        sink.AppendByte(0);
        _lastId = _lastIds.Pop();
    }

    public void I8Field(short id, sbyte value)
    {
        FieldHeader(id, I8);
        sink.AppendByte((byte)value);
    }

    public void I16Field(short id, short value)
    {
        FieldHeader(id, I16);
        sink.AppendVarUInt(ZigZag(value));
    }

    public void I32Field(short id, int value)
    {
        FieldHeader(id, I32);
        sink.AppendVarUInt(ZigZag(value));
    }

    public void I64Field(short id, long value)
    {
        FieldHeader(id, I64);
        sink.AppendVarUInt(ZigZag(value));
    }

    public void BoolField(short id, bool value) => FieldHeader(id, value ? (byte)1 : (byte)2);

    public void BinaryField(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, Binary);
        BinaryValue(value);
    }

    public void StringField(short id, string value) => BinaryField(id, System.Text.Encoding.UTF8.GetBytes(value));

    public void BeginListField(short id, byte elementType, int count)
    {
        FieldHeader(id, List);
        ListHeader(elementType, count);
    }

    public void I32Element(int value) => sink.AppendVarUInt(ZigZag(value));

    public void BinaryValue(ReadOnlySpan<byte> value)
    {
        sink.AppendVarUInt((uint)value.Length);
        sink.Append(value);
    }

    /// <summary>Ends a top-level struct (a page header or the footer).</summary>
    public void EndMessage()
    {
        sink.AppendByte(0);
        _lastId = 0;
    }

    private void ListHeader(byte elementType, int count)
    {
        if (count < 15)
        {
            sink.AppendByte((byte)((count << 4) | elementType));
        }
        else
        {
            sink.AppendByte((byte)(0xF0 | elementType));
            sink.AppendVarUInt((uint)count);
        }
    }

    private void FieldHeader(short id, byte type)
    {
        var delta = id - _lastId;
        if (delta is > 0 and <= 15)
        {
            sink.AppendByte((byte)((delta << 4) | type));
        }
        else
        {
            sink.AppendByte(type);
            sink.AppendVarUInt(ZigZag(id));
        }

        _lastId = id;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
