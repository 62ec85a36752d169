#!/usr/bin/env bash
# Installs what tinym2 needs on Debian 12 (bookworm): compilers for the four
# targets, their emulators, the header-only libraries and test tools. Runs
# as root or through sudo; calls `apt-get update` once, and only when
# something is missing. Silent when everything is already there, so
# scripts/test.sh can run it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev    # native, native-asan
  g++-aarch64-linux-gnu qemu-user                    # pi
  emscripten node-acorn                              # wasm
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  qemu-system-arm                                    # mcu
  libhwy-dev flatbuffers-compiler libflatbuffers-dev catch2 libsndfile1-dev
  libasound2-dev                                     # tinym2 listen: ALSA capture
  chromium                                           # browser tests (web/)
  libtorch-dev libglpk-dev nlohmann-json3-dev libcli11-dev   # model factory (native/factory)
  libcpp-httplib-dev libsqlite3-dev libsodium-dev libssl-dev   # study server (native/study-server)
  libpq-dev postgresql                               # study server on PostgreSQL, and its test
  nginx-light                                        # study server behind TLS: the tested proxy config
  libsndfile1-dev:arm64 libasound2-dev:arm64         # tinym2 for the Pi (multiarch), its .deb
  file                                               # package test: binary architecture
  libxnnpack-dev libpthreadpool-dev                  # model_bench: XNNPACK side by side
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "setup: need root or sudo to run: $*" >&2
    exit 1
  fi
}

# True when package.json lists npm packages (browser tests). Uses grep, not
# node: on a fresh machine node arrives with the packages below.
has_npm_deps() {
  [ -f package.json ] && tr -d '\n\r' <package.json |
    grep -Eq '"(dev)?[dD]ependencies"[[:space:]]*:[[:space:]]*\{[[:space:]]*"'
}

# The Pi build links Debian's arm64 libsndfile and libasound (multiarch);
# the architecture must be known before apt-get update below.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: adding the arm64 architecture (dpkg --add-architecture arm64)"
  as_root dpkg --add-architecture arm64
fi

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
# Debian's nodejs ships without npm (NodeSource's includes it).
if has_npm_deps && ! command -v npm >/dev/null; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages: reinstall only when the lock file changed since the last
# install (npm ci always wipes node_modules).
if has_npm_deps; then
  if [ -f package-lock.json ]; then
    if [ ! -f node_modules/.package-lock.json ] ||
       [ package-lock.json -nt node_modules/.package-lock.json ]; then
      echo "setup: npm ci"
      npm ci --no-audit --no-fund --loglevel=error
    fi
  elif [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
    echo "setup: npm install (no package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
