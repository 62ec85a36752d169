#!/bin/sh
# Instruction counts of pack_switch_firmware (Cortex-M4 under QEMU, exact,
# tests/bench/mcu_insn_count.sh) and the issue 11 target: a switch between
# two models of a pack in flash costs under 1 % of one inference of the
# smallest model (its Invoke alone, the stricter figure).
#   sh tests/engine/pack_switch_insn.sh build/mcu/tests/engine/pack_switch_firmware.elf
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(sh "$here/../bench/mcu_insn_count.sh" "$1")
echo "$out"
echo "$out" | grep -q "pack switch firmware: same logits" || { echo "FAIL: outputs differ"; exit 1; }
echo "$out" | awk '
  /^region/ || / instructions$/ {
    if (match($0, /\| [0-9]+ instructions$/)) {
      n = substr($0, RSTART + 2); sub(/ instructions/, "", n); c[i++] = n + 0
    }
  }
  END {
    if (i != 7) { print "FAIL: expected 7 counted regions, got " i; exit 1 }
    replan = c[0] > c[1] ? c[0] : c[1]; resident = c[2] > c[3] ? c[2] : c[3]
    printf "re-planning switch: %d instructions = %.2f %% of the standalone load, %.2f %% of one inference (%.2f %% of Invoke)\n", replan, 100 * replan / c[4], 100 * replan / c[5], 100 * replan / c[6]
    printf "resident switch:    %d instructions = %.4f %% of the standalone load, %.4f %% of one inference (%.4f %% of Invoke)\n", resident, 100 * resident / c[4], 100 * resident / c[5], 100 * resident / c[6]
    if (resident * 100 >= c[6]) { print "FAIL: a resident switch costs 1 % or more of the smallest model'"'"'s Invoke"; exit 1 }
    print "ok: a switch costs under 1 % of one inference of the smallest model"
  }'
