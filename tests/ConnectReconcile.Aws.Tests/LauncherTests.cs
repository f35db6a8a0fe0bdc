using System.Diagnostics;
using System.Text.Json;
using ConnectReconcile.TestServices;

namespace ConnectReconcile.Aws.Tests;

/// <summary>The launcher must never outlive the test run that started it.</summary>
[Collection(AwsServicesCollection.Name)] // the fixture has already made sure node_modules exists
public class LauncherTests
{
    [Fact]
    public async Task The_launcher_exits_and_cleans_up_when_its_stdin_closes()
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = AwsServicesFixture.FindServicesFolder(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--openssl-legacy-provider");
        start.ArgumentList.Add("start.js");
        using var process = Process.Start(start)!;
        try
        {
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var line = await process.StandardOutput.ReadLineAsync(ready.Token);
            using var ports = JsonDocument.Parse(line!);
            var s3Dir = ports.RootElement.GetProperty("s3Dir").GetString()!;
            Assert.True(Directory.Exists(s3Dir));
            Assert.True(ports.RootElement.GetProperty("kinesis").GetInt32() > 0);

            process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await process.WaitForExitAsync(exit.Token);

            Assert.Equal(0, process.ExitCode);
            Assert.False(Directory.Exists(s3Dir));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
