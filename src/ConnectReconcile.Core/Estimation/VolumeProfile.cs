using System.Globalization;
namespace ConnectReconcile.Core.Estimation;

/// <summary>
/// "What do our calls look like?": volumes per day by kind and how long each part of a call lasts,
/// as distributions (format <c>connect-reconcile/profile@1</c>, docs/estimate.md). An estimate
/// synthesises representative calls from it and rates them with the same <c>Rater</c> as a replay.
/// </summary>
public sealed record VolumeProfile
{
    public const string FormatName = "connect-reconcile/profile@1";

    public string? Name { get; init; }

    /// <summary>The AWS region of the instance, e.g. <c>ap-northeast-1</c>.</summary>
    public required string Region { get; init; }

    /// <summary>ISO country of the instance's numbers, desk phones and (by default) customers; null = from the region.</summary>
    public string? Country { get; init; }

    /// <summary><c>per-feature</c> or <c>unlimited-ai</c>; null = what the rate card says for any instance.</summary>
    public string? PricingModel { get; init; }

    /// <summary>First day of the month estimated; null = the caller's choice (the CLI: the current UTC month).</summary>
    public DateOnly? Month { get; init; }

    /// <summary>Days estimated; null = the days of <see cref="Month"/>.</summary>
    public int? Days { get; init; }

    public CallVolumes CallsPerDay { get; init; } = new();

    public InboundBehaviour Inbound { get; init; } = new();

    public OutboundBehaviour Outbound { get; init; } = new();

    public CallbackBehaviour Callbacks { get; init; } = new();

    /// <summary>Share of agent time on desk phones (each desk-phone agent adds an outbound telephony leg to its phone).</summary>
    public decimal DeskPhoneShare { get; init; }

    /// <summary>Share of agent-handled calls (inbound answered and outbound answered) with Contact Lens conversational analytics on.</summary>
    public decimal ContactLensShare { get; init; }

    public NumbersHeld Numbers { get; init; } = new();

    /// <summary>Non-voice contacts per day by channel kind (<c>chat</c>, <c>task</c>, <c>email</c>), rated per contact where the card has a row.</summary>
    public IReadOnlyDictionary<string, decimal> OtherContactsPerDay { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Free text carried along (a derived profile says what it could not model).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Settings the file did not give, so defaults were used (printed with the assumptions).</summary>
    public IReadOnlyList<string> Defaulted { get; init; } = [];

    /// <summary>The home country: <see cref="Country"/>, else the region's.</summary>
    public string HomeCountry => Country ?? CountryOfRegion(Region)
        ?? throw new FormatException($"Profile has no country and region '{Region}' has no default one; add 'country: XX'.");

    public static string? CountryOfRegion(string region) => region switch
    {
        "us-east-1" or "us-west-2" => "US",
        "ap-northeast-1" => "JP",
        "ap-northeast-2" => "KR",
        "ap-southeast-1" => "SG",
        "ap-southeast-2" => "AU",
        "eu-central-1" => "DE",
        "eu-west-2" => "GB",
        "ca-central-1" => "CA",
        "af-south-1" => "ZA",
        _ => null,
    };

    /// <summary>
    /// Largest volume or count a profile may give (calls or contacts a day, numbers held): far beyond any contact centre,
    /// and small enough that weights × prices × days stay inside decimal (1e27 calls a day crashed the estimate).
    /// </summary>
    public const decimal MaxCount = 1_000_000_000m;

    /// <summary>Throws <see cref="FormatException"/> with every problem found.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        var tooLarge = false;
        void Share(string name, decimal value)
        {
            if (value < 0 || value > 1)
            {
                problems.Add($"{name} must be between 0 and 1 (or 0 %–100 %), found {value}.");
            }
        }

        void Count(string name, decimal value)
        {
            if (value < 0)
            {
                problems.Add($"{name} must be zero or more, found {value}.");
            }
            else if (value > MaxCount)
            {
                tooLarge = true;
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be at most {MaxCount:#,0}, found {value}."));
            }
        }

        Count("callsPerDay.inboundDid", CallsPerDay.InboundDid);
        Count("callsPerDay.inboundTollFree", CallsPerDay.InboundTollFree);
        Count("callsPerDay.callbacks", CallsPerDay.Callbacks);
        foreach (var (destination, calls) in CallsPerDay.Outbound)
        {
            Count($"callsPerDay.outbound.{destination}", calls);
        }

        foreach (var (kind, contacts) in OtherContactsPerDay)
        {
            Count($"otherContactsPerDay.{kind}", contacts);
        }

        Share("inbound.ivrOnlyShare", Inbound.IvrOnlyShare);
        Share("inbound.abandonedShare", Inbound.AbandonedShare);
        Share("inbound.internalTransferShare", Inbound.InternalTransferShare);
        Share("inbound.externalTransferShare", Inbound.ExternalTransferShare);
        Share("outbound.answeredShare", Outbound.AnsweredShare);
        Share("agents.deskPhoneShare", DeskPhoneShare);
        Share("contactLens", ContactLensShare);
        Count("numbers.did", Numbers.Did);
        Count("numbers.tollFree", Numbers.TollFree);
        if (Days is < 1 or > 366)
        {
            problems.Add($"days must be between 1 and 366, found {Days}.");
        }

        // Sums of values out of bounds may overflow: those are reported already.
        var inbound = tooLarge ? 0 : CallsPerDay.InboundDid + CallsPerDay.InboundTollFree;
        if (!tooLarge && CallsPerDay.Callbacks > 0 && CallsPerDay.Callbacks > inbound)
        {
            problems.Add($"callsPerDay.callbacks ({CallsPerDay.Callbacks}) counts inbound calls that left the queue for a callback, so it cannot exceed the inbound calls ({inbound}).");
        }
        else if (!tooLarge && Inbound.IvrOnlyShare + Inbound.AbandonedShare + CallbackShare > 1)
        {
            problems.Add($"inbound.ivrOnlyShare + inbound.abandonedShare + the callback share (callbacks ÷ inbound calls = {CallbackShare:0.####}) exceed 1.");
        }

        if (Country is { Length: not 2 })
        {
            problems.Add($"country must be an ISO 3166 alpha-2 code, found '{Country}'.");
        }

        if (Country is null && CountryOfRegion(Region) is null)
        {
            problems.Add($"region '{Region}' has no default country: add 'country: XX'.");
        }

        if (problems.Count > 0)
        {
            throw new FormatException(string.Join(" ", problems));
        }
    }

    /// <summary>Share of inbound calls that left the queue for a callback.</summary>
    public decimal CallbackShare
    {
        get
        {
            var inbound = CallsPerDay.InboundDid + CallsPerDay.InboundTollFree;
            return inbound == 0 ? 0 : Math.Min(1, CallsPerDay.Callbacks / inbound);
        }
    }

    /// <summary>Share of inbound calls that reach an agent: what is left after IVR-only, abandoned and callback calls.</summary>
    public decimal AnsweredShare => Math.Max(0, 1 - Inbound.IvrOnlyShare - Inbound.AbandonedShare - CallbackShare);
}

/// <summary>Calls per day by kind.</summary>
public sealed record CallVolumes
{
    public decimal InboundDid { get; init; }
    public decimal InboundTollFree { get; init; }

