namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// A quantity (minutes, number-days, units) to 6 places, cut as the DECIMAL(18,6) columns store it
/// (daily_usage.quantity is billed seconds ÷ 60 cut so), so a reconciliation row holds the figure the
/// rated tables do, not one a millionth above it.
/// </summary>
public static class StoredQuantity
{
    /// <summary>
    /// The invoice's quantities are doubles (15 significant digits each once read): their sum can land a
    /// few 1e-13 under an exact figure (100.49999999999999 for 100.5), which a plain cut would take a
    /// millionth off. Rounding at 9 places first removes that noise and never moves our own quantities:
    /// seconds ÷ 60 and hours ÷ 24 end, or repeat 3s and 6s, past the second place, and units are whole.
    /// </summary>
    public static decimal Of(decimal quantity) =>
        decimal.Round(decimal.Round(quantity, 9, MidpointRounding.AwayFromZero), 6, MidpointRounding.ToZero);
}
