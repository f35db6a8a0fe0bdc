using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Estimation;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Jobs;
using Microsoft.Extensions.Logging;

namespace ConnectReconcile.Cli.Commands;

/// <summary>
/// <c>whatif</c>: "what would last month have cost if …?" — the same CTRs rated twice by the billing
/// job, under the baseline and under a scenario (another rate card, pricing model, policy, agent
/// directory or number inventory), compared side by side.
/// </summary>
internal static class WhatIfCommand
{
    public const string SpecHelp =
        "builtin | FILE.json | rate-card=FILE | policy=KEY=VALUE;… | pricing-model=per-feature|unlimited-ai | agents=FILE | all-softphone | " +
        "numbers=FILE | number-type=+NUMBER:DID|TOLL_FREE ('key:value' works as well as 'key=value')";

    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("whatif",
            "Re-rate the same CTRs under a changed rate card, pricing model, policy, agent directory or number inventory, and compare with the baseline " +
            "by charge kind, usage type, leg kind, queue and segment (docs/estimate.md).");
        var source = SharedOptions.Source(required: true);
        var from = SharedOptions.Day("--from", "First UTC day of chains to rate (default: all)");
        var to = SharedOptions.Day("--to", "Last UTC day of chains to rate (default: all)");
        var baseline = new Option<string[]>("--baseline")
        {
            Description = "What was billed (repeatable, applied in order; default: the built-in cards and default policy): " + SpecHelp,
            AllowMultipleArgumentsPerToken = false,
        };
        var scenario = new Option<string[]>("--scenario")
        {
            Description = "The change (repeatable; all are applied together, in order, on top of the baseline): " + SpecHelp,
        };
        var allSoftphone = new Option<bool>("--all-softphone") { Description = "Shortcut for --scenario all-softphone: every desk-phone agent of the agent directory on a softphone (needs --agents to change anything)" };
        var agents = SharedOptions.Agents();
        var numbers = SharedOptions.Numbers();
        var json = new Option<bool>("--json") { Description = "Print the comparison as one JSON object (unrounded amounts) on stdout" };
        var endpoint = SharedOptions.EndpointUrl();
        var parallelism = SharedOptions.Parallelism();
        foreach (var o in new Option[] { source, from, to, baseline, scenario, allSoftphone, agents, numbers, json, endpoint, parallelism })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var sourcePath = env.Get(parse, source) ?? throw new UsageException("--source is required.");
            var (fromDay, toDay) = SharedOptions.DaysOf(env, parse, from, to);

            var s3 = env.S3(parse, endpoint);
            var start = new Setup(BuiltInRateCards.Default, BillingPolicy.Default, Inputs.Agents(env.Get(parse, agents), env.Warn, s3), Inputs.Numbers(env.Get(parse, numbers), env.Warn, s3), []);
            var baselineSetup = env.GetAll(parse, baseline).Aggregate(start, (setup, spec) => Apply(setup, spec, s3, env.Warn));
            var scenarioSpecs = env.GetAll(parse, scenario).ToList();
            if (env.Get(parse, allSoftphone))
            {
                scenarioSpecs.Add("all-softphone");
            }

            if (scenarioSpecs.Count == 0)
            {
                throw new UsageException("Give at least one --scenario (or --all-softphone): " + SpecHelp);
            }

            var scenarioSetup = scenarioSpecs.Aggregate(baselineSetup with { Changes = [] }, (setup, spec) => Apply(setup, spec, s3, env.Warn));
            if (scenarioSetup.Card.Currency != baselineSetup.Card.Currency)
            {
                // A difference of totals in two currencies is no amount in either.
                throw new UsageException($"The baseline's rate card prices in {baselineSetup.Card.Currency} and the scenario's in {scenarioSetup.Card.Currency}: " +
                    "their difference would mix currencies. Compare cards of one currency (--baseline card=FILE for a baseline in the scenario's).");
            }

