using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using ConnectReconcile.Io.Storage;
using global::Parquet;
using global::Parquet.Schema;

namespace ConnectReconcile.Io.Cur;

/// <summary>Discrepancies <c>generate --cur --inject …</c> can plant.</summary>
public static class Injections
{
    /// <summary>The CTRs of one busy arrival hour are withheld (moved to <c>withheld/ctr/</c>); the invoice still bills them.</summary>
    public const string MissingHour = "missing-hour";
    /// <summary>A DID that takes calls is removed from numbers.csv (kept in <c>withheld/numbers.csv</c>); the invoice still rents it.</summary>
    public const string UnlistedNumber = "unlisted-number";
    /// <summary>The invoice prices the service usage type 10 % above the rate card.</summary>
    public const string RateDiff = "rate-diff";
    /// <summary>The busiest desk-phone agent is removed from agents.csv (kept in <c>withheld/agents.csv</c>); the invoice still bills their desk-phone legs.</summary>
    public const string DeskAgentMissing = "desk-agent-missing";

    public static IReadOnlyList<string> All { get; } = [MissingHour, UnlistedNumber, RateDiff, DeskAgentMissing];
}

public enum CurGranularity { Hourly, Daily }

/// <summary>What <c>line_item_resource_id</c> carries: nothing, the instance ARN, or a per-contact id (granular billing).</summary>
public enum CurResourceIds { None, Instance, Contact }

public enum CurFormat { Parquet, LegacyCsv }

public sealed record CurGenerationOptions
{
    /// <summary>A generated month's folder: <c>ctr/</c>, <c>agents.csv</c>, <c>numbers.csv</c>; the CUR goes to <c>cur/</c> under it.</summary>
    public required string DataDirectory { get; init; }
    /// <summary>The metering rules the "AWS side" applies (calibration should find them).</summary>
    public BillingPolicy Policy { get; init; } = BillingPolicy.Default;
    public RateCard Card { get; init; } = BuiltInRateCards.Default;
    public CurGranularity Granularity { get; init; } = CurGranularity.Hourly;
    public CurResourceIds ResourceIds { get; init; } = CurResourceIds.None;
    public CurFormat Format { get; init; } = CurFormat.Parquet;
    public IReadOnlyList<string> Inject { get; init; } = [];
    /// <summary>A 5 % communications tax on ContactCenterTelecomm per billing period.</summary>
    public bool Taxes { get; init; } = true;
    /// <summary>A free-tier credit (90 service minutes) per billing period.</summary>
    public bool FreeTierCredit { get; init; } = true;
    public decimal RateDiffFactor { get; init; } = 1.10m;
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The generated month's days. Numbers are rented every day of it, calls or not, as a replay of those days
    /// charges them; without the range only days with calls were billed (a sparse month's quiet days had none).
    /// </summary>
    public DateOnly? From { get; init; }

    public DateOnly? To { get; init; }
}

/// <summary>A planted discrepancy: what it is and where reconcile should find it.</summary>
public sealed record PlantedDiscrepancy(string Kind, string Description)
{
    public DateOnly? Day { get; init; }
    public DateTime? Hour { get; init; }
    public string? UsageType { get; init; }
    public string? Number { get; init; }
    public string? Agent { get; init; }
    public decimal? InvoiceRate { get; init; }
    public decimal? CardRate { get; init; }
}

public sealed record CurGenerationResult(IReadOnlyList<string> Files, long Lines, IReadOnlyList<PlantedDiscrepancy> Planted, string Policy);

