#!/usr/bin/env bash
# `tinym2 listen` end to end: events (with the shipped models found by
# default) from WAV files, the same from raw s16le on stdin, a clean stop
# on SIGINT that prints the event held, the per-window output with the
# tail at the end, a recording shorter than one window classified as `tinym2
# run` classifies it (without an event, stderr says why), and clear errors
# for bad input.
#   listen_test.sh SOURCE_DIR [EMULATOR ...] TINYM2
set -uo pipefail
src=$1
shift
run=("$@")  # the emulator (qemu-aarch64 on the pi preset), then the binary
gate="$src/models/sound-gate.tm2"
audio="$src/tests/fixtures/audio"
clip="$audio/coswara_counting_16k.wav"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
event_re='^{"type": "[a-z]*", "time": [0-9]*\.[0-9]\{3\}, "duration": [0-9]*\.[0-9]\{3\}, "confidence": [01]\.[0-9]\{4\}, "screening": \(null\|[01]\.[0-9]\{4\}\)}$'

# Events: each coswara clip is one event of its own type; only the cough
# is screened.
for kind in cough counting breathing; do
  out=$("${run[@]}" listen "$audio/coswara_${kind}_16k.wav" 2>"$dir/err") || fail "listen $kind exited $?"
  echo "$out"
  events=$(grep '"type"' <<<"$out")
  [ "$(wc -l <<<"$events")" -eq 1 ] || fail "$kind: expected one event"
  grep -q "$event_re" <<<"$events" || fail "$kind: event is not the expected JSON"
  grep -q "\"type\": \"$kind\"" <<<"$events" || fail "$kind: wrong type"
  if [ $kind = cough ]; then
    grep -q '"screening": [01]\.' <<<"$events" || fail "the cough is not screened"
  else
    grep -q '"screening": null' <<<"$events" || fail "$kind is screened"
  fi
  tail -1 <<<"$out" | grep -q "^{\"summary\": \"total\", \"from\": 0.000, \"to\": 5.000, .*\"$kind\": 1\b" ||
    fail "$kind: no total summary counting it"
  grep -q '^# 1 events from 7 gate windows (hop 0.512 s, the last a padded tail)' "$dir/err" ||
    fail "$kind: no stderr line (6 whole windows and the tail)"
done

# Periodic summaries every 2 s of audio, then the rest and the total.
out=$("${run[@]}" listen --summary 2 "$audio/coswara_cough_16k.wav" 2>/dev/null)
[ "$(grep -c '"summary": "period"' <<<"$out")" -eq 3 ] || fail "expected 3 period summaries"
grep -q '"from": 2.000, "to": 4.000' <<<"$out" || fail "second period's times"

# The same samples as raw PCM on stdin (the data chunk starts at byte 44).
file_out=$("${run[@]}" listen "$audio/coswara_cough_16k.wav" 2>/dev/null)
raw=$(tail -c +45 "$audio/coswara_cough_16k.wav" | "${run[@]}" listen --rate 16000 --channels 1 - 2>/dev/null) ||
  fail "listen on stdin exited $?"
[ "$raw" = "$file_out" ] || fail "stdin gave other events than the file"

# SIGINT while the input stalls after a cough: the event held is printed.
# The writer keeps the FIFO open, so stdin neither ends nor gives more.
tail -c +45 "$audio/coswara_cough_16k.wav" >"$dir/cough.raw"
mkfifo "$dir/fifo"
"${run[@]}" listen - <"$dir/fifo" >"$dir/out" 2>"$dir/err" &
pid=$!
exec 3>"$dir/fifo"
cat "$dir/cough.raw" >&3
sleep 2
grep -q '"type"' "$dir/out" && fail "the event was printed before the stop (it should be held)"
kill -INT $pid
wait $pid
status=$?
exec 3>&-
[ $status -eq 0 ] || fail "SIGINT: exit $status"
grep -q '"type": "cough"' "$dir/out" || fail "SIGINT: the held cough was not printed"
tail -1 "$dir/out" | grep -q '"summary": "total", "from": 0.000, "to": 5.000' || fail "SIGINT: no total summary"
grep -q 'stopped by a signal' "$dir/err" || fail "SIGINT: not reported"

# Per-window output of one model (any one-branch model).
out=$("${run[@]}" listen --windows --gate "$gate" "$clip" 2>"$dir/err") || fail "--windows exited $?"
[ "$(wc -l <<<"$out")" -eq 4 ] ||
  fail "expected 3 windows of 2.064 s every 1.024 s in 5 s and the tail"
