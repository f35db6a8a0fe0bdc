using ConnectReconcile.Cli.Commands;
using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Time;
using Spectre.Console;

namespace ConnectReconcile.Cli.Tests;

/// <summary>What a terminal shows: the summary tables at a terminal's width, and the log lines' colour.</summary>
public sealed class TerminalRenderingTests
{
    private static string Render(int width, Action<IAnsiConsole> write)
    {
        using var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = width;
        write(console);
        return text.ToString();
    }

    private static Charge Charge(string kind, long billedSeconds, decimal quantity, decimal? cost) => new()
    {
        ChainId = "c", ContactId = "c", ChargeKind = kind, LegKind = "customer-inbound", Day = new DateOnly(2026, 10, 1), Start = new Instant(1_790_000_000),
        InstanceId = "i", Region = "us-east-1", PricingModel = "p", UsageType = "u", Unit = "minute", ActualSeconds = billedSeconds, BilledSeconds = billedSeconds,
        Quantity = quantity, Cost = cost, Currency = "USD", Why = "test",
    };

    /// <summary>The sample month's summary: its largest figures, and the longest charge kind beside them.</summary>
    private static string Summary(int width)
    {
        var counts = new RunCounts
        {
            Read = 12_293, Rated = 11_150, Superseded = 131, Quarantined = 12, NonVoice = 1_000,
            QuarantinedByReason = new Dictionary<string, long> { ["disconnect-before-initiation"] = 12 }, Chains = 9_000, Orphans = 0,
        };
        var totals = new RunTotals();
        totals.Add(Charge(ChargeKinds.TelephonyInboundTollFree, 1_593_280, 26_554.666667m, 318.66m));
        totals.Add(Charge(ChargeKinds.Service, 5_053_322, 84_222.033333m, 1_516.00m));
        totals.Add(Charge("chat", 0, 1_000m, null));
        return Render(width, console => SummaryTable.Write(console, counts, totals, "/tmp/out"));
    }

    [Fact]
    public void At_any_terminal_width_the_replay_summary_splits_no_figure_over_two_lines()
    {
        string[] figures = ["12,293", "11,150", "9,000", "26,554.7", "26,554.67", "318.66", "84,222.0", "84,222.03", "1,516.00", "1,000.00", "1,834.66"];
        for (var width = 30; width <= 120; width++)
        {
            var text = Summary(width);
            Assert.All(figures, figure => Assert.True(text.Contains(figure, StringComparison.Ordinal), $"{figure} split at width {width}:\n{text}"));
            Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= width, $"wider than {width}: {line}"));
        }
    }

    [Fact]
    public void A_terminal_too_narrow_for_the_figures_side_by_side_gets_each_row_as_a_line()
    {
        var narrow = Summary(40);
        var words = System.Text.RegularExpressions.Regex.Replace(narrow, @"\s+", " ");
        Assert.Contains("Charges chat: quantity 1,000.00, cost 0.00, unrated 1 service: billed minutes 84,222.0, quantity 84,222.03, cost 1,516.00 telephony:inbound-tollfree: billed minutes 26,554.7, quantity 26,554.67, cost 318.66 total: cost 1,834.66", words, StringComparison.Ordinal);
        Assert.Contains("│ read", narrow, StringComparison.Ordinal); // the counts still fit as a table

        var wide = Summary(80);
        Assert.Contains("│ telephony:inbound-tollfree │", wide, StringComparison.Ordinal);
        Assert.DoesNotContain("billed minutes 26,554.7", wide, StringComparison.Ordinal);
    }
}
