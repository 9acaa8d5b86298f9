#!/usr/bin/env bash
# Start every service the test suite needs on a fresh CI machine. Idempotent: safe to run again on a dev machine.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "no extra services needed yet"
