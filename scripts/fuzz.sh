#!/usr/bin/env bash
# Run every cargo-fuzz target in fuzz/ for a time budget and print executions per target.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Installs cargo-fuzz if missing. Needs libFuzzer's nightly flags: on a stable toolchain
# RUSTC_BOOTSTRAP=1 is set for the fuzz build only. Corpora start from fuzz/seeds/<target>
# and the XML files in fixtures/; a crash fails the script and leaves the input in
# fuzz/artifacts/<target>/ (turn it into a regression test next to the code it broke).
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET="${1:-60}"
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  mapfile -t TARGETS < <(cd fuzz && cargo fuzz list)
fi

# XML-shaped targets are seeded from the recorded/composed fixtures as well.
xml_target() {
  case "$1" in soap_envelope|wsman_response|cim_instance|sim_request|embedded_instance|xml_namespaces) return 0;; esac
  return 1
}

echo "== building ${#TARGETS[@]} fuzz targets"
(cd fuzz && cargo fuzz build -O)

SUMMARY=()
FAILED=0
for t in "${TARGETS[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  if [ -d "fuzz/seeds/$t" ]; then cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true; fi
  if xml_target "$t"; then cp -n fixtures/xml/*.xml "$corpus"/ 2>/dev/null || true; fi
  log="$(mktemp)"
  echo "== fuzzing $t for ${BUDGET}s"
  if (cd fuzz && cargo fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$BUDGET" -print_final_stats=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048) >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
    FAILED=1
    tail -40 "$log"
  fi
  execs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)"
  SUMMARY+=("$(printf '%-22s %-6s %12s executions' "$t" "$status" "${execs:-?}")")
  rm -f "$log"
done

echo "== fuzz summary (${BUDGET}s per target)"
printf '%s\n' "${SUMMARY[@]}"
exit "$FAILED"
