namespace ConnectReconcile.Core.Rating;

/// <summary>
/// A cost as recorded: to 12 places, truncated. A charge's <see cref="Charge.Cost"/> is exact (a price per
/// minute ÷ 60 can repeat forever); every figure given for it — the DECIMAL(24,12) cost columns, audit-export's
/// <c>cost</c> and <c>arithmetic</c>, explain — is this one, and a total of charges (a contact's, a day's usage
/// type, explain's) adds these, so it equals SUM(charges.cost) to the last place. Only summaries in cents
/// (the run summary) round the exact sums instead.
/// </summary>
public static class RecordedCost
{
    /// <summary>The places a cost is recorded to: the scale of the cost columns.</summary>
    public const int Places = 12;

    /// <summary>Truncated, not rounded: a DECIMAL column drops the digits beyond its scale, and the figures agree with it.</summary>
    public static decimal Of(decimal cost) => decimal.Round(cost, Places, MidpointRounding.ToZero);

    /// <summary>
    /// An invoice's amount as recorded beside our costs: to 12 places, rounded half away from zero. The CUR's
    /// amounts are sums of doubles (<c>0.14487000000000003</c>); truncating would keep their noise
    /// (<c>0.60918</c> → <c>0.609179999999</c>) and write less than AWS billed.
    /// </summary>
    public static decimal OfInvoice(decimal amount) => decimal.Round(amount, Places, MidpointRounding.AwayFromZero);

    /// <summary>
    /// A recorded cost as text, however the exact figure's scale ran (<c>0.030</c> and <c>0.03</c> are one cost):
    /// no trailing zeros, so explain, audit-export and the arithmetic write one cost one way.
    /// </summary>
    public static string Text(decimal cost) => Figure(Of(cost));

    /// <summary>
    /// A recorded figure (a cost, a rate) as text: invariant, without trailing zeros, whatever the decimal's scale.
    /// At most 28 places, a decimal's most; the figures given it are already cut to their columns' places.
    /// </summary>
    internal static string Figure(decimal recorded) => recorded.ToString("0.############################", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A charge's recorded cost; null when it is unrated (a gap, never a zero).</summary>
    public static decimal? Of(Charge charge) => charge.Recorded;

    /// <summary>A charge's recorded cost as <see cref="Text(decimal)"/> writes it; null when it is unrated.</summary>
    public static string? Text(Charge charge) => charge.Recorded is { } recorded ? Figure(recorded) : null;

    /// <summary>The charges' recorded costs added up; an unrated charge adds nothing.</summary>
    public static decimal Total(IReadOnlyList<Charge> charges)
    {
        var total = 0m;
        for (var i = 0; i < charges.Count; i++)
        {
            total += Of(charges[i]) ?? 0m;
        }

        return total;
    }
}
