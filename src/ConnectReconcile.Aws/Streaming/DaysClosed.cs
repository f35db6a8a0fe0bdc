using System.Globalization;

namespace ConnectReconcile.Aws.Streaming;

/// <summary>
/// <c>_stream/closed/after-batch-N.json</c>: a run closed the days before <see cref="FirstOpenDay"/> after batch
/// <see cref="AfterBatch"/> without committing a batch of its own (a restart with a smaller <c>--retain-days</c>).
/// Manifests carry the closing of days each batch did; this records a closing no manifest carries, so that a later
/// recovery, whatever <c>--retain-days</c> it is given, keeps those days closed and replays later batches with the
/// open days they ran with.
/// </summary>
public sealed record DaysClosed(long AfterBatch, DateOnly FirstOpenDay, int RetainDays, DateTimeOffset RetentionClock)
{
    public const string Format = "connect-reconcile/stream-days-closed@1";

    public const string Folder = "_stream/closed";

    public static string Key(long afterBatch) => $"{Folder}/after-batch-{afterBatch.ToString("D10", CultureInfo.InvariantCulture)}.json";

    public string ToJson() => StreamJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("afterBatch", AfterBatch);
        w.WriteString("firstOpenDay", FirstOpenDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteNumber("retainDays", RetainDays);
        w.WriteString("retentionClock", RetentionClock.ToString("O", CultureInfo.InvariantCulture));
        w.WriteEndObject();
    });

    public static DaysClosed FromJson(ReadOnlySpan<byte> json)
    {
        using var doc = StreamJson.Parse(json, Format, "days-closed");
        var root = doc.RootElement;

        return new DaysClosed(
            root.GetProperty("afterBatch").GetInt64(),
            DateOnly.ParseExact(root.GetProperty("firstOpenDay").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            root.GetProperty("retainDays").GetInt32(),
            DateTimeOffset.Parse(root.GetProperty("retentionClock").GetString()!, CultureInfo.InvariantCulture));
    }
}
