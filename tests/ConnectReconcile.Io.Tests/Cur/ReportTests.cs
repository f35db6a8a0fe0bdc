using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reconciliation;
using ConnectReconcile.Io.Reports;
using ConnectReconcile.Io.Storage;
using DuckDB.NET.Data;

namespace ConnectReconcile.Io.Tests.Cur;

public sealed partial class ReportTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 10, 1);
    private static readonly DateOnly Day2 = new(2026, 10, 2);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-report-" + Guid.NewGuid().ToString("N"));

    public ReportTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CurLine Line(DateOnly day, string usageType, decimal amount, decimal rate, string type = "Usage", decimal? cost = null, string? description = null) =>
        InvoiceLines.Line(day, usageType, amount, rate, type, cost, description);

    private static ExpectedUsage Expected(DateOnly day, string usageType, string kind, decimal quantity, decimal rate) =>
        new(day, "inst-1", "us-east-1", usageType, kind, Units.Minute, PricingModels.PerFeature, 10, (long)(quantity * 60), quantity, quantity * rate, 0);

    /// <summary>A small month with a match, a rate difference, an invoice-only unknown usage type, tax and a free-tier credit.</summary>
    internal static ReconciliationReport SampleReport()
    {
        var invoice = new InvoiceAggregate(Day1);
        foreach (var l in new[]
                 {
                     Line(Day1, "USE1-end-customer-mins", 1000m, 0.018m), Line(Day2, "USE1-end-customer-mins", 900m, 0.0198m),
                     Line(Day1, "USE1-US-did-inbound-mins", 400m, 0.0022m), Line(Day2, "USE1-US-did-inbound-mins", 380m, 0.0022m),
                     Line(Day2, "USE1-hologram-mins", 12m, 0.5m),
                     Line(Day1, "", 0m, 0m, "Tax", 0.42m, "Tax for product code ContactCenterTelecomm"),
                     Line(Day1, "USE1-end-customer-mins", 0m, 0m, "Credit", -1.62m, "AWS Free Tier credit <90 min> & more"),
                 })
        {
            invoice.Add(l);
        }

        var expected = new[]
        {
            Expected(Day1, "USE1-end-customer-mins", ChargeKinds.Service, 1000m, 0.018m), Expected(Day2, "USE1-end-customer-mins", ChargeKinds.Service, 900m, 0.018m),
            Expected(Day1, "USE1-US-did-inbound-mins", ChargeKinds.TelephonyInboundDid, 400m, 0.0022m), Expected(Day2, "USE1-US-did-inbound-mins", ChargeKinds.TelephonyInboundDid, 380m, 0.0022m),
        };
        var catalog = new UsageTypeCatalog(BuiltInRateCards.Default);
        return ReconciliationReport.Build(expected, invoice, catalog, Tolerance.Default, new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = catalog })
            with { RateCardVersion = "builtin-2026.11", Policy = BillingPolicy.Default.ToString() };
    }

    [Fact]
    public async Task The_reconciliation_table_is_Parquet_with_documented_types_and_adjustments_apart()
    {
        var report = SampleReport();
        var store = new LocalObjectStore(_dir);
        var written = await ReconciliationTables.WriteAsync(store, report, CancellationToken.None);
        Assert.Equal("reconciliation/month=2026-10/part-00000.parquet", Assert.Single(written).Path);

        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var glob = Path.Combine(_dir, "reconciliation", "*", "*.parquet");
        var types = new Dictionary<string, string>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                types[r.GetString(0)] = r.GetString(1);
            }
        }

        Assert.Equal("DATE", types["day"]);
        Assert.Equal("DECIMAL(18,6)", types["quantity_variance"]);
        Assert.Equal("DECIMAL(24,12)", types["cost_variance"]);
        Assert.Equal("DECIMAL(18,8)", types["invoiced_rate"]);
        Assert.Equal("BOOLEAN", types["beyond_tolerance"]);

        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT row_kind, status, count(*), sum(invoiced_cost) FROM read_parquet('{glob}') GROUP BY ALL ORDER BY 1, 2";
            using var r = cmd.ExecuteReader();
            var rows = new List<string>();
            while (r.Read())
            {
                rows.Add($"{r.GetString(0)}/{(r.IsDBNull(1) ? "-" : r.GetString(1))}/{r.GetInt64(2)}/{Convert.ToDecimal(r.GetValue(3), CultureInfo.InvariantCulture):0.00}");
            }

            Assert.Equal(["free-tier/-/1/-1.62", "tax/-/1/0.42", "usage/match/3/19.72", "usage/only-in-invoice/1/6.00", "usage/over/1/17.82"], rows);
        }

        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT causes, explanation FROM read_parquet('{glob}') WHERE status = 'over'";
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read());
            Assert.Equal(CauseCodes.RateDifference, r.GetString(0));
            Assert.Contains("0.0198", r.GetString(1), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_invoice_in_another_currency_has_each_side_in_its_own_and_no_cost_variance_in_the_HTML()
    {
        // Over by 100 min, billed at 0.0166 EUR: 18.26 EUR against our 18.00 USD is no variance.
        var invoice = new InvoiceAggregate(Day1);
        invoice.Add(Line(Day1, "USE1-end-customer-mins", 1100m, 0.0166m) with { Currency = "EUR" });
        var catalog = new UsageTypeCatalog(BuiltInRateCards.Default);
        var report = ReconciliationReport.Build([Expected(Day1, "USE1-end-customer-mins", ChargeKinds.Service, 1000m, 0.018m)], invoice, catalog, Tolerance.Default,
            new ReconciliationEvidence { Card = BuiltInRateCards.Default, Catalog = catalog });
        var html = HtmlReport.Render(report, new ReportSources("cur", "out"));

        Assert.Contains("18.00 USD", html, StringComparison.Ordinal);
        Assert.DoesNotContain("18.00 EUR", html, StringComparison.Ordinal); // our cost was labelled EUR
        Assert.DoesNotContain("0.26 EUR", html, StringComparison.Ordinal); // nor 18.26 EUR − 18.00 USD shown as a variance
        Assert.Contains("not compared", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_HTML_report_is_self_contained()
    {
        var html = HtmlReport.Render(SampleReport(), new ReportSources("s3://bill/cur/", "/data/out"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("<svg", html);
        Assert.Contains("AWS Free Tier credit &lt;90 min&gt; &amp; more", html, StringComparison.Ordinal); // escaped
        Assert.Contains("USE1-hologram-mins", html, StringComparison.Ordinal);
        Assert.Contains("rate-difference", html, StringComparison.Ordinal);
    }

    /// <summary>
    /// Opens the report in headless Chromium: the DOM it builds has the verdict, the variance table
    /// and the charts, a screenshot renders, and Chromium's network log shows no request the page
    /// made (browser housekeeping requests carry no page initiator and are ignored). A control page
    /// that does reference the network proves the check would see it.
    /// </summary>
    [Fact]
    public async Task The_HTML_report_opens_in_headless_Chromium_without_network_requests()
    {
        var chromium = new[] { Environment.GetEnvironmentVariable("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));
        Assert.True(chromium is not null, "Chromium is not installed: the CI script installs the packages in tests/ci-apt-packages.txt (apt-get install -y chromium).");

        var report = Path.Combine(_dir, "report.html");
        await File.WriteAllTextAsync(report, HtmlReport.Render(SampleReport(), new ReportSources("cur", "out")));
        var (dom, requests) = await OpenAsync(chromium!, report, dumpDom: true);
        Assert.Contains("id=\"verdict\"", dom, StringComparison.Ordinal);
        Assert.Contains("row(s) are beyond tolerance", dom, StringComparison.Ordinal);
        Assert.Contains("data-status=\"over\"", dom, StringComparison.Ordinal);
        Assert.True(RectRegex().Count(dom) >= 10, "the charts' bars are in the DOM");
        Assert.Empty(requests);

        var (_, shotRequests) = await OpenAsync(chromium!, report, dumpDom: false);
        var png = Path.Combine(_dir, "shot.png");
        Assert.True(File.Exists(png) && new FileInfo(png).Length > 10_000, "a screenshot was rendered");
        Assert.Empty(shotRequests);

        var control = Path.Combine(_dir, "control.html");
        await File.WriteAllTextAsync(control, "<html><body><img src=\"http://example.invalid/x.png\"></body></html>");
        var (_, controlRequests) = await OpenAsync(chromium!, control, dumpDom: true);
        Assert.Contains("http://example.invalid/x.png", controlRequests);
    }

    private async Task<(string Dom, List<string> PageRequests)> OpenAsync(string chromium, string file, bool dumpDom)
    {
        var profile = Path.Combine(_dir, "profile-" + Guid.NewGuid().ToString("N"));
        var netLog = Path.Combine(_dir, "net-" + Guid.NewGuid().ToString("N") + ".json");
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--user-data-dir=" + profile, "--log-net-log=" + netLog, "--net-log-capture-mode=Everything",
                     dumpDom ? "--dump-dom" : "--screenshot=" + Path.Combine(_dir, "shot.png"), "--window-size=1280,1800",
                     new Uri(file).AbsoluteUri,
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, "chromium failed: " + await stderr);
        return (await stdout, PageRequests(netLog));
    }

    /// <summary>URLs of network requests a page initiated (browser-internal requests have the initiator "not an origin").</summary>
    private static List<string> PageRequests(string netLog)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(netLog));
        var startJob = doc.RootElement.GetProperty("constants").GetProperty("logEventTypes").GetProperty("URL_REQUEST_START_JOB").GetInt32();
        var urls = new List<string>();
        foreach (var e in doc.RootElement.GetProperty("events").EnumerateArray())
        {
            if (e.GetProperty("type").GetInt32() != startJob || !e.TryGetProperty("params", out var p) || !p.TryGetProperty("url", out var url))
            {
                continue;
            }

            var initiator = p.TryGetProperty("initiator", out var i) ? i.GetString() : null;
            if (initiator != "not an origin")
            {
                urls.Add(url.GetString()!);
            }
        }

        return urls;
    }

    [GeneratedRegex("<rect ")]
    private static partial Regex RectRegex();
}
