#!/usr/bin/env bash
# The test command (npm test): set up what is missing, type-check, run every jest suite. Suites whose
# prerequisite (addon, Python reference, CUDA, shared data) is absent are skipped with a printed reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json
npx jest "$@"
