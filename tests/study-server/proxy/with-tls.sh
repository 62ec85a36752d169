#!/usr/bin/env bash
# Runs a command with a throw-away TLS certificate for 127.0.0.1, made by
# openssl (a self-signed P-256 certificate valid for two days):
# TM2_TLS_DIR holds cert.pem and key.pem, and node trusts the certificate
# (NODE_EXTRA_CA_CERTS, read when node starts), so the tests check it as
# a browser would instead of turning verification off. Exit 77 (CTest:
# skipped) when nginx or openssl is not installed.
#
#   tests/study-server/with-postgres.sh tests/study-server/proxy/with-tls.sh node --test tests/study-server/proxy/
set -euo pipefail
for tool in nginx openssl; do
  if ! command -v "$tool" >/dev/null && [[ ! -x /usr/sbin/$tool ]]; then
    echo "with-tls: $tool is not installed (apt-get install nginx-light openssl): skipped" >&2
    exit 77
  fi
done
dir=$(mktemp -d /tmp/tm2-tls.XXXXXX)
trap 'rm -rf "$dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/openssl.log" || { cat "$dir/openssl.log" >&2; exit 1; }
export TM2_TLS_DIR="$dir" NODE_EXTRA_CA_CERTS="$dir/cert.pem"
"$@"
