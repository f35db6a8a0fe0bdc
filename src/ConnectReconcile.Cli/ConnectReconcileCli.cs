using System.Globalization;
using System.Runtime.InteropServices;
using System.CommandLine;
using System.Text.RegularExpressions;
using ConnectReconcile.Cli.Commands;

namespace ConnectReconcile.Cli;

/// <summary>The <c>connect-reconcile</c> command tree. Exit codes: 0 ok, 1 failure, 2 usage, 3 variance beyond tolerance.</summary>
public static partial class ConnectReconcileCli
{
    public static RootCommand Build(Func<CliEnvironment> env)
    {
        var root = new RootCommand(
            "ConnectReconcile: what Amazon Connect should have billed, call by call, and whether the invoice is right.\n" +
            "Exit codes: 0 ok, 1 failure, 2 usage error, 3 reconciliation variance beyond tolerance.")
        {
            ReplayCommand.Replay(env),
            ReplayCommand.Nightly(env),
            ExplainCommand.Create(env),
            AuditExportCommand.Create(env),
            GenerateCommand.Create(env),
            ReconcileCommand.Create(env),
            RateCardCommand.Create(env),
            EstimateCommand.Create(env),
            WhatIfCommand.Create(env),
            StreamCommand.Create(env),
            LoadCommand.Create(env),
        };
        return root;
    }

    /// <summary>What appsettings.json and CONNECT_RECONCILE_ variables can carry: every command's long option names (also per command), and S3 encryption's.</summary>
    internal static SettingCatalog Settings => s_settings.Value;

    private static readonly Lazy<SettingCatalog> s_settings = new(() =>
        SettingCatalog.Of(Build(static () => throw new InvalidOperationException("The tree is only walked, not run.")), S3Stores.SettingNames));

    /// <param name="stop">Stands for a stop signal (Ctrl-C, SIGTERM): tests stop a run in-process at a chosen point with it.</param>
    public static async Task<int> RunAsync(string[] args, Func<CliEnvironment> env, CancellationToken stop = default)
    {
        // Partition names, files and text are the same on every machine. The build's invariant globalization
        // is undone by DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=0 (some container images set it): a Thai locale
        // then named partitions dt=2569-10-14, an Arabic one dt=1448-04-22, and reconcile found no month.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        // A signal before the invocation takes Ctrl-C / SIGTERM (while the command tree is built and parsed: a
        // second or more on a busy machine) would end the process at once, exit 143: the stream worker a
        // scheduler stops as it starts did. Held here, it reaches the command as a cancelled token.
        using var early = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task<int> invocation;
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, Hold))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, Hold))
        {
            var parse = Build(env).Parse(args);
            if (parse.Errors.Count > 0)
            {
                using var errors = env();
                foreach (var error in parse.Errors)
                {
                    await errors.UsageErrorAsync(Readable(error.Message));
                }

                await errors.Error.WriteLineAsync("See --help.");
                return ExitCodes.Usage;
            }

            // Ctrl-C / SIGTERM cancel the action's token (a run then publishes nothing and cleans its staging);
            // if the action has not returned 30 s later, the process ends anyway. The invocation takes the
            // signals before its first await, so the early hold ends once it has begun.
            invocation = parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) }, early.Token);
        }

        return await invocation;

        void Hold(PosixSignalContext context)
        {
            context.Cancel = true;
            early.Cancel();
        }
    }

    /// <summary>System.CommandLine names the .NET type a value failed to parse as; a user wants to know what to type.</summary>
    internal static string Readable(string message)
    {
        var m = UnparsableValue().Match(message);
        if (!m.Success)
        {
            return message;
        }

        var expected = Type.GetType(m.Groups["type"].Value) is { } type ? CliEnvironment.Expected(type) : null;
        return expected is null ? message : $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {expected}.";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.$", RegexOptions.Singleline)]
    private static partial Regex UnparsableValue();
}
