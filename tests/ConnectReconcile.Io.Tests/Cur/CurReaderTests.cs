// Literal arrays are the clearest way to write test rows.
#pragma warning disable CA1861

using System.IO.Compression;
using System.Text;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Cur;
using ConnectReconcile.Io.Storage;
using Parquet;
using Parquet.Schema;

namespace ConnectReconcile.Io.Tests.Cur;

public sealed class CurReaderTests : IDisposable
{
    private const string Instance = "0a1b2c3d-0000-4000-8000-000000000001";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-cur-" + Guid.NewGuid().ToString("N"));

    public CurReaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes the file into the test folder and reads it as October 2026's invoice.</summary>
    private async Task<InvoiceAggregate> AggregateFileAsync(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllBytesAsync(path, bytes);
        return await new CurReader(new LocalObjectStore(path)).AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);
    }

    private static async Task<List<CurLine>> ReadAll(string root, DateOnly? month = null)
    {
        var reader = new CurReader(new LocalObjectStore(root));
        var lines = new List<CurLine>();
        await foreach (var l in reader.ReadAsync(month, CancellationToken.None))
        {
            lines.Add(l);
        }

        return lines;
    }

    [Fact]
    public async Task CUR_2_Parquet_is_read_column_by_column_keeping_only_Connect_lines()
    {
        // A Data Exports file: the columns we read, plus columns we must not touch, including a
        // UUID column our decoders do not support (reading it would throw), and two row groups,
        // one without any Connect line.
        var dataDir = Path.Combine(_dir, "export", "data", "BILLING_PERIOD=2026-10");
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, "export-00001.snappy.parquet");
        var start = new DateTimeDataField("line_item_usage_start_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
        var end = new DateTimeDataField("line_item_usage_end_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
        var product = new DataField<string>("line_item_product_code");
        var usageType = new DataField<string>("line_item_usage_type");
        var lineType = new DataField<string>("line_item_line_item_type");
        var resource = new DataField<string>("line_item_resource_id");
        var amount = new DataField<double>("line_item_usage_amount");
        var rate = new DataField<string>("line_item_unblended_rate");
        var cost = new DataField<double>("line_item_unblended_cost");
        var sku = new DataField<string>("product_sku");
        var attributes = new DataField<Guid>("product_uuid");
        var tags = new MapField("resource_tags", new DataField<string>("key", false), new DataField<string>("value"));
        var schema = new ParquetSchema(start, end, product, usageType, lineType, resource, amount, rate, cost, sku, attributes, tags);
        var data = schema.GetDataFields();
        var t0 = new DateTime(2026, 10, 3, 14, 0, 0, DateTimeKind.Utc);
        await using (var file = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        {
            async Task Group(string[] products, string[] types, string[] lineTypes, double[] amounts, string[] rates, double[] costs, string?[] tagValues)
            {
                var n = products.Length;
                using var g = writer.CreateRowGroup();
                await g.WriteAsync<DateTime>(start, Enumerable.Repeat(t0, n).ToArray());
                await g.WriteAsync<DateTime>(end, Enumerable.Repeat(t0.AddHours(1), n).ToArray());
                await g.WriteAsync(product, products);
                await g.WriteAsync(usageType, types);
                await g.WriteAsync(lineType, lineTypes);
                await g.WriteAsync(resource, Enumerable.Repeat("", n).ToArray());
                await g.WriteAsync<double>(amount, amounts);
                await g.WriteAsync(rate, rates);
                await g.WriteAsync<double>(cost, costs);
                await g.WriteAsync(sku, Enumerable.Repeat("SKU123", n).ToArray());
                await g.WriteAsync<Guid>(attributes, Enumerable.Repeat(Guid.Empty, n).ToArray());
                var keys = tagValues.Select(v => v is null ? null! : "user:aws:connect:instanceId").ToList();
                await g.WriteAsync(data.First(f => f.Path.FirstPart == "resource_tags" && f.Name == "key"), keys, Enumerable.Repeat(0, n).ToArray());
                await g.WriteAsync(data.First(f => f.Path.FirstPart == "resource_tags" && f.Name == "value"), tagValues.Select(v => v!).ToList(), Enumerable.Repeat(0, n).ToArray());
            }

            await Group(["AmazonS3", "AWSLambda"], ["USE1-TimedStorage-ByteHrs", "USE1-Request"], ["Usage", "Usage"], [1, 2], ["0.023", "0.0000002"], [0.023, 0.0000004], [null, null]);
            await Group(["AmazonConnect", "ContactCenterTelecomm", "AmazonS3", "ContactCenterTelecomm"],
                ["USE1-end-customer-mins", "USE1-US-did-inbound-mins", "USE1-TimedStorage-ByteHrs", ""],
                ["Usage", "Usage", "Usage", "Tax"], [123.45, 60.5, 3, 0], ["0.018", "0.0022", "0.023", ""], [2.2221, 0.1331, 0.069, 0.42],
                [Instance, null, null, null]);
        }

        var reader = new CurReader(new LocalObjectStore(_dir));
        var aggregate = await reader.AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), new DateOnly(2026, 10, 1), CancellationToken.None);
        Assert.Equal((1, 6L, 3L), (reader.Stats.ParquetFiles, reader.Stats.Rows, reader.Stats.ConnectRows));
        Assert.Equal(2L, aggregate.OtherServices.Single(o => o.ProductCode == "AmazonS3").Lines);
        Assert.Equal(1L, aggregate.OtherServices.Single(o => o.ProductCode == "AWSLambda").Lines);
        // Listed with what they cost, from row groups without Connect lines too (no currency column here).
        Assert.Equal([new OtherServiceTotal("AWSLambda", null, 1, 0.0000004m, 0), new OtherServiceTotal("AmazonS3", null, 2, 0.092m, 0)], aggregate.OtherServices);

        var lines = await ReadAll(_dir);
        Assert.Equal(["AmazonConnect", "ContactCenterTelecomm", "ContactCenterTelecomm"], lines.Select(l => l.ProductCode).ToArray());
        var service = lines[0];
        Assert.Equal((t0, "USE1-end-customer-mins", "Usage", 123.45m, 0.018m, 2.2221m, Instance),
            (service.UsageStart, service.UsageType, service.LineItemType, service.UsageAmount, service.UnblendedRate, service.UnblendedCost, service.InstanceTag));
        Assert.Equal(DateTimeKind.Utc, service.UsageStart.Kind);
        Assert.Null(lines[1].InstanceTag);
        Assert.Null(lines[1].ResourceId);
        Assert.Equal(LineKinds.Tax, CurClassifier.KindOf(lines[2]));
        Assert.Null(lines[2].UnblendedRate);

        // Another month's folder is not even opened.
        Assert.Empty(await ReadAll(_dir, new DateOnly(2026, 9, 1)));
    }

    [Fact]
    public async Task Values_that_repeat_are_read_as_one_string_each_and_progress_is_reported_per_row_group()
    {
        // A granular export's row group is ~250 k lines of a few usage types, units and descriptions: a string per
        // row for each held hundreds of MB. Two row groups of three lines; the tag map names another tag first.
        var path = Path.Combine(_dir, "granular.parquet");
        var start = new DateTimeDataField("line_item_usage_start_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
        var product = new DataField<string>("line_item_product_code");
        var usageType = new DataField<string>("line_item_usage_type");
        var lineType = new DataField<string>("line_item_line_item_type");
        var resource = new DataField<string>("line_item_resource_id");
        var amount = new DataField<double>("line_item_usage_amount");
        var unit = new DataField<string>("pricing_unit");
        var rate = new DataField<string>("line_item_unblended_rate");
        var cost = new DataField<double>("line_item_unblended_cost");
        var description = new DataField<string>("line_item_line_item_description");
        var tags = new MapField("resource_tags", new DataField<string>("key", false), new DataField<string>("value"));
        var schema = new ParquetSchema(start, product, usageType, lineType, resource, amount, unit, rate, cost, description, tags);
        var data = schema.GetDataFields();
        var t0 = new DateTime(2026, 10, 3, 14, 0, 0, DateTimeKind.Utc);
        await using (var file = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        {
            for (var g = 0; g < 2; g++)
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<DateTime>(start, Enumerable.Repeat(t0, 3).ToArray());
                await group.WriteAsync(product, Enumerable.Repeat("AmazonConnect", 3).ToArray());
                await group.WriteAsync(usageType, Enumerable.Repeat("USE1-end-customer-mins", 3).ToArray());
                await group.WriteAsync(lineType, Enumerable.Repeat("Usage", 3).ToArray());
                await group.WriteAsync(resource, Enumerable.Range(0, 3).Select(i => $"arn:aws:connect:us-east-1:111122223333:instance/{Instance}/contact/{g}{i}").ToArray());
                await group.WriteAsync<double>(amount, new[] { 1.0, 2.0, 3.0 });
                await group.WriteAsync(unit, Enumerable.Repeat("Minutes", 3).ToArray());
                await group.WriteAsync(rate, Enumerable.Repeat("0.01980", 3).ToArray());
                await group.WriteAsync<double>(cost, new[] { 0.0198, 0.0396, 0.0594 });
                await group.WriteAsync(description, Enumerable.Repeat("$0.01980 per minute for USE1-end-customer-mins", 3).ToArray());
                await group.WriteAsync(data.First(f => f.Path.FirstPart == "resource_tags" && f.Name == "key"),
                    new[] { "user:team", "aws:connect:instanceId", "aws:connect:instanceId", "aws:connect:instanceId" }, new[] { 0, 1, 0, 0 });
                await group.WriteAsync(data.First(f => f.Path.FirstPart == "resource_tags" && f.Name == "value"),
                    new[] { "sales", Instance, Instance, Instance }, new[] { 0, 1, 0, 0 });
            }
        }

        var reports = new List<Jobs.JobProgress>();
        var reader = new CurReader(new LocalObjectStore(path), new RecordingProgress(reports));
        var lines = new List<CurLine>();
        await foreach (var l in reader.ReadAsync(null, CancellationToken.None))
        {
            lines.Add(l);
        }

        Assert.Equal(6, lines.Count);
        Assert.All(lines, l => Assert.Equal(("USE1-end-customer-mins", "Minutes", 0.0198m, Instance), (l.UsageType, l.PricingUnit, l.UnblendedRate, l.InstanceTag)));
        Assert.Equal(6, lines.Select(l => l.ResourceId).Distinct().Count());
        foreach (var l in lines.Skip(1))
        {
            Assert.Same(lines[0].UsageType, l.UsageType);
            Assert.Same(lines[0].ProductCode, l.ProductCode);
            Assert.Same(lines[0].LineItemType, l.LineItemType);
            Assert.Same(lines[0].PricingUnit, l.PricingUnit);
            Assert.Same(lines[0].Description, l.Description);
            Assert.Same(lines[0].InstanceTag, l.InstanceTag);
        }

        var size = new FileInfo(path).Length;
        Assert.Equal([("read-cur", 0L, 1L, size / 2, 3L), ("read-cur", 1L, 1L, size, 6L)], reports.Select(p => (p.Phase, p.Done, p.Total, p.BytesDone, p.Records)));
        Assert.All(reports, p => Assert.Equal(size, p.BytesTotal));
    }

    private sealed class RecordingProgress(List<Jobs.JobProgress> reports) : IProgress<Jobs.JobProgress>
    {
        public void Report(Jobs.JobProgress value) => reports.Add(value);
    }

    [Fact]
    public async Task Money_as_DECIMAL_or_text_and_times_as_text_are_read_too()
    {
        var path = Path.Combine(_dir, "other-encodings.parquet");
        var start = new DataField<string>("line_item_usage_start_date");
        var product = new DataField<string>("line_item_product_code");
        var usageType = new DataField<string>("line_item_usage_type");
        var lineType = new DataField<string>("line_item_line_item_type");
        var amount = new DecimalDataField("line_item_usage_amount", 38, 10);
        var rate = new DataField<double?>("line_item_unblended_rate");
        var cost = new DataField<string>("line_item_unblended_cost");
        var schema = new ParquetSchema(start, product, usageType, lineType, amount, rate, cost);
        await using (var file = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        {
            using var g = writer.CreateRowGroup();
            await g.WriteAsync(start, new[] { "2026-10-05T07:00:00Z", "2026-10-05 08:00:00", "5 Oct" });
            await g.WriteAsync(product, new[] { "AmazonConnect", "ContactLensAmazonConnect", "AmazonConnect" });
            await g.WriteAsync(usageType, new[] { "USE1-end-customer-mins", "USE1-ContactLens-voice-mins", "USE1-end-customer-mins" });
            await g.WriteAsync(lineType, new[] { "Usage", "Usage", "Usage" });
            await g.WriteAsync<decimal>(amount, new[] { 10.1234567891m, 2m, 1m });
            await g.WriteAsync<double>(rate, new double?[] { 0.018, null, null });
            await g.WriteAsync(cost, new[] { "0.182222222", "0.03", "0.018" });
        }

        var reader = new CurReader(new LocalObjectStore(path));
        var lines = new List<CurLine>();
        await foreach (var l in reader.ReadAsync(null, CancellationToken.None))
        {
            lines.Add(l);
        }

        Assert.Equal(2, lines.Count);
        Assert.Equal((1L, 3L, "usage start time '5 Oct' is not a time"), (reader.Stats.UnreadableLines, reader.Stats.FirstUnreadable[0].Row, reader.Stats.FirstUnreadable[0].Reason));
        Assert.Equal((new DateTime(2026, 10, 5, 7, 0, 0, DateTimeKind.Utc), 10.1234567891m, 0.018m, 0.182222222m),
            (lines[0].UsageStart, lines[0].UsageAmount, lines[0].UnblendedRate, lines[0].UnblendedCost));
        Assert.Equal((new DateTime(2026, 10, 5, 8, 0, 0, DateTimeKind.Utc), (decimal?)null), (lines[1].UsageStart, lines[1].UnblendedRate));
    }

    [Theory]
    [InlineData(DateTimeFormat.Impala, DateTimeTimeUnit.Millis)] // INT96, as Spark and older Athena write
    [InlineData(DateTimeFormat.Timestamp, DateTimeTimeUnit.Micros)]
    [InlineData(DateTimeFormat.Timestamp, DateTimeTimeUnit.Nanos)]
    [InlineData(DateTimeFormat.Date, DateTimeTimeUnit.Millis)] // a daily export's day
    public async Task Usage_start_times_are_read_in_every_Parquet_time_encoding(DateTimeFormat format, DateTimeTimeUnit unit)
    {
        var path = Path.Combine(_dir, "times.parquet");
        var start = new DateTimeDataField("line_item_usage_start_date", format, true, unit);
        var day = new DateTime(2026, 10, 7, 0, 0, 0, DateTimeKind.Utc);
        await WriteServiceMinutesAsync(path, start, 1, (g, _) => g.WriteAsync<DateTime>(start, new[] { day }));

        var line = Assert.Single(await ReadAll(path));
        Assert.Equal((day, DateTimeKind.Utc), (line.UsageStart, line.UsageStart.Kind));
    }

    /// <summary>
    /// A CUR 2.0 Parquet file of Connect service minutes with the columns reconciliation needs: row groups
    /// of two lines (10 and 20 minutes), one line for a one-group file; <paramref name="starts"/> writes group g's start column.
    /// </summary>
    private static async Task WriteServiceMinutesAsync(string path, DataField start, int groups, Func<ParquetRowGroupWriter, int, Task> starts)
    {
        var product = new DataField<string>("line_item_product_code");
        var usageType = new DataField<string>("line_item_usage_type");
        var lineType = new DataField<string>("line_item_line_item_type");
        var amount = new DataField<double>("line_item_usage_amount");
        var cost = new DataField<double>("line_item_unblended_cost");
        var n = groups == 1 ? 1 : 2;
        await using var file = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(start, product, usageType, lineType, amount, cost), file);
        for (var g = 0; g < groups; g++)
        {
            using var group = writer.CreateRowGroup();
            await starts(group, g);
            await group.WriteAsync(product, Enumerable.Repeat("AmazonConnect", n).ToArray());
            await group.WriteAsync(usageType, Enumerable.Repeat("USE1-end-customer-mins", n).ToArray());
            await group.WriteAsync(lineType, Enumerable.Repeat("Usage", n).ToArray());
            await group.WriteAsync<double>(amount, new[] { 10.0, 20.0 }.AsMemory(0, n));
            await group.WriteAsync<double>(cost, new[] { 0.18, 0.36 }.AsMemory(0, n));
        }
    }

    [Fact]
    public async Task Legacy_CUR_gzip_CSV_is_read_with_quoted_fields_and_tag_columns()
    {
        var csv = new StringBuilder();
        csv.Append("identity/LineItemId,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,")
           .Append("lineItem/ResourceId,lineItem/UsageAmount,pricing/unit,lineItem/UnblendedRate,lineItem/UnblendedCost,lineItem/CurrencyCode,lineItem/LineItemDescription,resourceTags/aws:connect:instanceId\r\n");
        csv.Append("1,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,")
           .Append($"arn:aws:connect:us-east-1:111122223333:instance/{Instance},100.5,Minutes,0.018,1.809,USD,\"$0.018 per minute, \"\"voice\"\"\",{Instance}\r\n");
        csv.Append("2,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,ContactCenterTelecomm,,Tax,,0,,,0.5,USD,\"Tax for product code ContactCenterTelecomm\nsecond line\",\r\n");
        csv.Append("3,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,AmazonLex,USE1-speech,Usage,,1,Requests,0.004,0.004,USD,lex,\r\n");
        var dir = Path.Combine(_dir, "legacy", "name", "20261001-20261101");
        Directory.CreateDirectory(dir);
        await using (var file = File.Create(Path.Combine(dir, "name-1.csv.gz")))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(csv.ToString()));
        }

        var reader = new CurReader(new LocalObjectStore(_dir));
        var lines = new List<CurLine>();
        await foreach (var l in reader.ReadAsync(new DateOnly(2026, 10, 1), CancellationToken.None))
        {
            lines.Add(l);
        }

        Assert.Equal((1, 3L, 2L), (reader.Stats.CsvFiles, reader.Stats.Rows, reader.Stats.ConnectRows));
        Assert.Equal([new OtherServiceTotal("AmazonLex", "USD", 1, 0.004m, 0)], reader.OtherServices.Totals);
        Assert.Equal("$0.018 per minute, \"voice\"", lines[0].Description);
        Assert.Equal((100.5m, 0.018m, 1.809m, Instance), (lines[0].UsageAmount, lines[0].UnblendedRate, lines[0].UnblendedCost, lines[0].InstanceTag));
        Assert.Equal(Instance, CurClassifier.InstanceOf(lines[0]));
        Assert.Equal("Tax for product code ContactCenterTelecomm\nsecond line", lines[1].Description);
        Assert.Equal(LineKinds.Tax, CurClassifier.KindOf(lines[1]));
    }

    [Fact]
    public async Task CUR_2_CSV_with_snake_case_headers_and_a_JSON_tag_map_is_read()
    {
        var path = Path.Combine(_dir, "cur2.csv");
        await File.WriteAllTextAsync(path,
            "line_item_usage_start_date,line_item_product_code,line_item_usage_type,line_item_line_item_type,line_item_usage_amount,line_item_unblended_cost,resource_tags\n" +
            $"2026-10-02T10:00:00.000Z,AmazonConnect,USE1-end-customer-mins,Usage,5,0.09,\"{{\"\"user_team\"\":\"\"care\"\",\"\"aws_connect_instance_id\"\":\"\"{Instance}\"\"}}\"\n");
        var line = Assert.Single(await ReadAll(path));
        Assert.Equal((5m, 0.09m, Instance), (line.UsageAmount, line.UnblendedCost, line.InstanceTag));
    }

    [Fact]
    public async Task Connect_lines_that_cannot_be_read_are_counted_and_kept_with_their_row_and_reason_not_dropped()
    {
        var path = Path.Combine(_dir, "damaged.csv");
        await File.WriteAllTextAsync(path,
            "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n" +
            "2026-10-01T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10,0.18\n" +
            "2026-10-01T01:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10,ten cents\n" +
            "2026-13-45T99:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10,0.18\n" +
            ",AmazonConnect,USE1-end-customer-mins,Usage,10,0.18\n" +
            "05/10/2026 00:00,AmazonConnect,USE1-end-customer-mins,Usage,10,0.18\n" + // a spreadsheet's local date: May or October?
            "2026-10-01T02:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,1O,0.18\n" +
            "2026-10-01T02:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10,1e40\n" + // a number, but no amount of money
            "2026-10-01T03:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,,\n" + // empty amount and cost: 0, as before
            "not a time,AmazonLex,USE1-speech,Usage,x,y\n"); // another service's line: not ours to read

        var reader = new CurReader(new LocalObjectStore(path));
        var invoice = await reader.AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);

        Assert.Equal((9L, 2L), (reader.Stats.Rows, reader.Stats.ConnectRows));
        Assert.Equal(
            ["row 3: cost 'ten cents' is not a number", "row 4: usage start time '2026-13-45T99:00:00Z' is not a time", "row 5: no usage start time",
                "row 6: usage start time '05/10/2026 00:00' is not a time", "row 7: usage amount '1O' is not a number", "row 8: cost '1e40' is not a number"],
            invoice.FirstUnreadable.Select(u => $"row {u.Row}: {u.Reason}"));
        Assert.All(invoice.FirstUnreadable, u => Assert.EndsWith("damaged.csv", u.Source, StringComparison.Ordinal));
        Assert.Equal((6L, 9L, 2L), (invoice.UnreadableLines, invoice.LinesRead, invoice.ConnectLines));
        Assert.Equal(10m, invoice.Usage.Values.Sum(u => u.Quantity));
        Assert.Equal([new OtherServiceTotal("AmazonLex", null, 1, 0m, 1)], invoice.OtherServices); // counted, its cost 'y' unknown
    }

    [Fact]
    public async Task An_unreadable_lines_reason_masks_a_phone_number_in_the_cell_and_clips_a_long_one()
    {
        var path = Path.Combine(_dir, "shifted.csv");
        await File.WriteAllTextAsync(path,
            "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n" +
            "+1 206 555 0147,AmazonConnect,USE1-end-customer-mins,Usage,10,0.18\n" + // a tag's value in the wrong column
            "2026-10-01T01:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10," + new string('x', 70) + "\n");

        var reader = new CurReader(new LocalObjectStore(path));
        var invoice = await reader.AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);

        Assert.Equal(
            ["usage start time '+120****0147' is not a time", $"cost '{new string('x', 60)}…' is not a number"],
            invoice.FirstUnreadable.Select(u => u.Reason));
    }

    [Fact]
    public async Task An_unreadable_line_keeps_the_day_usage_type_and_instance_it_could_read()
    {
        var invoice = await AggregateFileAsync("instances.csv", Encoding.UTF8.GetBytes(
            "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/ResourceId,resourceTags/aws:connect:instanceId,lineItem/UsageAmount,lineItem/UnblendedCost\n" +
            "2026-10-02T05:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,arn:aws:connect:us-east-1:123456789012:instance/AAAAAAAA-2222-3333-4444-555555555555,,10,n/a\n" +
            "2026-10-02T05:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,,bbbbbbbb-2222-3333-4444-555555555555,10,n/a\n" +
            "2026-10-02T05:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,,,10,n/a\n"));

        Assert.Equal(
            [("aaaaaaaa-2222-3333-4444-555555555555", 2L), ("bbbbbbbb-2222-3333-4444-555555555555", 3L), ((string?)null, 4L)],
            invoice.FirstUnreadable.Select(u => (u.InstanceId, u.Row)));
        Assert.All(invoice.FirstUnreadable, u => Assert.Equal((new DateOnly(2026, 10, 2), "USE1-end-customer-mins"), (u.Day, u.UsageType)));
    }

    [Fact]
    public async Task A_gzip_CSV_cut_between_rows_or_inside_one_is_reported_not_read_as_a_shorter_invoice()
    {
        const string Header = "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n";
        const string Row = "2026-10-01T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10,0.18\n";
        var text = Encoding.UTF8.GetBytes(Header + Row + Row);
        var whole = await AggregateFileAsync("whole.csv.gz", DecoderTests.Gzip(text));
        Assert.Equal((0L, 2L), (whole.UnreadableLines, whole.ConnectLines));

        // Cut after the first row, at a deflate block's end: GZipStream itself ends quietly.
        var first = DecoderTests.Gzip(Encoding.UTF8.GetBytes(Header + Row), flushOnly: true);
        var cut = await AggregateFileAsync("cut.csv.gz", first);
        Assert.Equal((1L, 1L), (cut.UnreadableLines, cut.ConnectLines));
        Assert.Equal((3L, "the gzip file ends before its data does (cut short, or bytes after it): the rows from here on are missing"),
            (cut.FirstUnreadable[0].Row, cut.FirstUnreadable[0].Reason));

        // Damaged deflate data near the end: the rows before it stand, the rest are one unreadable line.
        var many = DecoderTests.Gzip(Encoding.UTF8.GetBytes(Header + string.Concat(Enumerable.Range(0, 20_000).Select(i => Row.Replace(",10,", $",{i},", StringComparison.Ordinal)))));
        for (var i = many.Length - 200; i < many.Length - 150; i++)
        {
            many[i] ^= 0x5a;
        }

        var damaged = await AggregateFileAsync("damaged.csv.gz", many);
        Assert.Equal(1L, damaged.UnreadableLines);
        Assert.StartsWith("the gzip data is damaged here", damaged.FirstUnreadable[0].Reason, StringComparison.Ordinal);
        Assert.InRange(damaged.ConnectLines, 1, 19_999);

        // Damaged before the header ends: the whole file is one unreadable line.
        var early = DecoderTests.Gzip(text);
        early[12] ^= 0xff; // the first byte of deflate data after the 10-byte header
        early[13] ^= 0xff;
        var header = await AggregateFileAsync("early.csv.gz", early);
        Assert.Equal((1L, 0L, 1L), (header.UnreadableLines, header.ConnectLines, header.FirstUnreadable[0].Row));
        Assert.StartsWith("the gzip data is damaged before the header ends", header.FirstUnreadable[0].Reason, StringComparison.Ordinal);

        // Cut inside the header: a cut file, not a wrong one; a whole gzip that is no CUR is still the clear error.
        var cutHeader = await AggregateFileAsync("cut-header.csv.gz", DecoderTests.Gzip(Encoding.UTF8.GetBytes(Header[..30]), flushOnly: true));
        Assert.Equal((1L, "the gzip file ends before its header does (cut short): the whole file is missing"),
            (cutHeader.UnreadableLines, cutHeader.FirstUnreadable[0].Reason));
        await Assert.ThrowsAsync<NotACurException>(() => AggregateFileAsync("notes.csv.gz", DecoderTests.Gzip(Encoding.UTF8.GetBytes("name,value\na,1\n"))));

        // Cut inside the second row: the row is short of fields.
        var inside = await AggregateFileAsync("inside.csv", Encoding.UTF8.GetBytes(Header + Row + Row[..50]));
        Assert.Equal((1L, 1L), (inside.UnreadableLines, inside.ConnectLines));
        Assert.Equal("3 fields where the header has 6: the row is cut short", inside.FirstUnreadable[0].Reason);
    }

    [Fact]
    public async Task A_damaged_row_group_or_footer_or_a_cut_Parquet_file_is_reported_and_the_rest_is_read()
    {
        // Three row groups of two Connect lines each; the middle group's column chunks are overwritten.
        var damaged = Path.Combine(_dir, "damaged.parquet");
        var start = new DataField<string>("line_item_usage_start_date");
        await WriteServiceMinutesAsync(damaged, start, 3, (g, i) => g.WriteAsync(start, new[] { $"2026-10-0{i + 1}T07:00:00Z", $"2026-10-0{i + 1}T08:00:00Z" }));

        var bytes = await File.ReadAllBytesAsync(damaged);
        var cut = bytes[..(bytes.Length / 2)];
        // Zeros inside the footer's schema: the footer parses, its schema does not decode (Parquet.Net decodes it on first use).
        var schemaZeroed = bytes.ToArray();
        var footer = schemaZeroed.Length - 8 - BitConverter.ToInt32(schemaZeroed, schemaZeroed.Length - 8);
        Array.Clear(schemaZeroed, footer + 40, 32);
        await using (var file = File.OpenRead(damaged))
        await using (var reader = await ParquetReader.CreateAsync(file))
        {
            foreach (var chunk in reader.Metadata!.RowGroups[1].Columns)
            {
                Array.Fill(bytes, (byte)0xFF, (int)chunk.MetaData!.DataPageOffset, (int)chunk.MetaData.TotalCompressedSize);
            }
        }

        await File.WriteAllBytesAsync(damaged, bytes);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "cut.parquet"), cut);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "schema.parquet"), schemaZeroed);

        var cur = new CurReader(new LocalObjectStore(_dir));
        var invoice = await cur.AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);

        Assert.Equal(
            ["cut.parquet row 1: the Parquet file cannot be read", "damaged.parquet row 3: row group 2 of 3 cannot be read", "schema.parquet row 1: the Parquet file cannot be read"],
            invoice.FirstUnreadable.Select(u => $"{Path.GetFileName(u.Source)} row {u.Row}: {u.Reason[..u.Reason.IndexOf(" (", StringComparison.Ordinal)]}"));
        Assert.EndsWith("the whole file is missing", invoice.FirstUnreadable[0].Reason, StringComparison.Ordinal);
        Assert.EndsWith("its 2 rows are missing", invoice.FirstUnreadable[1].Reason, StringComparison.Ordinal);
        Assert.EndsWith("the whole file is missing", invoice.FirstUnreadable[2].Reason, StringComparison.Ordinal);
        Assert.Equal((3L, 7L, 4L), (invoice.UnreadableLines, invoice.LinesRead, invoice.ConnectLines)); // lines read: 4 Connect + 3 unreadable
        Assert.Equal(60m, invoice.Usage.Values.Sum(u => u.Quantity)); // groups 1 and 3: 4 lines, 10 + 20 minutes each
    }

    [Fact]
    public async Task Running_out_of_memory_while_reading_a_row_group_fails_the_read_rather_than_reporting_the_rows_unreadable()
    {
        // It was caught as a damaged row group: `ratecard derive` wrote a card from the rest with a warning.
        var path = Path.Combine(_dir, "month.parquet");
        var start = new DataField<string>("line_item_usage_start_date");
        await WriteServiceMinutesAsync(path, start, 2, (g, i) => g.WriteAsync(start, new[] { $"2026-10-0{i + 1}T07:00:00Z", $"2026-10-0{i + 1}T08:00:00Z" }));
        var reader = new CurReader(new OutOfMemoryStore(new LocalObjectStore(_dir)));
        await Assert.ThrowsAsync<OutOfMemoryException>(() => reader.AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None));
    }

    /// <summary>A store whose files run out of memory on reading row-group data (the footer, at the end, reads).</summary>
    private sealed class OutOfMemoryStore(IObjectStore inner) : ForwardingStore(inner)
    {
        public override async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) =>
            new DataOutOfMemory(await base.OpenReadAsync(key, cancellationToken));

        private sealed class DataOutOfMemory(Stream inner) : Stream
        {
            private readonly long _footer = FooterStart(inner);

            public override bool CanRead => true;
            public override bool CanSeek => true;
            public override bool CanWrite => false;
            public override long Length => inner.Length;
            public override long Position { get => inner.Position; set => inner.Position = value; }

            public override int Read(byte[] buffer, int offset, int count) => Check().Read(buffer, offset, count);

            public override int Read(Span<byte> buffer) => Check().Read(buffer);

            public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Check().ReadAsync(buffer, cancellationToken);

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Check().ReadAsync(buffer, offset, count, cancellationToken);

            public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

            public override void Flush()
            {
            }

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }

