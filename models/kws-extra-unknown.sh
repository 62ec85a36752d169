#!/bin/sh
# Writes a KWS training manifest with extra "_unknown_" words from another
# speech dataset (issue 13, models/REPORT.md (c4)):
#   models/kws-extra-unknown.sh DATASETS_DIR OUT.csv [TM2_FACTORY]
# Rows:
#   speech-commands-test  every clip, as the speech-commands adapter writes
#                         it, split left empty: the factory's split by
#                         speaker is the same as from the adapter (rows with
#                         a named split take no part in the seeded draw), so
#                         validation and, with data.holdout, evaluation are
#                         exactly the clips of the Speech Commands-only recipe
#   fsdd                  spoken digits (8 kHz; the core resamples them) as
#                         label _unknown_, every 8th clip (about 250, the
#                         size of one Speech Commands word), group =
#                         fsdd/<speaker>, split "train": never validated or
#                         evaluated on, so the figures stay comparable
# The picks depend on sorted paths only.
set -eu
export LC_ALL=C
[ $# -ge 2 ] || { echo "usage: $0 DATASETS_DIR OUT.csv [TM2_FACTORY]" >&2; exit 2; }
root=$(cd "$1" && pwd)
out=$2
factory=${3:-build/native/native/factory/tm2-factory}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$factory" manifest speech-commands "$root/speech-commands-test" "$tmp/sc.csv" >/dev/null
"$factory" manifest fsdd "$root/fsdd" "$tmp/fsdd.csv" >/dev/null
# The adapters write paths without commas or quotes; refuse anything else
# rather than parse CSV quoting in awk.
if grep -q '"' "$tmp"/*.csv; then echo "$0: quoted field in a manifest; not supported" >&2; exit 1; fi
{
  echo "path,label,group,modality,split,source"
  tail -n +2 "$tmp/sc.csv"
  tail -n +2 "$tmp/fsdd.csv" | sort -t, -k1,1 | awk -F, 'NR % 8 == 1 {
      printf "%s,_unknown_,fsdd/%s,speech,train,fsdd\n", $1, $3 }'
} > "$out"
echo "$(($(wc -l < "$out") - 1)) rows -> $out"
