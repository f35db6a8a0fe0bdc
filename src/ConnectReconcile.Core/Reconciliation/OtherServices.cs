using System.Globalization;

namespace ConnectReconcile.Core.Reconciliation;

/// <summary>
/// One other service's lines on the invoice in one currency (Lex, Lambda, S3, Kinesis, ...): not Connect's
/// usage, so never compared, but listed as "not modelled" with what they cost (billing-model.md §7).
/// <see cref="Cost"/> sums the lines' unblended cost; <see cref="UnpricedLines"/> of the <see cref="Lines"/>
/// had a cost that is no number (or beyond any plausible line) and add nothing to it.
/// </summary>
public sealed record OtherServiceTotal(string ProductCode, string? Currency, long Lines, decimal Cost, long UnpricedLines)
{
    /// <summary>As the console and the HTML report list it: <c>AmazonS3 31 lines 1.23 USD</c>, and how many lines had no readable cost.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{ProductCode} {Lines:N0} line{(Lines == 1 ? "" : "s")} {Math.Round(Cost, 2, MidpointRounding.AwayFromZero):#,0.00} {Currency ?? "(no currency)"}{(UnpricedLines == 0 ? "" : $" ({UnpricedLines:N0} without a readable cost)")}");
}

/// <summary>Other services' lines tallied by product code × currency as a reader passes them.</summary>
public sealed class OtherServiceTally
{
    private static readonly Comparer<(string Product, string Currency)> Order = Comparer<(string Product, string Currency)>.Create(
        (a, b) => string.CompareOrdinal(a.Product, b.Product) is var p and not 0 ? p : string.CompareOrdinal(a.Currency, b.Currency));

    private readonly SortedDictionary<(string Product, string Currency), Cell> _cells = new(Order);

    /// <summary>Counts a line; a <paramref name="cost"/> of null is one that could not be read (an empty one is 0).</summary>
    public void Add(string productCode, string? currency, decimal? cost) => Add(productCode, currency, 1, cost ?? 0m, cost is null ? 1 : 0);

    /// <summary>Adds another tally's lines to this one's.</summary>
    public void Add(OtherServiceTally other)
    {
        foreach (var ((product, currency), cell) in other._cells)
        {
            Add(product, currency, cell.Lines, cell.Cost, cell.Unpriced);
        }
    }

    /// <summary>By product code, then currency (a line naming none sorts first).</summary>
    public IReadOnlyList<OtherServiceTotal> Totals =>
        _cells.Select(kv => new OtherServiceTotal(kv.Key.Product, kv.Key.Currency.Length == 0 ? null : kv.Key.Currency, kv.Value.Lines, kv.Value.Cost, kv.Value.Unpriced)).ToList();

    private void Add(string productCode, string? currency, long lines, decimal cost, long unpriced)
    {
        var key = (productCode.Length == 0 ? "(none)" : productCode, currency ?? "");
        if (!_cells.TryGetValue(key, out var cell))
        {
            _cells[key] = cell = new Cell();
        }

        cell.Lines += lines;
        cell.Cost += cost;
        cell.Unpriced += unpriced;
    }

    private sealed class Cell
    {
        public long Lines { get; set; }
        public decimal Cost { get; set; }
        public long Unpriced { get; set; }
    }
}