    /// <summary>Outbound calls (answered or not) by destination: an ISO country (<c>JP</c>) or an E.164 prefix (<c>+8190</c>).</summary>
    public IReadOnlyDictionary<string, decimal> Outbound { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Inbound calls (already counted above) that left the queue for a callback; each adds a callback leg.</summary>
    public decimal Callbacks { get; init; }
}

/// <summary>What happens to an inbound call. Shares are of all inbound calls; the rest reach an agent.</summary>
public sealed record InboundBehaviour
{
    /// <summary>Share that end in the IVR (self-service or hang-up before a queue).</summary>
    public decimal IvrOnlyShare { get; init; }

    /// <summary>Share that hang up while queued.</summary>
    public decimal AbandonedShare { get; init; }

    /// <summary>Length of calls that end in the IVR.</summary>
    public DurationDistribution IvrOnlySeconds { get; init; } = DurationDistribution.Exponential(60);

    /// <summary>IVR time before the queue, for calls that reach one.</summary>
    public DurationDistribution IvrSeconds { get; init; } = DurationDistribution.Exponential(45);

    /// <summary>Queue wait until an agent answers.</summary>
    public DurationDistribution QueueSeconds { get; init; } = DurationDistribution.Exponential(60);

    /// <summary>Queue wait of calls that hang up while queued.</summary>
    public DurationDistribution AbandonSeconds { get; init; } = DurationDistribution.Exponential(60);

    /// <summary>From the first agent's answer until the agent(s) leave: talk, holds and internal transfers, without the time on an external party.</summary>
    public DurationDistribution TalkSeconds { get; init; } = DurationDistribution.Exponential(240);

    /// <summary>Share of answered calls handed to a second agent (the talk time is split between the two).</summary>
    public decimal InternalTransferShare { get; init; }

    /// <summary>Share of answered calls transferred to an external number (a third-party leg).</summary>
    public decimal ExternalTransferShare { get; init; }

    /// <summary>Length of the third-party leg; the customer stays on the line for it.</summary>
    public DurationDistribution ExternalSeconds { get; init; } = DurationDistribution.Exponential(180);

    /// <summary>Country of external parties; null = the home country.</summary>
    public string? ExternalCountry { get; init; }
}

/// <summary>What happens to an outbound call.</summary>
public sealed record OutboundBehaviour
{
    public decimal AnsweredShare { get; init; } = 1;

    /// <summary>Dialling until the customer answers (service usage counts from dialling by default).</summary>
    public DurationDistribution RingSeconds { get; init; } = DurationDistribution.Fixed(15);

    /// <summary>From answer to hang-up.</summary>
    public DurationDistribution TalkSeconds { get; init; } = DurationDistribution.Exponential(180);

    /// <summary>Dialling until giving up, for unanswered calls (service only, no telephony).</summary>
    public DurationDistribution NoAnswerSeconds { get; init; } = DurationDistribution.Fixed(30);
}

/// <summary>What happens to a queued callback (the inbound part uses the inbound IVR time).</summary>
public sealed record CallbackBehaviour
{
    /// <summary>Queue wait before the caller chose a callback and hung up.</summary>
    public DurationDistribution QueueSeconds { get; init; } = DurationDistribution.Exponential(60);

    /// <summary>From the agent accepting the callback until the customer answers.</summary>
    public DurationDistribution RingSeconds { get; init; } = DurationDistribution.Fixed(15);

    /// <summary>The callback leg, from the customer's answer.</summary>
    public DurationDistribution TalkSeconds { get; init; } = DurationDistribution.Exponential(240);
}

/// <summary>Phone numbers held all month (may be fractional: a derived profile counts number-days ÷ days).</summary>
public sealed record NumbersHeld
{
    public decimal Did { get; init; }
    public decimal TollFree { get; init; }
}
