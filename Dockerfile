# syntax=docker/dockerfile:1
# ConnectReconcile CLI image: `connect-reconcile` as the entrypoint, run as a non-root user.
# Built by `cdk deploy` (a CDK Docker image asset, build context = repository root) or by hand:
#   docker build -t connect-reconcile .
#   docker run --rm connect-reconcile --help
# Multi-arch: the SDK stage runs on the build machine's platform and cross-publishes for the
# target platform (linux/amd64 or linux/arm64), so no emulation is needed.

ARG DOTNET_VERSION=10.0

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG TARGETARCH
WORKDIR /source

# Repository-wide build settings first (central package versions, analyzers, warnings as errors).
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/

# The NuGet cache mount keeps package downloads across builds without baking them into a layer.
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet restore src/ConnectReconcile.Cli/ConnectReconcile.Cli.csproj -a "$TARGETARCH"

RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/ConnectReconcile.Cli/ConnectReconcile.Cli.csproj \
        --no-restore -c Release -a "$TARGETARCH" --self-contained false \
        -o /app

FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION} AS runtime
WORKDIR /app
COPY --from=build /app ./
# On PATH as `connect-reconcile` (the nightly task's shell wrapper calls it by name).
RUN ln -s /app/connect-reconcile /usr/local/bin/connect-reconcile
# The GC mode comes from the app's runtimeconfig (Server GC with dynamic adaptation); a larger gen0
# budget through DOTNET_GCgen0size made Server GC slower (measured, docs/benchmarks.md).
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
# Non-root: the `app` user (UID $APP_UID = 1654) that the .NET images define.
USER $APP_UID
ENTRYPOINT ["connect-reconcile"]
CMD ["--help"]
