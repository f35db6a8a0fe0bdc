using System.Collections.Concurrent;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Ctr;

/// <summary>
/// The part of a contact trace record that billing and reporting need. Everything else in the
/// CTR (attributes, recordings, references …) is skipped by the parser to keep memory small.
/// </summary>
public sealed record ContactRecord
{
    public required string ContactId { get; init; }
    public string? InitialContactId { get; init; }
    public string? PreviousContactId { get; init; }
    public required string Channel { get; init; }
    public required string InitiationMethod { get; init; }
    public required Instant InitiationTimestamp { get; init; }
    public Instant? ConnectedToSystemTimestamp { get => Instants.FromRaw(_connectedToSystemTimestamp); init => _connectedToSystemTimestamp = Instants.ToRaw(value); }
    public Instant? DisconnectTimestamp { get => Instants.FromRaw(_disconnectTimestamp); init => _disconnectTimestamp = Instants.ToRaw(value); }
    public Instant? LastUpdateTimestamp { get => Instants.FromRaw(_lastUpdateTimestamp); init => _lastUpdateTimestamp = Instants.ToRaw(value); }
    public Instant? TransferCompletedTimestamp { get => Instants.FromRaw(_transferCompletedTimestamp); init => _transferCompletedTimestamp = Instants.ToRaw(value); }
    public Endpoint? CustomerEndpoint { get; init; }
    public Endpoint? SystemEndpoint { get; init; }
    public Endpoint? TransferredToEndpoint { get; init; }
    public AgentInfo? Agent { get; init; }
    public QueueInfo? Queue { get; init; }
    public bool ContactLensEnabled { get; init; }
    public string? InstanceArn { get; init; }
    public string? InstanceIdTag { get; init; }

    /// <summary>The chain this record belongs to: <c>InitialContactId</c>, or itself when it is the first.</summary>
    public string RootId => InitialContactId ?? ContactId;

    public bool IsRoot => InitialContactId is null || InitialContactId == ContactId;

    public bool IsVoice => Channel == Channels.Voice;

    /// <summary>The end of the record: its disconnect, else its initiation (an unfinished record has no length).</summary>
    public Instant End => DisconnectTimestamp ?? InitiationTimestamp;

    /// <summary>When the call itself started (<see cref="CallStartOf"/>); null for a queued callback never dialled.</summary>
    public Instant? CallStart => CallStartOf(InitiationMethod, InitiationTimestamp, ConnectedToSystemTimestamp);

    public string Region => ArnParts.Of(InstanceArn).Region ?? "unknown";

    public string InstanceId => InstanceIdTag ?? ArnParts.Of(InstanceArn).InstanceId ?? "unknown";

    /// <summary>
    /// When a record's call started: its InitiationTimestamp, but a queued callback's is when the customer asked for it,
    /// days before it was dialled (flow delays and retries, days in queue); its call starts when it is dialled, and one
    /// never dialled has none (null).
    /// </summary>
    public static Instant? CallStartOf(string? method, Instant initiation, Instant? connected) =>
        method == InitiationMethods.Callback ? connected : initiation;

    // Optional times are stored as raw seconds (8 bytes, not 16 for Instant?): days of records are held in memory.
    private readonly long _connectedToSystemTimestamp = Instants.None;
    private readonly long _disconnectTimestamp = Instants.None;
    private readonly long _lastUpdateTimestamp = Instants.None;
    private readonly long _transferCompletedTimestamp = Instants.None;

    /// <summary>
    /// Region and instance id of an instance ARN (<c>arn:aws:connect:REGION:ACCOUNT:instance/ID</c>),
    /// remembered per ARN: a month has a handful of instances and every chain asks.
    /// </summary>
    private static class ArnParts
    {
        private static readonly ConcurrentDictionary<string, (string? Region, string? InstanceId)> Known = new(StringComparer.Ordinal);

