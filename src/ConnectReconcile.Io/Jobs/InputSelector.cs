using System.Globalization;
using System.Text.RegularExpressions;
using ConnectReconcile.Io.Storage;

namespace ConnectReconcile.Io.Jobs;

/// <summary>
/// Picks the objects a run reads. Firehose writes under <c>YYYY/MM/dd/HH/</c> by ARRIVAL hour (UTC),
/// which is never before the contact started; so for chains of days [from, to] only hours from
/// <c>from</c> 00:00 to <c>to</c>+1 00:00 plus a look-ahead for late records and re-deliveries can hold
/// them. Objects outside any hour layout are always read.
/// </summary>
public sealed partial class InputSelector
{
    private readonly Regex _pattern;

    /// <summary>Keys follow Firehose's own YYYY/MM/dd/HH/ layout, so hours can be listed by prefix.</summary>
    private readonly bool _firehoseLayout;

    private readonly Action<string>? _warn;

    /// <param name="hourPattern">Regex with named groups y, m, d and optionally h locating the arrival hour in a key (a key without h: the day's start, e.g. one file per day).</param>
    /// <param name="warn">Told when <paramref name="hourPattern"/> gives no listed key an arrival hour.</param>
    public InputSelector(string? hourPattern = null, Action<string>? warn = null)
    {
        _pattern = hourPattern is null ? FirehoseHour() : new Regex(hourPattern, RegexOptions.CultureInvariant);
        _firehoseLayout = hourPattern is null;
        _warn = warn;
    }

    [GeneratedRegex(@"(?:^|/)(?<y>\d{4})/(?<m>\d{2})/(?<d>\d{2})/(?<h>\d{2})/", RegexOptions.CultureInvariant)]
    private static partial Regex FirehoseHour();

    public DateTime? ArrivalHour(string key) => ArrivalHour(_pattern.Match(key));

    /// <summary>The hour a match of the pattern names; null when it did not match or names no valid hour.</summary>
    private static DateTime? ArrivalHour(Match match)
    {
        if (!match.Success)
        {
            return null;
        }

        var h = match.Groups["h"] is { Success: true } group ? group.Value : "00"; // a daily file arrived no earlier than its day
        return DateTime.TryParseExact(
            $"{match.Groups["y"].Value}-{match.Groups["m"].Value}-{match.Groups["d"].Value}T{h}",
            "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var hour)
            ? hour : null;
    }

    /// <summary>The hour prefixes (<c>YYYY/MM/dd/HH/</c>) that can hold chains of the days, for listing S3 by prefix.</summary>
    public static IEnumerable<string> HourPrefixes(DateOnly from, DateOnly to, int lookAheadHours)
    {
        var start = from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddHours(lookAheadHours);
        for (var hour = start; hour < end; hour = hour.AddHours(1))
        {
            yield return hour.ToString("yyyy'/'MM'/'dd'/'HH'/'", CultureInfo.InvariantCulture);
        }
    }

    public bool Wanted(string key, DateOnly? from, DateOnly? to, int lookAheadHours)
    {
        if (from is null && to is null)
        {
            return true;
        }

        if (ArrivalHour(key) is not { } hour)
        {
            return true;
        }

        var start = (from ?? DateOnly.MinValue).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var end = to is { } t ? t.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddHours(lookAheadHours) : DateTime.MaxValue;
        return hour >= start && hour < end;
    }

    /// <summary>What one page of the root listing says about a source.</summary>
    private enum RootLayout
    {
        /// <summary>No object at all: a wrong path, bucket or prefix.</summary>
        Empty,

        /// <summary>Objects with an arrival hour in their keys: an hour with nothing in it is a quiet one.</summary>
        ByHour,

        /// <summary>Objects, none of the first page with an arrival hour: list the source whole.</summary>
        Other,
    }

    /// <summary>
    /// Looks at no more than 1000 keys of the root (on S3 one page, however large the bucket). Hours
    /// below the root (<c>ctr/2026/10/31/23/…</c> under a bucket's root) make it <see cref="RootLayout.Other"/>:
    /// the root's hour prefixes cannot list them, and taking the range for a quiet one would publish
    /// empty days over good ones.
    /// </summary>
    private async Task<RootLayout> RootLayoutAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var (looked, atRoot) = (0, false);
        await foreach (var obj in store.SampleAsync(string.Empty, 1000, cancellationToken).ConfigureAwait(false))
        {
            looked++;
            var hour = _pattern.Match(obj.Key);
            if (ArrivalHour(hour) is not null)
            {
                if (hour.Index > 0)
                {
                    return RootLayout.Other;
                }

                atRoot = true;
            }
        }

        return atRoot ? RootLayout.ByHour : looked == 0 ? RootLayout.Empty : RootLayout.Other;
    }