/// <summary>
/// Writes a Cost and Usage Report consistent with a generated month, for tests and demos. The invoice
/// is built by rating the month's own CTRs (with its agents.csv and numbers.csv, a chosen policy and
/// rate card) and writing each charge's billed quantity and cost into hourly or daily lines per usage
/// type, as AWS would: so a clean month reconciles to zero <i>by construction</i>. What reconcile then
/// checks independently is everything else: reading the export format, the month/day/instance
/// alignment, the quantity-then-cost comparison, the adjustments kept apart, and — with
/// <c>--inject</c> — that each planted discrepancy is detected, lands in its row and gets its cause.
/// The generator's own truth.json checks the rating itself.
/// </summary>
public static class CurWriter
{
    public const string PlantedFile = "cur-planted.json";
    private const string ExportName = "connect-reconcile";
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task<CurGenerationResult> WriteAsync(CurGenerationOptions o, CancellationToken ct)
    {
        foreach (var kind in o.Inject.Where(k => !Injections.All.Contains(k)))
        {
            throw new ArgumentException($"Unknown injection '{kind}'; known: {string.Join(", ", Injections.All)}.");
        }

        var root = Path.GetFullPath(o.DataDirectory);
        var ctrDir = Path.Combine(root, "ctr");
        var agentsPath = Path.Combine(root, "agents.csv");
        var numbersPath = Path.Combine(root, "numbers.csv");
        var agents = File.Exists(agentsPath) ? ReferenceReaders.ReadAgents(await File.ReadAllTextAsync(agentsPath, ct).ConfigureAwait(false)) : AgentDirectory.Empty;
        var numbers = File.Exists(numbersPath) ? ReferenceReaders.ReadNumbers(await File.ReadAllTextAsync(numbersPath, ct).ConfigureAwait(false)) : NumberInventory.Missing;
        var rater = new Rater(o.Card, o.Policy, agents, numbers);
        var collector = new Collector(o);
        await new BillingJob(new BillingJobOptions
        {
            Source = new LocalObjectStore(ctrDir),
            Output = null,
            From = o.From,
            To = o.To,
            Rater = rater,
            Numbers = numbers,
            Parallelism = o.Parallelism,
            OnDayRated = (day, results, extra) => collector.Add(day, results, extra),
            OnRestart = () => collector = new Collector(o),
        }).RunAsync(null, ct).ConfigureAwait(false);

        var planted = new List<PlantedDiscrepancy>();
        if (o.Inject.Contains(Injections.RateDiff))
        {
            planted.Add(collector.PlantRateDiff(o.RateDiffFactor));
        }

        var lines = collector.Lines();
        lines.AddRange(collector.Extras(o));
        lines.Sort(LineOrder);

        var files = new List<string>();
        var curRoot = Path.Combine(root, "cur");
        if (Directory.Exists(curRoot))
        {
            Directory.Delete(curRoot, recursive: true);
        }

        foreach (var period in lines.GroupBy(l => new DateOnly(l.Start.Year, l.Start.Month, 1)).OrderBy(g => g.Key))
        {
            var list = period.ToList();
            var path = o.Format == CurFormat.Parquet
                ? Path.Combine(curRoot, ExportName, "data", string.Create(C, $"BILLING_PERIOD={period.Key:yyyy-MM}"), $"{ExportName}-00001.snappy.parquet")
                : Path.Combine(curRoot, ExportName, string.Create(C, $"{period.Key:yyyyMMdd}-{period.Key.AddMonths(1):yyyyMMdd}"), $"{ExportName}-00001.csv.gz");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (o.Format == CurFormat.Parquet)
            {
                await WriteParquetAsync(path, period.Key, list, o.Card.Currency, ct).ConfigureAwait(false);
            }
            else
            {
                await WriteCsvAsync(path, period.Key, list, o.Card.Currency, ct).ConfigureAwait(false);
            }

            files.Add(path);
        }

        // Plant the input-side discrepancies last: the invoice above was built from the complete inputs.
        if (o.Inject.Contains(Injections.UnlistedNumber))
        {
            planted.Add(collector.PlantUnlistedNumber(root, numbersPath, numbers));
        }

        if (o.Inject.Contains(Injections.DeskAgentMissing))
        {
            planted.Add(collector.PlantMissingDeskAgent(root, agentsPath));
        }

        if (o.Inject.Contains(Injections.MissingHour))
        {
            planted.Add(collector.PlantMissingHour(root, ctrDir));
        }

        var plantedPath = Path.Combine(root, PlantedFile);
        await File.WriteAllTextAsync(plantedPath, JsonSerializer.Serialize(new
        {
            policy = o.Policy.ToString(),
            rateCard = o.Card.Version,
            granularity = o.Granularity.ToString().ToLowerInvariant(),
            resourceIds = o.ResourceIds.ToString().ToLowerInvariant(),
            format = o.Format == CurFormat.Parquet ? "parquet" : "legacy-csv",
            files = files.Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')),
            planted,
        }, PlantedJson), new UTF8Encoding(false), ct).ConfigureAwait(false);
        return new CurGenerationResult(files, lines.Count, planted, o.Policy.ToString());
    }

