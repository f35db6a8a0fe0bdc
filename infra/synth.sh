#!/usr/bin/env bash
# Synthesize the ConnectReconcile CDK app offline: installs the pinned CDK CLI (infra/package.json)
# with `npm ci` only when it is missing, then runs `cdk synth` from the repository root (cdk.json
# there runs infra/ConnectReconcile.Infra). No notices, no CLI telemetry, scratch CDK_HOME and
# TMPDIR (removed afterwards). Exits non-zero when anything fails.
#
#   infra/synth.sh                              # no context: placeholder buckets, still a valid template
#   infra/synth.sh -c ctrSource=s3://b/ctr/ -c curSource=s3://c/cur/export/
#   CDK_OUTDIR=/tmp/out infra/synth.sh          # where the cloud assembly goes (default: ./cdk.out)
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$INFRA/.." && pwd)"
OUTDIR="${CDK_OUTDIR:-$ROOT/cdk.out}"
START=$SECONDS

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/connect-reconcile-synth.XXXXXX")"
cleanup() { rm -rf "$SCRATCH"; }
trap cleanup EXIT
mkdir -p "$SCRATCH/home" "$SCRATCH/tmp"

export CDK_HOME="$SCRATCH/home"
export TMPDIR="$SCRATCH/tmp"
export CDK_DISABLE_CLI_TELEMETRY=true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export npm_config_cache="$SCRATCH/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
unset CDK_OUTDIR

if [[ ! -x "$INFRA/node_modules/.bin/cdk" ]]; then
  echo "synth.sh: installing the pinned CDK CLI (npm ci in infra/)" >&2
  (cd "$INFRA" && npm ci --loglevel=error)
fi
CDK_VERSION="$("$INFRA/node_modules/.bin/cdk" --version)"
echo "synth.sh: CDK CLI $CDK_VERSION" >&2

# Compile first so that build errors are reported plainly (the app command then only runs it).
dotnet build "$INFRA/ConnectReconcile.Infra/ConnectReconcile.Infra.csproj" -nologo -v q -clp:NoSummary

cd "$ROOT"
# npx --prefix resolves `cdk` from infra/node_modules only (--no-install: never from a registry).
npx --prefix "$INFRA" --no-install -- cdk synth \
  --no-notices --quiet --output "$OUTDIR" "$@"

TEMPLATES=("$OUTDIR"/*.template.json)
[[ -s "${TEMPLATES[0]}" ]] || { echo "synth.sh: no template in $OUTDIR" >&2; exit 1; }
echo "synth.sh: wrote ${TEMPLATES[*]} in $((SECONDS - START)) s" >&2
