namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// A quantity (minutes, number-days, units) to 6 places, truncated as the DECIMAL(18,6) columns store it
/// (daily_usage.quantity is billed seconds ÷ 60 cut so): a reconciliation row's quantities are then the
/// figures the rated tables hold, not ones a millionth apart.
/// </summary>
public static class StoredQuantity
{
    public static decimal Of(decimal quantity) => decimal.Round(quantity, 6, MidpointRounding.ToZero);
}
