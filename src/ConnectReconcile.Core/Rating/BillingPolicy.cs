using System.Text;

namespace ConnectReconcile.Core.Rating;

/// <summary>How service usage is metered: per leg (customer leg = union over the chain) or per contact record.</summary>
public enum ServiceMetering { PerLeg, PerRecord }

/// <summary>Where outbound service usage starts: at dialling (InitiationTimestamp) or at answer.</summary>
public enum OutboundServiceStart { Dialling, Answer }

/// <summary>What the first-increment minimum applies to.</summary>
public enum MinimumScope { PerLeg, PerRecord, None }

/// <summary>The interval Contact Lens minutes are counted over.</summary>
public enum ContactLensInterval { AgentConnected, CustomerLeg }

/// <summary>
/// The metering rules AWS does not publish (billing-model.md §6). Defaults are our best reading;
/// the invoice decides, and calibration ranks the alternatives. Rendered as a stable string
/// (<see cref="ToString"/>) that every output row records.
/// </summary>
public sealed record BillingPolicy
{
    public ServiceMetering ServiceMetering { get; init; } = ServiceMetering.PerLeg;
    public bool DeskPhoneCarriesService { get; init; }
    public OutboundServiceStart OutboundServiceStart { get; init; } = OutboundServiceStart.Dialling;
    public MinimumScope Minimums { get; init; } = MinimumScope.PerLeg;
    public ContactLensInterval ContactLensInterval { get; init; } = ContactLensInterval.AgentConnected;

    public static BillingPolicy Default { get; } = new();

    /// <summary>Every single-setting departure from the default, for calibration.</summary>
    public static IReadOnlyList<BillingPolicy> Alternatives { get; } =
    [
        Default,
        Default with { ServiceMetering = ServiceMetering.PerRecord },
        Default with { DeskPhoneCarriesService = true },
        Default with { OutboundServiceStart = OutboundServiceStart.Answer },
        Default with { Minimums = MinimumScope.PerRecord },
        Default with { Minimums = MinimumScope.None },
        Default with { ContactLensInterval = ContactLensInterval.CustomerLeg },
    ];

    /// <summary>The canonical text form, e.g. <c>service=per-leg;desk-service=no;outbound-start=dialling;minimums=per-leg;contact-lens=agent</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("service=").Append(ServiceMetering == ServiceMetering.PerLeg ? "per-leg" : "per-record");
        sb.Append(";desk-service=").Append(DeskPhoneCarriesService ? "yes" : "no");
        sb.Append(";outbound-start=").Append(OutboundServiceStart == OutboundServiceStart.Dialling ? "dialling" : "answer");
        sb.Append(";minimums=").Append(Minimums switch { MinimumScope.PerLeg => "per-leg", MinimumScope.PerRecord => "per-record", _ => "none" });
        sb.Append(";contact-lens=").Append(ContactLensInterval == ContactLensInterval.AgentConnected ? "agent" : "customer-leg");
        return sb.ToString();
    }

    /// <summary>
    /// Parses <c>default</c> or a list of <c>key=value</c> settings separated by ';' or ',' (unnamed keys keep their default).
    /// </summary>
    public static BillingPolicy Parse(string? text)
    {
        var policy = Default;
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "default")
        {
            return policy;
        }

        foreach (var part in text.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2)
            {
                throw new FormatException($"Policy setting '{part}' is not key=value.");
            }

            policy = (kv[0], kv[1]) switch
            {
                ("service", "per-leg") => policy with { ServiceMetering = ServiceMetering.PerLeg },
                ("service", "per-record") => policy with { ServiceMetering = ServiceMetering.PerRecord },
                ("desk-service", "yes") => policy with { DeskPhoneCarriesService = true },
                ("desk-service", "no") => policy with { DeskPhoneCarriesService = false },
                ("outbound-start", "dialling") => policy with { OutboundServiceStart = OutboundServiceStart.Dialling },
                ("outbound-start", "answer") => policy with { OutboundServiceStart = OutboundServiceStart.Answer },
                ("minimums", "per-leg") => policy with { Minimums = MinimumScope.PerLeg },
                ("minimums", "per-record") => policy with { Minimums = MinimumScope.PerRecord },
                ("minimums", "none") => policy with { Minimums = MinimumScope.None },
                ("contact-lens", "agent") => policy with { ContactLensInterval = ContactLensInterval.AgentConnected },
                ("contact-lens", "customer-leg") => policy with { ContactLensInterval = ContactLensInterval.CustomerLeg },
                _ => throw new FormatException(
                    $"Unknown policy setting '{part}'. Known: service=per-leg|per-record, desk-service=no|yes, " +
                    "outbound-start=dialling|answer, minimums=per-leg|per-record|none, contact-lens=agent|customer-leg."),
            };
        }

        return policy;
    }
}