    /// <summary>
    /// The objects of the range, in arrival order. For a dated run on the default layout, lists only the
    /// hour prefixes that can hold the range (one LIST per hour, not the whole bucket); a source that is
    /// not laid out by hour, or a custom pattern, is listed whole and filtered by key. A source holding
    /// no object at all is refused (<see cref="NothingToReadException"/>): taken for a quiet range, a
    /// mistyped location would publish empty days over the ones already published. It is told from a
    /// quiet range by the listings the selection makes anyway, never by one more.
    /// </summary>
    public async Task<IReadOnlyList<StoredObject>> SelectAsync(IObjectStore store, DateOnly? from, DateOnly? to, int lookAheadHours, CancellationToken cancellationToken)
    {
        var selected = new List<StoredObject>();
        var byHourPrefix = from is not null && to is not null && _firehoseLayout;
        if (byHourPrefix && from is { } first && to is { } last)
        {
            foreach (var prefix in HourPrefixes(first, last, lookAheadHours))
            {
                await foreach (var obj in store.ListAsync(prefix, cancellationToken))
                {
                    selected.Add(obj);
                }
            }
        }

        // Nothing in the hour prefixes: a quiet day on an hour-laid-out source (read nothing), a source
        // with another layout (read it whole) or an empty one (refused). One page of the root tells which.
        var layout = selected.Count > 0 ? RootLayout.ByHour
            : byHourPrefix ? await RootLayoutAsync(store, cancellationToken).ConfigureAwait(false)
            : RootLayout.Other;
        if (layout == RootLayout.Other)
        {
            var listed = 0;
            string? firstKey = null;
            var dated = false;
            await foreach (var obj in store.ListAsync(string.Empty, cancellationToken))
            {
                listed++;
                firstKey ??= obj.Key;
                dated = dated || ArrivalHour(obj.Key) is not null;
                if (Wanted(obj.Key, from, to, lookAheadHours))
                {
                    selected.Add(obj);
                }
            }

            layout = listed == 0 ? RootLayout.Empty : layout;
            if (!_firehoseLayout && listed > 0 && !dated)
            {
                // A pattern that fits no key (a typo, a folder level too many) is no error, but without a word every object is read as undated.
                _warn?.Invoke($"--hour-pattern '{_pattern}' gives none of the {listed} object(s) in the source an arrival hour (the first: {firstKey}): " +
                    "each is read as an object without one, its records held until the run ends and, in a dated run, read whatever its day. Check the pattern against the keys.");
            }
        }

        if (layout == RootLayout.Empty)
        {
            throw new NothingToReadException(
                $"The source {store.Describe(string.Empty)} holds no objects, so there is nothing to read (a typo in the path, bucket or prefix?).");
        }

        // Arrival order: hour prefix first, then key, so "later-arrived" is well defined for ties.
        return selected.OrderBy(o => ArrivalHour(o.Key) ?? DateTime.MinValue).ThenBy(o => o.Key, StringComparer.Ordinal).ToList();
    }
}
