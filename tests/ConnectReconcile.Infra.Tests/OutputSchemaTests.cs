using System.Globalization;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;
using ConnectReconcile.Io.Reports;
using Parquet;
using Parquet.Meta;
using Parquet.Serialization;
using ParquetType = Parquet.Meta.Type;

namespace ConnectReconcile.Infra.Tests;

/// <summary>
/// The Glue tables must describe exactly the Parquet the CLI writes: this writes one row of every
/// output table through the CLI's own writers (<see cref="ParquetTableWriter"/> for the rated tables,
/// Parquet.Net's serializer on the reconciliation row classes as <see cref="ReconciliationTables"/>
/// does), reads each file's schema back from its footer, turns it into Athena types, and compares it
/// column for column (names, order, types) and folder for folder with the synthesized template.
/// </summary>
[Collection(CdkCollection.Name)]
public sealed class OutputSchemaTests(Synthesized synth) : IDisposable
{
    private static readonly DateOnly Day = new(2026, 10, 14);
    private readonly string root = Path.Combine(Path.GetTempPath(), $"cr-infra-schema-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    public static TheoryData<string> Configurations => new() { "default", "full" };

    /// <summary>Table name → (relative path of the file the CLI writes, its columns as Athena types).</summary>
    private async Task<Dictionary<string, (string Path, List<(string Name, string Type)> Columns)>> WrittenByTheCli()
    {
        var result = new Dictionary<string, (string, List<(string, string)>)>();
        using (var writer = new ParquetTableWriter(root))
        {
            async Task Rated<T>(string table, T row)
                where T : class
            {
                var file = await writer.WriteAsync(table, Day, [row], CancellationToken.None);
                Assert.NotNull(file);
                result[table] = (file.Path, await ColumnsOf(Path.Combine(root, file.Path)));
            }

            // Every table BillingJob writes, with its row class.
            await Rated("charges", new ChargeRow());
            await Rated("contacts", new ContactRow());
            await Rated("daily_usage", new DailyUsageRow());
            await Rated("legs", new LegRow());
            await Rated("segments", new SegmentRow());
            await Rated("quarantine", new QuarantineRow());
            Assert.Equal(BillingJob.Tables.Order(), result.Keys.Order());
        }

        var month = new DateOnly(Day.Year, Day.Month, 1);
        async Task Monthly<T>(string table, T row)
            where T : class, new()
        {
            var path = ReconciliationTables.PartitionKey(table, month);
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await using (var stream = File.Create(full))
            {
                await ParquetSerializer.SerializeAsync(new[] { row }, stream);
            }

            result[table] = (path, await ColumnsOf(full));
        }

        await Monthly(ReconciliationTables.Table, new ReconciliationRow());
        await Monthly(ReconciliationTables.ContactsTable, new ReconciliationContactRow());
        await Monthly(ReconciliationTables.CalibrationTable, new CalibrationRow());
        return result;
    }

    private static async Task<List<(string Name, string Type)>> ColumnsOf(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var schema = reader.Metadata!.Schema;
        Assert.Equal(schema.Count - 1, schema[0].NumChildren); // flat: a root and its leaves
        return schema.Skip(1).Select(e => (e.Name, AthenaType(e))).ToList();
    }

    /// <summary>The Athena (Hive DDL) type that reads a flat Parquet column as what it is.</summary>
    private static string AthenaType(SchemaElement e)
    {
        var logical = e.LogicalType;
        if (logical?.DECIMAL is { } d)
        {
            return $"decimal({d.Precision},{d.Scale})";
        }

        if (e.ConvertedType == ConvertedType.DECIMAL)
        {
            return $"decimal({e.Precision},{e.Scale})";
        }

        if (logical?.TIMESTAMP is { } ts)
        {
            Assert.True(ts.Unit.MICROS is not null, $"{e.Name}: timestamps are written in microseconds");
            return "timestamp";
        }

        if (e.ConvertedType == ConvertedType.TIMESTAMP_MICROS)
        {
            return "timestamp";
        }

        if (logical?.DATE is not null || e.ConvertedType == ConvertedType.DATE)
        {
            return "date";
        }

        if (logical?.STRING is not null || e.ConvertedType == ConvertedType.UTF8)
        {
            return "string";
        }

        return e.Type switch
        {
            ParquetType.BOOLEAN => "boolean",
            ParquetType.INT32 when logical?.INTEGER is null or { BitWidth: 32, IsSigned: true } => "int",
            ParquetType.INT64 when logical?.INTEGER is null or { BitWidth: 64, IsSigned: true } => "bigint",
            ParquetType.DOUBLE => "double",
            ParquetType.FLOAT => "float",
            _ => throw new InvalidOperationException($"{e.Name}: no Athena type for {e.Type} / {e.ConvertedType}"),
        };
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Glue_tables_are_exactly_what_the_CLI_writes(string config)
    {
        var t = config == "default" ? synth.Default : synth.Full;
        var written = await WrittenByTheCli();
        var glue = t.Resources("AWS::Glue::Table")
            .Select(r => r.Props["TableInput"]!.AsObject())
            .Where(ti => (string?)ti["Name"] != OutputSchema.CurTable)
            .ToDictionary(ti => (string)ti["Name"]!);
        Assert.Equal(written.Keys.Order(), glue.Keys.Order());

        var prefix = config == "full" ? "rated/" : "connect-reconcile/";
        foreach (var (table, (path, fileColumns)) in written)
        {
            var input = glue[table];

            // Partitioning: the folder the CLI wrote, NAME=VALUE, is the Glue partition key and template.
            var folder = Path.GetDirectoryName(path)!.Replace('\\', '/');
            Assert.StartsWith(table + "/", folder, StringComparison.Ordinal);
            var (key, value) = folder[(table.Length + 1)..].Split('=') is [var k, var v] ? (k, v) : throw new InvalidOperationException(folder);
            var partitionKeys = input["PartitionKeys"]!.AsArray();
            Assert.Equal(key, (string?)Assert.Single(partitionKeys)!["Name"]);
            Assert.Equal("string", (string?)partitionKeys[0]!["Type"]);
            var parameters = input["Parameters"]!;
            Assert.Equal($"s3://${{OutputBucket7114EB27}}/{prefix}{table}/{key}=${{{key}}}/", Render.Value(parameters["storage.location.template"]));
            Assert.Equal($"s3://${{OutputBucket7114EB27}}/{prefix}{table}/", Render.Value(input["StorageDescriptor"]!["Location"]));
            var format = (string)parameters[$"projection.{key}.format"]!;
            Assert.Equal(value, (key == OutputSchema.MonthPartition ? Day.ToString("yyyy-MM", CultureInfo.InvariantCulture) : Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            Assert.Equal(value, new DateOnly(Day.Year, Day.Month, key == OutputSchema.MonthPartition ? 1 : Day.Day).ToString(format, CultureInfo.InvariantCulture));
            Assert.Equal("date", (string?)parameters[$"projection.{key}.type"]);
            Assert.Equal(format == "yyyy-MM" ? "MONTHS" : "DAYS", (string?)parameters[$"projection.{key}.interval.unit"]);

            // Columns: the file's, in order, with the partition key left out where the file repeats it
            // as a column (reconciliation's `month`: Glue refuses a column that is also a partition key).
            var expected = fileColumns.Where(c => c.Name != key).Select(c => $"{c.Name} {c.Type}").ToList();
            var declared = input["StorageDescriptor"]!["Columns"]!.AsArray().Select(c => $"{(string)c!["Name"]!} {(string)c["Type"]!}").ToList();
            Assert.True(expected.SequenceEqual(declared),
                $"{table}: Glue declares\n  {string.Join(", ", declared)}\nbut the CLI writes\n  {string.Join(", ", expected)}");
            if (fileColumns.Any(c => c.Name == key))
            {
                Assert.Equal("string", fileColumns.Single(c => c.Name == key).Type);
            }
        }
    }

    [Fact]
    public void Every_output_spec_is_deployed_with_its_partition()
    {
        var tables = synth.Default.Resources("AWS::Glue::Table").ToDictionary(r => (string)r.Props["TableInput"]!["Name"]!, r => r.Props["TableInput"]!);
        foreach (var spec in OutputSchema.OutputTables)
        {
            Assert.Equal(spec.Partition.Name, (string?)tables[spec.Name]!["PartitionKeys"]![0]!["Name"]);
            Assert.DoesNotContain(spec.Columns, c => c.Name == spec.Partition.Name);
        }
    }
}
