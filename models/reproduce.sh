#!/bin/sh
# Reproduces one shipped model and its rows of models/REPORT.md from the
# shared data (docs/factory.md, "Shipped models"):
#   models/reproduce.sh gate  ../shared/datasets        (four sources; manifest by models/gate-sources.sh)
#   models/reproduce.sh covid ../shared/datasets/covid19-cough
#   models/reproduce.sh kws   ../shared/datasets/speech-commands-test
#   models/reproduce.sh covid-cv ../shared/datasets/covid19-cough        (5-fold, no model shipped)
#   models/reproduce.sh fusion   ../shared/datasets/coswara-20200413     (5 recipes, 5-fold, no model shipped)
#   models/reproduce.sh gate-cv  ../shared/datasets   (the gate's two recipes, 2 x 5-fold outside its evaluation split)
#   models/reproduce.sh pack     ../shared/datasets   (the datasets folder: four-task model pack, REPORT pack section)
# Trains into $TM2_RUNS/<task> (default build/factory-runs), copies the
# shipped .tm2 and its card into models/, the run's results.json into
# models/results/, and rewrites the tables of models/REPORT.md from every
# models/results/*.json. One thread (OMP_NUM_THREADS=1, recipes say
# "threads": 1), so the times in the report are single-core times.
# $TM2_FACTORY picks the binary (default: the native preset's, built here
# if missing).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 gate|covid|kws|covid-cv|fusion|gate-cv|pack DATA_DIR" >&2; exit 2; }
task=$1
data=$(cd "$2" && pwd)
cd "$(dirname "$0")/.."
factory=${TM2_FACTORY:-}
if [ -z "$factory" ]; then
  factory=build/native/native/factory/tm2-factory
  if [ ! -x "$factory" ]; then
    bash scripts/setup.sh
    cmake --preset native >/dev/null
    cmake --build --preset native -j 2 --target tm2-factory
  fi
fi
runs=${TM2_RUNS:-build/factory-runs}
mkdir -p "$runs"
runs=$(cd "$runs" && pwd)  # TM2_RUNS may be relative or absolute
case $task in
  gate)  recipe=sound-gate-tile     ship=sound-gate  extra="" ;;
  covid) recipe=covid-cough        ship=covid-cough extra="--variants w8a8,w4a4 --compare-distill" ;;
  kws)   recipe=kws-dscnn-kd       ship=kws-dscnn   extra="--variants w8a8,w4a4" ;;
  covid-cv|fusion|gate-cv|pack) ;;
  *) echo "unknown task $task (gate, covid, kws, covid-cv, fusion, gate-cv, pack)" >&2; exit 2 ;;
esac
# The model pack (docs/packs.md): trains the four members and the
# generalization model from scratch into $TM2_RUNS/pack ($TM2_PACK_LANES,
# default 2, at a time; the shipped
# models/*.tm2 are not read or changed), learns the codebook, fine-tunes,
# writes the pack, its card, models/images/pack-sweep.svg and the pack
# section of models/REPORT.md.
if [ "$task" = pack ]; then
  rm -rf "$runs/pack"
  mkdir -p models/images models/results/pack
  start=$(date +%s)
  # The members train $lanes at a time (one thread each; lane logs in the
  # run folder), then the pack step reuses their folders.
  lanes=${TM2_PACK_LANES:-2}
  mkdir -p "$runs/pack"
  pids=""
  lane=0
  while [ $lane -lt "$lanes" ]; do
    OMP_NUM_THREADS=1 "$factory" pack models/recipes/pack-four.json --out "$runs/pack" --data-root "$data" \
      --train-only "$lane/$lanes" > "$runs/pack/lane$lane.log" 2>&1 &
    pids="$pids $!"
    lane=$((lane + 1))
  done
  for pid in $pids; do
    wait "$pid" || { echo "member training failed (see $runs/pack/lane*.log)" >&2; exit 1; }
  done
  echo "members: $(( $(date +%s) - start )) s wall ($lanes at a time)"
  OMP_NUM_THREADS=1 "$factory" pack models/recipes/pack-four.json --out "$runs/pack" --data-root "$data" \
    --report models/REPORT.md --plot models/images/pack-sweep.svg
  echo "pack: $(( $(date +%s) - start )) s wall"
  cp "$runs/pack/pack-results.json" models/results/pack/four-task.json
  cp "$runs/pack/four-task.pack.card.md" models/results/pack/four-task.card.md
  exit 0
