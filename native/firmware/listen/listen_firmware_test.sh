#!/bin/sh
# Runs a listening firmware image under QEMU (mps2-an386) with -icount
# shift=0,sleep=off, so the microphone's pace and the instruction counts are exact
# and repeatable (mic_qemu.cc), then reads the same memory figures from the
# ELF and checks that they agree:
#   listen_firmware_test.sh IMAGE.elf MAX_DUTY_AT_120MHZ MAX_OVERRUNS MAX_STREAM_RAM EXPECT AUDIO.wav...
# Fails on a firmware error, more overruns than allowed, no output line
# matching EXPECT (a grep pattern), a duty cycle above the bound, firmware
# and ELF disagreeing on the flash, model or RAM figures, or (when
# MAX_STREAM_RAM is not 0) the streaming RAM above it: the arena buffer and
# the audio buffers (from the ELF) plus the stack high-water mark.
set -eu
elf=$1; max_duty=$2; max_overruns=$3; max_ram=$4; expect=$5; shift 5
args=$(basename "$elf")
for a in "$@"; do args="$args,arg=$a"; done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none -icount shift=0,sleep=off \
  -semihosting-config "enable=on,target=native,arg=$args" -kernel "$elf" > "$out" || status=$?
cat "$out"
[ "$status" -eq 0 ] || { echo "FAIL: firmware exit status $status"; exit 1; }

echo "--- from the ELF (arm-none-eabi-size -A, nm -S)"
arm-none-eabi-size -A "$elf" | awk '$1 ~ /^\.(text|ARM|data|bss|init_array|fini_array|preinit_array)/'
hex() { [ -n "$1" ] && echo $((0x$1)); }
sym() { hex "$(arm-none-eabi-nm -S "$elf" | awk -v n="$1" 'index($4, n) { print $2; exit }')"; }
model=$(hex "$(arm-none-eabi-nm -S "$elf" | awk '$4 ~ /^listen_/ && $4 !~ /_size$/ && $3 ~ /[rRtT]/ { print $2; exit }')")
arena=$(sym g_listen_arena); dma=$(sym g_mic_dma)
# Flash is code memory from 0 to the end of .data's load image (LMA + size).
flash=$(arm-none-eabi-objdump -h "$elf" | awk '$2 == ".data" { print $3, $5 }' | { read size lma; echo $((0x$lma + 0x$size)); })
ram_static=$(arm-none-eabi-size -A "$elf" | awk '$1 == ".data" || $1 == ".bss" { s += $2 } END { print s }')
echo "ELF: flash $flash bytes (model $model), statics in RAM $ram_static bytes (arena $arena, audio buffers $dma)"

fail=0
overruns=$(sed -n 's/.* \([0-9]*\) overruns$/\1/p' "$out")
[ -n "$overruns" ] && [ "$overruns" -le "$max_overruns" ] ||
  { echo "FAIL: '$overruns' overruns, at most $max_overruns allowed"; fail=1; }
grep -q "$expect" "$out" || { echo "FAIL: no line matches '$expect'"; fail=1; }
grep -q "model $model," "$out" || { echo "FAIL: firmware's model size differs from the ELF's ($model)"; fail=1; }
grep -q "flash $flash bytes" "$out" || { echo "FAIL: firmware's flash figure differs from the ELF's ($flash)"; fail=1; }
grep -q "statics $ram_static (arena [0-9]* of $arena used, audio buffers $dma," "$out" ||
  { echo "FAIL: firmware's RAM figures differ from the ELF's"; fail=1; }
duty=$(sed -n 's/.*at 120 MHz \([0-9.]*\) %.*/\1/p' "$out")
awk -v d="$duty" -v m="$max_duty" 'BEGIN { exit !(d != "" && d + 0 < m + 0) }' ||
  { echo "FAIL: duty cycle at 120 MHz '$duty' % is not below $max_duty %"; fail=1; }
stack=$(sed -n 's/.*stack high water \([0-9]*\) of.*/\1/p' "$out")
stream_ram=$((arena + dma + ${stack:-0}))
echo "streaming RAM: arena $arena + audio buffers $dma + stack high water $stack = $stream_ram bytes"
if [ "$max_ram" -ne 0 ] && { [ -z "$stack" ] || [ "$stream_ram" -gt "$max_ram" ]; }; then
  echo "FAIL: streaming RAM $stream_ram bytes is above $max_ram"; fail=1
fi
exit $fail