        public static (string? Region, string? InstanceId) Of(string? arn)
        {
            if (arn is null)
            {
                return (null, null);
            }

            if (Known.TryGetValue(arn, out var parts))
            {
                return parts;
            }

            var fields = arn.Split(':');
            var slash = arn.LastIndexOf('/');
            // A customer's number where the region or instance id belongs is not written out as one: "unknown".
            var region = fields.Length > 3 && fields[3].Length > 0 && !PhoneNumbers.ReadsAsNumber(fields[3]) ? fields[3] : null;
            var instanceId = slash >= 0 && arn[(slash + 1)..] is var id && !PhoneNumbers.ReadsAsNumber(id) ? id : null;
            parts = (region, instanceId);
            if (Known.Count < 4_096)
            {
                Known.TryAdd(arn, parts);
            }

            return parts;
        }
    }
}

public sealed record Endpoint(string? Address, string? Type)
{
    public bool IsTelephoneNumber => Type == "TELEPHONE_NUMBER" && !string.IsNullOrEmpty(Address);
}

public sealed record AgentInfo
{
    public string? Username { get; init; }
    public string? Arn { get; init; }
    public Instant? ConnectedToAgentTimestamp { get => Instants.FromRaw(_connectedToAgentTimestamp); init => _connectedToAgentTimestamp = Instants.ToRaw(value); }
    public Instant? AfterContactWorkStartTimestamp { get => Instants.FromRaw(_afterContactWorkStartTimestamp); init => _afterContactWorkStartTimestamp = Instants.ToRaw(value); }
    public long CustomerHoldDuration { get; init; }
    public long AgentInteractionDuration { get; init; }
    public string? RoutingProfile { get; init; }

    private readonly long _connectedToAgentTimestamp = Instants.None;
    private readonly long _afterContactWorkStartTimestamp = Instants.None;
}

public sealed record QueueInfo
{
    public string? Name { get; init; }
    public string? Arn { get; init; }
    public Instant? EnqueueTimestamp { get => Instants.FromRaw(_enqueueTimestamp); init => _enqueueTimestamp = Instants.ToRaw(value); }
    public Instant? DequeueTimestamp { get => Instants.FromRaw(_dequeueTimestamp); init => _dequeueTimestamp = Instants.ToRaw(value); }
    public long Duration { get; init; }

    private readonly long _enqueueTimestamp = Instants.None;
    private readonly long _dequeueTimestamp = Instants.None;

    /// <summary>Agent queues have a null name; the ARN's last part still tells them apart.</summary>
    public string DisplayName => Name ?? (Arn is { } arn && arn.Contains("/queue/agent/", StringComparison.Ordinal) ? "agent-queue" : Arn?[(Arn.LastIndexOf('/') + 1)..] ?? "unknown");
}

/// <summary>Packs an optional <see cref="Instant"/> into a long (long.MinValue = absent).</summary>
internal static class Instants
{
    public const long None = long.MinValue;

    public static Instant? FromRaw(long raw) => raw == None ? null : new Instant(raw);

    public static long ToRaw(Instant? value) => value?.UnixSeconds ?? None;
}

public static class Channels
{
    public const string Voice = "VOICE";
    public const string Chat = "CHAT";
    public const string Task = "TASK";
    public const string Email = "EMAIL";
}

/// <summary>InitiationMethod values we act on. The set is open: unknown values parse and rate as customer records.</summary>
public static class InitiationMethods
{
    public const string Inbound = "INBOUND";
    public const string Outbound = "OUTBOUND";
    public const string Transfer = "TRANSFER";
    public const string QueueTransfer = "QUEUE_TRANSFER";
    public const string Callback = "CALLBACK";
    public const string Api = "API";
    public const string Disconnect = "DISCONNECT";
    public const string WebRtcApi = "WEBRTC_API";
    public const string ExternalOutbound = "EXTERNAL_OUTBOUND";
    public const string Monitor = "MONITOR";
    public const string CampaignPreview = "CAMPAIGN_PREVIEW";
}
