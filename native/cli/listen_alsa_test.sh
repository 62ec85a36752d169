#!/usr/bin/env bash
# `tinym2 listen` capturing through ALSA for real, without a sound card:
# ALSA's `file` plugin reads a raw PCM file ("infile", raw only) as the
# capture data over a `null` slave; ALSA_CONFIG_PATH points libasound at
# this test's configuration alone. The device gives the same events as the
# same samples on stdin. A file-backed device never ends (alsa-lib 1.2.8
# keeps returning data after the file), so --seconds bounds it, and SIGTERM
# stops it.
#   listen_alsa_test.sh SOURCE_DIR TINYM2
set -uo pipefail
src=$1
tinym2=$2
clip="$src/tests/fixtures/audio/coswara_cough_16k.wav"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

tail -c +45 "$clip" >"$dir/cough.raw"  # the data chunk starts at byte 44
cat >"$dir/asound.conf" <<CONF
pcm.clip {
  type file
  slave.pcm { type null }
  file "/dev/null"
  infile "$dir/cough.raw"
}
pcm.mono {
  type multi
  slaves.a.pcm { type null }
  slaves.a.channels 1
  bindings.0.slave a
  bindings.0.channel 0
}
CONF
export ALSA_CONFIG_PATH="$dir/asound.conf"

captured=$(timeout 60 "$tinym2" listen --device clip --seconds 5 2>"$dir/err") ||
  fail "capture exited $?: $(cat "$dir/err")"
echo "$captured"
piped=$("$tinym2" listen - <"$dir/cough.raw" 2>/dev/null) || fail "stdin exited $?"
[ -n "$captured" ] && [ "$captured" = "$piped" ] || fail "the device gave other output than stdin"
grep -q '^{"type": "cough", "time": [0-9.]*, "duration": [0-9.]*, "confidence": 0\.[0-9]\{4\}, "screening": [01]\.[0-9]\{4\}}$' <<<"$captured" ||
  fail "no screened cough event from the device"
grep -q '5.0 s of audio at 16000 Hz x 1' "$dir/err" || fail "not 5 s at 16 kHz mono: $(cat "$dir/err")"

# An endless capture stops cleanly on SIGTERM with its total summary.
timeout 60 "$tinym2" listen --device clip --summary 0 >"$dir/out" 2>"$dir/err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
status=$?
[ $status -eq 0 ] || fail "SIGTERM: exit $status"
tail -1 "$dir/out" | grep -q '^{"summary": "total", "from": 0.000' || fail "SIGTERM: no total summary"
grep -q 'stopped by a signal' "$dir/err" || fail "SIGTERM: not reported: $(cat "$dir/err")"

expect_error() {  # expect_error TEXT ARGS...
  local text=$1
  shift
  local err
  err=$(timeout 60 "$tinym2" listen "$@" 2>&1 >/dev/null)
  local got=$?
  [ $got -eq 1 ] || fail "listen $* exited $got, expected 1"
  grep -q -- "$text" <<<"$err" || fail "listen $*: no '$text' in: $err"
}
expect_error "cannot open ALSA capture device 'nosuch'" --device nosuch
expect_error "cannot capture 2 channels (it offers 1..1" --device mono --channels 2
echo "listen_alsa_test: $failures failures"
[ $failures -eq 0 ]
