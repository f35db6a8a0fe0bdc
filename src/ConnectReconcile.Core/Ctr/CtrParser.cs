using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Ctr;

/// <summary>
/// The outcome of parsing one JSON value: a record, or why there is none; <see cref="ContactId"/> names a rejected
/// record that had one, unless it reads as a phone number (the quarantine table would show a customer's number).
/// </summary>
public readonly record struct ParseOutcome(ContactRecord? Record, string? Reason, string? Detail, string? ContactId = null)
{
    public static ParseOutcome Ok(ContactRecord record) => new(record, null, null);
    public static ParseOutcome Reject(string reason, string detail, string? contactId = null) =>
        new(null, reason, detail, PhoneNumbers.ReadsAsNumber(contactId) ? null : contactId);
}

/// <summary>
/// Turns the bytes of one JSON object into a <see cref="ContactRecord"/> with a forward-only
/// <see cref="Utf8JsonReader"/>. Missing and null mean the same, unknown keys are skipped, unknown
/// enum values are kept as strings. Comments are not JSON (and Connect never writes them): a record
/// with one is malformed, and the reader's strict mode is its fast path (parse ~8 % faster, measured).
/// Not thread-safe (it owns a string pool): one parser per thread.
/// </summary>
public sealed class CtrParser
{
    // A channel as Connect writes it (VOICE, CHAT, TASK, EMAIL): the fast path, no allocation.
    private static readonly SearchValues<char> ChannelLetters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

    // What a channel may be at all, before upper-casing: ASCII letters and underscores (ToUpperInvariant alone
    // would turn a dotless "ı" into "I").
    private static readonly SearchValues<char> ChannelTokenChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");

    private const int MaxChannelLength = 32;

    // An InitiationMethod as Connect writes it (INBOUND, EXTERNAL_OUTBOUND…): upper-case ASCII letters, digits and
    // underscores, a letter first (so a number without its '+' is none); before upper-casing, ASCII letters of either case.
    private static readonly SearchValues<char> MethodChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    private static readonly SearchValues<char> MethodTokenChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

    private const int MaxMethodLength = 32;

    /// <summary>
    /// The longest a voice record may last: Connect publishes no limit, and a week is far beyond any call;
    /// a longer one is a timestamp gone wrong, not a call to bill.
    /// </summary>
    private const long MaxCallSeconds = 7 * 86_400;

    /// <summary>
    /// The longest a queued callback may wait between its request (InitiationTimestamp) and its call: Connect keeps
    /// one queued up to 14 days, after a first delay and retries of up to 3 days each; 30 is far beyond that.
    /// </summary>
    private const long MaxCallbackWaitSeconds = 30 * 86_400;

    /// <summary>A run of this many digits in a token is a phone number's (the shortest subscriber numbers have 7).</summary>
    private const int PhoneDigits = 7;

    private readonly StringPool _pool = new();
    private readonly StringPool _recentIds = new(capacity: 16_384, clearWhenFull: true);
    private readonly Dictionary<(string Address, string? Type), Endpoint> _systemEndpoints = [];
    private bool _partial;

