#!/usr/bin/env bash
# Validates the AsyncAPI document with the AsyncAPI project's own parser,
# installed from tools/asyncapi/package-lock.json (`npm ci` there; .ci/run
# does it). usage: tests/validate_asyncapi.sh [contracts/schema/asyncapi.yaml]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
doc="${1:-$root/contracts/schema/asyncapi.yaml}"
if [ ! -d "$root/tools/asyncapi/node_modules/@asyncapi/parser" ]; then
  echo "validate_asyncapi: @asyncapi/parser is not installed; run: npm ci --ignore-scripts --prefix tools/asyncapi" >&2
  exit 2
fi
exec node "$root/tools/asyncapi/validate.mjs" "$doc"
