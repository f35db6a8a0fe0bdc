using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Logging;
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

    /// <param name="logs">An extra log sink (tests read the log lines through it).</param>
    /// <param name="settingsDirectory">Where appsettings.json is looked for (default: the working directory).</param>
    /// <param name="clock">The time now, for warnings and defaults only: no output depends on it (default: the system clock).</param>
    public CliEnvironment(TextWriter? stdout = null, TextWriter? stderr = null, ILoggerProvider? logs = null, string? settingsDirectory = null, TimeProvider? clock = null)
    {
        Out = stdout ?? Console.Out;
        Error = stderr ?? Console.Error;
        Clock = clock ?? TimeProvider.System;
        var directory = settingsDirectory ?? Directory.GetCurrentDirectory();
        try
        {
            _settings = new ConfigurationBuilder()
                .SetBasePath(directory)
                .AddJsonFile(SettingsFile, optional: true)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .Build();
        }
        catch (InvalidDataException e)
        {
            // Reported by CheckSettings as a usage error, inside the command's error handling.
            _settingsFileError = $"{Path.Combine(directory, SettingsFile)} is not valid: {e.InnerException?.InnerException?.Message ?? e.InnerException?.Message ?? e.Message}";
            _settings = new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build();
        }
        IsTerminal = stderr is null && !Console.IsErrorRedirected;
        _loggers = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Information);
            if (IsTerminal)
            {
                builder.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
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
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public IConfiguration Configuration => _settings;

    public TimeProvider Clock { get; }

    public bool IsTerminal { get; }

    public ILogger Logger { get; }

    public IAnsiConsole ErrorConsole { get; }

    public IAnsiConsole OutConsole { get; }

    /// <summary>Logs a warning for the operator (a job's <c>Warn</c> callback).</summary>
    public void Warn(string message) => Logger.LogWarning("{Warning}", message);

    /// <summary>
    /// Stops on an appsettings.json that does not parse (usage error), and warns about each setting in it
    /// or in a CONNECT_RECONCILE_ variable that no command reads: a misspelt "agent" would otherwise
    /// rate the month without the agent directory, silently.
    /// </summary>
    /// <param name="known">Every setting name, as the options' long names (<c>rate-card</c>).</param>
    public void CheckSettings(IReadOnlySet<string> known)
    {
        if (_settingsFileError is not null)
        {
            throw new UsageException(_settingsFileError);
        }

        foreach (var provider in _settings.Providers)
        {
            foreach (var key in provider.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var where = provider is JsonConfigurationProvider ? $"{SettingsFile}: \"{key}\"" : EnvironmentPrefix + key;
                if (!known.Contains(key.Replace('_', '-').ToLowerInvariant()))
                {
                    Logger.LogWarning("{Setting} is not a setting and is ignored (settings are the options' long names: \"rate-card\" in appsettings.json, CONNECT_RECONCILE_RATE_CARD in the environment)", where);
                }
                else if (!provider.TryGet(key, out _))
                {
                    // An object or array: the setting would read as unset, so the user's value would be ignored silently.
                    throw new UsageException($"{where} must be a single value, not an object or array.");
                }
            }
        }
    }

    /// <summary>How the command reaches s3:// locations: the endpoint flag's value (or setting) and the encryption settings.</summary>
    public S3Access S3(ParseResult parse, Option<string?> endpoint) =>
        new(Get(parse, endpoint), Setting(S3Stores.SseSetting), Setting(S3Stores.KmsKeyIdSetting));

    /// <summary>A setting by its long name (<c>rate-card</c>): CONNECT_RECONCILE_RATE_CARD, else appsettings.json's "rate-card" (or "RATE_CARD").</summary>
    public string? Setting(string name) => Configuration[name.Replace('-', '_').ToUpperInvariant()] ?? Configuration[name];

    /// <summary>The flag's value, else CONNECT_RECONCILE_NAME, else appsettings.json's "name" (or "Name_With_Underscores").</summary>
    public T? Get<T>(ParseResult parse, Option<T> option)
    {
        if (parse.GetResult(option) is { Implicit: false })
        {
            return parse.GetValue(option);
        }

        var key = option.Name.TrimStart('-');
        var configured = Setting(key);
        if (configured is null)
        {
            return parse.GetValue(option);
        }

        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        try
        {
            return (T)(type == typeof(string) ? configured
                : type == typeof(DateOnly) ? (Commands.SharedOptions.TryParseDay(configured, out var day) ? day : throw new FormatException())
                : type.IsEnum ? Enum.Parse(type, configured, ignoreCase: true)
                : Convert.ChangeType(configured, type, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new UsageException($"Setting '{key}' from the environment or appsettings.json is not {Expected(type) ?? "a valid " + type.Name}: '{configured}'.");
        }
    }

    /// <summary>What a value of an option's type looks like, in words (null for a type without a description).</summary>
    internal static string? Expected(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(DateOnly) => "a date (YYYY-MM-DD)",
            var t when t == typeof(int) => "a whole number up to 2147483647",
            var t when t == typeof(long) => "a whole number",
            var t when t == typeof(decimal) || t == typeof(double) => "a number",
            var t when t == typeof(bool) => "true or false",
            _ => null,
        };

    public void Dispose() => _loggers.Dispose();
}
