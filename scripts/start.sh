#!/usr/bin/env bash
# THE main command (README): installs what is missing, builds the native
# tools and runs the main job.
#
# The screening page (issue 4) and the shipped models (issue 3) are not in
# the tree yet, so today's main job is the native CLI running the
# three-branch test model on three real recordings, on every kernel set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset native >/dev/null
cmake --build --preset native -j "${TM2_JOBS:-2}" --target tinym2 >/dev/null
model=tests/fixtures/models/parity_multibranch.tm2
audio=tests/fixtures/audio
build/native/native/cli/tinym2 info "$model"
echo
build/native/native/cli/tinym2 run "$model" \
  "$audio/coswara_cough_16k.wav" "$audio/coswara_counting_16k.wav" "$audio/coswara_breathing_16k.wav"