            async Task<Totals> Run(Setup setup, string name, Func<ulong, bool>? keepsCostOf)
            {
                var totals = new Totals(setup, keepsCostOf);
                var options = new BillingJobOptions
                {
                    Source = Inputs.Existing(sourcePath, "--source", s3),
                    From = fromDay,
                    To = toDay,
                    Warn = env.Warn,
                    Rater = new Rater(setup.Card, setup.Policy, setup.Agents, setup.Numbers),
                    Numbers = setup.Numbers,
                    Parallelism = SharedOptions.ParallelismOf(env, parse, parallelism),
                    OnDayRated = (_, results, extra) => totals.Add(results, extra),
                    OnRestart = () => totals = new Totals(setup, keepsCostOf),
                };
                env.Logger.LogInformation("Rating {Source} for the {Name}: rate card {RateCard}, policy {Policy}", sourcePath, name, setup.Card.Version, setup.Policy);
                // Assigned after the run: a re-read (a late record for a day already rated) replaces totals during it.
                var job = await ProgressDisplay.RunAsync(env, progress => new BillingJob(options).RunAsync(progress, ct), JobBars.Totals);
                totals.Job = job;
                return totals;
            }

            ReplayCommand.WarnIfNumbersEstimated(env, baselineSetup.Numbers);
            // The baseline keeps what it priced each charge at: the scenario's unrated charges are looked up in it.
            var before = await Run(baselineSetup, "baseline", _ => true);
            ReplayCommand.WarnIfNothingRead(env, before.Job!, sourcePath, fromDay, toDay);
            RefuseRetypedNumbersNotUsed([baselineSetup, scenarioSetup], before.NumbersCharged);
            ReplayCommand.WarnOfQuarantined(env, before.Job!, "each total",
                "replay (or nightly) of the same source and days writes each to the quarantine table, with its object, byte offset and reason");
            var after = await Run(scenarioSetup, "scenario", before.UnratedCharges.Count == 0 ? null : before.UnratedCharges.ContainsKey);
            var notComparable = UnpricedOnOneSide(before, after).ToList();
            foreach (var (side, other, unpriced) in notComparable)
            {
                // A charge kind one side prices and the other cannot (no rate-card row) is no saving or extra: say so.
                env.Logger.LogWarning("The {Side} leaves {Unpriced} unrated (no rate-card row), which the {Other} prices at {Cost} {Currency}: " +
                    "the difference there is a missing price, not a change in cost",
                    side, string.Join(", ", unpriced.Select(u => $"{u.Kind} ({u.Charges:#,0} charges)")), other,
                    RunTotals.Cents(unpriced.Sum(u => u.OtherCost)).ToString("N2", CultureInfo.InvariantCulture), before.Setup.Card.Currency);
            }

