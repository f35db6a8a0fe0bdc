namespace ConnectReconcile.Generator.Internals;

/// <summary>The call patterns the generator simulates.</summary>
internal enum Pattern : byte
{
    /// <summary>Inbound, caller hangs up in the IVR (s01).</summary>
    IvrOnly,

    /// <summary>Inbound, hangs up while queued.</summary>
    Abandoned,

    /// <summary>Inbound IVR → queue → one agent, holds sometimes (s02; desk phone s07; Contact Lens s13).</summary>
    InboundAgent,

    /// <summary>Agent A transfers to B: TRANSFER child, initiator's TransferCompleted = its ACW start (s03).</summary>
    InternalTransfer,

    /// <summary>Agent A conferences B in; B leaves first (AgentInteractionDuration &gt; 2) (s04).</summary>
    InternalConference,

    /// <summary>External transfer with an EXTERNAL_OUTBOUND child record (s05).</summary>
    ExternalTransferLeg,

    /// <summary>External transfer visible only on the agent's record (TransferredToEndpoint) (s06).</summary>
    ExternalTransferRecordOnly,

    /// <summary>Inbound record + CALLBACK record (s09).</summary>
    QueuedCallback,

    /// <summary>Agent dials out, customer answers (s10; desk phone s08).</summary>
    OutboundAnswered,

    /// <summary>Agent dials out, nobody answers: no ConnectedToSystemTimestamp (s11).</summary>
    OutboundUnanswered,

    /// <summary>CHAT contact started by API (s12): non-voice.</summary>
    Chat,

    /// <summary>A → B → C: two internal transfers (3 records).</summary>
    TransferChain,

    /// <summary>A → B → C, then C adds an external party with an EXTERNAL_OUTBOUND record (4 records).</summary>
    TransferChainExternal,
}

/// <summary>One card of the pattern deck: a pattern and whether its (first) agent is on a desk phone / Contact Lens is on.</summary>
internal readonly record struct Card(Pattern Pattern, bool Desk, bool Lens, int PerDeck);

internal enum Method : byte
{
    Inbound,
    Outbound,
    Transfer,
    Callback,
    ExternalOutbound,
    Api,
}

internal enum QueueKind : byte
{
    None,
    Named,
    AgentQueue,
    Outbound,
}

internal enum BadKind : byte
{
    None,
    AgentEvent,
    EventBridge,
    Malformed,
    MissingContactId,
    DisconnectBeforeInitiation,
    BadTimestamp,
}

internal enum DisconnectReason : byte
{
    Customer,
    Agent,
    Flow,
    ThirdParty,
    NotEstablished,
}

/// <summary>One contact record as simulated; serialized by <see cref="CtrWriter"/>.</summary>
internal sealed class SimRecord
{
    public const long Null = long.MinValue;

    public Guid ContactId;
    public Guid InitialContactId;   // Guid.Empty = null
    public Guid PreviousContactId;
    public Guid NextContactId;
    public bool Chat;
    public Method Method;
    public long Init;
    public long ConnSys = Null;
    public long Disc;
    public long LastUpdate;
    public long TransferCompleted = Null;

    public int Agent = -1;
    public long ConnAgent = Null;
    public long AcwStart = Null;
    public long AcwEnd = Null;
    public int Interaction;
    public int Hold;
    public int Holds;
    public int LongestHold;

    public QueueKind QueueKind;
    public int Queue = -1;          // queue index (Named) or agent index (AgentQueue)
    public long Enq = Null;
    public long Deq = Null;
    public int QueueDuration;

    public int SystemNumber = -1;   // index into Instance.Numbers, -1 = null
    public string? Customer;
    public string? TransferredTo;
    public bool Lens;
    public DisconnectReason Reason;

    public ulong AttrSeed;
    public bool Updated;
    public BadKind Bad;

    public long Arrival;
    public int Seq;

    /// <summary>When Firehose can emit it: disconnect, or ACW end if later.</summary>
    public long End => AcwEnd != Null && AcwEnd > Disc ? AcwEnd : Disc;

    public SimRecord Copy() => (SimRecord)MemberwiseClone();
}

/// <summary>
/// The simulated story of one chain: the durations the generator drew. Records are derived from
/// it by <see cref="ChainBuilder"/>, and the ground truth is summed from these durations by
/// <see cref="StoryTruth"/>, independently of the record timestamps.
/// Agents are indices into <see cref="Instance.Agents"/>; hop k is the k-th agent of the chain.
/// </summary>
internal sealed class Story
{
    public Pattern Pattern;
    public long Start;
    public int Number = -1;           // dialled number (inbound) / caller id (outbound); index into Instance.Numbers
    public string Customer = "";
    public string ThirdParty = "";
    public bool Lens;

    public int Ivr;                   // connected → enqueue (IVR-only: → hang up)
    public int Wait;                  // enqueue → dequeue (abandon: → hang up; callback: → callback chosen; chat: queue)
    public int QueueIdx;

    public int[] Agents = [];
    public int[] Talk = [];           // hop k: from agent connected until it initiates the next step (last hop: until it leaves)
    public int[] HopWait = [];        // hop k ≥ 1: transfer initiated → agent k connected
    public int[] HopQueue = [];       // hop k ≥ 1: queue index, -1 = the agent's own queue (quick connect to agent)
    public int[] Acw = [];
    public int Overlap;               // transfer: both agents on the line before the initiator drops
    public int Hold;                  // on hop 0
    public int Holds;
    public int LongestHold;

    public int Ring;                  // outbound/callback: dial → answer; external: dial → third party answers; conference: B joining
    public int Consult;               // external leg: agent stays on after the third party answered
    public int ThirdPartyTalk;        // external: customer + third party after the agent dropped
    public int ConfTalk;              // conference: B on the call
    public int Tail;                  // conference: A + customer after B left
    public int CallbackDelay;         // callback: created → enqueued
    public int CallbackWait;          // callback: enqueued → agent connected
    public bool CallbackCallerId;     // callback record carries SystemEndpoint (else null, like s09)
    public int ChatBot;               // chat: bot before enqueue
}
