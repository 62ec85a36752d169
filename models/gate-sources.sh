#!/bin/sh
# Writes the sound-type gate's training manifest from the shared datasets
# folder (models/recipes/sound-gate-sources.json, models/REPORT.md (b)):
#   models/gate-sources.sh ../shared/datasets OUT.csv [FACTORY]
# Sources, each labelled with one of the gate's four sound types:
#   coswara-20200413      all four types; split left to the factory
#                         (by participant; with data.holdout the
#                         evaluation participants are the validation
#                         participants of the Coswara-only gate before it)
#   covid19-cough         cough; every 3rd recording of each channel;
#                         source covid19-cough/call-center or /telegram
#   speech-commands-test  counting (speech); every 16th clip of the word
#                         folders (no _silence_); source speech-commands
#   fsdd                  counting (speech); every 8th clip; source fsdd
# Outside Coswara the split is fixed here, by group and per source, so every
# source has held-out groups: evaluation (only measured) gets a quarter of
# the recordings (covid19-cough: one group per recording, no participant
# ids) or of the speakers (speech-commands), and one of fsdd's four
# speakers (theo); validation (epoch, temperature) an eighth of the
# covid19-cough recordings and speech-commands speakers. The picks depend
# on sorted paths only, so the manifest is the same on every run.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DATASETS_DIR OUT.csv [TM2_FACTORY]" >&2; exit 2; }
root=$(cd "$1" && pwd)
out=$2
factory=${3:-build/native/native/factory/tm2-factory}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$factory" manifest coswara "$root/coswara-20200413" "$tmp/coswara.csv" --label sound_type >/dev/null
"$factory" manifest covid19-cough "$root/covid19-cough" "$tmp/covid.csv" >/dev/null
"$factory" manifest speech-commands "$root/speech-commands-test" "$tmp/sc.csv" >/dev/null
"$factory" manifest fsdd "$root/fsdd" "$tmp/fsdd.csv" >/dev/null
# The adapters write absolute paths without commas or quotes; refuse
# anything else rather than parse CSV quoting in awk.
if grep -q '"' "$tmp"/*.csv; then echo "$0: quoted field in a manifest; not supported" >&2; exit 1; fi
{
  echo "path,label,group,modality,split,source"
  # Coswara: as the adapter wrote it (path,label,group,modality,split,source).
  tail -n +2 "$tmp/coswara.csv"
  # covid19-cough: every 3rd recording per channel (sorted by path). Two
  # files of 261 bytes hold no decodable audio; files under 2 KB are left out.
  find "$root/covid19-cough/raw" -size -2k > "$tmp/empty.txt"
  tail -n +2 "$tmp/covid.csv" | sort -t, -k1,1 | awk -F, 'NR == FNR { empty[$0] = 1; next } !($1 in empty) {
      n = seen[$6]++; if (n % 3) next;
      k = kept[$6]++;
      printf "%s,cough,covid19-cough/%s,cough,%s,covid19-cough/%s\n", $1, $3, (k % 4 == 0 ? "evaluation" : k % 8 == 2 ? "validation" : "train"), $6 }' "$tmp/empty.txt" -
  # speech-commands: word folders only; split by speaker.
  tail -n +2 "$tmp/sc.csv" | grep -v '/_silence_/' | sort -t, -k1,1 | awk -F, '
      NR % 16 == 1 { rows[++n] = $0; g[n] = $3; order[$3] = 1 }
      END {
        m = 0; for (s in order) sp[++m] = s;
        # sort speakers (insertion sort: a few hundred names)
        for (i = 2; i <= m; i++) { v = sp[i]; j = i - 1; while (j > 0 && sp[j] > v) { sp[j + 1] = sp[j]; j-- } sp[j + 1] = v }
        for (i = 1; i <= m; i++) held[sp[i]] = (i % 4 == 1 ? "evaluation" : i % 8 == 3 ? "validation" : "train")
        for (i = 1; i <= n; i++) { split(rows[i], f, ",");
          printf "%s,counting,speech-commands/%s,counting,%s,speech-commands\n", f[1], f[3], held[f[3]] }
      }'
  # fsdd: every 8th clip; speaker theo held out.
  tail -n +2 "$tmp/fsdd.csv" | sort -t, -k1,1 | awk -F, 'NR % 8 == 1 {
      printf "%s,counting,fsdd/%s,counting,%s,fsdd\n", $1, $3, ($3 == "theo" ? "evaluation" : "train") }'
} > "$out"
echo "$(($(wc -l < "$out") - 1)) rows -> $out"
