namespace ConnectReconcile.Core.Rating;

/// <summary>
/// A rate as given beside a charge (explain, the arithmetic, audit-export's CSV): the card's price to the rate
/// columns' <see cref="RateCard.PriceDecimals"/> places (a card allows no more) and, as <see cref="RecordedCost.Text(decimal)"/>
/// writes a cost, without trailing zeros: a card's <c>0.0120</c> and <c>0.012</c> are one rate, one string.
/// </summary>
public static class RecordedRate
{
    /// <summary>Cut, as the DECIMAL(18,8) rate columns store it, so the text is the figure the Parquet files hold.</summary>
    public static string Text(decimal rate) => RecordedCost.Figure(decimal.Round(rate, RateCard.PriceDecimals, MidpointRounding.ToZero));
}