fi
# Cross-validated studies: pooled results only (each fold's models stay in the run folder).
crossval() {  # crossval NAME RECIPE EXTRA...  -> models/results/NAME.json
  name=$1
  r=$2
  shift 2
  rm -rf "$runs/$name"
  mkdir -p "$runs/$name" models/results
  start=$(date +%s)
  OMP_NUM_THREADS=1 "$factory" train "models/recipes/$r.json" --data "$data" --out "$runs/$name" --folds 5 "$@"
  echo "$name: $(( $(date +%s) - start )) s wall"
  cp "$runs/$name/results.json" "models/results/$name.json"
}
# The gate's recipe choice (REPORT (b10)): the shipped recipe (tiles short
# clips) and the zero-padding one, each 2 x 5-fold on the same folds of every
# recording outside the evaluation split (written as `test`, never loaded),
# then paired over groups. Results (with every out-of-fold prediction) go to
# models/results/candidates/, the comparison to models/results/gate-cv.md.
if [ "$task" = gate-cv ]; then
  mkdir -p "$runs" models/results/candidates
  models/gate-sources.sh "$data" "$runs/gate-sources.csv" "$factory"
  "$factory" split models/recipes/sound-gate-tile.json --data "$runs/gate-sources.csv" \
    --out "$runs/gate-cv.csv" --hold-out
  data=$runs/gate-cv.csv
  for r in sound-gate-tile sound-gate-balanced; do
    rm -rf "$runs/$r.cv"
    start=$(date +%s)
    OMP_NUM_THREADS=1 "$factory" train "models/recipes/$r.json" --data "$data" --out "$runs/$r.cv" \
      --folds 5 --repeats 2
    echo "$r.cv: $(( $(date +%s) - start )) s wall"
    cp "$runs/$r.cv/results.json" "models/results/candidates/$r.cv.json"
  done
  "$factory" compare models/results/candidates/sound-gate-tile.cv.json \
    models/results/candidates/sound-gate-balanced.cv.json --threshold 0.2 --threshold-b 0.15 | tee models/results/gate-cv.md
  exit 0
fi
if [ "$task" = covid-cv ] || [ "$task" = fusion ]; then
  if [ "$task" = covid-cv ]; then
    crossval covid-cough.cv covid-cough --variants w8a8,w4a4 --compare-distill
  else
    for b in cough breathing counting counting-wide; do
      crossval "coswara-gender-$b" "coswara-gender-$b" --variants mixed,w4a4
    done
    crossval coswara-gender-fused coswara-gender-fused --variants w8a8,mixed,w4a4 --compare-distill
  fi
  "$factory" report models/REPORT.md models/results/*.json
  exit 0
fi
out=$runs/$task
rm -rf "$out"
mkdir -p "$out"
if [ "$task" = gate ]; then
  # The gate learns from four datasets under DATA_DIR, joined into one
  # manifest with fixed per-source splits.
  models/gate-sources.sh "$data" "$runs/gate-sources.csv" "$factory"
  data=$runs/gate-sources.csv
fi
start=$(date +%s)
# shellcheck disable=SC2086
OMP_NUM_THREADS=1 "$factory" train "models/recipes/$recipe.json" --data "$data" --out "$out" $extra
echo "$task: $(( $(date +%s) - start )) s wall"
cp "$out/$recipe.tm2" "models/$ship.tm2"
cp "$out/$recipe.card.json" "models/$ship.card.json"
cp "$out/$recipe.card.md" "models/$ship.card.md"
# The covid card opens with the figures that hold on new recordings, from
# the saved cross-validation (models/reproduce.sh covid-cv).
if [ "$task" = covid ]; then models/covid-headline.sh models/results/covid-cough.cv.json "models/$ship.card.md"; fi
mkdir -p models/results
cp "$out/results.json" "models/results/$recipe.json"
"$factory" report models/REPORT.md models/results/*.json
