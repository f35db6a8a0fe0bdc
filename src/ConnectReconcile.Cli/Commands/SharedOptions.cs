using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ConnectReconcile.Cli.Commands;

/// <summary>Options several commands share. One instance per command tree keeps names identical everywhere.</summary>
internal static class SharedOptions
{
    private static readonly string[] DayGroups = ["y", "m", "d"];

    /// <summary>--source; <paramref name="required"/> says so in --help (the value may come from a setting, so the parser does not insist).</summary>
    public static Option<string?> Source(string description = "CTR source: a folder, a file, s3://bucket/prefix/ or s3://bucket/key (Firehose YYYY/MM/dd/HH/ layout, any framing; gzip, ZIP, Snappy or none)", bool required = false) =>
        new("--source") { Description = required ? description + " (required)" : description };

    /// <summary>--out; <paramref name="required"/> (e.g. "required") is said in --help in parentheses, as for --source.</summary>
    public static Option<string?> Out(string description = "Output: a folder or s3://bucket/prefix/ (Parquet tables partitioned by dt=YYYY-MM-DD, plus run.json)", string? required = null) =>
        new("--out") { Description = required is null ? description : $"{description} ({required})" };

    /// <summary>
    /// --unmask: personal numbers in full. A command-line decision only (<see cref="CliEnvironment.CommandLineOnly"/>):
    /// the environment and appsettings.json cannot turn masking off.
    /// </summary>
    public static Option<bool> Unmask(string description) => new("--unmask") { Description = description + "; on the command line only, a setting is ignored" };

    /// <summary>Unmasked by <see cref="Unmask"/>: what the warning about an ignored unmask setting says happens instead.</summary>
    public static bool UnmaskOf(CliEnvironment env, ParseResult parse, Option<bool> unmask) =>
        env.CommandLineOnly(parse, unmask, "customer, third-party and desk-phone numbers stay masked (give --unmask on the command line to show them in full)");

    public static Option<string?> RateCard() => new("--rate-card") { Description = "Rate card JSON (docs/rate-card.md); default: the built-in us-east-1 and ap-northeast-1 cards" };

    public static Option<string?> Agents() => new("--agents") { Description = "Agent directory: CSV username,phone_type,desk_phone_number,as_of or `aws connect describe-user` JSON" };

    public static Option<string?> Numbers() => new("--numbers") { Description = "Number inventory: CSV number,type,country,claimed_at,released_at or `aws connect list-phone-numbers-v2` JSON" };

    public static Option<string?> Policy() => new("--policy")
    {
        Description = "Metering policy: 'default' or key=value;… with service=per-leg|per-record, desk-service=no|yes, outbound-start=dialling|answer, minimums=per-leg|per-record|none, contact-lens=agent|customer-leg",
    };

    public static Option<string?> EndpointUrl() => new("--endpoint-url") { Description = "S3-compatible endpoint URL (implies path-style addressing); AWS_ENDPOINT_URL_S3 also works" };

    public static Option<int?> Parallelism() => new("--parallelism") { Description = "Decode/rate threads (default: number of cores)" };

    public static Option<int?> LookAheadHours() => new("--look-ahead-hours") { Description = "Arrival hours read past the end of the range, for chains straddling midnight and late records; also how long a chain is held open for more records while reading (default 6)" };

    public static Option<string?> HourPattern() => new("--hour-pattern") { Description = "Regex with groups y,m,d and optionally h locating the arrival hour (or day) in object keys, for layouts other than Firehose's YYYY/MM/dd/HH/" };

    /// <summary>A day option read as YYYY-MM-DD only: the parser's default also takes 02.10.2026 or 10/02/2026, and picks a month or a day by guessing.</summary>
    public static Option<DateOnly?> Day(string name, string description) => new(name) { Description = description, CustomParser = ParseDay };

    /// <summary>YYYY-MM-DD, as flags, environment variables and appsettings.json give days.</summary>
    public static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    private static DateOnly? ParseDay(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
        if (TryParseDay(text, out var day))
        {
            return day;
        }

        result.AddError($"{(result.Parent as OptionResult)?.Option.Name}: '{text}' is not a date (YYYY-MM-DD).");
        return null;
    }

    /// <summary>
    /// A number option read with a decimal point only: the parser's default takes a comma as a thousands
    /// separator, so a tolerance written 1,5 (a decimal comma) became 15 and a failing reconciliation passed.
    /// </summary>
    public static Option<decimal?> Number(string name, string description) =>
        new(name) { Description = description, CustomParser = r => Parsed<decimal>(r, TryParseNumber(Last(r), out var value) ? value : null) };

    /// <summary>A number of seconds: as <see cref="Number"/>, finite (NaN and Infinity are no durations).</summary>
    public static Option<double?> Seconds(string name, string description) =>
        new(name) { Description = description, CustomParser = r => Parsed<double>(r, TryParseSeconds(Last(r), out var value) ? value : null) };

    private const NumberStyles PlainNumber = NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;

    /// <summary>Digits with an optional sign and decimal point, as flags, environment variables and appsettings.json give numbers.</summary>
    public static bool TryParseNumber(string text, out decimal value) => decimal.TryParse(text, PlainNumber, CultureInfo.InvariantCulture, out value);

