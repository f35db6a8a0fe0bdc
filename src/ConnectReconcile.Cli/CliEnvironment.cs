using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Spectre.Console;

namespace ConnectReconcile.Cli;

/// <summary>A usage mistake the user can fix (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Exit codes promised in --help.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int VarianceBeyondTolerance = 3;
}

/// <summary>
/// What every command shares: settings resolved as flags, then environment variables
/// (<c>CONNECT_RECONCILE_&lt;NAME&gt;</c>, e.g. CONNECT_RECONCILE_RATE_CARD), then an optional
/// appsettings.json in the working directory; a logger on stderr (JSON when not a terminal);
/// and a console for progress that is stderr too, so stdout carries only results.
/// </summary>
public sealed class CliEnvironment : IDisposable
{
    private const string SettingsFile = "appsettings.json";
    private const string EnvironmentPrefix = "CONNECT_RECONCILE_";

    private readonly ILoggerFactory _loggers;
    private readonly IConfigurationRoot _settings;
    private readonly string? _settingsFileError;
    private readonly string _settingsPath;

    /// <param name="logs">An extra log sink (tests read the log lines through it).</param>
    /// <param name="settingsDirectory">Where appsettings.json is looked for (default: the working directory).</param>
    /// <param name="clock">The time now, for warnings and defaults only: no output depends on it (default: the system clock).</param>
    public CliEnvironment(TextWriter? stdout = null, TextWriter? stderr = null, ILoggerProvider? logs = null, string? settingsDirectory = null, TimeProvider? clock = null)
    {
        Out = stdout ?? Console.Out;
        Error = stderr ?? Console.Error;
        Clock = clock ?? TimeProvider.System;
        var directory = settingsDirectory ?? Directory.GetCurrentDirectory();
        _settingsPath = Path.Combine(directory, SettingsFile);
        try
        {
            _settings = new ConfigurationBuilder()
                .SetBasePath(directory)
                .AddJsonFile(SettingsFile, optional: true)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Reported by CheckSettings as a usage error, inside the command's error handling.
            _settingsFileError = e is InvalidDataException
                ? $"{_settingsPath} is not valid: {e.InnerException?.InnerException?.Message ?? e.InnerException?.Message ?? e.Message}"
                : $"{_settingsPath} cannot be read: {e.Message}";
            _settings = new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build();
        }

        if (Directory.Exists(_settingsPath))
        {
            _settingsFileError = $"{_settingsPath} is a folder, not a settings file.";
        }

        IsTerminal = stderr is null && !Console.IsErrorRedirected;
        _loggers = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Information);
            if (IsTerminal)
            {
                builder.AddConsoleFormatter<TerminalLogFormatter, ConsoleFormatterOptions>();
                builder.AddConsole(o => o.FormatterName = TerminalLogFormatter.FormatterName);
            }
            else
            {
                builder.AddJsonConsole(o => o.IncludeScopes = false);
            }

            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (logs is not null)
            {
                builder.AddProvider(logs);
            }
        });
        Logger = _loggers.CreateLogger("connect-reconcile");
        ErrorConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Error) });
        OutConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Out) });
        if (stdout is not null || Console.IsOutputRedirected)
        {
            // A file or pipe has no width: Spectre's 80 columns cut names such as telephony:inbound-tollfree over two rows.
            OutConsole.Profile.Width = Math.Max(OutConsole.Profile.Width, 160);
        }
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public IConfiguration Configuration => _settings;

    public TimeProvider Clock { get; }

    public bool IsTerminal { get; }

    public ILogger Logger { get; }

    public IAnsiConsole ErrorConsole { get; }

    public IAnsiConsole OutConsole { get; }

    /// <summary>A usage error (exit 2), written as <see cref="ErrorAsync"/> writes one.</summary>
    public Task UsageErrorAsync(string message) => ErrorAsync(message, "Usage error");

    /// <summary>
    /// An error that ends the command: <c>error: …</c> on stderr, as documented, escaped (it quotes ids, paths and
    /// flags as given); off a terminal also an Error entry of the JSON log, so a pipeline that keeps only JSON
    /// lines still has the reason the run stopped.
    /// </summary>
    public async Task ErrorAsync(string message, string what = "Error")
    {
        await Error.WriteLineAsync(ConsoleText.Escape("error: " + message));
        if (!IsTerminal)
        {
            Logger.LogError("{What}: {Message}", what, message);
        }
    }

    /// <summary>Logs a warning for the operator (a job's <c>Warn</c> callback).</summary>
    public void Warn(string message) => Logger.LogWarning("{Warning}", message);

    /// <summary>
    /// Stops on an appsettings.json that does not parse (usage error), and warns about each setting in it
    /// or in a CONNECT_RECONCILE_ variable that no command reads: a misspelt "agent" would otherwise
    /// rate the month without the agent directory, silently. A command's section (<c>"stream": {…}</c>,
    /// CONNECT_RECONCILE_STREAM__…) is checked against that command's options.
    /// </summary>
    public void CheckSettings(SettingCatalog catalog)
    {
        if (_settingsFileError is not null)
        {
            throw new UsageException(_settingsFileError);
        }

        // The environment's provider folds case, so CONNECT_RECONCILE_DATE and connect_reconcile_date reach it as
        // one setting, one value winning by an order the user cannot see: refused as two spellings are below.
        if (Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(k => k.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                .GroupBy(k => k.ToUpperInvariant()).FirstOrDefault(g => g.Count() > 1) is { } sameButCase)
        {
            throw new UsageException($"The environment gives one setting twice: {string.Join(" and ", sameButCase.Order(StringComparer.Ordinal))}.");
        }

        foreach (var provider in _settings.Providers)
        {
            Check(provider, null, null);
        }

        CheckEmptyValues(catalog);

        void Check(IConfigurationProvider provider, string? path, IReadOnlySet<string>? members)
        {
            var keys = provider.GetChildKeys([], path).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (keys.GroupBy(SettingCatalog.Normalise).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                // "rate-card" and "rate_card": one would win, by an order the user cannot see.
                throw new UsageException($"{(provider is JsonConfigurationProvider ? SettingsFile : "The environment")} gives one setting twice: {string.Join(" and ", twice.Select(k => $"\"{(path is null ? k : $"{path}:{k}")}\""))}.");
            }

            foreach (var key in keys)
            {
                var full = path is null ? key : $"{path}:{key}";
                var name = SettingCatalog.Normalise(key);
                var where = provider is JsonConfigurationProvider ? $"{SettingsFile}: \"{full}\"" : EnvironmentPrefix + full.Replace(":", "__", StringComparison.Ordinal);
                var scope = path is null ? name : $"{SettingCatalog.Normalise(path)}:{name}";
                var hasValue = provider.TryGet(full, out _);
                var hasChildren = provider.GetChildKeys([], full).Any();
                IReadOnlySet<string>? scoped = null;
                var isSection = hasChildren && catalog.TryScope(scope, out scoped);
                if (isSection && scoped is not null)
                {
                    Check(provider, full, scoped); // a command's own section
                    if (!hasValue)
                    {
                        continue;
                    }
                }

                if (!(members?.Contains(name) ?? catalog.IsSetting(name)))
                {
                    Logger.LogWarning("{Setting} is not a setting{OfCommand} and is ignored (settings are the options' long names: \"rate-card\" in appsettings.json, CONNECT_RECONCILE_RATE_CARD in the environment; one command's own go in its section: \"stream\": {{ \"endpoint-url\": … }}, CONNECT_RECONCILE_STREAM__ENDPOINT_URL)",
                        where, members is null ? "" : " of that command");
                }
                else if (hasChildren && !isSection && !catalog.IsList(name))
                {
                    // An object or array: the setting would read as unset, so the user's value would be ignored silently.
                    throw new UsageException($"{where} must be a single value, not an object or array.");
                }
                else if (hasChildren && !isSection && provider.GetChildKeys([], full).Any(child => !int.TryParse(child, out _) || provider.GetChildKeys([], $"{full}:{child}").Any()))
                {
                    throw new UsageException($"{where} must be a value or a list of values, not an object.");
                }
            }
        }
    }

    /// <summary>
    /// An empty object or array in appsettings.json reads as no setting (or as "") once flattened, so the
    /// user's value would be ignored or taken for an empty path: refused like any other object or array.
    /// </summary>
    private void CheckEmptyValues(SettingCatalog catalog)
    {
        if (!File.Exists(_settingsPath))
        {
            return;
        }

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_settingsPath),
            new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        Walk(document.RootElement, null);

        void Walk(System.Text.Json.JsonElement element, string? scope)
        {
            if (element.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in element.EnumerateObject())
            {
                var name = SettingCatalog.Normalise(property.Name);
                var inner = scope is null ? name : $"{scope}:{name}";
                var value = property.Value;
                var empty = value.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.Object => !value.EnumerateObject().Any(),
                    System.Text.Json.JsonValueKind.Array => value.GetArrayLength() == 0,
                    _ => false,
                };
                if (empty && catalog.IsSetting(name) && !catalog.TryScope(inner, out _))
                {
                    throw new UsageException($"{SettingsFile}: \"{(scope is null ? property.Name : $"{scope}:{property.Name}")}\" is an empty {(value.ValueKind == System.Text.Json.JsonValueKind.Object ? "object" : "list")}: give {(catalog.IsList(name) ? "a value or a list of values" : "a single value")}, or leave it out.");
                }

                if (catalog.TryScope(inner, out _))
                {
                    Walk(value, inner);
                }
            }
        }
    }

    /// <summary>
    /// How the command reaches s3:// locations: the endpoint flag's value (or setting) and the encryption settings,
    /// checked as the command starts. Checked only when an S3 store was built, a wrong <c>sse</c> let every run on
    /// local paths pass and stopped the first one that wrote to S3.
    /// </summary>
    public S3Access S3(ParseResult parse, Option<string?> endpoint)
    {
        var (sse, kmsKeyId) = (Find(S3Stores.SseSetting, null), Find(S3Stores.KmsKeyIdSetting, null));
        var access = new S3Access(Get(parse, endpoint), sse.Value, kmsKeyId.Value, Warn);
        S3Stores.Check(access, sse.Place ?? S3Stores.SseSetting, kmsKeyId.Place ?? S3Stores.KmsKeyIdSetting);
        return access;
    }

    /// <summary>
    /// A setting by its long name (<c>rate-card</c>): CONNECT_RECONCILE_RATE_CARD, else appsettings.json's
    /// "rate-card" (or "RATE_CARD"). With a <paramref name="scope"/> (the command, <c>stream</c>), the
    /// command's own section comes first in each: CONNECT_RECONCILE_STREAM__ENDPOINT_URL, "stream": { "endpoint-url": … },
    /// so options that mean different things in different commands can be set apart.
    /// </summary>
    public string? Setting(string name, string? scope = null) => Find(name, scope).Value;

    /// <summary>
    /// A setting's value, whether it was found at the top level rather than in the command's section, and where
    /// (<see cref="Place"/>). A blank value (<c>CONNECT_RECONCILE_SOURCE=</c>) is one not given, so the lookup goes
    /// on: stopping there hid appsettings.json's "source", and replay rated the sample month into the real --out.
    /// </summary>
    private (string? Value, bool TopLevel, string? Place) Find(string name, string? scope)
    {
        foreach (var (provider, key) in Lookups(name, scope))
        {
            if (provider.TryGet(key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                return (value, !key.Contains(':', StringComparison.Ordinal), Place(provider, key));
            }
        }

        return (null, false, null);
    }

    /// <summary>
    /// Where a setting was found, as the user would look for it: <c>CONNECT_RECONCILE_AUDIT_EXPORT__UNMASK</c>, or
    /// <c>appsettings.json: "audit-export:unmask"</c> spelt as in the file.
    /// </summary>
    private static string Place(IConfigurationProvider provider, string key)
    {
        if (provider is not JsonConfigurationProvider)
        {
            return EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal).Replace('-', '_').ToUpperInvariant();
        }

        string? path = null;
        foreach (var part in key.Split(':'))
        {
            var spelt = provider.GetChildKeys([], path).FirstOrDefault(k => string.Equals(k, part, StringComparison.OrdinalIgnoreCase)) ?? part;
            path = path is null ? spelt : $"{path}:{spelt}";
        }

        return $"{SettingsFile}: \"{path}\"";
    }

    /// <summary>
    /// What an error about an option's value calls it: the variable or appsettings.json key that gave the value, else
    /// its flag (given on the command line, or a default), so the user is sent to where the value is.
    /// </summary>
    public string NameOfValue(ParseResult parse, Option option) => Origin(parse, option) ?? option.Name;

    /// <summary>Where an option's value comes from: its flag, or the variable or appsettings.json key that gives it (null: nowhere, its default).</summary>
    public string? Origin(ParseResult parse, Option option) =>
        parse.GetResult(option) is { Implicit: false } ? option.Name : Find(option.Name.TrimStart('-'), SettingCatalog.ScopeOf(parse)).Place;

    /// <summary>A list setting (an option given several times): an appsettings.json array, or one value.</summary>
    private IReadOnlyList<string>? Settings(string name, string? scope)
    {
        foreach (var (provider, key) in Lookups(name, scope))
        {
            if (provider.TryGet(key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                return [value];
            }

            var items = provider.GetChildKeys([], key).Distinct(StringComparer.Ordinal)
                .Select(i => (Index: int.TryParse(i, out var n) ? n : int.MaxValue, Key: i)).OrderBy(i => i.Index).ToList();
            if (items.Count > 0)
            {
                return items.Select(i => provider.TryGet($"{key}:{i.Key}", out var item) ? item ?? "" : "").ToList();
            }
        }

        return null;
    }

    /// <summary>Where a setting is looked for, first to last: the environment before appsettings.json (added first), in each the command's section before the top level.</summary>
    private IEnumerable<(IConfigurationProvider Provider, string Key)> Lookups(string name, string? scope) =>
        _settings.Providers.Reverse().SelectMany(provider => Keys(name, scope).Select(key => (provider, key)));

    private static IEnumerable<string> Keys(string name, string? scope)
    {
        var upper = name.Replace('-', '_').ToUpperInvariant();
        if (!string.IsNullOrEmpty(scope))
        {
            // A variable cannot hold '-': CONNECT_RECONCILE_AUDIT_EXPORT__OUT is the section "audit-export".
            foreach (var section in scope.Contains('-', StringComparison.Ordinal) ? [scope, scope.Replace('-', '_')] : new[] { scope })
            {
                yield return $"{section}:{upper}";
                yield return $"{section}:{name}";
            }
        }

        yield return upper;
        yield return name;
    }

    /// <summary>The flag's value, else CONNECT_RECONCILE_[COMMAND__]NAME, else appsettings.json's "name" (in the command's section first).</summary>
    public T? Get<T>(ParseResult parse, Option<T> option)
    {
        if (parse.GetResult(option) is { Implicit: false })
        {
            var given = parse.GetValue(option);
            // A blank value (' ') is as empty as "": it made a folder named ' '.
            return given is string text && string.IsNullOrWhiteSpace(text)
                ? throw new UsageException($"{option.Name} is {(text.Length == 0 ? "empty" : "blank")}: give a value, or leave the option out.")
                : given;
        }

        var key = option.Name.TrimStart('-');
        var scope = SettingCatalog.ScopeOf(parse);
        var (configured, topLevel, place) = Find(key, scope);
        if (configured is null)
        {
            // An empty variable (CONNECT_RECONCILE_OUT=, or a template's unfilled value) is one not set.
            return parse.GetValue(option);
        }

        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (!TryConvert(configured, type, out var value))
        {
            throw new UsageException($"{place} is not {Expected(type) ?? "a valid " + type.Name}: '{configured}'." +
                (topLevel ? SectionHint(key, scope, configured, type) : ""));
        }

        return (T)value;
    }

    /// <summary>A setting's text as a value of an option's type, read as the flags are (days YYYY-MM-DD, numbers with a decimal point).</summary>
    private static bool TryConvert(string configured, Type type, out object value)
    {
        try
        {
            value = type == typeof(string) ? configured
                : type == typeof(DateOnly) ? (Commands.SharedOptions.TryParseDay(configured, out var day) ? day : throw new FormatException())
                : type.IsEnum ? Enum.Parse(type, configured, ignoreCase: true)
                : type == typeof(decimal) ? (Commands.SharedOptions.TryParseNumber(configured, out var number) ? number : throw new FormatException())
                : type == typeof(double) ? (Commands.SharedOptions.TryParseSeconds(configured, out var seconds) ? seconds : throw new FormatException())
                : Convert.ChangeType(configured, type, System.Globalization.CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            value = configured;
            return false;
        }
    }

    /// <summary>
    /// For a top-level setting another command reads differently (<c>"cur"</c>: reconcile's file, generate's switch):
    /// where to put it so that only the command it is meant for reads it. Only when the value suits that command's
    /// option: a value wrong for every command ('six' hours) is not helped by moving it.
    /// </summary>
    private static string SectionHint(string key, string scope, string configured, Type type)
    {
        var catalog = ConnectReconcileCli.Settings;
        var others = catalog.ScopesWith(key).Where(c => c != scope && catalog.TypeOf(c, key) is { } other && other != type && TryConvert(configured, other, out _)).ToList();
        if (others.Count == 0)
        {
            return "";
        }

        var sections = others[0].Split(':');
        var json = sections.Reverse().Aggregate($"\"{key}\": …", (inner, section) => $"\"{section}\": {{ {inner} }}");
        return $" A top-level setting applies to every command with --{key}; one meant for {string.Join(" or ", others.Select(o => o.Replace(':', ' ')))} " +
            $"goes in that command's section: {{ {json} }} (CONNECT_RECONCILE_{string.Join("__", sections.Select(x => x.Replace('-', '_').ToUpperInvariant()))}__{key.Replace('-', '_').ToUpperInvariant()}).";
    }

    /// <summary>
    /// A switch only the command line turns on (<c>--unmask</c>: personal numbers in full). The same setting in
    /// the environment or appsettings.json is ignored, with a warning for each place it is found: one left in a
    /// shared appsettings.json or a container's environment would otherwise unmask every run, unseen.
    /// </summary>
    public bool CommandLineOnly(ParseResult parse, Option<bool> option, string ignored)
    {
        if (parse.GetResult(option) is { Implicit: false })
        {
            return parse.GetValue(option);
        }

        var name = option.Name.TrimStart('-');
        var places = new List<string>();
        foreach (var (provider, key) in Lookups(name, SettingCatalog.ScopeOf(parse)))
        {
            if (provider.TryGet(key, out var value) && !string.IsNullOrEmpty(value))
            {
                var place = Place(provider, key);
                if (!places.Contains(place))
                {
                    places.Add(place);
                }
            }
        }

        foreach (var place in places)
        {
            Logger.LogWarning("{Setting} is ignored: {Option} counts only on the command line; {Ignored}", place, option.Name, ignored);
        }

        return false;
    }

    /// <summary>A repeatable option's values: the flags given, else the setting (a list in appsettings.json, or one value), else none.</summary>
    public IReadOnlyList<string> GetAll(ParseResult parse, Option<string[]> option) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) ?? []
        : Settings(option.Name.TrimStart('-'), SettingCatalog.ScopeOf(parse)) ?? parse.GetValue(option) ?? [];

    /// <summary>A required option's value, resolved like <see cref="Get{T}"/>; missing everywhere is a usage error.</summary>
    public T Required<T>(ParseResult parse, Option<T?> option, string why = "")
        where T : class =>
        Get(parse, option) ?? throw new UsageException($"{option.Name} is required{why}.");

    /// <summary>What a value of an option's type looks like, in words (null for a type without a description).</summary>
    internal static string? Expected(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(DateOnly) => "a date (YYYY-MM-DD)",
            var t when t == typeof(int) => "a whole number up to 2147483647",
            var t when t == typeof(long) => "a whole number",
            var t when t == typeof(decimal) || t == typeof(double) => "a number (digits, with a decimal point: 1.5)",
            var t when t == typeof(bool) => "true or false",
            _ => null,
        };

    public void Dispose() => _loggers.Dispose();
}
