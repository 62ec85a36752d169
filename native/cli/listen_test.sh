#!/usr/bin/env bash
# `tinym2 listen` end to end: windows from a WAV file, the same windows
# from raw s16le on stdin, and clear errors for bad input.
#   listen_test.sh SOURCE_DIR [EMULATOR ...] TINYM2
set -uo pipefail
src=$1
shift
run=("$@")  # the emulator (qemu-aarch64 on the pi preset), then the binary
gate="$src/models/sound-gate.tm2"
clip="$src/tests/fixtures/audio/coswara_counting_16k.wav"
err_file=$(mktemp)
trap 'rm -f "$err_file"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("${run[@]}" listen "$gate" "$clip" 2>"$err_file") || fail "listen on a WAV file exited $?"
echo "$out"
[ "$(echo "$out" | wc -l)" -eq 3 ] || fail "expected 3 windows of 2.064 s every 1.024 s in 5 s"
echo "$out" | head -1 | grep -q '^{"window": 0, "start": 0.000, "end": 2.064, "top": "[a-z]*", "probability": [01]\.[0-9]\{4\}}$' ||
  fail "first line is not the expected JSON"
echo "$out" | tail -1 | grep -q '"window": 2, "start": 2.048, "end": 4.112' || fail "third window's times"
grep -q '^# 3 windows (hop 64 frames' "$err_file" || fail "no summary on stderr"

# The same samples as raw PCM on stdin (the data chunk starts at byte 44).
raw=$(tail -c +45 "$clip" | "${run[@]}" listen --rate 16000 --channels 1 "$gate" - 2>/dev/null) ||
  fail "listen on stdin exited $?"
[ "$raw" = "$out" ] || fail "stdin gave other windows than the file"

expect_error() {  # expect_error STATUS TEXT ARGS...
  local want=$1 text=$2
  shift 2
  local err
  err=$("${run[@]}" listen "$@" 2>&1 </dev/null >/dev/null)
  local got=$?
  [ $got -eq "$want" ] || fail "listen $* exited $got, expected $want"
  echo "$err" | grep -q -- "$text" || fail "listen $*: no '$text' in: $err"
}
expect_error 2 "8000..48000" --rate 4000 "$gate" -
expect_error 2 "describe raw PCM on stdin" --rate 16000 "$gate" "$clip"
expect_error 2 "unknown option --frobnicate" --frobnicate "$gate" -
expect_error 2 "give a model and one audio file" "$gate"
expect_error 1 "cannot open" "$gate" "$src/no/such.wav"
expect_error 1 "3 branches" "$src/tests/fixtures/models/parity_multibranch.tm2" "$clip"
expect_error 1 "use a multiple of 5 frames" --rate 44100 --hop 7 "$gate" -
"${run[@]}" listen --help | grep -q "usage: tinym2 listen" || fail "--help"
echo "listen_test: $failures failures"
[ $failures -eq 0 ]