    /// <summary>As <see cref="TryParseNumber"/>, for a finite number of seconds.</summary>
    public static bool TryParseSeconds(string text, out double value) =>
        double.TryParse(text, PlainNumber, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static string Last(ArgumentResult result) => result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;

    private static T? Parsed<T>(ArgumentResult result, T? value)
        where T : struct
    {
        if (value is null)
        {
            result.AddError($"{(result.Parent as OptionResult)?.Option.Name}: '{Last(result)}' is not a number (digits, with a decimal point: 1.5).");
        }

        return value;
    }

    /// <summary>
    /// The UTC days from <paramref name="from"/> to <paramref name="to"/> as resolved (either may be open); --from after --to is a usage error.
    /// <paramref name="lookAheadHours"/>: the arrival hours the command reads past the last day (<see cref="InRange"/>).
    /// </summary>
    public static (DateOnly? From, DateOnly? To) DaysOf(CliEnvironment env, ParseResult parse, Option<DateOnly?> from, Option<DateOnly?> to, int lookAheadHours = 0)
    {
        var (fromName, toName) = (env.NameOfValue(parse, from), env.NameOfValue(parse, to));
        var (first, last) = (InRange(env.Get(parse, from), fromName), InRange(env.Get(parse, to), toName, lookAheadHours));
        return first > last ? throw new UsageException($"{fromName} ({first:yyyy-MM-dd}) is after {toName} ({last:yyyy-MM-dd}).") : (first, last);
    }

    /// <summary>
    /// The day, if between 1970 and 9998 (CTRs carry Unix times) and, as the last day of a range, not so late that
    /// the arrival hours read past it (the next day plus <paramref name="lookAheadHours"/>) run past the calendar's
    /// end: 9998-12-31 with a year of look-ahead had stopped the run with an exception (exit 1).
    /// </summary>
    public static DateOnly? InRange(DateOnly? day, string flag, int lookAheadHours = 0)
    {
        if (day is not { } given)
        {
            return null;
        }

        if (given.Year is < 1970 or > 9998)
        {
            throw new UsageException($"{flag} ({given:yyyy-MM-dd}) must be a day from 1970 to 9998.");
        }

        // The end of the read is midnight after the last day plus the look-ahead, so that midnight must be this many hours before the calendar's end.
        var latest = DateOnly.FromDateTime(DateTime.MaxValue.AddHours(-lookAheadHours)).AddDays(-1);
        return given <= latest ? given
            : throw new UsageException($"{flag} ({given:yyyy-MM-dd}) is too late for a look-ahead of {lookAheadHours} h (--look-ahead-hours): the run would read past " +
                $"the calendar's last day, 9999-12-31. With that look-ahead the last day is {latest:yyyy-MM-dd}.");
    }

    /// <summary>
    /// A billing month, YYYY-MM, as its first day. Up to 9998-12, as days are: 9999-12 has no next month to end it,
    /// and reconcile and ratecard derive stopped on it with an exception (exit 1).
    /// </summary>
    public static DateOnly MonthOf(string text, string flag) =>
        !DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) ? throw new UsageException($"{flag} must be YYYY-MM, got '{text}'.")
        : first.Year > 9998 ? throw new UsageException($"{flag} must be 9998-12 or earlier, got '{text}'.")
        : first;

    /// <summary>--parallelism as resolved (flag, environment, appsettings.json), else the number of cores.</summary>
    public static int ParallelismOf(CliEnvironment env, ParseResult parse, Option<int?> option) =>
        env.Get(parse, option) is { } given ? Within(env.NameOfValue(parse, option), given, 1, 1024, "threads; the default is the number of cores") : Environment.ProcessorCount;

    /// <summary>--look-ahead-hours as resolved, else <paramref name="fallback"/>. Below 0 would leave a day's last arrival hours unread.</summary>
    public static int LookAheadHoursOf(CliEnvironment env, ParseResult parse, Option<int?> option, int fallback = 6) =>
        Within(env.NameOfValue(parse, option), env.Get(parse, option) ?? fallback, 0, 8784, "a year of hours");

    /// <summary>--hour-pattern as resolved, checked to be a regular expression with the named groups y, m and d (h is optional).</summary>
    public static string? HourPatternOf(CliEnvironment env, ParseResult parse, Option<string?> option)
    {
        if (env.Get(parse, option) is not { } pattern)
        {
            return null;
        }

        string[] groups;
        try
        {
            groups = new Regex(pattern, RegexOptions.CultureInvariant).GetGroupNames();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{env.NameOfValue(parse, option)} '{pattern}' is not a regular expression: {e.Message}");
        }

        var missing = DayGroups.Except(groups, StringComparer.Ordinal).ToList();
        return missing.Count == 0 ? pattern
            : throw new UsageException($"{env.NameOfValue(parse, option)} '{pattern}' lacks the named group(s) {string.Join(", ", missing)}: it needs (?<y>…), (?<m>…) and (?<d>…), and (?<h>…) when keys name the hour.");
    }

    /// <param name="name">The flag, or the variable or key that gave the value (<see cref="CliEnvironment.NameOfValue"/>).</param>
    private static int Within(string name, int value, int minimum, int maximum, string whyMaximum) =>
        value < minimum ? throw new UsageException($"{name} must be at least {minimum} (got {value}).")
        : value > maximum ? throw new UsageException($"{name} must be at most {maximum} ({whyMaximum}).")
        : value;

    public static Option<bool> Strict() => new("--strict") { Description = "Fail the run when an input object cannot be read, instead of quarantining it" };
}
