#!/usr/bin/env bash
# Regenerate the simulated part of the fixture corpus (fixtures/hyperv/*.json and
# *.expected.json) by recording every case against the simulated host, or check that
# regeneration reproduces the committed files.
#
#   scripts/regen-fixtures.sh          rewrite fixtures/hyperv/ (then review `git diff`)
#   scripts/regen-fixtures.sh --check  regenerate into a temporary directory and compare,
#                                      masking MessageIDs, datetimes, intervals, uptimes and
#                                      elapsed times (this also runs in `cargo test`)
#
# The cases (scenario file, arguments, docs) are fixtures/hyperv/cases.toml;
# the simulated hosts are fixtures/hyperv/scenarios/*.toml. No network: the simulator listens
# on an ephemeral loopback port, the client is the real binary over HTTP + NTLM + sealing.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  --check)
    cargo test --test fixtures_corpus -- --exact regeneration_reproduces_committed_fixtures ;;
  "")
    HVREMOTE_REGEN_FIXTURES=1 cargo test --test fixtures_corpus -- --exact \
      regeneration_reproduces_committed_fixtures
    cargo test --test fixtures_corpus
    git status --short fixtures/hyperv ;;
  *)
    echo "usage: scripts/regen-fixtures.sh [--check]" >&2; exit 2 ;;
esac