            if (env.Get(parse, json))
            {
                await env.Out.WriteLineAsync(Json(before, after, notComparable));
            }
            else
            {
                Print(env, before, after, notComparable);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Everything a rating run depends on, and the changes that made it.</summary>
    internal sealed record Setup(RateCard Card, BillingPolicy Policy, AgentDirectory Agents, NumberInventory Numbers, IReadOnlyList<string> Changes)
    {
        public string Label => Changes.Count == 0 ? "built-in rate cards, default policy" : string.Join(" + ", Changes);
    }

    /// <summary>Applies one <c>--baseline</c>/<c>--scenario</c> part; files it names may be s3:// locations, read through <paramref name="s3"/>.</summary>
    internal static Setup Apply(Setup setup, string spec, S3Access? s3, Action<string> warn)
    {
        var text = spec.Trim();
        var cut = text.IndexOfAny(['=', ':']);
        var key = cut > 0 ? text[..cut].Trim().ToLowerInvariant() : text.ToLowerInvariant();
        var value = cut > 0 ? text[(cut + 1)..].Trim() : "";
        var changed = setup with { Changes = [.. setup.Changes, text] };
        try
        {
            switch (key)
            {
                case "builtin" when value.Length == 0:
                    return changed with { Card = BuiltInRateCards.Default };
                case "rate-card" or "card":
                    return changed with { Card = Inputs.RateCard(Required(value, key), s3) };
                case "policy":
                    return changed with { Policy = Required(value, key) == "default" ? BillingPolicy.Default : Inputs.Policy(setup.Policy + ";" + value) };
                case "pricing-model":
                    return changed with { Card = setup.Card.WithPricingModel(Required(value, key)) };
                case "agents":
                    return changed with { Agents = Inputs.Agents(Required(value, key), warn, s3) };
                case "all-softphone" when value.Length == 0:
                    WarnIfNoDeskPhones(setup.Agents, warn);
                    return changed with { Agents = setup.Agents.AllSoftphone() };
                case "numbers":
                    return changed with { Numbers = Inputs.Numbers(Required(value, key), warn, s3) };
                case "number-type":
                    return changed with { Numbers = Retype(setup.Numbers, Required(value, key)) };
            }
        }
        catch (FormatException e)
        {
            throw new UsageException($"'{spec}': {e.Message}");
        }

        if (File.Exists(text))
        {
            return changed with { Card = Inputs.RateCard(text, s3) };
        }

        throw new UsageException($"'{spec}' is neither a known change nor an existing rate-card file. Forms: {SpecHelp}");
    }

    /// <summary>all-softphone moves desk-phone agents only: without any (no agent directory), the scenario changes nothing.</summary>
    private static void WarnIfNoDeskPhones(AgentDirectory agents, Action<string> warn)
    {
        if (agents.Count == 0)
        {
            warn("all-softphone changes nothing without an agent directory: with none, no agent is on a desk phone. " +
                "Give --agents (or agents=FILE before it) to move the directory's desk-phone agents to softphones.");
        }
        else if (!agents.Entries.Any(e => e.PhoneType == PhoneTypes.DeskPhone))
        {
            warn("all-softphone changes nothing: the agent directory puts no agent on a desk phone.");
        }
    }

    /// <summary>
    /// Without a number inventory, number-days are of the numbers calls used, so a number-type for a number no CTR used
    /// changes nothing: refused, as a number the inventory does not hold is (a typo, most likely).
    /// </summary>
    internal static void RefuseRetypedNumbersNotUsed(IEnumerable<Setup> setups, IReadOnlySet<string> numbersUsed)
    {
        var unused = setups.Where(s => !s.Numbers.IsProvided).SelectMany(s => s.Numbers.Numbers).Select(n => n.Number)
            .Where(n => !numbersUsed.Contains(n)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0)
        {
            throw new UsageException($"number-type: no CTR used {string.Join(", ", unused)} and no number inventory (--numbers) holds it: " +
                "number-type changes the type of a number the centre holds.");
        }
    }

    private static string Required(string value, string key) =>
        value.Length > 0 ? value : throw new UsageException($"'{key}' needs a value, e.g. {key}=…");

    /// <summary><c>+NUMBER:TYPE</c>: the number is of that type (the what-if "this toll-free number becomes a DID").</summary>
    private static NumberInventory Retype(NumberInventory numbers, string value)
    {
        var parts = value.Split([':', '='], 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || PhoneNumbers.AsE164(parts[0]) is not { } number)
        {
            throw new FormatException("number-type needs +E164:TYPE, e.g. number-type=+18005550100:DID.");
        }

        var type = parts[1].ToUpperInvariant().Replace('-', '_') switch
        {
            "DID" => NumberTypes.Did,
            "TOLL_FREE" or "TOLLFREE" => NumberTypes.TollFree,
            var other => throw new FormatException($"number type must be DID or TOLL_FREE, found '{other}'."),
        };
        var list = numbers.Numbers.ToList();
        var held = false;
        for (var i = 0; i < list.Count; i++)
        {
            // Every holding of it (a number released in one instance and claimed in another is two).
            if (list[i].Number == number)
            {
                list[i] = list[i] with { Type = type };
                held = true;
            }
        }

        if (!held && numbers.IsProvided)
        {
            // Adding it would invent a number-day charge for a number the centre does not hold (a typo, most likely).
            throw new FormatException($"the number inventory does not hold {number}: number-type changes the type of a number the centre holds.");
        }

        if (!held)
        {
            list.Add(new ClaimedNumber(number, type, PhoneNumbers.CountryOf(number), null, null));
        }

        return new NumberInventory(list, numbers.IsProvided);
    }

    /// <summary>
    /// One run's costs along every dimension the comparison shows; each dimension sums to the total. It also keeps its
    /// unrated charges and what it priced the charges <paramref name="keepsCostOf"/> asks for at (by <see cref="ChargeIdentity"/>),
    /// so that a charge unrated on one side can be found priced on the other.
    /// </summary>
    internal sealed class Totals(Setup setup, Func<ulong, bool>? keepsCostOf = null)
    {
        private readonly Dictionary<ulong, decimal> _pricedAt = [];

        public Setup Setup { get; } = setup;
        public JobResult? Job { get; set; }
        public decimal Total { get; private set; }
        /// <summary>Unrated charges (no rate-card row) by charge kind.</summary>
        public SortedDictionary<string, long> UnratedByKind { get; } = new(StringComparer.Ordinal);

        /// <summary>The numbers with number-day charges: with no inventory, those the calls used.</summary>
        public HashSet<string> NumbersCharged { get; } = new(StringComparer.Ordinal);

        /// <summary>Each unrated charge's identity and kind.</summary>
        public Dictionary<ulong, string> UnratedCharges { get; } = [];

        public long Unrated => UnratedByKind.Values.Sum();

        /// <summary>What this run priced the charge at, when it priced it and kept its cost; null otherwise.</summary>
        public decimal? PricedAt(ulong charge) => _pricedAt.TryGetValue(charge, out var cost) ? cost : null;
        public Dictionary<string, Dictionary<string, decimal>> By { get; } = new(StringComparer.Ordinal)
        {
            ["chargeKind"] = new(StringComparer.Ordinal),
            ["usageType"] = new(StringComparer.Ordinal),
            ["legKind"] = new(StringComparer.Ordinal),
            ["queue"] = new(StringComparer.Ordinal),
            ["segment"] = new(StringComparer.Ordinal),
        };

        public void Add(IReadOnlyList<ChainResult> results, IReadOnlyList<Charge> extra)
        {
            foreach (var result in results)
            {
                foreach (var charge in result.Charges)
                {
                    var cost = AddCharge(charge);
                    if (charge.LegIndex is null)
                    {
                        Add("queue", "(not on a leg)", cost);
                        Add("segment", Estimator.NoLegSegment, cost);
                    }
                }

                foreach (var segment in result.Segments)
                {
                    Add("queue", segment.Queue ?? "(no queue)", segment.Cost);
                    Add("segment", segment.Kind, segment.Cost);
                }
            }

            foreach (var charge in extra)
            {
                var cost = AddCharge(charge);
                if (charge is { Unit: Units.NumberDay, Number: { } number })
                {
                    NumbersCharged.Add(number);
                }

                var where = charge.Unit == Units.NumberDay ? Estimator.NumbersSegment : charge.ChargeKind;
                Add("queue", "(" + where + ")", cost);
                Add("segment", where, cost);
            }
        }

        /// <summary>Adds the charge to the totals by kind, usage type and leg kind; returns its cost as added (0 when unrated).</summary>
        private decimal AddCharge(Charge charge)
        {
            // As recorded (12 places), as the tables and segments hold costs: totals equal SUM(charges.cost) of a replay.
            var cost = RecordedCost.Of(charge) ?? 0;
            if (charge.Cost is null)
            {
                UnratedByKind[charge.ChargeKind] = UnratedByKind.GetValueOrDefault(charge.ChargeKind) + 1;
                UnratedCharges.TryAdd(ChargeIdentity.Of(charge), charge.ChargeKind);
            }
            else if (keepsCostOf is not null && ChargeIdentity.Of(charge) is var identity && keepsCostOf(identity))
            {
                _pricedAt[identity] = _pricedAt.GetValueOrDefault(identity) + cost;
            }

            Total += cost;
            Add("chargeKind", charge.ChargeKind, cost);
            Add("usageType", charge.UsageType, cost);
            Add("legKind", charge.LegKind, cost);
            return cost;
        }

        private void Add(string dimension, string key, decimal cost)
        {
            var map = By[dimension];
            map[key] = map.GetValueOrDefault(key) + cost;
        }
    }

    /// <summary>One side's charges the other prices: by charge kind, how many and the other side's cost of exactly those.</summary>
    internal sealed record NotComparable(string Side, string Other, IReadOnlyList<(string Kind, long Charges, decimal OtherCost)> Unpriced);

    /// <summary>
    /// Charges one side leaves unrated that the other prices (the same call's same charge, <see cref="ChargeIdentity"/>),
    /// by the unrated side's charge kind, with how many and what the other side prices exactly those at: each side's total
    /// counts an unrated charge as zero, so their difference there is a missing price. A charge unrated on both sides
    /// (chat without a card row, a call to a country neither card prices) cancels out and is not listed.
    /// </summary>
    internal static IEnumerable<NotComparable> UnpricedOnOneSide(Totals before, Totals after)
    {
        foreach (var (side, other, mine, theirs) in new[] { ("baseline", "scenario", before, after), ("scenario", "baseline", after, before) })
        {
            var unpriced = mine.UnratedCharges
                .Select(kv => (Kind: kv.Value, OtherCost: theirs.PricedAt(kv.Key)))
                .Where(u => u.OtherCost is not null)
                .GroupBy(u => u.Kind, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (Kind: g.Key, Charges: (long)g.Count(), OtherCost: g.Sum(u => u.OtherCost!.Value)))
                .ToList();
            if (unpriced.Count > 0)
            {
                yield return new NotComparable(side, other, unpriced);
            }
        }
    }

    internal sealed record Row(string Key, decimal Baseline, decimal Scenario)
    {
        public decimal Difference => Scenario - Baseline;
    }

    internal static IReadOnlyList<Row> Rows(Totals before, Totals after, string dimension)
    {
        var a = before.By[dimension];
        var b = after.By[dimension];
        return a.Keys.Union(b.Keys)
            .Select(k => new Row(k, a.GetValueOrDefault(k), b.GetValueOrDefault(k)))
            .OrderByDescending(r => Math.Max(r.Baseline, r.Scenario)).ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToList();
    }

    private static readonly (string Dimension, string Title, string Column)[] Dimensions =
    [
        ("chargeKind", "By charge kind", "charge kind"),
        ("usageType", "By usage type", "usage type"),
        ("legKind", "By leg kind", "leg kind"),
        ("queue", "By queue (segments of calls; IVR, desk-phone and external time have no queue)", "queue"),
        ("segment", "By segment (IVR / queue / agent …)", "segment"),
    ];

    private static void Print(CliEnvironment env, Totals before, Totals after, IReadOnlyList<NotComparable> notComparable)
    {
        var c = CultureInfo.InvariantCulture;
        string Money(decimal amount) => RunTotals.Cents(amount).ToString("N2", c);
        string Signed(decimal amount) => RunTotals.Cents(amount).ToString("+#,0.00;-#,0.00;0.00", c);
        string Share(decimal amount) => before.Total == 0 ? "n/a" : (amount / before.Total * 100).ToString("+0.00;-0.00;0.00", c) + " %";
        var o = env.Out;
        var currency = before.Setup.Card.Currency;
        o.WriteLine($"Baseline: {before.Setup.Label} (rate card {before.Setup.Card.Version}, policy {before.Setup.Policy})");
        o.WriteLine($"Scenario: {after.Setup.Label} (rate card {after.Setup.Card.Version}, policy {after.Setup.Policy})");
        o.WriteLine($"Contacts: {before.Job?.Counts.Chains:#,0} chains, {before.Job?.Counts.Rated:#,0} voice records; amounts in {currency}; 'change' is the difference as a share of the baseline total.");
        o.WriteLine();
        foreach (var (dimension, title, column) in Dimensions)
        {
            var table = new TextTable(title, column, ">baseline", ">scenario", ">difference", ">change");
            foreach (var row in Rows(before, after, dimension))
            {
                table.Add(row.Key, Money(row.Baseline), Money(row.Scenario), Signed(row.Difference), row.Difference == 0 ? "" : Share(row.Difference));
            }

            table.Total("total", Money(before.Total), Money(after.Total), Signed(after.Total - before.Total), Share(after.Total - before.Total));
            table.WriteTo(o);
        }

        if (before.Unrated + after.Unrated > 0)
        {
            static string ByKind(Totals t) => t.Unrated == 0 ? "0" : $"{t.Unrated:#,0} ({string.Join(", ", t.UnratedByKind.Select(kv => $"{kv.Key} {kv.Value:#,0}"))})";
            o.WriteLine($"Unrated charges (no rate-card row, counted as zero): baseline {ByKind(before)}, scenario {ByKind(after)}.");
            foreach (var (side, other, unpriced) in notComparable)
            {
                o.WriteLine($"Not comparable: the {side} leaves {string.Join(", ", unpriced.Select(u => u.Kind))} unrated, which the {other} prices at " +
                    $"{Money(unpriced.Sum(u => u.OtherCost))}: that part of the difference is a missing price, not a change in cost.");
            }
        }

        o.WriteLine($"Total: {Money(before.Total)} → {Money(after.Total)} {currency} ({Signed(after.Total - before.Total)}, {Share(after.Total - before.Total)}).");
    }

    private static string Json(Totals before, Totals after, IReadOnlyList<NotComparable> notComparable)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var (name, t) in new[] { ("baseline", before), ("scenario", after) })
            {
                w.WriteStartObject(name);
                w.WriteString("label", t.Setup.Label);
                w.WriteString("rateCard", t.Setup.Card.Version);
                w.WriteString("policy", t.Setup.Policy.ToString());
                w.WriteString("currency", t.Setup.Card.Currency);
                w.WriteNumber("total", t.Total);
                w.WriteNumber("unratedCharges", t.Unrated);
                w.WriteStartObject("unratedByChargeKind");
                foreach (var (kind, n) in t.UnratedByKind)
                {
                    w.WriteNumber(kind, n);
                }

                w.WriteEndObject();
                w.WriteNumber("chains", t.Job?.Counts.Chains ?? 0);
                w.WriteEndObject();
            }

            w.WriteNumber("difference", after.Total - before.Total);
            WriteShare(after.Total - before.Total);
            // False when one side leaves unrated a charge the other prices: the difference then holds a missing price.
            w.WriteBoolean("comparable", notComparable.Count == 0);

            foreach (var (dimension, _, _) in Dimensions)
            {
                w.WriteStartArray("by" + char.ToUpperInvariant(dimension[0]) + dimension[1..]);
                foreach (var row in Rows(before, after, dimension))
                {
                    w.WriteStartObject();
                    w.WriteString("key", row.Key);
                    w.WriteNumber("baseline", row.Baseline);
                    w.WriteNumber("scenario", row.Scenario);
                    w.WriteNumber("difference", row.Difference);
                    WriteShare(row.Difference);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();

            // Null when the baseline costs nothing (a chat-only month): a share of zero is no number, and the key is documented.
            void WriteShare(decimal difference)
            {
                if (before.Total == 0)
                {
                    w.WriteNull("shareOfBaselineTotal");
                }
                else
                {
                    w.WriteNumber("shareOfBaselineTotal", difference / before.Total);
                }
            }
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
