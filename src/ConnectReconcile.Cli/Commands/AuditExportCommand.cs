using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Parquet;
using Microsoft.Extensions.Logging;
using Parquet.Serialization.Attributes;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// <c>audit-export</c>: per contact and leg, every charge with its rate row and arithmetic, reproducible
/// byte for byte. Customer numbers are masked by default, keyed pseudonyms with --hash-numbers, shown with --unmask.
/// </summary>
internal static class AuditExportCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("audit-export", "Export per-contact, per-leg charges with rate rows and arithmetic to CSV or Parquet (by the --out extension)");
        var source = SharedOptions.Source(required: true);
        var from = SharedOptions.Day("--from", "First UTC day");
        var to = SharedOptions.Day("--to", "Last UTC day");
        var output = new Option<string?>("--out") { Description = "F.csv or F.parquet (required)" };
        var unmask = SharedOptions.Unmask("Write customer numbers in full (personal data!)");
        var hash = new Option<bool>("--hash-numbers") { Description = "Write a keyed pseudonym (HMAC-SHA256, needs --hash-key-file) of each customer number instead of the masked form" };
        var hashKey = new Option<string?>("--hash-key-file") { Description = "With --hash-numbers: a file holding the secret key (16 bytes or more); the same key gives the same pseudonyms across exports" };
        var endpoint = SharedOptions.EndpointUrl();
        var lookAhead = SharedOptions.LookAheadHours();
        var rating = new RatingInputs();
        foreach (var o in new Option[] { source, from, to, output, unmask, hash, hashKey, endpoint, lookAhead })
        {
            command.Options.Add(o);
        }

        rating.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var sourcePath = env.Get(parse, source) ?? throw new UsageException("--source is required.");
            var outPath = Inputs.OutputFile(env.Required(parse, output, " (F.csv or F.parquet)"), "--out");
            var format = Path.GetExtension(outPath).ToLowerInvariant();
            if (format is not (".csv" or ".parquet"))
            {
                throw new UsageException($"{env.NameOfValue(parse, output)} must end in .csv or .parquet.");
            }

            Inputs.OutsideSource(outPath, sourcePath);
            var lookAheadHours = SharedOptions.LookAheadHoursOf(env, parse, lookAhead);
            var (fromDay, toDay) = SharedOptions.DaysOf(env, parse, from, to, lookAheadHours);
            var (unmasked, hashed) = (SharedOptions.UnmaskOf(env, parse, unmask), env.Get(parse, hash));
            if (unmasked && hashed)
            {
                throw new UsageException("--unmask and --hash-numbers exclude each other.");
            }

            var keyFile = env.Get(parse, hashKey);
            if (keyFile is not null && !hashed)
            {
                throw new UsageException("--hash-key-file goes with --hash-numbers.");
            }

            Func<string?, string?> protect = unmasked ? n => n
                : hashed ? Pseudonyms(keyFile)
                : n => n is null ? null : PhoneNumbers.MaskDialled(n);
            var s3 = env.S3(parse, endpoint);
            var (rater, numbers) = rating.Resolve(env, parse, s3);
            ReplayCommand.WarnIfNumbersEstimated(env, numbers);
            var context = new RowContext(
                protect,
                rater.Card.Rows.GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Source, StringComparer.Ordinal),
                rater.Card.Version,
                rater.Policy.ToString(),
                rater.Agents);

            // Rows stream to a temporary file beside the output a day at a time, and it replaces the
            // output only once complete: a month is millions of rows, and a failed run leaves the old file.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            var partial = outPath + ".partial";
            AuditSink opened;
            try
            {
                opened = AuditSink.Create(partial, format);
            }
            catch (IOException e) when (File.Exists(partial))
            {
                // Most likely another export to the same file, holding its partial file open (locked): that file
                // is the other run's, not this one's to delete, and its run goes on.
                await env.ErrorAsync($"cannot write {partial}: {e.Message.TrimEnd('.')}. Another audit-export to {outPath} may be running: wait for it to finish or give another --out");
                return ExitCodes.Failure;
            }

            // Charges by what they are for, so the last line accounts for every row, not only the calls'.
            long calls = 0, callCharges = 0, contactCharges = 0, numberDayCharges = 0;
            JobResult result;
            try
            {
                using (var sink = opened)
                {
                    var job = new BillingJob(new BillingJobOptions
                    {
                        Source = Inputs.Existing(sourcePath, "--source", s3),
                        From = fromDay,
                        To = toDay,
                        LookAheadHours = lookAheadHours,
                        Warn = env.Warn,
                        Rater = rater,
                        Numbers = numbers,
                        OnDayRated = (_, results, extra) =>
                        {
                            var rows = new List<AuditRow>();
                            foreach (var result in results)
                            {
                                var customer = protect(result.Chain.Head.CustomerEndpoint?.Address);
                                foreach (var charge in result.Charges)
                                {
                                    var leg = charge.LegIndex is { } i ? result.Legs[i] : null;
                                    rows.Add(Row(charge, leg?.Span.Start.ToDateTime(), leg?.Span.End.ToDateTime(), leg?.Seconds, customer, context));
                                }
                            }

                            calls += results.Count;
                            callCharges += rows.Count;
                            foreach (var charge in extra)
                            {
                                rows.Add(Row(charge, null, null, null, null, context));
                                if (charge.Unit == Units.NumberDay)
                                {
                                    numberDayCharges++;
                                }
                                else
                                {
                                    contactCharges++;
                                }
                            }

                            sink.Write(rows);
                        },
                        OnRestart = () =>
                        {
                            sink.Restart();
                            (calls, callCharges, contactCharges, numberDayCharges) = (0, 0, 0, 0);
                        },
                    });
                    result = await ProgressDisplay.RunAsync(env, progress => job.RunAsync(progress, ct), JobBars.Export);
                    ReplayCommand.WarnIfNothingRead(env, result, sourcePath, fromDay, toDay);
                    ReplayCommand.WarnOfLateArrivals(env, result, lookAheadHours, manifest: false);
                    sink.Complete();
                }

                File.Move(partial, outPath, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }

            // No summary on stdout and no quarantine table: the counts and the records set aside are told here.
            SummaryTable.Log(env.Logger, result.Counts);
            ReplayCommand.WarnOfQuarantined(env, result, "the export",
                "replay (or nightly) of the same source and days writes each to the quarantine table, with its object, byte offset and reason (explain --contact shows one contact's)");
            env.Logger.LogInformation("Wrote {Charges} charges to {Path}: {CallCharges} of {Calls} calls, {ContactCharges} of chat, task and email contacts, {NumberDayCharges} number-days",
                callCharges + contactCharges + numberDayCharges, outPath, callCharges, calls, contactCharges, numberDayCharges);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>What every row of one export shares: how numbers are protected, rate-row sources by id, card version and policy, whose desk phones are whose.</summary>
    private sealed record RowContext(Func<string?, string?> Protect, Dictionary<string, string> Sources, string RateCardVersion, string Policy, AgentDirectory Agents);

    private static AuditRow Row(Charge c, DateTime? legStart, DateTime? legEnd, long? legSeconds, string? customer, RowContext context) => new()
    {
        ChainId = c.ChainId, ContactId = RowMapper.ContactIdOf(c), Day = c.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), LegIndex = c.LegIndex, LegKind = c.LegKind,
        LegStart = legStart, LegEnd = legEnd, LegSeconds = legSeconds, CustomerNumber = customer,
        LegNumber = RowMapper.IsCentresOwnNumber(c.LegKind, c.Number, context.Agents) ? c.Number : context.Protect(c.Number),
        ChargeKind = c.ChargeKind, UsageType = c.UsageType, Unit = c.Unit, ActualSeconds = c.ActualSeconds, BilledSeconds = c.BilledSeconds,
        Quantity = c.Quantity, Rate = c.Rate, Cost = c.Cost, Currency = c.Currency, RateRowId = c.RateRowId,
        RateSource = c.RateRowId is null ? null : context.Sources[c.RateRowId],
        UnratedReason = c.UnratedReason, Arithmetic = c.Arithmetic, RateCardVersion = context.RateCardVersion, Policy = context.Policy,
        InstanceId = c.InstanceId, Region = c.Region,
    };

    private const string CsvHeader = "chain_id,contact_id,day,leg_index,leg_kind,leg_start,leg_end,leg_seconds,customer_number,leg_number,charge_kind,usage_type,unit,actual_seconds,billed_seconds,quantity,rate,cost,currency,rate_row_id,rate_source,unrated_reason,arithmetic,rate_card_version,policy,instance_id,region\r\n"; // RFC 4180 ends records with CRLF

    private static void AppendCsv(TextWriter writer, AuditRow r)
    {
        var c = CultureInfo.InvariantCulture;
        string?[] cells =
        [
            r.ChainId, r.ContactId, r.Day, r.LegIndex?.ToString(c), r.LegKind, r.LegStart?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", c), r.LegEnd?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", c),
            r.LegSeconds?.ToString(c), r.CustomerNumber, r.LegNumber, r.ChargeKind, r.UsageType, r.Unit, r.ActualSeconds.ToString(c), r.BilledSeconds.ToString(c),
            StoredQuantity.Of(r.Quantity).ToString(c), r.Rate is { } rate ? RecordedRate.Text(rate) : null, r.Cost is { } cost ? RecordedCost.Text(cost) : null, r.Currency, r.RateRowId, r.RateSource, r.UnratedReason, r.Arithmetic, r.RateCardVersion, r.Policy,
            r.InstanceId, r.Region,
        ];
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }

            writer.Write(CsvCell(cells[i]));
        }

        writer.Write("\r\n");
    }

    /// <summary>Where audit rows go as they are rated: a CSV or Parquet file that a re-read starts over.</summary>
    private abstract class AuditSink : IDisposable
    {
        public static AuditSink Create(string path, string format) => format == ".csv" ? new CsvSink(path) : new ParquetSink(path);

        public abstract void Write(IReadOnlyList<AuditRow> rows);

        public abstract void Restart();

        public abstract void Complete();

        public abstract void Dispose();
    }

    private sealed class CsvSink : AuditSink
    {
        private readonly FileStream _file;
        private readonly StreamWriter _writer;

        public CsvSink(string path)
        {
            _file = File.Create(path);
            _writer = new StreamWriter(_file, new UTF8Encoding(false), 1 << 16);
            _writer.Write(CsvHeader);
        }

        public override void Write(IReadOnlyList<AuditRow> rows)
        {
            foreach (var row in rows)
            {
                AppendCsv(_writer, row);
            }
        }

        public override void Restart()
        {
            _writer.Flush();
            _file.SetLength(0);
            _writer.Write(CsvHeader);
        }

        public override void Complete() => _writer.Flush();

        public override void Dispose() => _writer.Dispose();
    }

    private sealed class ParquetSink : AuditSink
    {
        private readonly FileStream _file;
        private readonly ParquetStreamWriter<AuditRow> _writer;

        public ParquetSink(string path)
        {
            _file = File.Create(path);
            _writer = new ParquetStreamWriter<AuditRow>(_file);
        }

        public override void Write(IReadOnlyList<AuditRow> rows) => _writer.Append(rows);

        public override void Restart() => _writer.Reset();

        public override void Complete() => _writer.Complete();

        public override void Dispose() => _file.Dispose();
    }

    /// <summary>
    /// RFC 4180 quoting plus formula-injection defence: a text cell starting with = + - @ tab or CR
    /// is prefixed with an apostrophe so spreadsheets show it instead of evaluating it. Plain numbers stay numbers.
    /// </summary>
    internal static string CsvCell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var isNumber = decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _) && value[0] != '+';
        if (!isNumber && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>
    /// HMAC-SHA256 of the number's digits under the user's key. A plain hash of a phone number is no
    /// pseudonym (hashing every possible number reverses it), and digits only, so that a number
    /// written two ways is one customer.
    /// </summary>
    private static Func<string?, string?> Pseudonyms(string? keyFile)
    {
        if (keyFile is null)
        {
            throw new UsageException("--hash-numbers needs --hash-key-file: a file holding a secret key. An unkeyed hash of a phone number can be reversed by hashing every possible number.");
        }

        var key = Inputs.HashKey(keyFile);

        if (key.Length < 16)
        {
            throw new UsageException($"--hash-key-file '{keyFile}' holds {key.Length} bytes; a key needs 16 or more (e.g. `openssl rand -hex 32 > key`).");
        }

        return n => n is null ? null : "hmac:" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Identity(n))))[..16];

        // One number however it is written (+1 206…, 001206…, tel:+1-206…): its E.164 digits. Anything that is no
        // number (anonymous, a SIP address) as written: its digits alone made every such value one pseudonym.
        static string Identity(string n) => (PhoneNumbers.AsE164(n) ?? PhoneNumbers.TelUriAsE164(n)) is { } e164 ? e164[1..] : n.Trim();
    }

    internal sealed class AuditRow
    {
        [JsonPropertyName("chain_id")] public string ChainId { get; set; } = "";
        /// <summary>Null on number-days (an empty cell in the CSV), as in <c>charges</c>: they belong to no record.</summary>
        [JsonPropertyName("contact_id")] public string? ContactId { get; set; }
        [JsonPropertyName("day")] public string Day { get; set; } = "";
        [JsonPropertyName("leg_index")] public int? LegIndex { get; set; }
        [JsonPropertyName("leg_kind")] public string LegKind { get; set; } = "";
        [JsonPropertyName("leg_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime? LegStart { get; set; }
        [JsonPropertyName("leg_end"), ParquetTimestamp(ParquetTimestampResolution.Microseconds)] public DateTime? LegEnd { get; set; }
        [JsonPropertyName("leg_seconds")] public long? LegSeconds { get; set; }
        [JsonPropertyName("customer_number")] public string? CustomerNumber { get; set; }
        [JsonPropertyName("leg_number")] public string? LegNumber { get; set; }
        [JsonPropertyName("charge_kind")] public string ChargeKind { get; set; } = "";
        [JsonPropertyName("usage_type")] public string UsageType { get; set; } = "";
        [JsonPropertyName("unit")] public string Unit { get; set; } = "";
        [JsonPropertyName("actual_seconds")] public long ActualSeconds { get; set; }
        [JsonPropertyName("billed_seconds")] public long BilledSeconds { get; set; }
        [JsonPropertyName("quantity"), ParquetDecimal(18, 6)] public decimal Quantity { get; set; }
        [JsonPropertyName("rate"), ParquetDecimal(18, 8)] public decimal? Rate { get; set; }
        [JsonPropertyName("cost"), ParquetDecimal(24, 12)] public decimal? Cost { get; set; }
        [JsonPropertyName("currency")] public string Currency { get; set; } = "";
        [JsonPropertyName("rate_row_id")] public string? RateRowId { get; set; }
        [JsonPropertyName("rate_source")] public string? RateSource { get; set; }
        [JsonPropertyName("unrated_reason")] public string? UnratedReason { get; set; }
        [JsonPropertyName("arithmetic")] public string Arithmetic { get; set; } = "";
        [JsonPropertyName("rate_card_version")] public string RateCardVersion { get; set; } = "";
        [JsonPropertyName("policy")] public string Policy { get; set; } = "";
        // Last, so the earlier columns keep their places: an estate of several instances tells its rows apart by them.
        [JsonPropertyName("instance_id")] public string InstanceId { get; set; } = "";
        [JsonPropertyName("region")] public string Region { get; set; } = "";
    }
}
