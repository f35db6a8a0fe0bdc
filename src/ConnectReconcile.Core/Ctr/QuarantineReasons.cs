namespace ConnectReconcile.Core.Ctr;

/// <summary>Why a record was set aside. Stable strings: they appear in run.json and the quarantine table.</summary>
public static class QuarantineReasons
{
    public const string NotACtr = "not-a-ctr";
    public const string MalformedJson = "malformed-json";
    public const string MissingContactId = "missing-contact-id";
    /// <summary>A ContactId, InitialContactId or PreviousContactId that reads as a phone number: personal data, never an id to write out.</summary>
    public const string BadContactId = "bad-contact-id";
    public const string MissingChannel = "missing-channel";
    public const string BadChannel = "bad-channel";
    public const string BadInitiationMethod = "bad-initiation-method";
    public const string DisconnectBeforeInitiation = "disconnect-before-initiation";
    public const string BadTimestamp = "bad-timestamp";
    public const string NotJson = "not-json";
    public const string TruncatedRecord = "truncated-record";
    public const string CorruptCompression = "corrupt-gzip";
    public const string RecordTooLarge = "record-too-large";
    public const string UnreadableObject = "unreadable-object";

    /// <summary>The stream worker read a CTR for a report day it had already closed (see docs/stream.md, retention).</summary>
    public const string LateForClosedDay = "late-for-closed-day";
}
