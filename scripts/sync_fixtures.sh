#!/usr/bin/env bash
# Refresh tests/fixtures/shared from the workplace's shared/fixtures (the source of truth; never edit the copy).
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-../shared/fixtures}"
[ -d "$src" ] || { echo "no fixtures folder at $src"; exit 1; }
rm -rf tests/fixtures/shared
mkdir -p tests/fixtures/shared
cp -r "$src"/. tests/fixtures/shared/
chmod -R u+w tests/fixtures/shared
echo "copied $(find tests/fixtures/shared -type f | wc -l) files from $src"
