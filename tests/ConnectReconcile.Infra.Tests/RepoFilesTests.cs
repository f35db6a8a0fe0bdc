using System.Text.Json.Nodes;

namespace ConnectReconcile.Infra.Tests;

/// <summary>The files around the CDK app: cdk.json, the Dockerfile (cannot be built here, so its
/// shape is checked), the pinned CLI and the synth script CI calls.</summary>
public sealed class RepoFilesTests
{
    private static string Read(string relative) => File.ReadAllText(Path.Combine(RepoRoot.Path, relative));

    [Fact]
    public void Cdk_json_runs_the_infra_project_offline()
    {
        var cdk = JsonNode.Parse(Read("cdk.json"))!;
        Assert.Equal("dotnet run --project infra/ConnectReconcile.Infra", (string?)cdk["app"]);
        Assert.False((bool)cdk["notices"]!);
        Assert.False((bool)cdk["context"]!["cli-telemetry"]!);
    }

    [Fact]
    public void Dockerfile_is_multi_stage_non_root_with_the_cli_entrypoint()
    {
        var dockerfile = Read("Dockerfile");
        var lines = dockerfile.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build", froms[0], StringComparison.Ordinal);
        Assert.Contains("mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION} AS runtime", froms[1], StringComparison.Ordinal);
        Assert.Contains("ARG DOTNET_VERSION=10.0", lines);
        Assert.Contains(lines, l => l.Contains("dotnet publish src/ConnectReconcile.Cli/ConnectReconcile.Cli.csproj", StringComparison.Ordinal));
        Assert.Contains("COPY --from=build /app ./", lines);

        // After the last FROM: a non-root USER before the ENTRYPOINT, entrypoint on PATH.
        var runtime = lines.SkipWhile(l => l != froms[1]).ToList();
        var user = runtime.FindIndex(l => l.StartsWith("USER ", StringComparison.Ordinal));
        var entry = runtime.FindIndex(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        Assert.True(user > 0 && entry > user);
        Assert.DoesNotContain(runtime[user], new[] { "USER root", "USER 0" });
        Assert.Equal("ENTRYPOINT [\"connect-reconcile\"]", runtime[entry]);
        Assert.Contains(runtime, l => l.Contains("/usr/local/bin/connect-reconcile", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerfile_copies_everything_the_cli_build_needs_and_dockerignore_lets_it_through()
    {
        var dockerfile = Read("Dockerfile");
        var ignore = Read(".dockerignore").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal("*", ignore[0]);
        foreach (var needed in new[] { "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            Assert.Contains(needed, dockerfile, StringComparison.Ordinal);
            Assert.Contains("!" + needed, ignore);
        }

        Assert.Contains("!src/", ignore);
        Assert.Contains("**/bin", ignore);
        Assert.Contains("**/obj", ignore);
        // Every project the CLI references lives under src/, which the image copies.
        var cli = Read("src/ConnectReconcile.Cli/ConnectReconcile.Cli.csproj");
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(cli, "ProjectReference Include=\"([^\"]+)\""))
        {
            var full = Path.GetFullPath(Path.Combine(RepoRoot.Path, "src/ConnectReconcile.Cli", m.Groups[1].Value.Replace('\\', '/')));
            Assert.StartsWith(Path.Combine(RepoRoot.Path, "src") + Path.DirectorySeparatorChar, full, StringComparison.Ordinal);
        }

        Assert.Contains("<AssemblyName>connect-reconcile</AssemblyName>", cli, StringComparison.Ordinal);
    }

    [Fact]
    public void Cdk_cli_is_pinned_and_locked()
    {
        var package = JsonNode.Parse(Read("infra/package.json"))!;
        var version = (string)package["devDependencies"]!["aws-cdk"]!;
        Assert.Matches(@"^2\.\d+\.\d+$", version);
        var lockFile = JsonNode.Parse(Read("infra/package-lock.json"))!;
        Assert.Equal(version, (string?)lockFile["packages"]!["node_modules/aws-cdk"]!["version"]);
    }

    [Fact]
    public void Synth_script_is_offline_and_fails_loudly()
    {
        var script = Read("infra/synth.sh");
        Assert.StartsWith("#!/usr/bin/env bash", script, StringComparison.Ordinal);
        foreach (var needed in new[]
                 {
                     "set -euo pipefail", "npm ci", "CDK_DISABLE_CLI_TELEMETRY=true", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
                     "CDK_HOME=", "TMPDIR=", "--no-notices", "synth",
                 })
        {
            Assert.Contains(needed, script, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readme_has_deploy_commands_a_diagram_and_the_IAM_summary()
    {
        var readme = Read("infra/README.md");
        foreach (var needed in new[] { "## Deploy", "cdk bootstrap", "cdk deploy", "-c ctrSource=", "-c curSource=", "## What is deployed", "## IAM" })
        {
            Assert.Contains(needed, readme, StringComparison.Ordinal);
        }
    }
}
