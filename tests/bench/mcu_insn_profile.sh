#!/bin/sh
# Exact Cortex-M4 instructions per function of a firmware run, for finding
# where a listening hop's instructions go (docs/streaming.md):
#   tests/bench/mcu_insn_profile.sh IMAGE.elf [SEMIHOSTING_ARG...]
# e.g. build/mcu/native/firmware/listen/listen_kws_firmware.elf a.wav b.wav
# Builds the TCG plugin (qemu_insn_profile.c) with the host C compiler,
# runs the image under qemu-system-arm (mps2-an386, -icount shift=0 as the
# listening tests run it), and adds the per-address counts up by function
# (arm-none-eabi-nm symbol sizes). Prints the total and the top 40.
set -eu
elf=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/profile.so" "$here/qemu_insn_profile.c"
args=$(basename "$elf")
for a in "$@"; do args="$args,arg=$a"; done
qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none -icount shift=0,sleep=off \
  -semihosting-config "enable=on,target=native,arg=$args" \
  -plugin "$work/profile.so,out=$work/counts.txt" -d plugin -kernel "$elf" > "$work/output.txt" || true
arm-none-eabi-nm -C -S -n "$elf" | awk 'NF >= 4 && $3 ~ /^[tTwW]$/' > "$work/symbols.txt"
# Symbols (start, size, name) sorted by address (nm -n); each counted
# address goes to the function whose range holds it.
sort -k1,1 "$work/counts.txt" > "$work/sorted.txt"
awk '
  function hex(x,   i, v) { v = 0; x = tolower(x); for (i = 1; i <= length(x); ++i) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1; return v }
  FNR == NR {
    start = hex($1); start -= start % 2
    name = $4; for (i = 5; i <= NF; ++i) name = name " " $i
    n++; s[n] = start; e[n] = start + hex($2); nm[n] = name; next
  }
  {
    a = hex($1); c = $2; total += c
    lo = 1; hi = n; f = 0
    while (lo <= hi) { mid = int((lo + hi) / 2); if (s[mid] <= a) { f = mid; lo = mid + 1 } else hi = mid - 1 }
    key = (f && a < e[f]) ? nm[f] : "(other)"
    by[key] += c
  }
  END {
    printf "total instructions: %d\n", total
    for (k in by) printf "%12d %5.1f%% %s\n", by[k], 100 * by[k] / total, substr(k, 1, 100) | "sort -rn | head -40"
  }
' "$work/symbols.txt" "$work/sorted.txt"