    private static readonly JsonSerializerOptions PlantedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static int LineOrder(InvoiceLine a, InvoiceLine b)
    {
        var c = a.Start.CompareTo(b.Start);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Product, b.Product);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.UsageType, b.UsageType);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.ResourceId, b.ResourceId);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.LineType, b.LineType);
        return c != 0 ? c : a.Rate.CompareTo(b.Rate);
    }

    /// <summary>One invoice line before it is written.</summary>
    internal sealed record InvoiceLine(
        DateTime Start, DateTime End, string Product, string UsageType, string Operation, string LineType, string ResourceId,
        decimal Amount, string PricingUnit, decimal Rate, decimal Cost, string Description, string Region, string Account, string? InstanceTag);

    private readonly record struct CellKey(DateTime Start, DateTime End, string Product, string UsageType, string Operation, string InstanceId, string Region,
        string ChargeKind, string Unit, decimal Rate, string Resource);

    private sealed class CellValue
    {
        public decimal Quantity { get; set; }
        public decimal Cost { get; set; }
    }

    /// <summary>Collects the month's charges as invoice cells while the billing job rates it.</summary>
    private sealed class Collector(CurGenerationOptions o)
    {
        private readonly Dictionary<CellKey, CellValue> _cells = [];
        private readonly Dictionary<string, (string Region, string Account)> _instances = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _inboundDidCalls = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _deskSeconds = new(StringComparer.Ordinal);
        private readonly SortedSet<DateOnly> _days = [];
        private string _account = "123456789012";

        public void Add(DateOnly day, IReadOnlyList<ChainResult> results, IReadOnlyList<Charge> extra)
        {
            foreach (var r in results)
            {
                _days.Add(day);
                if (r.Chain.Head.InstanceArn is { } arn && arn.Split(':') is { Length: > 5 } parts)
                {
                    _account = parts[4];
                    _instances.TryAdd(r.Chain.InstanceId, (r.Chain.Region, parts[4]));
                }

                foreach (var leg in r.Legs.Where(l => l.Kind == LegKinds.DeskPhone && l.Agent is not null))
                {
                    _deskSeconds[leg.Agent!] = _deskSeconds.GetValueOrDefault(leg.Agent!) + leg.Seconds;
                }

                foreach (var c in r.Charges)
                {
                    if (c.ChargeKind == ChargeKinds.TelephonyInboundDid && c.LegKind == LegKinds.CustomerInbound && c.Number is { } n)
                    {
                        _inboundDidCalls[n] = _inboundDidCalls.GetValueOrDefault(n) + 1;
                    }

                    AddCharge(c);
                }
            }

            foreach (var c in extra)
            {
                AddCharge(c);
            }
        }

        private void AddCharge(Charge c)
        {
            if (c.Cost is not { } cost || c.Rate is not { } rate)
            {
                return; // unrated (e.g. chat without a per-contact row): the CTRs cannot say what AWS bills for it
            }

            var startTime = c.Start.UnixSeconds == 0 ? (DateTime?)null : c.Start.ToDateTime();
            DateTime start, end;
            if (o.Granularity == CurGranularity.Hourly)
            {
                start = InvoiceHours.HourOf(c.Day, startTime);
                end = start.AddHours(1);
            }
            else
            {
                start = c.Day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                end = start.AddDays(1);
            }

            var resource = o.ResourceIds == CurResourceIds.Contact && c.ContactId.Length > 0 ? c.ContactId
                : c.LegKind == "number" && o.ResourceIds != CurResourceIds.None ? "number:" + c.Number
                : "";
            var key = new CellKey(start, end, ProductOf(c.ChargeKind), c.UsageType, OperationOf(c.ChargeKind), c.InstanceId, c.Region, c.ChargeKind, c.Unit, rate, resource);
            if (!_cells.TryGetValue(key, out var v))
            {
                _cells[key] = v = new CellValue();
            }

            v.Quantity += c.Unit == Units.Minute ? c.BilledSeconds / 60m : c.Quantity;
            v.Cost += cost;
        }

        public PlantedDiscrepancy PlantRateDiff(decimal factor)
        {
            var target = _cells.Where(kv => kv.Key.ChargeKind == ChargeKinds.Service)
                .GroupBy(kv => kv.Key.UsageType, StringComparer.Ordinal)
                .OrderByDescending(g => g.Sum(x => x.Value.Cost)).ThenBy(g => g.Key, StringComparer.Ordinal)
                .FirstOrDefault() ?? throw new InvalidOperationException("rate-diff: the month has no service usage to reprice.");
            var cardRate = target.First().Key.Rate;
            var invoiceRate = Math.Round(cardRate * factor, 8, MidpointRounding.AwayFromZero);
            foreach (var (key, value) in target.ToList())
            {
                _cells.Remove(key);
                _cells[key with { Rate = invoiceRate }] = new CellValue { Quantity = value.Quantity, Cost = value.Quantity * invoiceRate };
            }

            return new PlantedDiscrepancy(Injections.RateDiff, $"the invoice prices {target.Key} at {invoiceRate} instead of the card's {cardRate}")
            {
                UsageType = target.Key, InvoiceRate = invoiceRate, CardRate = cardRate,
            };
        }

        public List<InvoiceLine> Lines() => _cells.Select(kv =>
        {
            var k = kv.Key;
            var (region, account) = _instances.TryGetValue(k.InstanceId, out var home) ? home : (k.Region, _account);
            var resource = o.ResourceIds switch
            {
                CurResourceIds.None => "",
                _ when k.Resource.StartsWith("number:", StringComparison.Ordinal) => $"arn:aws:connect:{region}:{account}:phone-number/{Uuid(k.Resource)}",
                CurResourceIds.Contact when k.Resource.Length > 0 => $"arn:aws:connect:{region}:{account}:instance/{k.InstanceId}/contact/{k.Resource}",
                _ => $"arn:aws:connect:{region}:{account}:instance/{k.InstanceId}",
            };
            var unit = k.Unit switch { Units.Minute => "minute", Units.NumberDay => "number-day", _ => "unit" };
            return new InvoiceLine(k.Start, k.End, k.Product, k.UsageType, k.Operation, "Usage", resource, kv.Value.Quantity, PricingUnitOf(k.Unit), k.Rate, kv.Value.Cost,
                $"${k.Rate.ToString(C)} per {unit} for {k.UsageType}", region, account, o.ResourceIds == CurResourceIds.None ? null : k.InstanceId);
        }).ToList();

        /// <summary>Taxes, the free-tier credit and a line of another service per billing period: what reconcile must keep apart.</summary>
        public IEnumerable<InvoiceLine> Extras(CurGenerationOptions options)
        {
            var region = _instances.Values.Select(v => v.Region).FirstOrDefault() ?? "us-east-1";
            var code = options.Card.RegionCode(region);
            foreach (var period in _cells.GroupBy(kv => new DateOnly(kv.Key.Start.Year, kv.Key.Start.Month, 1)).OrderBy(g => g.Key))
            {
                var start = period.Key.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                var end = start.AddMonths(1);
                if (options.Taxes)
                {
                    var telecom = period.Where(kv => kv.Key.Product == "ContactCenterTelecomm").Sum(kv => kv.Value.Cost);
                    if (telecom > 0)
                    {
                        yield return new InvoiceLine(start, end, "ContactCenterTelecomm", "", "", "Tax", "", 0m, "", 0m,
                            Math.Round(telecom * 0.05m, 2, MidpointRounding.AwayFromZero), "Tax for product code ContactCenterTelecomm (communications taxes and surcharges, 5 %)", region, _account, null);
                    }
                }

                if (options.FreeTierCredit)
                {
                    var service = period.Where(kv => kv.Key.ChargeKind == ChargeKinds.Service).GroupBy(kv => (kv.Key.UsageType, kv.Key.Rate))
                        .OrderByDescending(g => g.Sum(x => x.Value.Quantity)).FirstOrDefault();
                    if (service is not null)
                    {
                        var minutes = Math.Min(90m, service.Sum(x => x.Value.Quantity));
                        yield return new InvoiceLine(start, end, "AmazonConnect", service.Key.UsageType, "", "Credit", "", 0m, "", 0m,
                            -Math.Round(minutes * service.Key.Rate, 2, MidpointRounding.AwayFromZero), "AWS Free Tier credit: 90 minutes of Amazon Connect voice usage a month", region, _account, null);
                    }
                }

                foreach (var day in period.Select(kv => DateOnly.FromDateTime(kv.Key.Start)).Distinct().Order())
                {
                    var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                    yield return new InvoiceLine(dayStart, dayStart.AddDays(1), "AmazonS3", code + "-TimedStorage-ByteHrs", "StandardStorage", "Usage", "", 12.5m, "GB-Mo", 0.023m, 0.2875m,
                        "$0.023 per GB-Month of storage used (call recordings)", region, _account, null);
                }
            }
        }

        public PlantedDiscrepancy PlantUnlistedNumber(string root, string numbersPath, NumberInventory numbers)
        {
            var number = _inboundDidCalls.Where(kv => numbers.Contains(kv.Key) && numbers.TypeOf(kv.Key) == NumberTypes.Did)
                .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).FirstOrDefault()
                ?? throw new InvalidOperationException("unlisted-number: no DID in numbers.csv took calls.");
            var lines = File.ReadAllLines(numbersPath);
            Withhold(root, numbersPath, "numbers.csv");
            File.WriteAllLines(numbersPath, lines.Where(l => !l.StartsWith(number + ",", StringComparison.Ordinal)));
            var region = _instances.Values.Select(v => v.Region).FirstOrDefault() ?? "us-east-1";
            var model = o.Card.PricingModelFor(_instances.Keys.FirstOrDefault() ?? "*", _days.Count > 0 ? _days.Min : DateOnly.MinValue);
            var country = numbers.CountryOf(number);
            var row = o.Card.Find(region, model, ChargeKinds.NumberDaysDid, country, number, _days.Count > 0 ? _days.Min : DateOnly.MinValue);
            return new PlantedDiscrepancy(Injections.UnlistedNumber, $"{number} is rented on the invoice but missing from numbers.csv (original in withheld/numbers.csv)")
            {
                Number = number,
                UsageType = o.Card.UsageTypeFor(row, model, ChargeKinds.NumberDaysDid, region, country),
            };
        }

        public PlantedDiscrepancy PlantMissingDeskAgent(string root, string agentsPath)
        {
            var agent = _deskSeconds.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).FirstOrDefault()
                ?? throw new InvalidOperationException("desk-agent-missing: no desk-phone agent handled a call.");
            var lines = File.ReadAllLines(agentsPath);
            Withhold(root, agentsPath, "agents.csv");
            File.WriteAllLines(agentsPath, lines.Where(l => !l.StartsWith(agent + ",", StringComparison.Ordinal)));
            var outbound = _cells.Keys.Where(k => k.ChargeKind == ChargeKinds.TelephonyOutbound).GroupBy(k => k.UsageType, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
            return new PlantedDiscrepancy(Injections.DeskAgentMissing, $"desk-phone agent {agent} is missing from agents.csv (original in withheld/agents.csv); the invoice bills their desk-phone legs")
            {
                Agent = agent, UsageType = outbound,
            };
        }

        public PlantedDiscrepancy PlantMissingHour(string root, string ctrDir)
        {
            var day = _days.Count == 0 ? throw new InvalidOperationException("missing-hour: the month has no voice usage.") : _days.ElementAt(_days.Count / 2);
            var folders = Directory.Exists(ctrDir)
                ? Directory.EnumerateDirectories(ctrDir, "*", SearchOption.AllDirectories)
                    .Select(d => (Path: d, Rel: Path.GetRelativePath(ctrDir, d).Replace('\\', '/')))
                    .Where(d => d.Rel.Split('/').Length == 4 && d.Rel.StartsWith(day.ToString("yyyy/MM/dd", C), StringComparison.Ordinal))
                    .Select(d => (d.Path, d.Rel, Bytes: Directory.EnumerateFiles(d.Path).Sum(f => new FileInfo(f).Length)))
                    .OrderByDescending(d => d.Bytes).ThenBy(d => d.Rel, StringComparer.Ordinal)
                    .ToList()
                : [];
            if (folders.Count == 0)
            {
                throw new InvalidOperationException($"missing-hour: no arrival-hour folder for {day:yyyy-MM-dd} under {ctrDir}.");
            }

            var (path, rel, _) = folders[0];
            var target = Path.Combine(root, "withheld", "ctr", rel.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.Move(path, target);
            var hour = DateTime.ParseExact(rel, "yyyy/MM/dd/HH", C, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            return new PlantedDiscrepancy(Injections.MissingHour, $"the CTRs that arrived in {rel} are withheld (moved to withheld/ctr/{rel}); the invoice still bills their calls")
            {
                Day = day, Hour = hour,
            };
        }

        private static void Withhold(string root, string path, string name)
        {
            var dir = Path.Combine(root, "withheld");
            Directory.CreateDirectory(dir);
            File.Copy(path, Path.Combine(dir, name), overwrite: true);
        }
    }

    private static string ProductOf(string chargeKind) =>
        chargeKind.StartsWith("telephony:", StringComparison.Ordinal) || chargeKind.StartsWith("number-days:", StringComparison.Ordinal) ? "ContactCenterTelecomm"
        : chargeKind == ChargeKinds.ContactLens ? "ContactLensAmazonConnect"
        : "AmazonConnect";

    private static string OperationOf(string chargeKind) =>
        chargeKind == ChargeKinds.Service ? "VoiceUsage"
        : chargeKind.StartsWith("telephony:", StringComparison.Ordinal) ? "Telephony"
        : chargeKind.StartsWith("number-days:", StringComparison.Ordinal) ? "PhoneNumber"
        : chargeKind == ChargeKinds.ContactLens ? "ContactLensVoice"
        : "Usage";

    private static string PricingUnitOf(string unit) => unit switch
    {
        Units.Minute => "Minutes",
        Units.NumberDay => "Number-Days",
        _ => "Count",
    };

    private static string Uuid(string seed)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return new Guid(hash.AsSpan(0, 16)).ToString("D");
    }

    // ---- writers --------------------------------------------------------------------------

    private static readonly DateTimeDataField PeriodStart = new("bill_billing_period_start_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
    private static readonly DateTimeDataField PeriodEnd = new("bill_billing_period_end_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
    private static readonly DataField<string> Payer = new("bill_payer_account_id");
    private static readonly DataField<string> UsageAccount = new("line_item_usage_account_id");
    private static readonly DataField<string> LineType = new("line_item_line_item_type");
    private static readonly DateTimeDataField UsageStart = new("line_item_usage_start_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
    private static readonly DateTimeDataField UsageEnd = new("line_item_usage_end_date", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis);
    private static readonly DataField<string> Product = new("line_item_product_code");
    private static readonly DataField<string> UsageType = new("line_item_usage_type");
    private static readonly DataField<string> Operation = new("line_item_operation");
    private static readonly DataField<string> Resource = new("line_item_resource_id");
    private static readonly DataField<double> Amount = new("line_item_usage_amount");
    private static readonly DataField<string> Unit = new("pricing_unit");
    private static readonly DataField<string> Rate = new("line_item_unblended_rate");
    private static readonly DataField<double> Cost = new("line_item_unblended_cost");
    private static readonly DataField<string> Currency = new("line_item_currency_code");
    private static readonly DataField<string> Description = new("line_item_line_item_description");
    private static readonly DataField<string> RegionCode = new("product_region_code");
    private static readonly MapField Tags = new("resource_tags", new DataField<string>("key", false), new DataField<string>("value"));

    // The lines are priced with the card, so they are in its currency: a EUR card's costs labelled USD were not compared.
    private static async Task WriteParquetAsync(string path, DateOnly period, IReadOnlyList<InvoiceLine> lines, string currency, CancellationToken ct)
    {
        var schema = new ParquetSchema(PeriodStart, PeriodEnd, Payer, UsageAccount, LineType, UsageStart, UsageEnd, Product, UsageType, Operation, Resource,
            Amount, Unit, Rate, Cost, Currency, Description, RegionCode, Tags);
        var data = schema.GetDataFields();
        var tagKey = data.First(f => f.Path.Length > 1 && f.Name == "key");
        var tagValue = data.First(f => f.Path.Length > 1 && f.Name == "value");
        var periodStart = period.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var periodEnd = periodStart.AddMonths(1);
        await using var file = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, file, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, cancellationToken: ct).ConfigureAwait(false);
        const int groupSize = 250_000;
        for (var offset = 0; offset < lines.Count; offset += groupSize)
        {
            var chunk = lines.Skip(offset).Take(groupSize).ToList();
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<DateTime>(PeriodStart, chunk.Select(_ => periodStart).ToArray(), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync<DateTime>(PeriodEnd, chunk.Select(_ => periodEnd).ToArray(), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync(Payer, chunk.Select(l => l.Account).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(UsageAccount, chunk.Select(l => l.Account).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(LineType, chunk.Select(l => l.LineType).ToArray()).ConfigureAwait(false);
            await group.WriteAsync<DateTime>(UsageStart, chunk.Select(l => l.Start).ToArray(), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync<DateTime>(UsageEnd, chunk.Select(l => l.End).ToArray(), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync(Product, chunk.Select(l => l.Product).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(UsageType, chunk.Select(l => l.UsageType).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(Operation, chunk.Select(l => l.Operation).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(Resource, chunk.Select(l => l.ResourceId).ToArray()).ConfigureAwait(false);
            await group.WriteAsync<double>(Amount, chunk.Select(l => (double)l.Amount).ToArray(), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync(Unit, chunk.Select(l => l.PricingUnit).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(Rate, chunk.Select(l => l.Rate == 0m ? "" : l.Rate.ToString(C)).ToArray()).ConfigureAwait(false);
            await group.WriteAsync<double>(Cost, chunk.Select(l => (double)l.Cost).ToArray(), cancellationToken: ct).ConfigureAwait(false);
            await group.WriteAsync(Currency, chunk.Select(_ => currency).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(Description, chunk.Select(l => l.Description).ToArray()).ConfigureAwait(false);
            await group.WriteAsync(RegionCode, chunk.Select(l => l.Region).ToArray()).ConfigureAwait(false);
            var keys = new List<string>(chunk.Count);
            var values = new List<string>(chunk.Count);
            var levels = new List<int>(chunk.Count);
            foreach (var l in chunk)
            {
                // One entry per row: the instance tag, or an empty map.
                keys.Add(l.InstanceTag is null ? null! : "aws:connect:instanceId");
                values.Add(l.InstanceTag!);
                levels.Add(0);
            }

            await group.WriteAsync(tagKey, keys, levels.ToArray()).ConfigureAwait(false);
            await group.WriteAsync(tagValue, values, levels.ToArray()).ConfigureAwait(false);
        }
    }

    private static readonly string[] LegacyHeader =
    [
        "identity/LineItemId", "bill/BillingPeriodStartDate", "bill/BillingPeriodEndDate", "bill/PayerAccountId", "lineItem/UsageAccountId",
        "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/UsageEndDate", "lineItem/ProductCode", "lineItem/UsageType", "lineItem/Operation",
        "lineItem/ResourceId", "lineItem/UsageAmount", "pricing/unit", "lineItem/UnblendedRate", "lineItem/UnblendedCost", "lineItem/CurrencyCode",
        "lineItem/LineItemDescription", "product/region", "resourceTags/aws:connect:instanceId",
    ];

    private static async Task WriteCsvAsync(string path, DateOnly period, IReadOnlyList<InvoiceLine> lines, string currency, CancellationToken ct)
    {
        var periodStart = period.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var periodEnd = periodStart.AddMonths(1);
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var w = new StreamWriter(gzip, new UTF8Encoding(false), 1 << 16);
        await w.WriteLineAsync(string.Join(',', LegacyHeader)).ConfigureAwait(false);
        var id = 0;
        foreach (var l in lines)
        {
            ct.ThrowIfCancellationRequested();
            string[] fields =
            [
                (++id).ToString("D8", C), Time(periodStart), Time(periodEnd), l.Account, l.Account, l.LineType, Time(l.Start), Time(l.End), l.Product, l.UsageType,
                l.Operation, l.ResourceId, ((double)l.Amount).ToString("R", C), l.PricingUnit, l.Rate == 0m ? "" : l.Rate.ToString(C), ((double)l.Cost).ToString("R", C), currency, l.Description,
                l.Region, l.InstanceTag ?? "",
            ];
            await w.WriteLineAsync(string.Join(',', fields.Select(Quote))).ConfigureAwait(false);
        }
    }

    private static string Time(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", C);

    private static string Quote(string s) =>
        s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
