namespace ConnectReconcile.Core.Tests;

/// <summary>Pieces of rate cards written in tests.</summary>
internal static class TestCards
{
    /// <summary>
    /// The keys of a card before its <c>instances</c> and <c>rows</c> that pass the card check: the format, currency,
    /// the codes of us-east-1 and ap-northeast-1, and both pricing models' usage types (as the built-in cards name them).
    /// </summary>
    public const string Head = """
        "format": "connect-reconcile/rate-card@1", "currency": "USD",
        "regionCodes": { "us-east-1": "USE1", "ap-northeast-1": "APN1" },
        "usageTypes": {
          "per-feature": { "service": "{REGION}-end-customer-mins", "telephony:inbound-did": "{REGION}-{CC}-did-inbound-mins",
            "telephony:inbound-tollfree": "{REGION}-{CC}-tollfree-inbound-mins", "telephony:outbound": "{REGION}-{CC}-outbound-mins",
            "contact-lens": "{REGION}-ContactLens-voice-mins", "number-days:did": "{REGION}-{CC}-did-numbers", "number-days:tollfree": "{REGION}-{CC}-tollfree-numbers" },
          "unlimited-ai": { "service": "{REGION}-ai-end-customer-mins", "telephony:inbound-did": "{REGION}-{CC}-did-inbound-mins",
            "telephony:inbound-tollfree": "{REGION}-{CC}-tollfree-inbound-mins", "telephony:outbound": "{REGION}-{CC}-outbound-mins",
            "number-days:did": "{REGION}-{CC}-did-numbers", "number-days:tollfree": "{REGION}-{CC}-tollfree-numbers" } },
        """;
}