#pragma warning disable CA2201 // the runtime's exception is the one under test
            private Stream Check() => inner.Position >= 4 && inner.Position < _footer ? throw new OutOfMemoryException() : inner;
#pragma warning restore CA2201

            /// <summary>Where the footer starts: its length is the 4 bytes before the closing magic.</summary>
            private static long FooterStart(Stream stream)
            {
                var length = new byte[4];
                stream.Position = stream.Length - 8;
                stream.ReadExactly(length);
                stream.Position = 0;
                return stream.Length - 8 - BitConverter.ToInt32(length);
            }
        }
    }

    [Fact]
    public async Task A_legacy_manifest_limits_the_report_files_to_its_assembly()
    {
        var period = Path.Combine(_dir, "prefix", "name", "20261001-20261101");
        foreach (var assembly in new[] { "old-assembly", "new-assembly" })
        {
            Directory.CreateDirectory(Path.Combine(period, assembly));
            await File.WriteAllTextAsync(Path.Combine(period, assembly, "name-1.csv"),
                "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n" +
                $"2026-10-01T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,{(assembly == "old-assembly" ? 1 : 2)},0\n");
        }

        await File.WriteAllTextAsync(Path.Combine(period, "name-Manifest.json"),
            """{ "assemblyId": "new-assembly", "reportKeys": ["prefix/name/20261001-20261101/new-assembly/name-1.csv"] }""");
        var line = Assert.Single(await ReadAll(_dir));
        Assert.Equal(2m, line.UsageAmount);

        // AWS also leaves a manifest in each assembly's folder, naming that assembly's files: the period's own still rules.
        foreach (var assembly in new[] { "old-assembly", "new-assembly" })
        {
            await File.WriteAllTextAsync(Path.Combine(period, assembly, "name-Manifest.json"),
                $$"""{ "assemblyId": "{{assembly}}", "reportKeys": ["prefix/name/20261001-20261101/{{assembly}}/name-1.csv"] }""");
        }

        line = Assert.Single(await ReadAll(_dir));
        Assert.Equal(2m, line.UsageAmount);
        Assert.Equal(2m, Assert.Single(await ReadAll(period)).UsageAmount); // pointed at the period's folder itself
    }

    [Fact]
    public async Task A_legacy_CUR_with_the_Athena_option_is_read_from_its_report_root_by_its_year_and_month_folders()
    {
        const string Header = "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n";
        foreach (var (month, amount) in new[] { (9, 1), (10, 2) })
        {
            var folder = Path.Combine(_dir, "name", "name", "year=2026", $"month={month}");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "name-00001.csv"), Header + $"2026-{month:00}-01T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,{amount},0\n");
        }

        // The status table AWS writes beside the report: no CUR columns, and no invoice lines.
        var status = Path.Combine(_dir, "name", "cost_and_usage_data_status");
        Directory.CreateDirectory(status);
        await File.WriteAllTextAsync(Path.Combine(status, "cost_and_usage_data_status.csv"), "status\nREADY\n");

        var line = Assert.Single(await ReadAll(Path.Combine(_dir, "name"), new DateOnly(2026, 10, 1)));
        Assert.Equal(2m, line.UsageAmount);
    }

    [Fact]
    public async Task Every_CSV_of_a_zip_is_read_and_an_empty_zip_or_CSV_is_reported_not_fatal()
    {
        const string Header = "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n";
        using (var zip = ZipFile.Open(Path.Combine(_dir, "cur.csv.zip"), ZipArchiveMode.Create))
        {
            foreach (var (name, text) in new[]
                     {
                         ("__MACOSX/._cur-1.csv", "\0\u0005\u0016\u0007 resource fork"),
                         ("cur-1.csv", Header + "2026-10-01T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,1,0.018\n"),
                         ("cur-2.csv", Header + "2026-10-02T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,2,0.036\n"),
                     })
            {
                await using var entry = zip.CreateEntry(name).Open();
                await entry.WriteAsync(Encoding.UTF8.GetBytes(text));
            }
        }

        ZipFile.Open(Path.Combine(_dir, "nothing.csv.zip"), ZipArchiveMode.Create).Dispose();
        await File.WriteAllBytesAsync(Path.Combine(_dir, "part-3.csv"), []);

        var reader = new CurReader(new LocalObjectStore(_dir));
        var invoice = await reader.AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);
        Assert.Equal([(1, 1m), (2, 2m)], invoice.Usage.Select(kv => (kv.Key.Day.Day, kv.Value.Quantity)).Order());
        Assert.Equal(
            ["nothing.csv.zip row 1: the zip archive holds no .csv file: nothing could be read from it", "part-3.csv row 1: the file is empty (not even a header): nothing could be read from it"],
            invoice.FirstUnreadable.Select(u => $"{Path.GetFileName(u.Source)} row {u.Row}: {u.Reason}"));
    }

    [Fact]
    public async Task Parquet_money_or_times_as_text_that_is_no_number_or_time_is_reported_not_read_as_zero()
    {
        var path = Path.Combine(_dir, "text.parquet");
        var start = new DataField<string>("line_item_usage_start_date");
        var product = new DataField<string>("line_item_product_code");
        var usageType = new DataField<string>("line_item_usage_type");
        var lineType = new DataField<string>("line_item_line_item_type");
        var amount = new DataField<string>("line_item_usage_amount");
        var cost = new DataField<double>("line_item_unblended_cost");
        var schema = new ParquetSchema(start, product, usageType, lineType, amount, cost);
        await using (var file = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        {
            using var g = writer.CreateRowGroup();
            await g.WriteAsync(start, new[] { "2026-10-05T07:00:00Z", "05/10/2026", "2026-10-05T07:00:00Z", "2026-10-05T07:00:00Z", "2026-10-05T07:00:00Z" });
            await g.WriteAsync(product, Enumerable.Repeat("AmazonConnect", 5).ToArray());
            await g.WriteAsync(usageType, Enumerable.Repeat("USE1-end-customer-mins", 5).ToArray());
            await g.WriteAsync(lineType, Enumerable.Repeat("Usage", 5).ToArray());
            await g.WriteAsync(amount, new[] { "10", "10", "n/a", "10", "1.5E+13" });
            await g.WriteAsync<double>(cost, new[] { 0.18, 0.18, 0.18, double.NaN, 0.18 });
        }

        var invoice = await new CurReader(new LocalObjectStore(path)).AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);
        Assert.Equal(
            ["row 2: usage start time '05/10/2026' is not a time", "row 3: usage amount 'n/a' is not a number", "row 4: cost 'NaN' is not a number",
                "row 5: usage amount 1500****0000 is beyond any Connect line (10^12)"],
            invoice.FirstUnreadable.Select(u => $"row {u.Row}: {u.Reason}"));
        Assert.Equal((4L, 1L, 10m), (invoice.UnreadableLines, invoice.ConnectLines, invoice.Usage.Values.Sum(u => u.Quantity)));
        Assert.All(invoice.FirstUnreadable.Skip(1), u => Assert.Equal((new DateOnly(2026, 10, 5), "USE1-end-customer-mins"), (u.Day, u.UsageType)));
    }

    [Fact]
    public async Task A_phone_number_in_an_amount_or_cost_is_no_amount_on_Connect_and_other_services_lines()
    {
        // Below the 10^12 cap: read as 16,125,550,000 USD of S3 and 16,125,550,000 minutes of Connect.
        var path = Path.Combine(_dir, "numbers-as-amounts.csv");
        await File.WriteAllTextAsync(path,
            "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost,lineItem/CurrencyCode\n" +
            "2026-10-01T00:00:00Z,AmazonS3,USE1-TimedStorage-ByteHrs,Usage,12.5,+16125550000,USD\n" +
            "2026-10-01T00:00:00Z,AmazonS3,USE1-TimedStorage-ByteHrs,Usage,12.5,+1.15,USD\n" + // a plus on an amount is still one
            "2026-10-01T00:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,+16125550000,0.18,USD\n" +
            "2026-10-01T01:00:00Z,AmazonConnect,USE1-end-customer-mins,Usage,10,0.18,USD\n");

        var invoice = await new CurReader(new LocalObjectStore(path)).AggregateAsync(new InvoiceAggregate(new DateOnly(2026, 10, 1)), null, CancellationToken.None);

        Assert.Equal([new OtherServiceTotal("AmazonS3", "USD", 2, 1.15m, 1)], invoice.OtherServices);
        var unreadable = Assert.Single(invoice.FirstUnreadable);
        Assert.Equal("row 4: usage amount '+161****0000' is not a number", $"row {unreadable.Row}: {unreadable.Reason}"); // masked, as numbers are
        Assert.Equal(10m, invoice.Usage.Values.Sum(u => u.Quantity));
    }

    [Fact]
    public async Task A_file_that_is_not_a_CUR_is_a_clear_error()
    {
        var path = Path.Combine(_dir, "notes.csv");
        await File.WriteAllTextAsync(path, "name,value\na,1\n");
        var e = await Assert.ThrowsAsync<NotACurException>(() => ReadAll(path));
        Assert.Contains("not a Cost and Usage Report", e.Message, StringComparison.Ordinal);
    }
}