    public ParseOutcome Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return ParseOutcome.Reject(QuarantineReasons.NotACtr, "not a JSON object");
            }

            var outcome = ReadRecord(ref reader);
            if (reader.Read())
            {
                return ParseOutcome.Reject(QuarantineReasons.MalformedJson, "trailing data after the object");
            }

            return outcome;
        }
        catch (JsonException e)
        {
            return Malformed(json, e.Message);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader throws this for a value of the wrong type (e.g. a number where a string is due).
            return Malformed(json, e.Message);
        }
    }

    /// <summary>
    /// Parses the JSON object that starts at <c>json[0]</c>, reading no further than its end, so a
    /// decoder reads a stream of objects in one pass instead of framing each before parsing it.
    /// <see cref="LeadingParse.Parsed"/>: <paramref name="outcome"/> and the object's <paramref name="length"/>
    /// (a value of the wrong type is measured and rejected whole). <see cref="LeadingParse.Incomplete"/>:
    /// the span ends inside the object, which is well-formed so far. <see cref="LeadingParse.Invalid"/>:
    /// not well-formed JSON; <paramref name="length"/> is how far it read well-formed and
    /// <paramref name="outcome"/> the rejection, but where the object ends is unknown.
    /// </summary>
    public LeadingParse ParseLeading(ReadOnlySpan<byte> json, out int length, out ParseOutcome outcome)
    {
        length = 0;
        outcome = default;
        _partial = false;
        var reader = new Utf8JsonReader(json, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read())
            {
                return LeadingParse.Incomplete;
            }

            var read = ReadRecord(ref reader);
            // Out of data, a read stops early (false), so only the root's closing brace proves the object whole.
            if (_partial || reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
            {
                return LeadingParse.Incomplete;
            }

            length = checked((int)reader.BytesConsumed);
            outcome = read;
            return LeadingParse.Parsed;
        }
        catch (JsonException e)
        {
            length = checked((int)reader.BytesConsumed);
            // Only the well-formed bytes before the break: the span runs on into the records after this one.
            outcome = Malformed(json[..length], e.Message);
            return LeadingParse.Invalid;
        }
        catch (InvalidOperationException)
        {
            // A value of the wrong type in well-formed JSON: the object still has an end. Find it, and
            // let Parse say why the whole of it is rejected.
            var measured = MeasureLeading(json, out length, out outcome);
            if (measured == LeadingParse.Parsed)
            {
                outcome = Parse(json[..length]);
            }

            return measured;
        }
    }

    /// <summary>
    /// Where the JSON value at the start of <paramref name="json"/> ends, without reading it as a CTR (for
    /// framing raw objects): <see cref="ParseLeading"/>'s answers, <paramref name="malformed"/> the
    /// rejection when <see cref="LeadingParse.Invalid"/>.
    /// </summary>
    public static LeadingParse MeasureLeading(ReadOnlySpan<byte> json, out int length, out ParseOutcome malformed)
    {
        (length, malformed) = (0, default);
        var reader = new Utf8JsonReader(json, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                return LeadingParse.Incomplete;
            }

            length = checked((int)reader.BytesConsumed);
            return LeadingParse.Parsed;
        }
        catch (JsonException e)
        {
            (length, malformed) = (checked((int)reader.BytesConsumed), ParseOutcome.Reject(QuarantineReasons.MalformedJson, Trim(e.Message)));
            return LeadingParse.Invalid;
        }
    }

    /// <summary>Whether <paramref name="length"/> digits stand in a row in <paramref name="text"/> (a phone number's, in a token).</summary>
    private static bool HasDigitRun(ReadOnlySpan<char> text, int length)
    {
        var run = 0;
        foreach (var c in text)
        {
            run = char.IsAsciiDigit(c) ? run + 1 : 0;
            if (run == length)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A record that is not well-formed JSON, named by its ContactId when one can be read before the break:
    /// the error path only (the record's bytes are read again), so quarantine and <c>explain</c> can name it.
    /// </summary>
    private ParseOutcome Malformed(ReadOnlySpan<byte> record, string message) =>
        ParseOutcome.Reject(QuarantineReasons.MalformedJson, Trim(message), ContactIdBeforeBreak(record));

    /// <summary>
    /// The top-level <c>"ContactId"</c> whose string value lies wholly in the well-formed start of
    /// <paramref name="record"/> (the last one, as a parse keeps it), under the same rules as a parsed id: blank
    /// or not valid UTF-8 is no id. A member of a nested object (an attribute, a record swallowed by a cut
    /// one) is not the record's id.
    /// </summary>
    private string? ContactIdBeforeBreak(ReadOnlySpan<byte> record)
    {
        string? id = null, bad = null;
        var reader = new Utf8JsonReader(record, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("ContactId"u8))
                {
                    if (!reader.Read())
                    {
                        break; // the value is cut off
                    }

                    // As a parse reads it: a number or an object is no id.
                    id = reader.TokenType == JsonTokenType.String ? IdString(ref reader, ref bad, "ContactId") : null;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The break: what came before it stands.
        }

        return bad is null ? id : null;
    }

    private ParseOutcome ReadRecord(ref Utf8JsonReader reader)
    {
        string? contactId = null, initialId = null, previousId = null, channel = null, method = null;
        var channelType = JsonTokenType.None; // a Channel of another type than text is a bad one, not a missing one
        var methodType = JsonTokenType.None;  // so is an InitiationMethod
        string? instanceArn = null, instanceTag = null, badTimestamp = null, badId = null;
        Instant? initiation = null, connected = null, disconnect = null, lastUpdate = null, transferCompleted = null;
        Endpoint? customer = null, system = null, transferredTo = null;
        AgentInfo? agent = null;
        QueueInfo? queue = null;
        var contactLens = false;
        var looksLikeEvent = false;
        var formatVersion = false;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            switch (name.Length)
            {
                case 5 when name.SequenceEqual("Agent"u8): agent = ReadAgent(ref reader, ref badTimestamp); continue;
                case 5 when name.SequenceEqual("Queue"u8): queue = ReadQueue(ref reader, ref badTimestamp); continue;
                case 4 when name.SequenceEqual("Tags"u8): instanceTag = ReadInstanceTag(ref reader); continue;
                case 7 when name.SequenceEqual("Channel"u8): channelType = reader.TokenType; channel = PooledString(ref reader); continue;
                case 9 when name.SequenceEqual("ContactId"u8): contactId = IdString(ref reader, ref badId, "ContactId"); continue;
                case 9 when name.SequenceEqual("EventType"u8) || name.SequenceEqual("eventType"u8): looksLikeEvent = true; break;
                case 11 when name.SequenceEqual("InstanceARN"u8): instanceArn = PooledString(ref reader); continue;
                case 11 when name.SequenceEqual("ContactLens"u8): contactLens = ReadContactLensEnabled(ref reader); continue;
                case 11 when name.SequenceEqual("detail-type"u8): looksLikeEvent = true; break;
                case 16 when name.SequenceEqual("InitialContactId"u8): initialId = IdString(ref reader, ref badId, "InitialContactId"); continue;
                case 16 when name.SequenceEqual("InitiationMethod"u8): methodType = reader.TokenType; method = PooledString(ref reader); continue;
                case 16 when name.SequenceEqual("CustomerEndpoint"u8): customer = ReadEndpoint(ref reader, pooled: false); continue;
                case 14 when name.SequenceEqual("SystemEndpoint"u8): system = ReadEndpoint(ref reader, pooled: true); continue;
                case 17 when name.SequenceEqual("PreviousContactId"u8): previousId = IdString(ref reader, ref badId, "PreviousContactId"); continue;
                case 19 when name.SequenceEqual("InitiationTimestamp"u8): initiation = ReadTimestamp(ref reader, ref badTimestamp, "InitiationTimestamp"); continue;
                case 19 when name.SequenceEqual("DisconnectTimestamp"u8): disconnect = ReadTimestamp(ref reader, ref badTimestamp, "DisconnectTimestamp"); continue;
                case 19 when name.SequenceEqual("LastUpdateTimestamp"u8): lastUpdate = ReadTimestamp(ref reader, ref badTimestamp, "LastUpdateTimestamp"); continue;
                case 21 when name.SequenceEqual("TransferredToEndpoint"u8): transferredTo = ReadEndpoint(ref reader, pooled: false); continue;
                case 26 when name.SequenceEqual("ConnectedToSystemTimestamp"u8): connected = ReadTimestamp(ref reader, ref badTimestamp, "ConnectedToSystemTimestamp"); continue;
                case 26 when name.SequenceEqual("TransferCompletedTimestamp"u8): transferCompleted = ReadTimestamp(ref reader, ref badTimestamp, "TransferCompletedTimestamp"); continue;
                case 34 when name.SequenceEqual("AWSContactTraceRecordFormatVersion"u8): formatVersion = true; break;
            }

            Skip(ref reader);
        }

        if (looksLikeEvent)
        {
            return ParseOutcome.Reject(QuarantineReasons.NotACtr, "an event (EventType / detail-type), not a contact trace record", contactId);
        }

        if (badId is not null)
        {
            // Named by its ContactId when that is not the damaged id (an InitialContactId or PreviousContactId is).
            return ParseOutcome.Reject(QuarantineReasons.MalformedJson, badId, badId.StartsWith("ContactId ", StringComparison.Ordinal) ? null : contactId);
        }

        if (contactId is null)
        {
            return formatVersion || method is not null || channel is not null
                ? ParseOutcome.Reject(QuarantineReasons.MissingContactId, "no ContactId")
                : ParseOutcome.Reject(QuarantineReasons.NotACtr, "no ContactId, InitiationMethod or Channel: not a contact trace record");
        }

        if (PhoneNumbers.ReadsAsNumber(contactId) || PhoneNumbers.ReadsAsNumber(initialId) || PhoneNumbers.ReadsAsNumber(previousId))
        {
            // Connect's ids are UUIDs; a customer's number in one would be written to every table and log as the
            // contact's name. Set aside without it: the detail never names the id. The record's own ContactId is
            // kept when it is another id field that reads as a number, so "where is contact X?" still has an
            // answer; Reject drops a ContactId that reads as one.
            var field = PhoneNumbers.ReadsAsNumber(contactId) ? "ContactId" : PhoneNumbers.ReadsAsNumber(initialId) ? "InitialContactId" : "PreviousContactId";
            return ParseOutcome.Reject(QuarantineReasons.BadContactId, $"{field} reads as a phone number, not a contact id (not shown: personal data)", contactId);
        }

        if (badTimestamp is not null)
        {
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp, badTimestamp, contactId);
        }

        if (initiation is null)
        {
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp, "InitiationTimestamp missing", contactId);
        }

        if (channel is null && channelType is not (JsonTokenType.None or JsonTokenType.Null))
        {
            return ParseOutcome.Reject(QuarantineReasons.BadChannel, $"Channel is not text ({channelType})", contactId);
        }

        if (string.IsNullOrWhiteSpace(channel))
        {
            return ParseOutcome.Reject(QuarantineReasons.MissingChannel, channel is null ? "no Channel" : "Channel is empty", contactId);
        }

        if (channel.Length > MaxChannelLength || channel.AsSpan().ContainsAnyExcept(ChannelLetters))
        {
            // Connect writes VOICE, CHAT, TASK, EMAIL; a hand-edited "voice" is still a call, not a channel of its own.
            // Anything but a plain token (a phone number in the wrong field) would become a charge kind and a
            // usage type of its own, unmasked in every output: set aside, without echoing the value.
            var token = channel.AsSpan().Trim();
            if (token.Length is 0 or > MaxChannelLength || token.ContainsAnyExcept(ChannelTokenChars))
            {
                return ParseOutcome.Reject(QuarantineReasons.BadChannel,
                    $"Channel is not a plain token (1 to {MaxChannelLength} ASCII letters or underscores; {token.Length} characters given)", contactId);
            }

            channel = token.ToString().ToUpperInvariant();
        }

        if (method is null && methodType is not (JsonTokenType.None or JsonTokenType.Null))
        {
            return ParseOutcome.Reject(QuarantineReasons.BadInitiationMethod, $"InitiationMethod is not text ({methodType})", contactId);
        }

        if (method is not null && (method.Length is 0 or > MaxMethodLength || !char.IsAsciiLetterUpper(method[0])
            || method.AsSpan().ContainsAnyExcept(MethodChars) || method.AsSpan().ContainsAnyInRange('0', '9')))
        {
            // The set of methods is open (a new one is rated as a customer record), but like Channel it must be a
            // plain token: a phone number in the field would be written to contacts.initiation_method and shown
            // by explain, unmasked. Set aside without echoing the value; a blank one is no method ("UNKNOWN").
            var token = method.AsSpan().Trim();
            if (token.Length > MaxMethodLength
                || (token.Length > 0 && (!char.IsAsciiLetter(token[0]) || token.ContainsAnyExcept(MethodTokenChars) || HasDigitRun(token, PhoneDigits))))
            {
                return ParseOutcome.Reject(QuarantineReasons.BadInitiationMethod,
                    $"InitiationMethod is not a plain token (1 to {MaxMethodLength} ASCII letters, digits or underscores, a letter first, no run of {PhoneDigits} digits; {token.Length} characters given)", contactId);
            }

            method = token.Length == 0 ? null : token.ToString().ToUpperInvariant();
        }

        if (disconnect is { } d && d < initiation.Value)
        {
            return ParseOutcome.Reject(QuarantineReasons.DisconnectBeforeInitiation, $"DisconnectTimestamp {d} is before InitiationTimestamp {initiation.Value}", contactId);
        }

        // Billing starts the customer's leg at ConnectedToSystemTimestamp and a third party's at
        // TransferCompletedTimestamp: out of order, they would bill hours that never happened.
        if (connected is { } c && (c < initiation.Value || (disconnect is { } end && c > end)))
        {
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp,
                $"ConnectedToSystemTimestamp {c} is {(c < initiation.Value ? $"before InitiationTimestamp {initiation.Value}" : $"after DisconnectTimestamp {disconnect}")}", contactId);
        }

        if (transferCompleted is { } t && t < initiation.Value)
        {
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp, $"TransferCompletedTimestamp {t} is before InitiationTimestamp {initiation.Value}", contactId);
        }

        if (disconnect is null && channel == Channels.Voice)
        {
            // Connect writes a CTR once the contact has ended; a call without its end has legs of no
            // length and would be rated as free, unflagged.
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp, "DisconnectTimestamp missing: a call's legs end there, so it cannot be billed", contactId);
        }

        // A queued callback's call is measured from when it was dialled (its leg's start), and its wait on its own.
        var callStart = ContactRecord.CallStartOf(method, initiation.Value, connected);
        if (channel == Channels.Voice && disconnect is { } last && callStart is { } start && last.UnixSeconds - start.UnixSeconds > MaxCallSeconds)
        {
            // One wrong year in a timestamp (a 2000 start, a 9998 end) made a 45 s call of decades: a bill of
            // millions on one line, and a late warning for every day between.
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp,
                $"DisconnectTimestamp {last} is more than {MaxCallSeconds / 86_400} days after {(start == initiation.Value ? "InitiationTimestamp" : "ConnectedToSystemTimestamp")} {start}: " +
                $"a call lasts at most {MaxCallSeconds / 86_400} days", contactId);
        }

        if (method == InitiationMethods.Callback && (connected ?? disconnect) is { } reached && reached.UnixSeconds - initiation.Value.UnixSeconds > MaxCallbackWaitSeconds)
        {
            // A wrong year in the request time would date the whole chain (its day is its first record's start) years early.
            return ParseOutcome.Reject(QuarantineReasons.BadTimestamp,
                $"{(connected is null ? "DisconnectTimestamp" : "ConnectedToSystemTimestamp")} {reached} is more than {MaxCallbackWaitSeconds / 86_400} days after the callback's InitiationTimestamp {initiation.Value}: " +
                $"a queued callback waits at most {MaxCallbackWaitSeconds / 86_400} days", contactId);
        }

        return ParseOutcome.Ok(new ContactRecord
        {
            ContactId = contactId,
            InitialContactId = initialId,
            PreviousContactId = previousId,
            Channel = channel,
            InitiationMethod = method ?? "UNKNOWN",
            InitiationTimestamp = initiation.Value,
            ConnectedToSystemTimestamp = connected,
            DisconnectTimestamp = disconnect,
            LastUpdateTimestamp = lastUpdate,
            TransferCompletedTimestamp = transferCompleted,
            CustomerEndpoint = customer,
            SystemEndpoint = system,
            TransferredToEndpoint = transferredTo,
            Agent = agent,
            Queue = queue,
            ContactLensEnabled = contactLens,
            InstanceArn = instanceArn,
            InstanceIdTag = instanceTag,
        });
    }

    private AgentInfo? ReadAgent(ref Utf8JsonReader reader, ref string? badTimestamp)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Skip(ref reader);
            return null;
        }

        string? username = null, arn = null, routingProfile = null;
        Instant? connected = null, acwStart = null;
        long hold = 0, interaction = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("Username"u8)) { username = PooledString(ref reader); continue; }
            if (name.SequenceEqual("ARN"u8)) { arn = PooledString(ref reader); continue; }
            if (name.SequenceEqual("ConnectedToAgentTimestamp"u8)) { connected = ReadTimestamp(ref reader, ref badTimestamp, "Agent.ConnectedToAgentTimestamp"); continue; }
            if (name.SequenceEqual("AfterContactWorkStartTimestamp"u8)) { acwStart = ReadTimestamp(ref reader, ref badTimestamp, "Agent.AfterContactWorkStartTimestamp"); continue; }
            if (name.SequenceEqual("CustomerHoldDuration"u8)) { hold = ReadLong(ref reader); continue; }
            if (name.SequenceEqual("AgentInteractionDuration"u8)) { interaction = ReadLong(ref reader); continue; }
            if (name.SequenceEqual("RoutingProfile"u8)) { routingProfile = ReadNameOf(ref reader); continue; }
            Skip(ref reader);
        }

        return new AgentInfo
        {
            Username = username,
            Arn = arn,
            ConnectedToAgentTimestamp = connected,
            AfterContactWorkStartTimestamp = acwStart,
            CustomerHoldDuration = hold,
            AgentInteractionDuration = interaction,
            RoutingProfile = routingProfile,
        };
    }

    private QueueInfo? ReadQueue(ref Utf8JsonReader reader, ref string? badTimestamp)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Skip(ref reader);
            return null;
        }

        string? name = null, arn = null;
        Instant? enqueue = null, dequeue = null;
        long duration = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var prop = reader.ValueSpan;
            reader.Read();
            if (prop.SequenceEqual("Name"u8)) { name = PooledString(ref reader); continue; }
            if (prop.SequenceEqual("ARN"u8)) { arn = PooledString(ref reader); continue; }
            if (prop.SequenceEqual("EnqueueTimestamp"u8)) { enqueue = ReadTimestamp(ref reader, ref badTimestamp, "Queue.EnqueueTimestamp"); continue; }
            if (prop.SequenceEqual("DequeueTimestamp"u8)) { dequeue = ReadTimestamp(ref reader, ref badTimestamp, "Queue.DequeueTimestamp"); continue; }
            if (prop.SequenceEqual("Duration"u8)) { duration = ReadLong(ref reader); continue; }
            Skip(ref reader);
        }

        return new QueueInfo { Name = name, Arn = arn, EnqueueTimestamp = enqueue, DequeueTimestamp = dequeue, Duration = duration };
    }

    private Endpoint? ReadEndpoint(ref Utf8JsonReader reader, bool pooled)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Skip(ref reader);
            return null;
        }

        string? address = null, type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var prop = reader.ValueSpan;
            reader.Read();
            if (prop.SequenceEqual("Address"u8)) { address = pooled ? PooledString(ref reader) : NullableString(ref reader); continue; }
            if (prop.SequenceEqual("Type"u8)) { type = PooledString(ref reader); continue; }
            Skip(ref reader);
        }

        if (!pooled || address is null)
        {
            return new Endpoint(address, type);
        }

        // The centre's own numbers repeat on every record: share one Endpoint per number.
        if (!_systemEndpoints.TryGetValue((address, type), out var shared))
        {
            shared = new Endpoint(address, type);
            if (_systemEndpoints.Count < 65_536)
            {
                _systemEndpoints[(address, type)] = shared;
            }
        }

        return shared;
    }

    /// <summary>
    /// Contact ids: a child names its parent and root, usually a few records after them, so recent
    /// ids are shared rather than allocated again (one string per id instead of three).
    /// </summary>
    private string? IdString(ref Utf8JsonReader reader, ref string? bad, string field)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return SkipAndNull(ref reader);
        }

        // The reader does not check a string's UTF-8; decoded, two ids damaged differently would both
        // become "…\uFFFD" and one call would be dropped as the other's duplicate.
        if (!reader.ValueIsEscaped && !System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
        {
            bad ??= $"{field} is not valid UTF-8";
            return null;
        }

        // A blank id is no id: "" as InitialContactId would join every such call into one chain.
        if (reader.ValueIsEscaped)
        {
            return reader.GetString() is { } escaped && !string.IsNullOrWhiteSpace(escaped) ? escaped : null;
        }

        return reader.ValueSpan.IndexOfAnyExcept(" \t\r\n"u8) < 0 ? null : _recentIds.Get(reader.ValueSpan);
    }

    private string? ReadInstanceTag(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Skip(ref reader);
            return null;
        }

        string? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isInstance = reader.ValueTextEquals("aws:connect:instanceId"u8);
            reader.Read();
            if (isInstance)
            {
                value = PooledString(ref reader);
            }
            else
            {
                Skip(ref reader);
            }
        }

        return PhoneNumbers.ReadsAsNumber(value) ? null : value; // a customer's number is no instance id: the ARN's, else "unknown"
    }

    /// <summary>ContactLens.ConversationalAnalytics.Configuration.Enabled, tolerating any of it being absent.</summary>
    private bool ReadContactLensEnabled(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Skip(ref reader);
            return false;
        }

        var startDepth = reader.CurrentDepth;
        var enabled = false;
        var path = 0; // 0: ContactLens, 1: ConversationalAnalytics, 2: Configuration
        while (reader.Read() && reader.CurrentDepth > startDepth)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            var depth = reader.CurrentDepth - startDepth;
            if (depth == 1 && path >= 0 && reader.ValueTextEquals("ConversationalAnalytics"u8)) { path = 1; continue; }
            if (depth == 2 && path == 1 && reader.ValueTextEquals("Configuration"u8)) { path = 2; continue; }
            if (depth == 3 && path == 2 && reader.ValueTextEquals("Enabled"u8))
            {
                reader.Read();
                // true, or "true" as a record that went through a spreadsheet or a string-typed export has it.
                enabled = reader.TokenType == JsonTokenType.True
                    || (reader.TokenType == JsonTokenType.String && System.Text.Ascii.EqualsIgnoreCase(reader.ValueSpan, "true"u8));
                continue;
            }

            reader.Read();
            Skip(ref reader);
        }

        return enabled;
    }

    private string? ReadNameOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Skip(ref reader);
            return null;
        }

        string? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("Name"u8);
            reader.Read();
            if (isName)
            {
                value = PooledString(ref reader);
            }
            else
            {
                Skip(ref reader);
            }
        }

        return value;
    }

    private Instant? ReadTimestamp(ref Utf8JsonReader reader, ref string? bad, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.String
            && (reader.ValueIsEscaped ? Instant.TryParse(Encoding.UTF8.GetBytes(reader.GetString()!), out var value) : Instant.TryParse(reader.ValueSpan, out value)))
        {
            if (value >= EarliestTimestamp && value <= LatestTimestamp)
            {
                return value;
            }

            // Connect began in 2017; past 9998 a day's look-ahead and number-days would overflow the calendar.
            bad ??= $"{field} {value} is outside the years 2000 to 9998";
            return null;
        }

        bad ??= $"{field} is not an ISO-8601 timestamp";
        Skip(ref reader);
        return null;
    }

    private static readonly Instant EarliestTimestamp = Instant.Parse("2000-01-01T00:00:00Z");
    private static readonly Instant LatestTimestamp = Instant.Parse("9998-12-31T23:59:59Z");

    /// <summary>
    /// A whole number of seconds, also when written as a string ("30"), as exports that type every value as text
    /// leave it; anything else is 0. An object or array in its place is skipped whole: left where it stood, the
    /// reader lost its place and every later record of the object with it.
    /// </summary>
    private long ReadLong(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt64(out var v):
                return v;
            case JsonTokenType.Number when reader.TryGetDecimal(out var d) && d == decimal.Truncate(d) && Math.Abs(d) <= long.MaxValue:
                return (long)d; // 30.0
            case JsonTokenType.String when !reader.ValueIsEscaped && reader.ValueSpan.Trim((byte)' ') is var text
                && Utf8Parser.TryParse(text, out long s, out var used) && used == text.Length:
                return s;
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                Skip(ref reader);
                return 0;
            default:
                return 0;
        }
    }

    private string? NullableString(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString() : SkipAndNull(ref reader);

    private string? PooledString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return SkipAndNull(ref reader);
        }

        return reader.ValueIsEscaped ? reader.GetString() : _pool.Get(reader.ValueSpan);
    }

    /// <summary>Skips a value; on a partial span (<see cref="ParseLeading"/>) a value that runs past the end marks the parse partial.</summary>
    private void Skip(ref Utf8JsonReader reader)
    {
        if (!reader.TrySkip())
        {
            _partial = true;
        }
    }

    private string? SkipAndNull(ref Utf8JsonReader reader)
    {
        Skip(ref reader);
        return null;
    }

    private static string Trim(string message) => message.Length > 200 ? message[..200] : message;
}

/// <summary>What <see cref="CtrParser.ParseLeading"/> made of the start of a span.</summary>
public enum LeadingParse
{
    /// <summary>A whole object, parsed (to a record or a rejection).</summary>
    Parsed,

    /// <summary>Well-formed so far, but the span ends inside the object.</summary>
    Incomplete,

    /// <summary>Not well-formed JSON: where the object ends cannot be known.</summary>
    Invalid,
}