head -1 <<<"$out" | grep -q '^{"window": 0, "start": 0.000, "end": 2.064, "top": "[a-z]*", "probability": [01]\.[0-9]\{4\}, "tail": false}$' ||
  fail "first window line is not the expected JSON"
sed -n 3p <<<"$out" | grep -q '"window": 2, "start": 2.048, "end": 4.112' || fail "third window's times"
tail -1 <<<"$out" | grep -q '"window": 3, "start": 3.072, "end": 5.000, .*"tail": true}$' ||
  fail "the tail (3.072 s to the end) is missing"
grep -q '^# 4 windows (hop 64 frames' "$dir/err" || fail "no windows line on stderr"
raw=$(tail -c +45 "$clip" | "${run[@]}" listen --windows --gate "$gate" - 2>/dev/null)
[ "$raw" = "$out" ] || fail "stdin gave other windows than the file"

# A cough shorter than one gate window (0.98 s, call-centre telephone) is
# classified as one clip padded with silence: the label, confidence and
# screening `tinym2 run` gives on the same file; stderr says so.
short="$audio/covid_callcenter_short_cough_8k_stereo.wav"
out=$("${run[@]}" listen "$short" 2>"$dir/err") || fail "short clip exited $?"
head -1 <<<"$out"
grep -q "shorter than one gate window (2.064 s): it was classified as one clip" "$dir/err" ||
  fail "short clip: no note on stderr"
grep -q "no event" "$dir/err" && fail "short cough: stderr says no event"
gate_p=$("${run[@]}" run "$gate" "$short" | awk '$1 == "cough" {print $2}')
screen_p=$("${run[@]}" run "$src/models/covid-cough.tm2" "$short" | awk '$1 == "positive" {print $2}')
[ -n "$gate_p" ] && [ -n "$screen_p" ] || fail "tinym2 run gave no cough/positive line"
grep -q "^{\"type\": \"cough\", .*\"confidence\": $gate_p, \"screening\": $screen_p}$" <<<"$out" ||
  fail "short cough: expected one cough event of confidence $gate_p, screening $screen_p (tinym2 run)"
# A short clip without an event (1 s of background, no sound the listener
# counts, though the gate's top answer is 0.59): stderr says why there can be none.
out=$("${run[@]}" listen "$audio/speech_commands_silence_16k.wav" 2>"$dir/err") || fail "silence exited $?"
grep -q '"type"' <<<"$out" && fail "silence: an event"
grep -q "shorter than one gate window (2.064 s): it was classified as one clip" "$dir/err" ||
  fail "silence: no note on stderr"
grep -q "no event: it holds less than 0.3 s of sound, or the gate's answer is below --min-confidence 0.50" "$dir/err" ||
  fail "silence: stderr does not say why there is no event"
"${run[@]}" listen "$clip" >/dev/null 2>"$dir/err"
grep -q "shorter than" "$dir/err" && fail "a 5 s clip was called shorter than one window"

expect_error() {  # expect_error STATUS TEXT ARGS...
  local want=$1 text=$2
  shift 2
  local err
  err=$("${run[@]}" listen "$@" 2>&1 </dev/null >/dev/null)
  local got=$?
  [ $got -eq "$want" ] || fail "listen $* exited $got, expected $want"
  grep -q -- "$text" <<<"$err" || fail "listen $*: no '$text' in: $err"
}
expect_error 2 "8000..48000" --rate 4000 -
expect_error 2 "describe stdin or a device" --rate 16000 "$clip"
expect_error 2 "unknown option --frobnicate" --frobnicate -
expect_error 2 "give one input" "$gate" "$clip"
expect_error 2 "either an audio file" --device default "$clip"
expect_error 1 "cannot open" "$src/no/such.wav"
expect_error 1 "cannot read" --gate "$src/no/such.tm2" "$clip"
expect_error 1 "no label 'cough'" --gate "$src/models/kws-dscnn.tm2" "$clip"
expect_error 1 "3 branches" --windows --gate "$src/tests/fixtures/models/parity_multibranch.tm2" "$clip"
expect_error 1 "use a multiple of 5 frames" --rate 44100 --hop 7 -
grep -q "usage: tinym2 listen" <<<"$("${run[@]}" listen --help)" || fail "--help"
echo "listen_test: $failures failures"
[ $failures -eq 0 ]
