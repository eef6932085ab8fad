#!/usr/bin/env bash
# Regenerates Sources/textclf/Pipeline/CommandArgumentsTable.swift, the arguments that
# `train`, `cv` and `search` declare, from ArgumentParser's description of each command.
# Run it after changing those commands' options; CommandArgumentsTableTests fails until then.
# If the table no longer compiles (a command renamed), set its value to `[:]` first.
set -euo pipefail
cd "$(dirname "$0")/.."
TEXTCLF_WRITE_COMMAND_ARGUMENTS=1 swift test --filter CommandArgumentsTableTests/tableMatchesArgumentParser
