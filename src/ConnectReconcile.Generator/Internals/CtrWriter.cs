using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ConnectReconcile.Generator.Internals;

/// <summary>
/// Serializes simulated records as compact CTR JSON (keys in the ordinal order AWS uses) into a
/// reusable buffer; the caller moves the bytes into the gzip stream. Not thread-safe: one per block.
/// </summary>
internal sealed class CtrWriter : IDisposable
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly Instance _inst;
    private readonly ArrayBufferWriter<byte> _buf = new(1 << 18);
    private readonly Utf8JsonWriter _w;
    private readonly JsonEncodedText _account;
    private readonly JsonEncodedText _instanceArn;
    private readonly JsonEncodedText _instanceId;
    private readonly byte[] _recordingPrefix;
    private readonly JsonEncodedText _locale;

    public CtrWriter(Instance inst)
    {
        _inst = inst;
        _w = new Utf8JsonWriter(_buf, Options);
        _account = Instance.Encode(inst.AccountId);
        _instanceArn = Instance.Encode(inst.InstanceArn);
        _instanceId = Instance.Encode(inst.InstanceId);
        _recordingPrefix = Encoding.UTF8.GetBytes(inst.RecordingPrefix);
        _locale = Instance.Encode(inst.Japan ? "ja-JP" : "en-US");
    }

    public int Length => _buf.WrittenCount;

    public ReadOnlySpan<byte> Written => _buf.WrittenSpan;

    public void Clear() => _buf.ResetWrittenCount();

    public void NewLine()
    {
        var span = _buf.GetSpan(1);
        span[0] = (byte)'\n';
        _buf.Advance(1);
    }

    public void Dispose() => _w.Dispose();

    /// <summary>Appends one record (a CTR, or the planted foreign/damaged object it stands for).</summary>
    public void Write(SimRecord r)
    {
        switch (r.Bad)
        {
            case BadKind.AgentEvent:
                WriteAgentEvent(r);
                return;
            case BadKind.EventBridge:
                WriteEventBridge(r);
                return;
            case BadKind.Malformed:
                WriteMalformed(r);
                return;
        }

        var w = _w;
        w.Reset(_buf);
        w.WriteStartObject();
        w.WriteString(N.AWSAccountId, _account);
        w.WriteString(N.FormatVersion, V.FormatVersion);
        if (r.Agent < 0)
        {
            w.WriteNull(N.Agent);
        }
        else
        {
            WriteAgent(r);
        }

        w.WriteNumber(N.AgentConnectionAttempts, r.Agent < 0 ? 0 : 1);
        w.WriteNull(N.AnsweringMachineDetectionStatus);
        Attrs.Write(w, r, _inst.Japan);
        w.WriteStartObject(N.Campaign);
        w.WriteNull(N.CampaignId);
        w.WriteEndObject();
        w.WriteString(N.Channel, r.Chat ? V.Chat : V.Voice);
        Timestamp(N.ConnectedToSystemTimestamp, r.ConnSys);
        w.WriteStartObject(N.ContactDetails);
        w.WriteEndObject();
        if (r.Bad == BadKind.MissingContactId)
        {
            if ((r.AttrSeed & 1) == 0)
            {
                w.WriteNull(N.ContactId);
            }
        }
        else
        {
            Id(N.ContactId, r.ContactId);
        }

        if (r.Lens)
        {
            w.WriteStartObject(N.ContactLens);
            w.WriteStartObject(N.ConversationalAnalytics);
            w.WriteStartObject(N.Configuration);
            w.WriteStartObject(N.ChannelConfiguration);
            w.WriteStartArray(N.AnalyticsModes);
            w.WriteStringValue(V.PostContact);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteBoolean(N.Enabled, true);
            w.WriteString(N.LanguageLocale, _locale);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        if (r.Customer is null)
        {
            w.WriteNull(N.CustomerEndpoint);
        }
        else
        {
            Endpoint(N.CustomerEndpoint, r.Customer);
        }

        w.WriteString(N.DisconnectReason, r.Reason switch
        {
            DisconnectReason.Agent => V.AgentDisconnect,
            DisconnectReason.Flow => V.FlowDisconnect,
            DisconnectReason.ThirdParty => V.ThirdPartyDisconnect,
            DisconnectReason.NotEstablished => V.NotEstablished,
            _ => V.CustomerDisconnect,
        });
        Timestamp(N.DisconnectTimestamp, r.Disc);
        Id(N.InitialContactId, r.InitialContactId);
        w.WriteString(N.InitiationMethod, r.Method switch
        {
            Method.Inbound => V.Inbound,
            Method.Outbound => V.Outbound,
            Method.Transfer => V.Transfer,
            Method.Callback => V.Callback,
            Method.ExternalOutbound => V.ExternalOutbound,
            _ => V.Api,
        });
        if (r.Bad == BadKind.BadTimestamp)
        {
            w.WriteString(N.InitiationTimestamp, V.BadTimestamps[(int)(r.AttrSeed % (ulong)V.BadTimestamps.Length)]);
        }
        else
        {
            Timestamp(N.InitiationTimestamp, r.Init);
        }

        w.WriteString(N.InstanceARN, _instanceArn);
        Timestamp(N.LastUpdateTimestamp, r.LastUpdate);
        w.WriteStartArray(N.MediaStreams);
        w.WriteStartObject();
        w.WriteString(N.Type, r.Chat ? V.Chat : V.Audio);
        w.WriteEndObject();
        w.WriteEndArray();
        Id(N.NextContactId, r.NextContactId);
        Id(N.PreviousContactId, r.PreviousContactId);
        WriteQueue(r);
        WriteRecording(r);
        w.WriteStartArray(N.References);
        w.WriteEndArray();
        w.WriteNull(N.ScheduledTimestamp);
        if (r.SystemNumber < 0)
        {
            w.WriteNull(N.SystemEndpoint);
        }
        else
        {
            w.WriteStartObject(N.SystemEndpoint);
            w.WriteString(N.Address, _inst.Numbers[r.SystemNumber].Json);
            w.WriteString(N.Type, V.TelephoneNumber);
            w.WriteEndObject();
        }

        w.WriteStartObject(N.Tags);
        w.WriteString(N.TagInstanceId, _instanceId);
        if (r.SystemNumber >= 0 && r.Method == Method.Inbound)
        {
            w.WriteString(N.TagSystemEndpoint, _inst.Numbers[r.SystemNumber].Json);
        }

        w.WriteEndObject();
        Timestamp(N.TransferCompletedTimestamp, r.TransferCompleted);
        if (r.TransferredTo is null)
        {
            w.WriteNull(N.TransferredToEndpoint);
        }
        else
        {
            Endpoint(N.TransferredToEndpoint, r.TransferredTo);
        }

        w.WriteNull(N.VoiceIdResult);
        w.WriteEndObject();
        w.Flush();
    }

    private void WriteAgent(SimRecord r)
    {
        var w = _w;
        var a = _inst.Agents[r.Agent];
        w.WriteStartObject(N.Agent);
        w.WriteString(N.ARN, a.Arn);
        w.WriteNumber(N.AfterContactWorkDuration, r.AcwEnd - r.AcwStart);
        Timestamp(N.AfterContactWorkEndTimestamp, r.AcwEnd);
        Timestamp(N.AfterContactWorkStartTimestamp, r.AcwStart);
        w.WriteNumber(N.AgentInteractionDuration, r.Interaction);
        Timestamp(N.ConnectedToAgentTimestamp, r.ConnAgent);
        w.WriteNumber(N.CustomerHoldDuration, r.Hold);
        if (a.Hierarchy < 0)
        {
            w.WriteNull(N.HierarchyGroups);
        }
        else
        {
            var (l1, l2) = _inst.Hierarchies[a.Hierarchy];
            w.WriteStartObject(N.HierarchyGroups);
            Group(N.Level1, l1);
            Group(N.Level2, l2);
            w.WriteNull(N.Level3);
            w.WriteNull(N.Level4);
            w.WriteNull(N.Level5);
            w.WriteEndObject();
        }

        w.WriteNumber(N.LongestHoldDuration, r.LongestHold);
        w.WriteNumber(N.NumberOfHolds, r.Holds);
        var p = _inst.Profiles[a.Profile];
        w.WriteStartObject(N.RoutingProfile);
        w.WriteString(N.ARN, p.Arn);
        w.WriteString(N.Name, p.NameJson);
        w.WriteEndObject();
        w.WriteString(N.Username, a.UsernameJson);
        w.WriteEndObject();
    }

    private void Group(JsonEncodedText name, NamedArn g)
    {
        _w.WriteStartObject(name);
        _w.WriteString(N.ARN, g.Arn);
        _w.WriteString(N.GroupName, g.NameJson);
        _w.WriteEndObject();
    }

    private void WriteQueue(SimRecord r)
    {
        var w = _w;
        switch (r.QueueKind)
        {
            case QueueKind.None:
                w.WriteNull(N.Queue);
                return;
            case QueueKind.Outbound:
                w.WriteStartObject(N.Queue);
                w.WriteString(N.ARN, _inst.OutboundQueue.Arn);
                w.WriteNull(N.DequeueTimestamp);
                w.WriteNumber(N.Duration, 0);
                w.WriteNull(N.EnqueueTimestamp);
                w.WriteString(N.Name, _inst.OutboundQueue.NameJson);
                w.WriteEndObject();
                return;
            case QueueKind.AgentQueue:
                w.WriteStartObject(N.Queue);
                w.WriteString(N.ARN, _inst.Agents[r.Queue].AgentQueueArn);
                Timestamp(N.DequeueTimestamp, r.Deq);
                w.WriteNumber(N.Duration, r.QueueDuration);
                Timestamp(N.EnqueueTimestamp, r.Enq);
                w.WriteNull(N.Name);
                w.WriteEndObject();
                return;
            default:
                var q = r.Queue == -2 ? _inst.ChatQueue : _inst.Queues[r.Queue];
                w.WriteStartObject(N.Queue);
                w.WriteString(N.ARN, q.Arn);
                Timestamp(N.DequeueTimestamp, r.Deq);
                w.WriteNumber(N.Duration, r.QueueDuration);
                Timestamp(N.EnqueueTimestamp, r.Enq);
                w.WriteString(N.Name, q.NameJson);
                w.WriteEndObject();
                return;
        }
    }

    private void WriteRecording(SimRecord r)
    {
        var w = _w;
        var recorded = !r.Chat && r.Agent >= 0 && r.ConnAgent != SimRecord.Null && !(r.Method == Method.Outbound && r.ConnSys == SimRecord.Null);
        if (!recorded)
        {
            w.WriteNull(N.Recording);
            w.WriteNull(N.Recordings);
            return;
        }

        // <bucket>/connect/<alias>/CallRecordings/yyyy/MM/dd/<contactId>_yyyyMMddTHH:mm_UTC.wav
        Span<byte> loc = stackalloc byte[_recordingPrefix.Length + 80];
        _recordingPrefix.CopyTo(loc);
        var n = _recordingPrefix.Length;
        Ts.Split(r.ConnAgent, out var y, out var mo, out var d, out var h, out var mi, out _);
        Ts.D4(loc[n..], y);
        loc[n + 4] = (byte)'/';
        Ts.D2(loc[(n + 5)..], mo);
        loc[n + 7] = (byte)'/';
        Ts.D2(loc[(n + 8)..], d);
        loc[n + 10] = (byte)'/';
        n += 11;
        r.ContactId.TryFormat(loc[n..], out var g, "D");
        n += g;
        loc[n++] = (byte)'_';
        Ts.D4(loc[n..], y);
        Ts.D2(loc[(n + 4)..], mo);
        Ts.D2(loc[(n + 6)..], d);
        loc[n + 8] = (byte)'T';
        Ts.D2(loc[(n + 9)..], h);
        loc[n + 11] = (byte)':';
        Ts.D2(loc[(n + 12)..], mi);
        n += 14;
        "_UTC.wav"u8.CopyTo(loc[n..]);
        n += 8;
        var location = loc[..n];

        w.WriteStartObject(N.Recording);
        w.WriteNull(N.DeletionReason);
        w.WriteString(N.Location, location);
        w.WriteString(N.Status, V.Available);
        w.WriteString(N.Type, V.Audio);
        w.WriteEndObject();
        w.WriteStartArray(N.Recordings);
        w.WriteStartObject();
        w.WriteNull(N.DeletionReason);
        w.WriteNull(N.FragmentStartNumber);
        w.WriteNull(N.FragmentStopNumber);
        w.WriteString(N.Location, location);
        w.WriteString(N.MediaStreamType, V.Audio);
        w.WriteNull(N.ParticipantType);
        w.WriteNull(N.StartTimestamp);
        w.WriteString(N.Status, V.Available);
        w.WriteNull(N.StopTimestamp);
        w.WriteString(N.StorageType, V.S3);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private void Endpoint(JsonEncodedText name, string address)
    {
        _w.WriteStartObject(name);
        _w.WriteString(N.Address, address);
        _w.WriteString(N.Type, V.TelephoneNumber);
        _w.WriteEndObject();
    }

    private void Timestamp(JsonEncodedText name, long t)
    {
        if (t == SimRecord.Null)
        {
            _w.WriteNull(name);
            return;
        }

        Span<byte> b = stackalloc byte[20];
        Ts.Format(t, b);
        _w.WriteString(name, b);
    }

    private void Id(JsonEncodedText name, Guid id)
    {
        if (id == Guid.Empty)
        {
            _w.WriteNull(name);
            return;
        }

        Span<byte> b = stackalloc byte[36];
        id.TryFormat(b, out _, "D");
        _w.WriteString(name, b);
    }

    /// <summary>An Amazon Connect agent event (agent event stream): has EventType, millisecond times, no ContactId.</summary>
    private void WriteAgentEvent(SimRecord r)
    {
        var w = _w;
        var a = _inst.Agents[r.Agent < 0 ? 0 : r.Agent];
        var ms = (int)(r.AttrSeed % 1000);
        w.Reset(_buf);
        w.WriteStartObject();
        w.WriteString("AWSAccountId"u8, _account);
        w.WriteString("AgentARN"u8, a.Arn);
        w.WriteStartObject("CurrentAgentSnapshot"u8);
        w.WriteStartObject("AgentStatus"u8);
        w.WriteString("ARN"u8, _inst.InstanceArn + "/agent-state/" + r.ContactId.ToString("D"));
        w.WriteString("Name"u8, "Available"u8);
        w.WriteString("StartTimestamp"u8, Ts.FormatMillis(r.Init, ms));
        w.WriteString("Type"u8, "ROUTABLE"u8);
        w.WriteEndObject();
        w.WriteStartObject("Configuration"u8);
        w.WriteNull("AgentHierarchyGroups"u8);
        w.WriteString("Username"u8, a.UsernameJson);
        w.WriteStartObject("RoutingProfile"u8);
        w.WriteString("ARN"u8, _inst.Profiles[a.Profile].Arn);
        w.WriteString("Name"u8, _inst.Profiles[a.Profile].NameJson);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("Contacts"u8);
        w.WriteEndArray();
        w.WriteEndObject();
        Span<byte> b = stackalloc byte[36];
        r.ContactId.TryFormat(b, out _, "D");
        w.WriteString("EventId"u8, b);
        w.WriteString("EventTimestamp"u8, Ts.FormatMillis(r.Disc, ms));
        w.WriteString("EventType"u8, (r.AttrSeed & 1) == 0 ? "HEART_BEAT"u8 : "STATE_CHANGE"u8);
        w.WriteString("InstanceARN"u8, _instanceArn);
        w.WriteNull("PreviousAgentSnapshot"u8);
        w.WriteString("Version"u8, "2017-10-01"u8);
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>An EventBridge "Amazon Connect Contact Event": camelCase detail, detail-type, millisecond times.</summary>
    private void WriteEventBridge(SimRecord r)
    {
        var w = _w;
        var ms = (int)(r.AttrSeed % 1000);
        w.Reset(_buf);
        w.WriteStartObject();
        w.WriteString("version"u8, "0"u8);
        Span<byte> raw = stackalloc byte[16];
        BitConverter.TryWriteBytes(raw, Rng.Mix(r.AttrSeed));
        BitConverter.TryWriteBytes(raw[8..], Rng.Mix(~r.AttrSeed));
        w.WriteString("id"u8, new Guid(raw).ToString("D"));
        w.WriteString("detail-type"u8, "Amazon Connect Contact Event"u8);
        w.WriteString("source"u8, "aws.connect"u8);
        w.WriteString("account"u8, _account);
        w.WriteString("time"u8, Ts.ToIso(r.Disc));
        w.WriteString("region"u8, _inst.Region);
        w.WriteStartArray("resources"u8);
        w.WriteStringValue(_instanceArn);
        w.WriteEndArray();
        w.WriteStartObject("detail"u8);
        w.WriteString("eventType"u8, "DISCONNECTED"u8);
        Span<byte> b = stackalloc byte[36];
        r.ContactId.TryFormat(b, out _, "D");
        w.WriteString("contactId"u8, b);
        w.WriteString("channel"u8, "VOICE"u8);
        w.WriteString("instanceArn"u8, _instanceArn);
        w.WriteString("initiationMethod"u8, "INBOUND"u8);
        w.WriteString("initiationTimestamp"u8, Ts.FormatMillis(r.Init, ms));
        w.WriteString("disconnectTimestamp"u8, Ts.FormatMillis(r.Disc, ms));
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Invalid JSON with balanced braces and quotes, so it never swallows a neighbour.</summary>
    private void WriteMalformed(SimRecord r)
    {
        var id = r.ContactId.ToString("D");
        var text = (r.AttrSeed % 3) switch
        {
            0 => $"{{\"ContactId\":\"{id}\",\"Channel\":VOICE,\"InitiationMethod\":\"INBOUND\"}}",
            1 => $"{{\"ContactId\":\"{id}\",\"Channel\":\"VOICE\",\"InitiationTimestamp\":\"{Ts.ToIso(r.Init)}\",}}",
            _ => $"{{\"ContactId\":\"{id}\",\"Channel\":\"VOICE\" \"DisconnectTimestamp\":\"{Ts.ToIso(r.Disc)}\"}}",
        };
        var bytes = Encoding.UTF8.GetBytes(text);
        _buf.Write(bytes);
    }

    /// <summary>Property names.</summary>
    private static class N
    {
        public static readonly JsonEncodedText AWSAccountId = JsonEncodedText.Encode("AWSAccountId");
        public static readonly JsonEncodedText FormatVersion = JsonEncodedText.Encode("AWSContactTraceRecordFormatVersion");
        public static readonly JsonEncodedText Agent = JsonEncodedText.Encode("Agent");
        public static readonly JsonEncodedText ARN = JsonEncodedText.Encode("ARN");
        public static readonly JsonEncodedText AfterContactWorkDuration = JsonEncodedText.Encode("AfterContactWorkDuration");
        public static readonly JsonEncodedText AfterContactWorkEndTimestamp = JsonEncodedText.Encode("AfterContactWorkEndTimestamp");
        public static readonly JsonEncodedText AfterContactWorkStartTimestamp = JsonEncodedText.Encode("AfterContactWorkStartTimestamp");
        public static readonly JsonEncodedText AgentInteractionDuration = JsonEncodedText.Encode("AgentInteractionDuration");
        public static readonly JsonEncodedText ConnectedToAgentTimestamp = JsonEncodedText.Encode("ConnectedToAgentTimestamp");
        public static readonly JsonEncodedText CustomerHoldDuration = JsonEncodedText.Encode("CustomerHoldDuration");
        public static readonly JsonEncodedText HierarchyGroups = JsonEncodedText.Encode("HierarchyGroups");
        public static readonly JsonEncodedText Level1 = JsonEncodedText.Encode("Level1");
        public static readonly JsonEncodedText Level2 = JsonEncodedText.Encode("Level2");
        public static readonly JsonEncodedText Level3 = JsonEncodedText.Encode("Level3");
        public static readonly JsonEncodedText Level4 = JsonEncodedText.Encode("Level4");
        public static readonly JsonEncodedText Level5 = JsonEncodedText.Encode("Level5");
        public static readonly JsonEncodedText GroupName = JsonEncodedText.Encode("GroupName");
        public static readonly JsonEncodedText LongestHoldDuration = JsonEncodedText.Encode("LongestHoldDuration");
        public static readonly JsonEncodedText NumberOfHolds = JsonEncodedText.Encode("NumberOfHolds");
        public static readonly JsonEncodedText RoutingProfile = JsonEncodedText.Encode("RoutingProfile");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("Name");
        public static readonly JsonEncodedText Username = JsonEncodedText.Encode("Username");
        public static readonly JsonEncodedText AgentConnectionAttempts = JsonEncodedText.Encode("AgentConnectionAttempts");
        public static readonly JsonEncodedText AnsweringMachineDetectionStatus = JsonEncodedText.Encode("AnsweringMachineDetectionStatus");
        public static readonly JsonEncodedText Campaign = JsonEncodedText.Encode("Campaign");
        public static readonly JsonEncodedText CampaignId = JsonEncodedText.Encode("CampaignId");
        public static readonly JsonEncodedText Channel = JsonEncodedText.Encode("Channel");
        public static readonly JsonEncodedText ConnectedToSystemTimestamp = JsonEncodedText.Encode("ConnectedToSystemTimestamp");
        public static readonly JsonEncodedText ContactDetails = JsonEncodedText.Encode("ContactDetails");
        public static readonly JsonEncodedText ContactId = JsonEncodedText.Encode("ContactId");
        public static readonly JsonEncodedText ContactLens = JsonEncodedText.Encode("ContactLens");
        public static readonly JsonEncodedText ConversationalAnalytics = JsonEncodedText.Encode("ConversationalAnalytics");
        public static readonly JsonEncodedText Configuration = JsonEncodedText.Encode("Configuration");
        public static readonly JsonEncodedText ChannelConfiguration = JsonEncodedText.Encode("ChannelConfiguration");
        public static readonly JsonEncodedText AnalyticsModes = JsonEncodedText.Encode("AnalyticsModes");
        public static readonly JsonEncodedText Enabled = JsonEncodedText.Encode("Enabled");
        public static readonly JsonEncodedText LanguageLocale = JsonEncodedText.Encode("LanguageLocale");
        public static readonly JsonEncodedText CustomerEndpoint = JsonEncodedText.Encode("CustomerEndpoint");
        public static readonly JsonEncodedText Address = JsonEncodedText.Encode("Address");
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("Type");
        public static readonly JsonEncodedText DisconnectReason = JsonEncodedText.Encode("DisconnectReason");
        public static readonly JsonEncodedText DisconnectTimestamp = JsonEncodedText.Encode("DisconnectTimestamp");
        public static readonly JsonEncodedText InitialContactId = JsonEncodedText.Encode("InitialContactId");
        public static readonly JsonEncodedText InitiationMethod = JsonEncodedText.Encode("InitiationMethod");
        public static readonly JsonEncodedText InitiationTimestamp = JsonEncodedText.Encode("InitiationTimestamp");
        public static readonly JsonEncodedText InstanceARN = JsonEncodedText.Encode("InstanceARN");
        public static readonly JsonEncodedText LastUpdateTimestamp = JsonEncodedText.Encode("LastUpdateTimestamp");
        public static readonly JsonEncodedText MediaStreams = JsonEncodedText.Encode("MediaStreams");
        public static readonly JsonEncodedText NextContactId = JsonEncodedText.Encode("NextContactId");
        public static readonly JsonEncodedText PreviousContactId = JsonEncodedText.Encode("PreviousContactId");
        public static readonly JsonEncodedText Queue = JsonEncodedText.Encode("Queue");
        public static readonly JsonEncodedText DequeueTimestamp = JsonEncodedText.Encode("DequeueTimestamp");
        public static readonly JsonEncodedText Duration = JsonEncodedText.Encode("Duration");
        public static readonly JsonEncodedText EnqueueTimestamp = JsonEncodedText.Encode("EnqueueTimestamp");
        public static readonly JsonEncodedText Recording = JsonEncodedText.Encode("Recording");
        public static readonly JsonEncodedText Recordings = JsonEncodedText.Encode("Recordings");
        public static readonly JsonEncodedText DeletionReason = JsonEncodedText.Encode("DeletionReason");
        public static readonly JsonEncodedText FragmentStartNumber = JsonEncodedText.Encode("FragmentStartNumber");
        public static readonly JsonEncodedText FragmentStopNumber = JsonEncodedText.Encode("FragmentStopNumber");
        public static readonly JsonEncodedText Location = JsonEncodedText.Encode("Location");
        public static readonly JsonEncodedText MediaStreamType = JsonEncodedText.Encode("MediaStreamType");
        public static readonly JsonEncodedText ParticipantType = JsonEncodedText.Encode("ParticipantType");
        public static readonly JsonEncodedText StartTimestamp = JsonEncodedText.Encode("StartTimestamp");
        public static readonly JsonEncodedText Status = JsonEncodedText.Encode("Status");
        public static readonly JsonEncodedText StopTimestamp = JsonEncodedText.Encode("StopTimestamp");
        public static readonly JsonEncodedText StorageType = JsonEncodedText.Encode("StorageType");
        public static readonly JsonEncodedText References = JsonEncodedText.Encode("References");
        public static readonly JsonEncodedText ScheduledTimestamp = JsonEncodedText.Encode("ScheduledTimestamp");
        public static readonly JsonEncodedText SystemEndpoint = JsonEncodedText.Encode("SystemEndpoint");
        public static readonly JsonEncodedText Tags = JsonEncodedText.Encode("Tags");
        public static readonly JsonEncodedText TagInstanceId = JsonEncodedText.Encode("aws:connect:instanceId");
        public static readonly JsonEncodedText TagSystemEndpoint = JsonEncodedText.Encode("aws:connect:systemEndpoint");
        public static readonly JsonEncodedText TransferCompletedTimestamp = JsonEncodedText.Encode("TransferCompletedTimestamp");
        public static readonly JsonEncodedText TransferredToEndpoint = JsonEncodedText.Encode("TransferredToEndpoint");
        public static readonly JsonEncodedText VoiceIdResult = JsonEncodedText.Encode("VoiceIdResult");
    }

    /// <summary>Constant values.</summary>
    private static class V
    {
        public static readonly JsonEncodedText FormatVersion = JsonEncodedText.Encode("2017-03-10");
        public static readonly JsonEncodedText Voice = JsonEncodedText.Encode("VOICE");
        public static readonly JsonEncodedText Chat = JsonEncodedText.Encode("CHAT");
        public static readonly JsonEncodedText Audio = JsonEncodedText.Encode("AUDIO");
        public static readonly JsonEncodedText TelephoneNumber = JsonEncodedText.Encode("TELEPHONE_NUMBER");
        public static readonly JsonEncodedText Inbound = JsonEncodedText.Encode("INBOUND");
        public static readonly JsonEncodedText Outbound = JsonEncodedText.Encode("OUTBOUND");
        public static readonly JsonEncodedText Transfer = JsonEncodedText.Encode("TRANSFER");
        public static readonly JsonEncodedText Callback = JsonEncodedText.Encode("CALLBACK");
        public static readonly JsonEncodedText ExternalOutbound = JsonEncodedText.Encode("EXTERNAL_OUTBOUND");
        public static readonly JsonEncodedText Api = JsonEncodedText.Encode("API");
        public static readonly JsonEncodedText CustomerDisconnect = JsonEncodedText.Encode("CUSTOMER_DISCONNECT");
        public static readonly JsonEncodedText AgentDisconnect = JsonEncodedText.Encode("AGENT_DISCONNECT");
        public static readonly JsonEncodedText FlowDisconnect = JsonEncodedText.Encode("CONTACT_FLOW_DISCONNECT");
        public static readonly JsonEncodedText ThirdPartyDisconnect = JsonEncodedText.Encode("THIRD_PARTY_DISCONNECT");
        public static readonly JsonEncodedText NotEstablished = JsonEncodedText.Encode("CUSTOMER_CONNECTION_NOT_ESTABLISHED");
        public static readonly JsonEncodedText PostContact = JsonEncodedText.Encode("PostContact");
        public static readonly JsonEncodedText Available = JsonEncodedText.Encode("AVAILABLE");
        public static readonly JsonEncodedText S3 = JsonEncodedText.Encode("S3");

        /// <summary>Quoted, balanced, unparseable as an ISO-8601 instant.</summary>
        public static readonly JsonEncodedText[] BadTimestamps =
        [
            JsonEncodedText.Encode("2026-10-14T25:61:00Z"),
            JsonEncodedText.Encode("14/10/2026 10:00"),
            JsonEncodedText.Encode("2026-02-30T10:00:00Z"),
            JsonEncodedText.Encode("not-a-timestamp"),
        ];
    }
}
