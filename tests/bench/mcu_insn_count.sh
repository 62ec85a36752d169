#!/bin/sh
# Exact Cortex-M4 instruction counts of the kernel bench firmware:
#   tests/bench/mcu_insn_count.sh build/<mcu-dir>/tests/bench/kernels_bench_firmware.elf
# Builds the TCG plugin (qemu_insn_count.c) with the host C compiler, finds
# tm2_insn_mark in the firmware, runs it under qemu-system-arm (mps2-an386)
# and prints one line per region: model | table | layer | MACs | instructions.
set -eu
elf=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/qemu_insn_count.so" "$here/qemu_insn_count.c"
mark=$(arm-none-eabi-nm "$elf" | awk '$3 == "tm2_insn_mark" { print "0x" $1 }')
qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native \
  -plugin "$work/qemu_insn_count.so,mark=$mark" -d plugin -D "$work/counts.txt" \
  -kernel "$elf" > "$work/labels.txt"
# Each line is "KEY: VALUE", split at the first ": " only (a label may hold
# ": " itself); the counts file's keys are "insn region N" and "insn total",
# the labels' "region N".
awk '
  { i = index($0, ": "); key = i ? substr($0, 1, i - 1) : $0; val = i ? substr($0, i + 2) : "" }
  FNR == NR { if (key ~ /^insn region /) { split(key, a, " "); n[a[3]] = val } else if (key == "insn total") total = val; next }
  i && key ~ /^region [0-9]+$/ { split(key, a, " "); printf "%s | %s instructions\n", val, n[a[2]]; next }
  { print }
  END { printf "total instructions: %s\n", total }
' "$work/counts.txt" "$work/labels.txt"
