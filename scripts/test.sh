#!/usr/bin/env bash
# THE test command (README): installs what is missing, then for each preset
# configures, builds and runs CTest, stopping at the first target that
# fails; then the browser tests (npm test) once they exist. Ends with a
# per-target summary and the line "N passed, M failed" (CTest tests summed
# over all targets; a target whose configure or build fails counts as one
# failed test, since its tests never ran).
#
#   scripts/test.sh                 all presets
#   scripts/test.sh native wasm     a subset, in the order given
#
# Logs: build/logs/<preset>.log. Parallelism: TM2_JOBS (default 2).
set -uo pipefail
cd "$(dirname "$0")/.."

ALL_PRESETS=(native native-asan pi wasm mcu)
JOBS="${TM2_JOBS:-2}"
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=("${ALL_PRESETS[@]}")
for p in "${presets[@]}"; do
  case " ${ALL_PRESETS[*]} " in
    *" $p "*) ;;
    *) echo "test: unknown preset '$p' (choose from: ${ALL_PRESETS[*]})" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh || { echo "test: scripts/setup.sh failed" >&2; exit 1; }

# emcc links run node scripts that need Debian's acorn (docs/targets.md).
export NODE_PATH=/usr/share/nodejs
export CLICOLOR_FORCE=0 CTEST_OUTPUT_ON_FAILURE=1
mkdir -p build/logs

total_start=$(date +%s)
passed=0
failed=0
status=0
summary=()

# run_preset <preset>: sets step, tests_passed, tests_failed; output in log.
run_preset() {
  local p=$1 log=build/logs/$1.log
  tests_passed=0
  tests_failed=0
  : >"$log"
  step=configure
  cmake --preset "$p" >>"$log" 2>&1 || return 1
  step=build
  cmake --build --preset "$p" -j "$JOBS" >>"$log" 2>&1 || return 1
  step=test
  local out rc
  out=$(ctest --preset "$p" 2>&1)
  rc=$?
  echo "$out" >>"$log"
  # "100% tests passed, 0 tests failed out of 7"
  local line
  line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' | tail -1)
  if [ -n "$line" ]; then
    local total
    tests_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/')
    total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
    tests_passed=$((total - tests_failed))
  fi
  echo "$out" | grep -E '^ *[0-9]+/[0-9]+ Test|tests passed' | sed 's/^/    /'
  [ $rc -eq 0 ]
}

for i in "${!presets[@]}"; do
  p=${presets[$i]}
  if [ $status -ne 0 ]; then
    summary+=("$(printf '%-12s skipped' "$p")")
    continue
  fi
  echo "== $p"
  start=$(date +%s)
  if run_preset "$p"; then
    result="ok"
  else
    result="FAILED at $step"
    status=1
    [ "$step" != test ] && tests_failed=1
    if [ "$step" = test ]; then
      # The failing tests and their first error lines; the rest is in the log.
      grep -E '\*\*\*(Failed|Timeout|Exception)|FAILED:|: FAIL|ERROR: [A-Za-z]+Sanitizer|SUMMARY: |runtime error|firmware crashed' \
        "build/logs/$p.log" | head -n 30 | sed 's/^/    /'
    else
      tail -n 40 "build/logs/$p.log"
    fi
    echo "    (full output: build/logs/$p.log)"
  fi
  secs=$(($(date +%s) - start))
  passed=$((passed + tests_passed))
  failed=$((failed + tests_failed))
  line=$(printf '%-12s %-18s %3d passed %3d failed %4ds' "$p" "$result" "$tests_passed" "$tests_failed" "$secs")
  if [ "$p" = mcu ] && [ "$result" = ok ]; then
    # Firmware sizes written by tm2_add_firmware (cmake/Firmware.cmake).
    while read -r f; do
      line+=$(printf '\n%-12s   %s: %s' "" "$(basename "$f" .elf.size)" \
        "$(awk 'NR == 2 {printf "text %d, data %d, bss %d bytes", $1, $2, $3}' "$f")")
    done < <(find build/mcu -name '*.elf.size' | sort)
  fi
  summary+=("$line")
  echo "   $result (${secs}s)"
done

# Browser tests run through npm once web/ exists. Until then package.json's
# "test" script is a placeholder that says so, and nothing is run here.
if [ -f package.json ]; then
  test_script=$(node -p 'require("./package.json").scripts?.test ?? ""' 2>/dev/null || true)
  if [ -z "$test_script" ] || [[ "$test_script" == *"no browser tests yet"* ]]; then
    summary+=("$(printf '%-12s none yet (package.json "test" is a placeholder)' browser)")
  elif [ $status -ne 0 ]; then
    summary+=("$(printf '%-12s skipped' browser)")
  else
    echo "== browser (npm test)"
    start=$(date +%s)
    if npm test; then result=ok; else result=FAILED; status=1; failed=$((failed + 1)); fi
    summary+=("$(printf '%-12s %-18s %30ds' browser "$result" $(($(date +%s) - start)))")
  fi
fi

echo
echo "== summary ($(($(date +%s) - total_start))s)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
exit $status
