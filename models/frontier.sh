#!/bin/sh
# The "Memory frontier" section of models/REPORT.md and its plot
# models/images/memory-frontier.svg (docs/factory.md, "Memory budgets"):
#   models/frontier.sh ../shared/datasets
# For KWS and COVID cough: trains the float student once as `train` does
# (same recipe, seeds and split; QAT skipped, the shipped models/*.tm2 are
# neither read for training nor changed) into $TM2_RUNS/frontier-<task>,
# then `tm2-factory frontier` quantizes it under a grid of flash and RAM
# budgets (no retraining per point) and scores each point on the recipe's
# validation split with 95 % intervals; `frontier-report` draws the plot
# and writes the section, placing each shipped model by its results row.
# One thread. $TM2_FACTORY picks the binary (default: the native preset's).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DATASETS_DIR" >&2; exit 2; }
data=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
factory=${TM2_FACTORY:-build/native/native/factory/tm2-factory}
[ -x "$factory" ] || { cmake --preset native >/dev/null && cmake --build --preset native -j 2 --target tm2-factory; }
runs=${TM2_RUNS:-build/factory-runs}
mkdir -p models/results/frontier models/images
for task in kws covid; do
  case $task in
    # KWS: three flash points (the least, 70 %, W8A8) to fit a loaded 2-core machine.
    kws)   recipe=kws-dscnn   ship=kws-dscnn   dir=speech-commands-test extra="--flash-fractions 0.7,1.0 --bootstrap 500" ;;
    covid) recipe=covid-cough ship=covid-cough dir=covid19-cough        extra="" ;;
  esac
  out=$runs/frontier-$task
  start=$(date +%s)
  [ -f "$out/float.best.pt" ] ||
    OMP_NUM_THREADS=1 "$factory" train "models/recipes/$recipe.json" --data "$data/$dir" --out "$out" \
      --qat-epochs 0 --bootstrap 200
  OMP_NUM_THREADS=1 "$factory" frontier "models/recipes/$recipe.json" --run "$out" --data "$data/$dir" \
    --out "models/results/frontier/$recipe.json" --shipped "models/$ship.tm2" \
    --shipped-results "models/results/$recipe.json" $extra
  echo "$task: $(( $(date +%s) - start )) s wall"
done
"$factory" frontier-report models/results/frontier/kws-dscnn.json models/results/frontier/covid-cough.json \
  --report models/REPORT.md --plot models/images/memory-frontier.svg
