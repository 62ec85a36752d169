#!/usr/bin/env bash
# Builds the Debian package of a build directory and checks it:
#   package_test.sh BUILD_DIR SOURCE_DIR amd64|arm64
# - contents and metadata (dpkg-deb): the binary, the three shipped models
#   and cards, the man page, the systemd unit (dynamic user, journal);
#   the binary's architecture; Depends;
# - the packaged `tinym2 listen` on a WAV: amd64 installed into a scratch
#   root by dpkg (--root, its own admindir), arm64 unpacked and run under
#   qemu-aarch64. It must find the packaged models by itself (not the
#   source tree's) and print the cough event.
set -euo pipefail
build=$1; src=$2; arch=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/out/tinym2_*_"$arch".deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || { ls -R "$work/out"; fail "no tinym2_*_$arch.deb"; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

dpkg-deb -f "$deb"
[ "$(dpkg-deb -f "$deb" Package)" = tinym2 ] || fail "Package field"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "Architecture field"
dpkg-deb -f "$deb" Depends | grep -q "libsndfile1" || fail "Depends lacks libsndfile1"
dpkg-deb --contents "$deb" | awk '{ print $1, $NF }' > "$work/contents"
cat "$work/contents"
for f in ./usr/bin/tinym2 ./usr/share/man/man1/tinym2.1.gz ./lib/systemd/system/tinym2-listen.service \
         ./usr/share/tinym2/models/sound-gate.tm2 ./usr/share/tinym2/models/covid-cough.tm2 \
         ./usr/share/tinym2/models/kws-dscnn.tm2 ./usr/share/tinym2/models/sound-gate.card.md; do
  grep -q " $f\$" "$work/contents" || fail "missing $f"
done
grep -q '^-rwxr-xr-x ./usr/bin/tinym2$' "$work/contents" || fail "tinym2 is not executable"
dpkg-deb -x "$deb" "$work/x"
case $arch in
  amd64) file_arch="x86-64" ;;
  arm64) file_arch="ARM aarch64" ;;
esac
file "$work/x/usr/bin/tinym2" | grep -q "$file_arch" || fail "binary is not $file_arch: $(file "$work/x/usr/bin/tinym2")"
unit="$work/x/lib/systemd/system/tinym2-listen.service"
grep -q '^DynamicUser=yes$' "$unit" || fail "unit runs as root"
grep -q '^StandardOutput=journal$' "$unit" || fail "unit does not log to the journal"
grep -q '^ExecStart=/usr/bin/tinym2 listen ' "$unit" || fail "unit does not run tinym2 listen"
if command -v systemd-analyze >/dev/null; then
  # Checks the unit's syntax; the binary it names is the unpacked one.
  sed "s|/usr/bin/tinym2|$work/x/usr/bin/tinym2|" "$unit" > "$work/tinym2-listen.service"
  systemd-analyze verify --man=no "$work/tinym2-listen.service" 2>&1 | grep -v "^$" | tee "$work/verify.log" || true
  ! grep -qi "unknown\|failed\|error" "$work/verify.log" || fail "systemd-analyze verify"
fi
grep -q '^\.SH NAME' <<<"$(zcat "$work/x/usr/share/man/man1/tinym2.1.gz")" || fail "man page"

# The packaged command on a WAV, models found beside the binary.
wav="$src/tests/fixtures/audio/coswara_cough_16k.wav"
if [ "$arch" = amd64 ]; then
  root="$work/root"
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  : > "$root/var/lib/dpkg/status"
  # Dependencies are the host's (the scratch root has no libc of its own).
  dpkg --root="$root" --admindir="$root/var/lib/dpkg" --force-depends --force-script-chrootless \
    -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i into the scratch root"; }
  grep -q '^Status: install ok installed' <<<"$(dpkg --root="$root" --admindir="$root/var/lib/dpkg" -s tinym2)" ||
    fail "dpkg does not list tinym2 as installed"
  run=("$root/usr/bin/tinym2")
  prefix=$root
else
  run=(qemu-aarch64 -cpu cortex-a72 -L /usr/aarch64-linux-gnu "$work/x/usr/bin/tinym2")
  prefix=$work/x
fi
# TINYM2_MODELS unset: the binary must find the packaged models beside
# itself (before the source tree it was built from), and says which.
out=$(env -u TINYM2_MODELS "${run[@]}" listen --summary 0 "$wav" 2>"$work/stderr") ||
  { cat "$work/stderr"; fail "packaged tinym2 listen"; }
echo "$out"; cat "$work/stderr"
grep -q '"type": "cough"' <<<"$out" || fail "no cough event"
grep -q '"summary": "total"' <<<"$out" || fail "no total summary"
grep -q "^# models: .*$prefix/usr/bin/../share/tinym2/models/sound-gate.tm2, .*/usr/bin/../share/tinym2/models/covid-cough.tm2\$" \
  "$work/stderr" || fail "the packaged models were not the ones used"
echo "package test: ok ($arch)"
