using System.CommandLine;
using ConnectReconcile.Cli;

return await ConnectReconcileCli.RunAsync(args, () => new CliEnvironment());
