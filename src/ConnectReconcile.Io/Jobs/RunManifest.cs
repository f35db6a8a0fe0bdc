using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConnectReconcile.Core.Accounting;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;

namespace ConnectReconcile.Io.Jobs;

/// <summary>
/// run.json (written last; names every output) and the <c>--summary json</c> object. Both are built
/// with sorted keys and no clock so that the same inputs give the same bytes.
/// </summary>
public static class RunManifest
{
    public const string FileName = "run.json";

    /// <summary>
    /// <c>run.json</c> at the root for a whole replay; a dated run (nightly, a range) writes
    /// <c>_runs/FROM_TO/run.json</c> so parallel days never overwrite each other's manifest.
    /// </summary>
    public static string PathFor(DateOnly? from, DateOnly? to) =>
        from is null && to is null ? FileName : $"_runs/{from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "start"}_{to?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "end"}/{FileName}";
    public const string Format = "connect-reconcile/run@1";

    public static string ToJson(JobResult result, BillingJobOptions options, Rater rater)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("rateCardVersion", rater.Card.Version);

            // Two cards can carry one version (an edited file, a derived card): the rows' checksum tells them apart.
            w.WriteString("rateCardSha256", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rater.Card.ToJson()))));
            w.WriteString("policy", rater.Policy.ToString());
            w.WriteString("from", options.From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteString("to", options.To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteNumber("lookAheadHours", options.LookAheadHours);
            w.WriteBoolean("numberInventoryProvided", options.Numbers.IsProvided);
            w.WriteBoolean("agentDirectoryProvided", !ReferenceEquals(rater.Agents, AgentDirectory.Empty));
            w.WritePropertyName("summary");
            WriteSummary(w, result.Counts, result.Totals);
            w.WriteStartArray("inputs");
            foreach (var input in result.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("key", input.Key);
                w.WriteNumber("bytes", input.Bytes);
                w.WriteString("sha256", input.Sha256);
                w.WriteNumber("records", input.Records);
                w.WriteNumber("quarantined", input.Quarantined);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("lateArrivals");
            foreach (var late in result.LateArrivals)
            {
                w.WriteStartObject();
                w.WriteString("day", late.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteNumber("records", late.Records);
                w.WriteNumber("lookAheadHours", late.LookAheadHours);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("outputs");
            foreach (var output in result.Outputs)
            {
                w.WriteStartObject();
                w.WriteString("path", output.Path);
                w.WriteNumber("rows", output.Rows);
                w.WriteNumber("bytes", output.Bytes);
                w.WriteString("sha256", output.Sha256);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The replay summary: one JSON object keyed by canonical charge kinds.</summary>
    public static string SummaryJson(RunCounts counts, RunTotals totals, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            WriteSummary(w, counts, totals);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteSummary(Utf8JsonWriter w, RunCounts counts, RunTotals totals)
    {
        w.WriteStartObject();
        w.WriteNumber("records", counts.Read);
        w.WriteNumber("rated", counts.Rated);
        w.WriteNumber("duplicates", counts.Superseded);
        w.WriteNumber("quarantined", counts.Quarantined);
        w.WriteNumber("nonVoiceContacts", counts.NonVoice);
        w.WriteNumber("outOfRange", counts.OutOfRange);
        w.WriteNumber("chains", counts.Chains);
        w.WriteNumber("orphans", counts.Orphans);
        w.WriteStartObject("quarantinedByReason");
        foreach (var (reason, n) in counts.QuarantinedByReason.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(reason, n);
        }

        w.WriteEndObject();
        w.WriteStartObject("legs");
        foreach (var (kind, n) in totals.LegsByKind)
        {
            w.WriteNumber(kind, n);
        }

        w.WriteEndObject();
        w.WriteStartObject("billedSeconds");
        foreach (var (kind, seconds) in totals.BilledSeconds().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(kind, seconds);
        }

        w.WriteEndObject();
        w.WriteStartObject("quantity");
        foreach (var (kind, total) in totals.ByKind)
        {
            w.WriteString(kind, total.Quantity.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture));
        }

        w.WriteEndObject();
        w.WriteStartObject("cost");
        foreach (var (kind, total) in totals.ByKind)
        {
            w.WriteString(kind, RunTotals.Cents(total.Cost).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
        }

        w.WriteEndObject();
        w.WriteString("totalCost", RunTotals.Cents(totals.ByKind.Values.Sum(t => t.Cost)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartObject("unratedCharges");
        foreach (var (kind, total) in totals.ByKind.Where(kv => kv.Value.Unrated > 0))
        {
            w.WriteNumber(kind, total.Unrated);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}
