using System.Reflection;
using System.Text.Json.Serialization;
using global::Parquet;
using global::Parquet.Schema;
using global::Parquet.Serialization;

namespace ConnectReconcile.Io.Parquet;

/// <summary>
/// Writes rows of a flat row class as one row group, column by column, with the schema
/// <see cref="ParquetSerializer"/> infers from the same class (names from JsonPropertyName, decimal
/// and timestamp attributes). Skipping the serializer's record striping is ~17 % faster and allocates
/// a third less per row (measured on 1 M charge rows, docs/benchmarks.md); the rated tables write
/// ~5.5 M rows a month.
/// </summary>
internal static class ColumnWriter<T>
{
    private delegate Task WriteColumn(ParquetRowGroupWriter group, IReadOnlyList<T> rows, CancellationToken cancellationToken);

    private static readonly ParquetSchema Schema = typeof(T).GetParquetSchema(forWriting: true);

    private static readonly WriteColumn[] Columns = Schema.GetDataFields().Select(Column).ToArray();

    public static async Task WriteAsync(Stream stream, IReadOnlyList<T> rows, ParquetOptions options, bool append, CancellationToken cancellationToken)
    {
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream, options, append, cancellationToken).ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        foreach (var column in Columns)
        {
            await column(group, rows, cancellationToken).ConfigureAwait(false);
        }

        group.CompleteValidate();
    }

    private static WriteColumn Column(DataField field)
    {
        var property = typeof(T).GetProperties().Single(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name) == field.Name);
        var type = property.PropertyType;
        if (type == typeof(string))
        {
            var get = property.GetGetMethod()!.CreateDelegate<Func<T, string>>();
            return (group, rows, _) => group.WriteAsync(field, Values(rows, get));
        }

        var underlying = Nullable.GetUnderlyingType(type);
        var factory = typeof(ColumnWriter<T>).GetMethod(underlying is null ? nameof(StructColumn) : nameof(NullableColumn), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(underlying ?? type);
        return (WriteColumn)factory.Invoke(null, [field, property])!;
    }

    private static WriteColumn StructColumn<TValue>(DataField field, PropertyInfo property)
        where TValue : struct
    {
        var get = property.GetGetMethod()!.CreateDelegate<Func<T, TValue>>();
        return (group, rows, ct) => group.WriteAsync<TValue>(field, Values(rows, get), null, null, ct);
    }

    private static WriteColumn NullableColumn<TValue>(DataField field, PropertyInfo property)
        where TValue : struct
    {
        var get = property.GetGetMethod()!.CreateDelegate<Func<T, TValue?>>();
        return (group, rows, ct) => group.WriteAsync<TValue>(field, Values(rows, get), null, null, ct);
    }

    private static TValue[] Values<TValue>(IReadOnlyList<T> rows, Func<T, TValue> get)
    {
        var values = new TValue[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = get(rows[i]);
        }

        return values;
    }
}
