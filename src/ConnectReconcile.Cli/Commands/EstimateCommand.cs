using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Estimation;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Io.Estimation;
using ConnectReconcile.Io.Jobs;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// <c>estimate</c>: "what will Amazon Connect cost us at our volumes?" from a volume profile, or from
/// a profile derived from real CTRs (<c>--from-ctrs</c>), priced by the same rating core as a replay.
/// </summary>
internal static class EstimateCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("estimate",
            "Monthly cost (or the cost of the profile's days) of a call-volume profile (YAML or JSON, docs/estimate.md), by charge kind and usage type, with the assumptions printed. " +
            "--from-ctrs derives the profile from real CTRs instead (save it with --save-profile, edit it, estimate again).");
        var profileOption = new Option<string?>("--profile") { Description = "Volume profile, YAML or JSON (examples/profiles/)" };
        var fromCtrs = new Option<string?>("--from-ctrs") { Description = "Derive the profile from these CTRs (a folder, a file, s3://bucket/prefix/ or s3://bucket/key)" };
        var region = new Option<string?>("--region") { Description = "Price in this region instead of the profile's (the home country moves to the region's, see --country)" };
        var country = new Option<string?>("--country") { Description = "Home country (numbers, customers, desk phones), ISO alpha-2, instead of the profile's or the one --region implies" };
        var pricingModel = new Option<string?>("--pricing-model") { Description = "per-feature or unlimited-ai, instead of the profile's" };
        var month = new Option<string?>("--month") { Description = "Month to estimate, YYYY-MM (default: the profile's month, else the current UTC month)" };
        var from = SharedOptions.Day("--from", "With --from-ctrs: first UTC day of chains to measure");
        var to = SharedOptions.Day("--to", "With --from-ctrs: last UTC day of chains to measure");
        var save = new Option<string?>("--save-profile") { Description = "With --from-ctrs: write the derived profile here (.yaml or .json)" };
        var json = new Option<bool>("--json") { Description = "Print the estimate as one JSON object (unrounded amounts) on stdout" };
        var resolution = new Option<int?>("--resolution") { Description = "Representative calls per kind of call (default 200)" };
        var endpoint = SharedOptions.EndpointUrl();
        var rating = new RatingInputs();
        foreach (var o in new Option[] { profileOption, fromCtrs, region, country, pricingModel, month, from, to, save, json, resolution, endpoint })
        {
            command.Options.Add(o);
        }

        rating.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var profilePath = env.Get(parse, profileOption) is { } p ? Inputs.LocalOnly(p, "--profile") : null;
            var ctrPath = env.Get(parse, fromCtrs);
            if (env.Get(parse, save) is { } saveTo)
            {
                Inputs.LocalOnly(saveTo, "--save-profile");
            }

            if ((profilePath is null) == (ctrPath is null))
            {
                throw new UsageException("Give exactly one of --profile F (a volume profile) or --from-ctrs PATH (derive one from CTRs).");
            }

            if (ctrPath is null && (env.Get(parse, save) is not null || env.Get(parse, from) is not null || env.Get(parse, to) is not null))
            {
                throw new UsageException("--save-profile, --from and --to go with --from-ctrs.");
            }

            if (ctrPath is null && (env.Get(parse, rating.AgentsOption) is not null || env.Get(parse, rating.NumbersOption) is not null))
            {
                // Ignoring them would look as if they had shaped the estimate.
                throw new UsageException("--agents and --numbers go with --from-ctrs: a profile states its desk-phone share and its numbers itself (docs/estimate.md).");
            }

            var s3 = env.S3(parse, endpoint);
            var card = Inputs.RateCard(env.Get(parse, rating.RateCardOption), s3);
            if (env.Get(parse, region) is { } wanted)
            {
                MustBePriced(card, wanted); // before deriving a profile, which replays the CTRs
            }
            var policy = Inputs.Policy(env.Get(parse, rating.PolicyOption));
            VolumeProfile profile;
            DerivedProfile? derived = null;
            if (profilePath is not null)
            {
                if (!File.Exists(profilePath))
                {
                    throw new UsageException($"The profile '{profilePath}' does not exist.");
                }

                profile = Usage(() => ProfileReader.Read(File.ReadAllText(profilePath)), profilePath);
            }
            else
            {
                var (fromDay, toDay) = SharedOptions.DaysOf(env, parse, from, to);
                var numbers = Inputs.Numbers(env.Get(parse, rating.NumbersOption), env.Warn, s3);
                var rater = new Rater(card, policy, Inputs.Agents(env.Get(parse, rating.AgentsOption), env.Warn, s3), numbers);
                var options = new BillingJobOptions
                {
                    Source = Inputs.Existing(ctrPath!, "--from-ctrs", s3),
                    From = fromDay,
                    To = toDay,
                    Warn = env.Warn,
                    Rater = rater,
                    Numbers = numbers,
                };
                env.Logger.LogInformation("Deriving a volume profile from {Source} (rate card {RateCard}, policy {Policy})", ctrPath, card.Version, policy);
                derived = await ProgressDisplay.RunAsync(env, progress => ProfileDeriver.DeriveAsync(options, "derived from " + ctrPath, progress, ct), JobBars.Totals);
                ReplayCommand.WarnOfUnreadableObjects(env, derived.Replay.Quarantined);
                profile = derived.Profile;
                if (env.Get(parse, save) is { } savePath)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(savePath))!);
                    await File.WriteAllTextAsync(savePath, ProfileWriter.ForPath(savePath, profile), new UTF8Encoding(false), ct);
                    env.Logger.LogInformation("Wrote the derived profile to {Path}", savePath);
                }
            }

            var wantedRegion = env.Get(parse, region);
            var wantedCountry = env.Get(parse, country);
            if ((wantedRegion is not null && wantedRegion != profile.Region) || wantedCountry is not null)
            {
                // The home country moves with the region: US numbers priced in Tokyo have no rows, and an estimate missing its telephony looked cheaper.
                var before = profile;
                profile = Usage(() => before.MoveTo(wantedRegion ?? before.Region, wantedCountry, card), wantedCountry is null ? "--region" : "--country");
            }

            if (env.Get(parse, pricingModel) is { } model)
            {
                profile = profile with { PricingModel = model };
            }

            // The replay prices the CTRs where and how they were billed: an estimate moved elsewhere is a what-if, not a check.
            var moved = derived is null ? [] : new[]
            {
                profile.Region != derived.Profile.Region ? $"region {derived.Profile.Region} → {profile.Region}" : null,
                profile.Country != derived.Profile.Country ? $"home country {derived.Profile.Country} → {profile.Country}" : null,
                profile.PricingModel != derived.Profile.PricingModel ? $"pricing model {derived.Profile.PricingModel} → {profile.PricingModel}" : null,
            }.OfType<string>().ToArray();

            MustBePriced(card, profile.Region);

            DateOnly? monthOverride = null;
            if (env.Get(parse, month) is { } m)
            {
                monthOverride = DateOnly.TryParseExact(m, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first)
                    ? first
                    : throw new UsageException($"{env.NameOfValue(parse, month)} must be YYYY-MM, found '{m}'.");
            }

            var now = env.Clock.GetUtcNow().UtcDateTime;
            var estimateOptions = new EstimateOptions
            {
                Month = monthOverride ?? new DateOnly(now.Year, now.Month, 1),
                Resolution = env.Get(parse, resolution) ?? 200,
            };
            if (estimateOptions.Resolution is < 1 or > 5000)
            {
                throw new UsageException($"{env.NameOfValue(parse, resolution)} must be between 1 and 5000.");
            }

            if (monthOverride is not null && profile.Month is not null)
            {
                profile = profile with { Month = monthOverride, Days = null };
            }

            var result = Usage(() => new Estimator(card, policy).Estimate(profile, estimateOptions), profilePath ?? "the derived profile");
            if (derived?.ModelsUsed is { Count: > 1 } models)
            {
                // The measured days switched pricing model; the profile carries one, so every day is priced on it.
                moved = [.. moved, $"pricing models {string.Join(" and ", models)} → {result.PricingModel} every day"];
            }

            if (derived?.Profile is { Month: { } measuredFrom, Days: { } measuredDays } && (result.From != measuredFrom || result.Days != measuredDays))
            {
                // --month: a month of other days (or more of them) than the replay's is a what-if too, not a check of the estimate.
                moved = [.. moved, string.Create(CultureInfo.InvariantCulture,
                    $"days {measuredFrom:yyyy-MM-dd} to {measuredFrom.AddDays(measuredDays - 1):yyyy-MM-dd} ({measuredDays}) → {result.From:yyyy-MM-dd} to {result.To:yyyy-MM-dd} ({result.Days})")];
            }

            var unpriced = derived is null ? [] : UnpricedInEstimate(result, derived);
            var notModelled = derived is null ? [] : NotModelled(card, policy, derived);
            if (env.Get(parse, json))
            {
                await env.Out.WriteLineAsync(Json(result, derived, moved, unpriced, notModelled));
            }
            else
            {
                Print(env, result, derived, moved, unpriced, notModelled);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static T Usage<T>(Func<T> action, string what)
    {
        try
        {
            return action();
        }
        catch (FormatException e)
        {
            throw new UsageException($"{what}: {e.Message}");
        }
    }

    private static string Money(decimal amount) => RunTotals.Cents(amount).ToString("N2", CultureInfo.InvariantCulture);

    private static string Percent(decimal part, decimal whole) =>
        whole == 0 ? "" : (part / whole * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    /// <summary>
    /// Charge kinds the estimate left (partly) unrated that the replay priced in full: the estimate's total lacks them,
    /// so its difference from the replay is (partly) that usage, not a measure of the estimate.
    /// </summary>
    private static string[] UnpricedInEstimate(EstimateResult r, DerivedProfile derived) =>
        r.Lines.Where(l => l.UnratedQuantity > 0).Select(l => l.ChargeKind).Distinct(StringComparer.Ordinal)
            .Where(kind => !derived.Replay.Totals.ByKind.TryGetValue(kind, out var replayed) || replayed.Unrated == 0)
            .Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// What the replay priced that a derived profile cannot carry: prefix rate rows (a profile keys outbound by country, and
    /// transfers and callbacks get one number a country) and per-record service (synthetic records never overlap).
    /// </summary>
    private static string[] NotModelled(RateCard card, BillingPolicy policy, DerivedProfile derived)
    {
        var c = CultureInfo.InvariantCulture;
        var list = new List<string>();
        var prefixRows = card.Rows.Where(r => r.Prefix is not null && derived.RowsUsed is not null && derived.RowsUsed.ContainsKey(r.Id))
            .OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        if (prefixRows.Count > 0)
        {
            list.Add("the rate card's prefix rows that priced measured legs (" +
                string.Join(", ", prefixRows.Select(r => string.Create(c, $"{r.Id} {r.Prefix}: {Money(derived.RowsUsed![r.Id])}"))) + "); it prices destinations by country");
        }

        if (policy.ServiceMetering == ServiceMetering.PerRecord)
        {
            list.Add("per-record service metering (service=per-record): its synthetic transfers' records do not overlap, so service is metered as per-leg");
        }

        return [.. list];
    }

    private static void Print(CliEnvironment env, EstimateResult r, DerivedProfile? derived, string[] moved, string[] unpriced, string[] notModelled)
    {
        var c = CultureInfo.InvariantCulture;
        var o = env.Out;
        o.WriteLine($"Estimate: {r.Profile.Name ?? "volume profile"}");
        o.WriteLine($"{r.Region} · {r.PricingModel} · rate card {r.RateCardVersion} · {r.From:yyyy-MM-dd} to {r.To:yyyy-MM-dd} ({r.Days} days)");
        o.WriteLine();
        o.WriteLine("Assumptions:");
        foreach (var a in r.Assumptions)
        {
            o.WriteLine("  - " + a);
        }

        o.WriteLine();
        var kinds = new TextTable(r.WholeMonth ? "Monthly cost by charge kind" : $"Cost {r.Period} by charge kind", "charge kind", ">cost", ">share");
        foreach (var k in r.ByChargeKind)
        {
            kinds.Add(k.Key, Money(k.Cost), Percent(k.Cost, r.Total));
        }

        kinds.Total("total", Money(r.Total) + " " + r.Currency, "");
        kinds.WriteTo(o);

        var usage = new TextTable("By usage type", "usage type", "charge kind", ">quantity", "unit", ">rate", ">cost", ">unrated");
        foreach (var l in r.Lines)
        {
            // One rate only when one applies: prefix rows or a price change inside the days price parts of a line differently.
            usage.Add(l.UsageType, l.ChargeKind, l.Quantity.ToString("N2", c), l.Unit, l.MixedRates ? "mixed" : l.Rate is { } rate ? RecordedRate.Text(rate) : "",
                Money(l.Cost), l.UnratedQuantity == 0 ? "" : l.UnratedQuantity.ToString("N2", c));
        }

        usage.WriteTo(o);
        foreach (var l in r.Lines.Where(l => l.MixedRates))
        {
            o.WriteLine($"Mixed rates of {ConsoleText.Escape(l.UsageType)}: " +
                string.Join("; ", l.Rates.Select(p => $"{p.Quantity.ToString("N2", c)} {l.Unit} at {RecordedRate.Text(p.Rate)} = {Money(p.Cost)} (row {ConsoleText.Escape(p.RowId)})")));
        }

        if (r.Lines.Any(l => l.MixedRates))
        {
            o.WriteLine();
        }

        var segments = new TextTable("By segment (IVR / queue / agent …)", "segment", ">cost", ">share");
        foreach (var s in r.BySegment)
        {
            segments.Add(s.Key, Money(s.Cost), Percent(s.Cost, r.Total));
        }

        segments.WriteTo(o);

        var calls = new TextTable($"Calls (and numbers, contacts) {r.Period} by kind", "kind", ">count", ">cost", ">each");
        foreach (var g in r.Calls)
        {
            calls.Add(g.Group, g.CallsPerMonth.ToString("N1", c), Money(g.Cost), g.CallsPerMonth == 0 ? "" : (g.Cost / g.CallsPerMonth).ToString("0.0000", c));
        }

        calls.WriteTo(o);
        foreach (var reason in r.UnratedReasons)
        {
            o.WriteLine("Unrated (no rate-card row, not priced): " + reason);
        }

        o.WriteLine($"Total: {Money(r.Total)} {r.Currency} {r.Period}");
        if (derived is not null)
        {
            var difference = derived.ReplayCost == 0 ? "n/a" : ((r.Total - derived.ReplayCost) / derived.ReplayCost * 100).ToString("+0.00;-0.00;0.00", c) + " %";
            if (unpriced.Length > 0)
            {
                // A total that lacks usage the replay priced is not comparable with it, moved or not.
                var replayed = unpriced.Sum(k => derived.Replay.Totals.ByKind.TryGetValue(k, out var t) ? t.Cost : 0);
                o.WriteLine($"Replayed cost of the same CTRs{(moved.Length == 0 ? "" : ", as they were billed")}: {Money(derived.ReplayCost)} {r.Currency}." +
                    (moved.Length == 0 ? "" : $" This estimate moves them ({string.Join(", ", moved)}).") +
                    $" It leaves {string.Join(", ", unpriced)} usage unrated (no rate-card row{(moved.Length == 0 ? "" : " in " + r.Region)}: not in its total), which the replay priced at {Money(replayed)} {r.Currency}," +
                    $" so unrated usage explains (part of) its {difference}, which is no measure of the estimate's error{(moved.Length == 0 ? "" : " nor of what that change would make")}.");
            }
            else
            {
                o.WriteLine(moved.Length == 0
                    ? $"Replayed cost of the same CTRs: {Money(derived.ReplayCost)} {r.Currency}; the estimate from the derived profile differs by {difference}."
                    : $"Replayed cost of the same CTRs, as they were billed: {Money(derived.ReplayCost)} {r.Currency}. This estimate moves them ({string.Join(", ", moved)}), " +
                      $"so its {difference} is what that change would make, not an error of the estimate.");
            }

            foreach (var what in notModelled)
            {
                o.WriteLine($"Not comparable with the replay: the estimate does not model {what}.");
            }
        }
    }

    private static string Json(EstimateResult r, DerivedProfile? derived, string[] moved, string[] unpriced, string[] notModelled)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("profile", r.Profile.Name);
            w.WriteString("region", r.Region);
            w.WriteString("country", r.Country);
            w.WriteString("pricingModel", r.PricingModel);
            w.WriteString("rateCard", r.RateCardVersion);
            w.WriteString("policy", r.Policy);
            w.WriteString("currency", r.Currency);
            w.WriteString("from", r.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteString("to", r.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteNumber("days", r.Days);
            w.WriteNumber("total", r.Total);
            w.WriteStartObject("byChargeKind");
            foreach (var k in r.ByChargeKind)
            {
                w.WriteNumber(k.Key, k.Cost);
            }

            w.WriteEndObject();
            w.WriteStartArray("lines");
            foreach (var l in r.Lines)
            {
                w.WriteStartObject();
                w.WriteString("chargeKind", l.ChargeKind);
                w.WriteString("usageType", l.UsageType);
                w.WriteString("unit", l.Unit);
                w.WriteNumber("quantity", l.Quantity);
                w.WriteNumber("cost", l.Cost);
                w.WriteNumber("unratedQuantity", l.UnratedQuantity);
                if (l.Rate is { } rate)
                {
                    w.WriteNumber("rate", rate);
                }
                else
                {
                    w.WriteNull("rate"); // none rated, or several rates (rateRows)
                }

                w.WriteStartArray("rateRows");
                foreach (var part in l.Rates)
                {
                    w.WriteStartObject();
                    w.WriteString("row", part.RowId);
                    w.WriteNumber("rate", part.Rate);
                    w.WriteNumber("quantity", part.Quantity);
                    w.WriteNumber("cost", part.Cost);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            foreach (var (name, shares) in new[] { ("bySegment", r.BySegment), ("byLegKind", r.ByLegKind) })
            {
                w.WriteStartObject(name);
                foreach (var s in shares)
                {
                    w.WriteNumber(s.Key, s.Cost);
                }

                w.WriteEndObject();
            }

            w.WriteStartArray("calls");
            foreach (var g in r.Calls)
            {
                w.WriteStartObject();
                w.WriteString("kind", g.Group);
                w.WriteNumber("perMonth", g.CallsPerMonth);
                w.WriteNumber("cost", g.Cost);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("assumptions");
            foreach (var a in r.Assumptions)
            {
                w.WriteStringValue(a);
            }

            w.WriteEndArray();
            w.WriteStartArray("unrated");
            foreach (var u in r.UnratedReasons)
            {
                w.WriteStringValue(u);
            }

            w.WriteEndArray();
            if (derived is not null)
            {
                w.WriteStartObject("replay");
                w.WriteNumber("cost", derived.ReplayCost);
                w.WriteNumber("chains", derived.Replay.Counts.Chains);
                // false: --region, --country, --pricing-model or --month moved the estimate away from how the CTRs were billed,
                // or the estimate left usage unrated that the replay priced (unratedInEstimate)
                // or the replay priced something a profile cannot carry (notModelled)
                w.WriteBoolean("comparable", moved.Length == 0 && unpriced.Length == 0 && notModelled.Length == 0);
                w.WriteStartArray("notModelled");
                foreach (var what in notModelled)
                {
                    w.WriteStringValue(what);
                }

                w.WriteEndArray();
                w.WriteStartArray("moved");
                foreach (var change in moved)
                {
                    w.WriteStringValue(change);
                }

                w.WriteEndArray();
                w.WriteStartArray("unratedInEstimate");
                foreach (var kind in unpriced)
                {
                    w.WriteStringValue(kind);
                }

                w.WriteEndArray();
                if (derived.ReplayCost != 0)
                {
                    w.WriteNumber("differencePercent", Math.Round((r.Total - derived.ReplayCost) / derived.ReplayCost * 100, 4, MidpointRounding.AwayFromZero));
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>A region the card has no prices for would estimate every minute at zero: a usage error instead.</summary>
    private static void MustBePriced(RateCard card, string region)
    {
        var priced = card.Rows.Select(row => row.Region).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (!priced.Contains(region, StringComparer.Ordinal))
        {
            throw new UsageException($"The rate card {card.Version} has no prices for region '{region}' (it has {string.Join(", ", priced)}).");
        }
    }
}

/// <summary>A plain aligned text table for stdout: never wraps or crops (usage types are long), easy to grep.</summary>
internal sealed class TextTable
{
    private readonly string _title;
    private readonly string[] _headers;
    private readonly bool[] _right;
    private readonly List<string[]> _rows = [];
    private string[]? _total;

    /// <param name="headers">Column names; a leading '>' right-aligns the column.</param>
    public TextTable(string title, params string[] headers)
    {
        _title = title;
        _right = headers.Select(h => h.StartsWith('>')).ToArray();
        _headers = headers.Select(h => h.TrimStart('>')).ToArray();
    }

    /// <summary>A row; cells may hold CTR text (a queue's name), shown with its control characters escaped.</summary>
    public void Add(params string[] cells) => _rows.Add([.. cells.Select(ConsoleText.Escape)]);

    public void Total(params string[] cells) => _total = cells;

    public void WriteTo(TextWriter o)
    {
        var all = new List<string[]> { _headers };
        all.AddRange(_rows);
        if (_total is not null)
        {
            all.Add(_total);
        }

        var widths = Enumerable.Range(0, _headers.Length).Select(i => all.Max(r => i < r.Length ? r[i].Length : 0)).ToArray();
        string Line(string[] cells) => string.Join("  ", widths.Select((w, i) =>
        {
            var cell = i < cells.Length ? cells[i] : "";
            return _right[i] ? cell.PadLeft(w) : cell.PadRight(w);
        })).TrimEnd();
        var rule = new string('-', widths.Sum() + 2 * (widths.Length - 1));
        o.WriteLine(_title);
        o.WriteLine(Line(_headers));
        o.WriteLine(rule);
        foreach (var row in _rows)
        {
            o.WriteLine(Line(row));
        }

        if (_total is not null)
        {
            o.WriteLine(rule);
            o.WriteLine(Line(_total));
        }

        o.WriteLine();
    }
}
