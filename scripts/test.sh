#!/usr/bin/env bash
# The test command: installs missing system libraries, then runs every test suite.
# Tests that need the shared corpora (../shared/data or $TEXTCLF_SHARED_DATA) skip
# with a message when they are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
