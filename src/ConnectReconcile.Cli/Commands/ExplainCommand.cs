using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Io.Decoding;
using ConnectReconcile.Io.Jobs;

namespace ConnectReconcile.Cli.Commands;

/// <summary><c>explain</c>: one contact's chain, legs, segments and charges, in words a finance analyst can follow.</summary>
internal static class ExplainCommand
{
    public static Command Create(Func<CliEnvironment> envFactory)
    {
        var command = new Command("explain", "Explain how one contact was billed: its chain, each leg and why it exists, each segment, each charge with rate row and arithmetic");
        var source = SharedOptions.Source(required: true);
        var contact = new Option<string?>("--contact") { Description = "Any ContactId of the call (root or child record), or of a chat, task or email contact (required)" };
        var json = new Option<bool>("--json") { Description = "Print JSON for machines instead of text" };
        var unmask = SharedOptions.Unmask("Show customer phone numbers in full");
        var endpoint = SharedOptions.EndpointUrl();
        var rating = new RatingInputs();
        foreach (var o in new Option[] { source, contact, json, unmask, endpoint })
        {
            command.Options.Add(o);
        }

        rating.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(envFactory, async env =>
        {
            var sourcePath = env.Get(parse, source) ?? throw new UsageException("--source is required.");
            var id = env.Required(parse, contact).Trim() is { Length: > 0 } given ? given : throw new UsageException("--contact needs a contact id.");
            var s3 = env.S3(parse, endpoint);
            var (rater, _) = rating.Resolve(env, parse, s3);
            // Holds only the asked contact's records and its chain's, not the month's.
            var found = await ProgressDisplay.RunAsync(env, progress => new ContactLoader(Inputs.Existing(sourcePath, "--source", s3), Environment.ProcessorCount)
                .LoadAsync(id, progress, ct), ProgressDisplay.Reading);
            // A record in an object that could not be read is neither found nor in quarantine on its own.
            ReplayCommand.WarnOfUnreadableObjects(env, found.Quarantined);
            var unreadable = QuarantineEntry.UnreadableObjects(found.Quarantined).Count;
            var asked = found.Asked;
            if (asked is { IsVoice: false })
            {
                // A chat, task or email record is a contact of its own, also inside a call's chain or a chat's
                // transfers: its one unit, as the charges table has it (chain_id its own ContactId).
                var unit = rater.RateUnit(asked);
                await env.Out.WriteAsync(env.Get(parse, json) ? NonVoiceJson(asked, unit, rater) : NonVoiceText(id, asked, unit));
                return ExitCodes.Ok;
            }

            // What is rated of a chain is its voice records; its other records are contacts of their own.
            var rootId = found.RootId;
            var members = found.Chain.Where(r => r.IsVoice).ToList();
            if (members.Count == 0)
            {
                // Not rated because its record could not be used: that is the explanation.
                var quarantined = found.Quarantined.Where(q => string.Equals(q.ContactId, id, StringComparison.OrdinalIgnoreCase)).ToList();
                if (quarantined.Count > 0)
                {
                    await env.Out.WriteAsync(env.Get(parse, json) ? QuarantinedJson(id, quarantined) : QuarantinedText(id, quarantined));
                    return ExitCodes.Ok;
                }

                // A customer's number given as the id: such a record is set aside without its id, so it cannot be found
                // by it; say why, and do not repeat the number (personal data) on stderr or in the log.
                var number = PhoneNumbers.ReadsAsNumber(id);
                var shown = number ? PhoneNumbers.Mask(id) : id;
                var why = number
                    ? $"; contact ids are UUIDs, and a record whose ContactId reads as a phone number is set aside as {QuarantineReasons.BadContactId} (the quarantine table lists it, without the id)"
                    : "";
                await env.ErrorAsync(unreadable == 0
                    ? $"no contact {shown} in {sourcePath}{why}"
                    : $"no contact {shown} in what could be read of {sourcePath}: {unreadable} object(s) could not be read (see the warning above), and it may be in one of them{why}");
                return ExitCodes.Failure;
            }

            var show = SharedOptions.UnmaskOf(env, parse, unmask) ? (Func<string?, string?>)(n => n) : n => n is null ? null : PhoneNumbers.MaskDialled(n);
            string? ShowLeg(string kind, string? number) => RowMapper.IsCentresOwnNumber(kind, number, rater.Agents) ? number : show(number);
            var result = rater.Rate(new Chain(rootId, members));
            await env.Out.WriteAsync(env.Get(parse, json) ? Json(result, rater, ShowLeg) : Text(result, rater, ShowLeg, id));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>The call in words; every line goes through <see cref="ConsoleText"/>, so names from the CTRs cannot drive the terminal or break the layout.</summary>
    private static string Text(ChainResult r, Rater rater, Func<string, string?, string?> show, string asked)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringWriter(c);
        var w = new ConsoleText.Writer(text);
        var chain = r.Chain;
        w.WriteLine($"Contact {asked} belongs to the call (chain) {chain.RootId}: {chain.Records.Count} contact record(s), instance {chain.InstanceId} in {chain.Region}, reported on {chain.Day:yyyy-MM-dd}.");
        if (chain.IsOrphan)
        {
            w.WriteLine(chain.Root is null
                ? "  Its first record is missing from the source, so it is rated on its own and flagged 'orphan'; add the missing record and the result becomes the full call's."
                : "  A record's parent (PreviousContactId) is missing from the source, so it is rated without it and flagged 'orphan'; add the missing record and the result becomes the full call's.");
        }

        w.WriteLine($"Rated with rate card {rater.Card.Version} and policy {rater.Policy}.");
        w.WriteLine();
        w.WriteLine("Records:");
        foreach (var rec in chain.Records)
        {
            w.WriteLine($"  {rec.ContactId}  {rec.InitiationMethod,-17} {rec.InitiationTimestamp} → {rec.DisconnectTimestamp?.ToString() ?? "(open)"}" +
                        (rec.Queue is { } q ? $"  queue {q.DisplayName}" : "") + (rec.Agent is { } a ? $"  agent {a.Username ?? a.Arn}" : "") +
                        (rec.PreviousContactId is { } p ? $"  (after {p})" : ""));
        }

        w.WriteLine();
        w.WriteLine(r.Legs.Count == 0 ? "Legs: none (nothing crossed the telephone network)." : "Legs (connections the telephone network carried):");
        foreach (var leg in r.Legs)
        {
            w.WriteLine($"  #{leg.Index} {leg.Kind}: {leg.Direction}, {show(leg.Kind, leg.Number) ?? "(no number)"}, {leg.Country}{(leg.NumberType is null ? "" : ", " + leg.NumberType)}; " +
                        $"{string.Join(" + ", leg.Intervals)} = {leg.Seconds} s{(leg.Estimated ? " (estimated)" : "")}");
            w.WriteLine($"     why: {leg.Why}");
        }

        if (r.Segments.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Segments (how each leg's billed seconds divide, for cost allocation):");
            foreach (var s in r.Segments)
            {
                var who = string.Join(", ", new[] { s.Queue is null ? null : "queue " + s.Queue, s.Agent is null ? null : "agent " + s.Agent, s.RoutingProfile is null ? null : "profile " + s.RoutingProfile }.Where(x => x is not null));
                w.WriteLine($"  leg #{s.LegIndex} {s.Kind,-14} {s.Seconds,6} s  {s.Interval?.ToString() ?? "(minimum charge top-up)"}  {who}  cost {RecordedCost.Text(s.Cost)}");
            }
        }

        w.WriteLine();
        w.WriteLine("Charges:");
        foreach (var ch in r.Charges)
        {
            w.WriteLine($"  {ch.ChargeKind} ({ch.LegKind}{(ch.LegIndex is { } i ? " #" + i : ", no telephony leg")}) under {ch.UsageType}:");
            w.WriteLine($"     {ch.Arithmetic}");
            w.WriteLine($"     rate row: {ch.RateRowId ?? "none — " + ch.UnratedReason}; why: {ch.Why}");
        }

        // The recorded costs added up, as contacts.total_cost and SUM(charges.cost) have them (not the exact sum).
        var total = RecordedCost.Total(r.Charges);
        w.WriteLine();
        w.WriteLine($"Total: {Math.Round(total, 2, MidpointRounding.AwayFromZero).ToString("0.00", c)} {rater.Card.Currency} ({RecordedCost.Text(total)} as recorded, to 12 places){(r.Cost is null ? "; some charges are unrated (see above)" : "")}.");
        return text.ToString();
    }

    private static string Json(ChainResult r, Rater rater, Func<string, string?, string?> show)
    {
        var payload = new
        {
            chainId = r.Chain.RootId,
            channel = Channels.Voice, // the chain's voice records are what is rated (a call's chat or task records are contacts of their own)
            day = r.Chain.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            instanceId = r.Chain.InstanceId,
            region = r.Chain.Region,
            rateCardVersion = rater.Card.Version,
            policy = rater.Policy.ToString(),
            flags = r.Flags,
            records = r.Chain.Records.Select(x => new { contactId = x.ContactId, initiationMethod = x.InitiationMethod, previousContactId = x.PreviousContactId, initiation = x.InitiationTimestamp.ToString(), disconnect = x.DisconnectTimestamp?.ToString() }),
            legs = r.Legs.Select(l => new { index = l.Index, kind = l.Kind, direction = l.Direction, number = show(l.Kind, l.Number), country = l.Country, numberType = l.NumberType, seconds = l.Seconds, start = l.Span.Start.ToString(), end = l.Span.End.ToString(), estimated = l.Estimated, why = l.Why }),
            segments = r.Segments.Select(s => new { legIndex = s.LegIndex, kind = s.Kind, seconds = s.Seconds, start = s.Interval?.Start.ToString(), end = s.Interval?.End.ToString(), contactId = s.ContactId, queue = s.Queue, agent = s.Agent, routingProfile = s.RoutingProfile, cost = RecordedCost.Text(s.Cost) }),
            charges = r.Charges.Select(ChargeJson),
            total = RecordedCost.Text(RecordedCost.Total(r.Charges)),
        };
        return JsonSerializer.Serialize(payload, Indented) + Environment.NewLine;
    }

    /// <summary>A chat, task or email contact in one sentence (escaped: the id and channel come from the CTR).</summary>
    private static string NonVoiceText(string asked, ContactRecord record, Charge unit) =>
        ConsoleText.Escape($"Contact {asked} is a {record.Channel} contact: no telephony and no voice minutes. {unit.Arithmetic}{(unit.UnratedReason is null ? "" : " (" + unit.UnratedReason + ")")}." +
                           (record.RootId == record.ContactId ? "" : $" It follows contact {record.RootId} in a chain, and is billed as a contact of its own.")) + Environment.NewLine;

    /// <summary>A chat, task or email contact: the same keys as a call's, with its one per-unit charge and no legs.</summary>
    private static string NonVoiceJson(ContactRecord record, Charge unit, Rater rater)
    {
        var payload = new
        {
            chainId = record.ContactId,
            channel = record.Channel,
            day = unit.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            instanceId = unit.InstanceId,
            region = unit.Region,
            rateCardVersion = rater.Card.Version,
            policy = rater.Policy.ToString(),
            flags = new[] { "non-voice" },
            records = new[] { new { contactId = record.ContactId, initiationMethod = record.InitiationMethod, previousContactId = record.PreviousContactId, initiation = record.InitiationTimestamp.ToString(), disconnect = record.DisconnectTimestamp?.ToString() } },
            legs = Array.Empty<object>(),
            segments = Array.Empty<object>(),
            charges = new[] { ChargeJson(unit) },
            total = RecordedCost.Text(unit) ?? "0",
        };
        return JsonSerializer.Serialize(payload, Indented) + Environment.NewLine;
    }

    private static string QuarantinedText(string id, IReadOnlyList<QuarantineEntry> entries) =>
        string.Concat(entries.Select(q => ConsoleText.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Contact {id} was not rated: its record in {q.Position.Source} (byte {q.Position.Offset}) is in quarantine as {q.Reason}: {q.Detail}.")) + Environment.NewLine));

    private static string QuarantinedJson(string id, IReadOnlyList<QuarantineEntry> entries) =>
        JsonSerializer.Serialize(new
        {
            contactId = id,
            quarantined = entries.Select(q => new { source = q.Position.Source, position = q.Position.Offset, recordIndex = q.Position.Index, reason = q.Reason, detail = q.Detail }),
        }, Indented) + Environment.NewLine;

    private static object ChargeJson(Charge c) => new
    {
        chargeKind = c.ChargeKind, legKind = c.LegKind, legIndex = c.LegIndex, usageType = c.UsageType, actualSeconds = c.ActualSeconds, billedSeconds = c.BilledSeconds,
        rate = c.Rate is { } rate ? RecordedRate.Text(rate) : null, cost = RecordedCost.Text(c), rateRowId = c.RateRowId, unratedReason = c.UnratedReason, arithmetic = c.Arithmetic,
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
