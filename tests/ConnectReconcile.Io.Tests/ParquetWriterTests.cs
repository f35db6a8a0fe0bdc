using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Io.Parquet;
using DuckDB.NET.Data;
using Parquet.Serialization;

namespace ConnectReconcile.Io.Tests;

/// <summary>
/// The output tables' own Parquet writer, checked against Parquet.Net writing the same rows: two
/// independent readers (Parquet.Net and DuckDB) must see the same schema and the same values in both
/// files, and DuckDB must see statistics that agree with the data.
/// </summary>
public sealed class ParquetWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-pq-" + Guid.NewGuid().ToString("N"));

    public ParquetWriterTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly DateOnly Day = new(2026, 10, 1);

    /// <summary>
    /// Rows that exercise every encoding path: low-cardinality strings and ids on a chain's three rows
    /// (dictionary), ids mostly of one row and numbers (PLAIN, with an id now and then repeated on the
    /// next row), a column that is null throughout, another null only sometimes, multi-byte UTF-8 (whose
    /// byte order differs from UTF-16 order), decimals with more digits than their scale, negative and
    /// wide decimals, and a slice whose strings switch from few distinct values to many.
    /// </summary>
    private static List<ChargeRow> Charges(int count, int seed)
    {
        var rng = new Random(seed);
        var chains = Enumerable.Range(0, (count / 3) + 1).Select(_ => Guid.NewGuid().ToString()).ToArray();
        var contacts = Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString()).ToArray();
        string[] kinds = ["service", "telephony:inbound-did", "telephony:outbound", "contact-lens"];
        string[] odd = ["東京", "\U0001F4DE call", "zebra", "Ärger", ""];
        return Enumerable.Range(0, count).Select(i => new ChargeRow
        {
            ChainId = chains[i / 3], // the same string on a chain's adjacent rows, as the job writes ids
            ContactId = i % 5 == 0 ? "same-contact" : contacts[i - (i / 4)], // every fourth row repeats the one before
            Day = Day.AddDays(i % 2),
            StartTime = i % 5 == 0 ? null : new DateTime(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(rng.NextInt64(0, TimeSpan.TicksPerDay)),
            InstanceId = "inst-1",
            Region = "us-east-1",
            ChargeKind = kinds[(i / 3) % kinds.Length],
            LegKind = odd[rng.Next(odd.Length)],
            LegIndex = i % 4 == 0 ? null : rng.Next(-3, 5),
            UsageType = i < count / 2 ? "USE1-end-customer-mins" : $"usage-{i}",
            Unit = "minute",
            PricingModel = "per-minute",
            ActualSeconds = rng.NextInt64(-10, 100_000),
            BilledSeconds = rng.NextInt64(0, 100_000),
            Quantity = Math.Round((decimal)rng.Next(-100_000, 10_000_000) / 60m, 9),
            Rate = i % 7 == 0 ? null : 0.018m / 60m * (i % 2 == 0 ? 1 : -1),
            Cost = i % 11 == 0 ? null : (decimal)rng.NextInt64(-1_000_000_000, 1_000_000_000) * 0.0003m / 7m + (i == 3 ? 99_999_999_999.123456789012345m : 0m),
            Currency = "USD",
            Country = i % 2 == 0 ? null : "US",
            Number = i % 3 == 0 ? null : $"+1206****{rng.Next(1000, 9999)}",
            RateRowId = null,
            UnratedReason = null,
            RateCardVersion = "builtin-2026.11",
            Policy = "service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=agent",
        }).ToList();
    }

    private static List<ContactRow> Contacts(int count) => Enumerable.Range(0, count).Select(i => new ContactRow
    {
        ChainId = $"chain-{i:D5}",
        Day = Day,
        StartTime = new DateTime(2026, 10, 1, 1, 2, 3, DateTimeKind.Utc).AddSeconds(i),
        EndTime = new DateTime(2026, 10, 1, 1, 2, 3, DateTimeKind.Utc).AddSeconds(i * 2).AddTicks(10 * (i % 1000)),
        InstanceId = "inst-1",
        Region = "us-east-1",
        InitiationMethod = i % 2 == 0 ? "INBOUND" : "OUTBOUND",
        Records = i % 4,
        Legs = i % 3,
        CustomerNumber = i % 5 == 0 ? null : $"+8190****{i % 10000:D4}",
        Orphan = i % 3 == 0,
        Estimated = i % 7 == 0,
        Unrated = i % 9 == 0,
        ServiceSeconds = i * 60L,
        ServiceCost = i * 0.018m,
        TotalCost = i * 0.0222m,
        RateCardVersion = "v",
        Policy = "p",
    }).ToList();

    [Fact]
    public async Task Charges_written_in_slices_read_back_the_same_as_Parquet_Net_writing_them()
    {
        var slices = new[] { Charges(3000, 1), Charges(40, 2), Charges(1, 3) };
        await AssertSameAsParquetNet("charges", slices);
    }

    [Fact]
    public async Task Contacts_with_booleans_dates_and_required_timestamps_read_back_the_same()
    {
        var all = Contacts(5000);
        await AssertSameAsParquetNet("contacts", [all[..4096], all[4096..]]);
    }

    [Fact]
    public async Task Statistics_agree_with_the_data_for_DuckDB()
    {
        using var writer = new ParquetTableWriter(_dir);
        var charges = await writer.AppendAsync("charges", Day, Charges(2000, 5), CancellationToken.None);
        Assert.True(AssertStatistics(Path.Combine(_dir, charges!)) >= 15);

        // Booleans too (false < true): `estimated` all false, `orphan` and `unrated` mixed.
        var contacts = await writer.AppendAsync("contacts", Day, Contacts(3000).Where(c => !c.Estimated).ToList(), CancellationToken.None);
        AssertStatistics(Path.Combine(_dir, contacts!));
    }

    /// <summary>Every column holding a value has a null count, min and max equal to the data's; returns how many were checked.</summary>
    private static int AssertStatistics(string path)
    {
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var checkedColumns = 0;
        foreach (var (column, nulls, min, max) in DuckDbRows.Query(db, $"SELECT path_in_schema, stats_null_count, stats_min_value, stats_max_value FROM parquet_metadata('{path}')")
            .Select(r => ((string)r[0]!, Convert.ToInt64(r[1], CultureInfo.InvariantCulture), r[2] as string, r[3] as string)))
        {
            var actual = DuckDbRows.Query(db, $"SELECT count(*) - count(\"{column}\"), min(\"{column}\")::VARCHAR, max(\"{column}\")::VARCHAR FROM read_parquet('{path}')").Single();
            Assert.Equal(Convert.ToInt64(actual[0], CultureInfo.InvariantCulture), nulls);
            Assert.True(min is not null || actual[1] is null, $"{column} has no min/max");
            if (min is not null)
            {
                Assert.Equal(actual[1] as string, min);
                Assert.Equal(actual[2] as string, max);
                checkedColumns++;
            }
        }

        return checkedColumns;
    }

    [Fact]
    public async Task Ids_on_a_chains_adjacent_rows_are_dictionary_encoded_and_ids_mostly_of_one_row_are_not()
    {
        using var writer = new ParquetTableWriter(_dir);
        var relative = await writer.AppendAsync("charges", Day, Charges(3000, 6), CancellationToken.None);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var encodings = DuckDbRows.Query(db, $"SELECT path_in_schema, encodings FROM parquet_metadata('{Path.Combine(_dir, relative!)}')")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Contains("DICTIONARY", encodings["chain_id"], StringComparison.Ordinal); // 3 rows a chain: 43 bytes for 120
        Assert.Contains("DICTIONARY", encodings["currency"], StringComparison.Ordinal);
        Assert.DoesNotContain("DICTIONARY", encodings["contact_id"], StringComparison.Ordinal); // about 0.8 of PLAIN: not worth it
        Assert.DoesNotContain("DICTIONARY", encodings["number"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Id_columns_are_stored_uncompressed_and_the_rest_with_Snappy()
    {
        using var writer = new ParquetTableWriter(_dir);
        var rows = Charges(3000, 7);
        var path = Path.Combine(_dir, (await writer.AppendAsync("charges", Day, rows, CancellationToken.None))!);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var codecs = DuckDbRows.Query(db, $"SELECT DISTINCT path_in_schema, compression FROM parquet_metadata('{path}')")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("UNCOMPRESSED", codecs["chain_id"]);
        Assert.Equal("UNCOMPRESSED", codecs["contact_id"]);
        Assert.All(codecs.Where(c => c.Key is not ("chain_id" or "contact_id")), c => Assert.Equal("SNAPPY", c.Value));
        var ids = DuckDbRows.Query(db, $"SELECT chain_id, contact_id FROM read_parquet('{path}')").Select(r => ((string)r[0]!, r[1] as string));
        Assert.Equal(rows.Select(r => (r.ChainId, r.ContactId)), ids);
    }

    [Fact]
    public async Task Rows_built_in_parts_and_joined_write_the_same_bytes_as_one_list()
    {
        var rows = Charges(3000, 4);
        var whole = Path.Combine(_dir, "whole.parquet");
        await using (var file = File.Create(whole))
        {
            var streamed = new ParquetStreamWriter<ChargeRow>(file);
            streamed.Append(rows);
            streamed.Complete();
        }

        // The same rows in three builders, as a slice's parts (one empty), added in odd blocks, then joined.
        var parts = new[] { new RowGroupBuilder<ChargeRow>(), new RowGroupBuilder<ChargeRow>(), new RowGroupBuilder<ChargeRow>() };
        int[] cuts = [0, 1234, 1234, rows.Count];
        for (var p = 0; p < parts.Length; p++)
        {
            for (var i = cuts[p]; i < cuts[p + 1]; i += 97)
            {
                parts[p].Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows)[i..Math.Min(i + 97, cuts[p + 1])]);
            }
        }

        parts[0].Add(parts[1]);
        parts[0].Add(parts[2]);
        Assert.Equal(0, parts[2].Count);
        using var writer = new ParquetTableWriter(_dir);
        var relative = await writer.AppendAsync("charges", Day, parts[0], CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(whole), await File.ReadAllBytesAsync(Path.Combine(_dir, relative!)));
    }

    [Fact]
    public async Task A_streamed_file_can_start_over_and_can_be_empty()
    {
        var path = Path.Combine(_dir, "streamed.parquet");
        await using (var file = File.Create(path))
        {
            var writer = new ParquetStreamWriter<ChargeRow>(file);
            writer.Append(Charges(500, 7));
            writer.Reset(); // a re-read: everything so far is forgotten
            writer.Append(Charges(300, 8));
            writer.Append([]);
            writer.Append(Charges(20, 9));
            writer.Complete();
        }

        var empty = Path.Combine(_dir, "empty.parquet");
        await using (var file = File.Create(empty))
        {
            new ParquetStreamWriter<ChargeRow>(file).Complete();
        }

        Assert.Equal(320, (await Read<ChargeRow>(path)).Count);
        Assert.Empty(await Read<ChargeRow>(empty));
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        Assert.Equal(320L, Convert.ToInt64(DuckDbRows.Query(db, $"SELECT count(*) FROM read_parquet('{path}')").Single()[0], CultureInfo.InvariantCulture));
        Assert.Equal(0L, Convert.ToInt64(DuckDbRows.Query(db, $"SELECT count(*) FROM read_parquet('{empty}')").Single()[0], CultureInfo.InvariantCulture));
        Assert.Equal(typeof(ChargeRow).GetProperties().Length, DuckDbRows.Query(db, $"DESCRIBE SELECT * FROM read_parquet('{empty}')").Count);
    }

    private async Task AssertSameAsParquetNet<T>(string table, IReadOnlyList<List<T>> slices)
        where T : class, new()
    {
        using var writer = new ParquetTableWriter(_dir);
        string? relative = null;
        foreach (var slice in slices)
        {
            relative = await writer.AppendAsync(table, Day, slice, CancellationToken.None);
        }

        var ours = Path.Combine(_dir, relative!);
        var described = await writer.DescribeAsync(relative!, CancellationToken.None);
        Assert.Equal(slices.Sum(s => s.Count), described.Rows);

        // The checksum hashed while writing (each slice's footer overwritten by the next) is the file's.
        var bytes = await File.ReadAllBytesAsync(ours);
        Assert.Equal(bytes.Length, described.Bytes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), described.Sha256);

        var reference = Path.Combine(_dir, "reference.parquet");
        await using (var file = File.Create(reference))
        {
            await ParquetSerializer.SerializeAsync(slices.SelectMany(s => s), file);
        }

        // Parquet.Net reads both files to the same rows.
        Assert.Equal(Json(await Read<T>(reference)), Json(await Read<T>(ours)));

        // DuckDB sees the same column names and types, and the same values, in both files.
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var schemaOurs = DuckDbRows.Query(db, $"DESCRIBE SELECT * FROM read_parquet('{ours}', hive_partitioning = false)").Select(r => $"{r[0]} {r[1]}").ToList();
        var schemaTheirs = DuckDbRows.Query(db, $"DESCRIBE SELECT * FROM read_parquet('{reference}', hive_partitioning = false)").Select(r => $"{r[0]} {r[1]}").ToList();
        Assert.Equal(schemaTheirs, schemaOurs);
        Assert.NotEmpty(schemaOurs);
        var rowsOurs = DuckDbRows.Query(db, $"SELECT * FROM read_parquet('{ours}', hive_partitioning = false)").Select(Line).ToList();
        var rowsTheirs = DuckDbRows.Query(db, $"SELECT * FROM read_parquet('{reference}', hive_partitioning = false)").Select(Line).ToList();
        Assert.Equal(slices.Sum(s => s.Count), rowsOurs.Count);
        Assert.Equal(rowsTheirs, rowsOurs);
    }

    private static async Task<IList<T>> Read<T>(string path)
        where T : class, new()
    {
        await using var stream = File.OpenRead(path);
        return (await ParquetSerializer.DeserializeAsync<T>(stream)).Data.ToList();
    }

    private static string Json<T>(IList<T> rows) => JsonSerializer.Serialize(rows);

    private static string Line(object?[] row) => string.Join("|", row.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "NULL"));
}
