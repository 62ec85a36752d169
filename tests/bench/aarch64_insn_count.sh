#!/bin/sh
# Exact aarch64 instruction counts (the Raspberry Pi 4 build) of the
# streaming bench, under qemu-aarch64 with the TCG plugin the Cortex-M4
# counts use (qemu_insn_count.c):
#   tests/bench/aarch64_insn_count.sh build/pi/tests/bench/stream_insn_bench MODEL.tm2... CLIP.wav
# Prints one line per region (model | what | instructions), then per model
# the instructions per hop (preprocessing / windows + one Invoke).
set -eu
bin=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/qemu_insn_count.so" "$here/qemu_insn_count.c"
mark=$(aarch64-linux-gnu-nm "$bin" | awk '$3 == "tm2_insn_mark" { print "0x" $1 }')
# The bench links with -no-pie, so nm's address is where the mark runs.
if readelf -h "$bin" | grep -q "DYN"; then echo "$bin is position-independent: link it with -no-pie" >&2; exit 1; fi
qemu-aarch64 -cpu cortex-a72 -L /usr/aarch64-linux-gnu \
  -plugin "$work/qemu_insn_count.so,mark=$mark" -d plugin -D "$work/counts.txt" \
  "$bin" "$@" > "$work/labels.txt"
awk -F': ' '
  FNR == NR { if ($1 ~ /^insn region/) { split($1, a, " "); n[a[3]] = $2 } else if ($1 == "insn total") total = $2; next }
  /^region/ {
    split($1, a, " "); r = a[2]; printf "%s | %s instructions\n", $2, n[r]
    split($2, f, " [|] "); model = f[1]
    if (f[2] ~ /^preprocessing of/) { split(f[2], w, " "); pre[model] = n[r] / w[3] }
    else printf "%s | per hop: %.0f instructions (preprocessing %.0f + Invoke %s)\n", model, pre[model] + n[r], pre[model], n[r]
    next }
  { print }
  END { printf "total instructions: %s\n", total }
' "$work/counts.txt" "$work/labels.txt"
