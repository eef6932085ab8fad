#!/usr/bin/env bash
# The test command: installs missing system libraries, fetches the small Reuters ARFF
# corpora from Debian's weka package (see corpora/), then runs every test suite.
# Tests that need the shared corpora (../shared/data or $TEXTCLF_SHARED_DATA) skip
# with a message when they are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash corpora/fetch-reuters.sh || echo "textclf: could not fetch the Reuters corpora; their tests will be skipped" >&2
swift build --build-tests
swift test --skip-build "$@"
