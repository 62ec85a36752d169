#!/usr/bin/env bash
# `tm2-factory split` writes a recipe's split as a manifest that reads back
# the same. `tm2-factory train` refuses bad arguments before any model work: a
# missing --data (or recipe data.path), data of the wrong kind for the
# recipe's format, an unknown data.format, an unknown variant, a mixed budget fraction of 0 and a
# missing distillation teacher each end the run with one line on stderr
# naming the problem, exit code 1, nothing on stdout (no model summary
# first) and no output folder.
#   cli_test.sh SOURCE_DIR TM2_FACTORY
set -uo pipefail
src=$1
factory=$2
recipe="$src/tests/factory/tiny_recipe.json"
manifest="$src/tests/fixtures/audio/factory/manifest.csv"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# refused NAME PATTERN ARGS...: the run exits 1 with only PATTERN's line on stderr.
refused() {
  local name=$1 pattern=$2
  shift 2
  rm -rf "$dir/out"
  "$factory" "$@" >"$dir/stdout" 2>"$dir/stderr"
  local rc=$?
  echo "$name: rc $rc, stderr: $(cat "$dir/stderr")"
  [ $rc -eq 1 ] || fail "$name: exit code $rc, expected 1"
  [ -s "$dir/stdout" ] && fail "$name: printed before the error: $(head -3 "$dir/stdout")"
  [ "$(wc -l <"$dir/stderr")" -eq 1 ] || fail "$name: expected one stderr line"
  grep -q "^tm2-factory: $pattern" "$dir/stderr" || fail "$name: stderr does not match '$pattern'"
  [ -e "$dir/out" ] && fail "$name: created the output folder"
}

refused "missing --data" "--data '$dir/nowhere': no such file or folder" \
  train "$recipe" --data "$dir/nowhere" --out "$dir/out"
refused "no data at all" "no data: give --data (recipe 'factory-test-yes-no' has no data.path)" \
  train "$recipe" --out "$dir/out"
refused "a folder for a manifest" "--data '$src/tests/factory': the manifest format reads a manifest CSV file" \
  train "$recipe" --data "$src/tests/factory" --out "$dir/out"
refused "unknown variant" "variant 'w4a8': use w8a8, mixed or w4a4" \
  train "$recipe" --data "$manifest" --out "$dir/out" --variants w8a8,w4a8
refused "mixed budget fraction 0" "--budget-fraction must be above 0, not 0" \
  train "$recipe" --data "$manifest" --out "$dir/out" --variants mixed --budget-fraction 0
# A student whose teacher recipe is not there.
sed 's/"head": \[\],/"head": [], "distill": {"teacher": "no-such-teacher.json", "weight": 0.5},/' "$recipe" \
  >"$dir/student.json"
grep -q no-such-teacher "$dir/student.json" || fail "the student recipe was not written"
refused "missing teacher" "distill.teacher 'no-such-teacher.json': no such recipe" \
  train "$dir/student.json" --data "$manifest" --out "$dir/out"
# A data.format the factory cannot read, refused when the recipe loads.
sed 's/"data": {"format": "manifest"}/"data": {"format": "manifset"}/' "$recipe" >"$dir/badformat.json"
grep -q manifset "$dir/badformat.json" || fail "the bad-format recipe was not written"
refused "unknown data.format" "recipe $dir/badformat.json: data.format 'manifset' is not one of manifest, covid19-cough" \
  train "$dir/badformat.json" --data "$manifest" --out "$dir/out"
# The same checks hold for cross-validation (folds), before its first fold.
refused "cross-validation, missing --data" "--data '$dir/nowhere': no such file or folder" \
  train "$recipe" --data "$dir/nowhere" --out "$dir/out" --folds 2

# split: the recipe's items and their split as a manifest. The fixture
# manifest without its split column, so the factory splits by group and
# (data.holdout) holds a quarter of the groups out for evaluation.
sed 's/"data": {"format": "manifest"}/"data": {"format": "manifest", "holdout": true}/' "$recipe" >"$dir/holdout.json"
grep -q '"holdout": true' "$dir/holdout.json" || fail "the holdout recipe was not written"
awk -F, -v root="$src/tests/fixtures/audio/factory/" 'BEGIN { OFS = "," } NR > 1 { $5 = ""; $1 = root $1 } { print }' \
  "$manifest" >"$dir/unsplit.csv"
"$factory" split "$dir/holdout.json" --data "$dir/unsplit.csv" --out "$dir/split.csv" >"$dir/stdout" 2>&1 ||
  fail "split: $(cat "$dir/stdout")"
echo "split: $(cat "$dir/stdout")"
count() { awk -F, -v s="$2" 'NR > 1 && $5 == s' "$1" | wc -l; }
for s in train validation evaluation; do
  n=$(count "$dir/split.csv" $s)
  [ "$n" -gt 0 ] || fail "split: no $s rows"
  grep -q " $s $n " "$dir/stdout" || grep -q " $s $n -> " "$dir/stdout" || fail "split: summary does not say $s $n"
done
[ "$(($(wc -l <"$dir/split.csv") - 1))" -eq "$(($(wc -l <"$manifest") - 1))" ] || fail "split: rows lost"
# Read back, the written manifest gives the same split; --hold-out turns evaluation into test.
"$factory" split "$dir/holdout.json" --data "$dir/split.csv" --out "$dir/again.csv" >/dev/null 2>&1 &&
  cmp -s "$dir/split.csv" "$dir/again.csv" || fail "split: its own manifest does not split the same"
"$factory" split "$dir/holdout.json" --data "$dir/unsplit.csv" --out "$dir/test.csv" --hold-out >/dev/null 2>&1 ||
  fail "split --hold-out failed"
[ "$(count "$dir/test.csv" test)" -eq "$(count "$dir/split.csv" evaluation)" ] && [ "$(count "$dir/test.csv" evaluation)" -eq 0 ] ||
  fail "split --hold-out: evaluation rows are not all test"
refused "probe, missing --data" "--data '$dir/nowhere': no such file or folder" \
  probe "$recipe" "$src/tests/factory/tiny_recipe.json" --data "$dir/nowhere"
refused "frontier, missing --data" "--data '$dir/nowhere': no such file or folder" \
  frontier "$recipe" --run "$dir" --data "$dir/nowhere" --out "$dir/out"
refused "split, missing --data" "--data '$dir/nowhere': no such file or folder" \
  split "$recipe" --data "$dir/nowhere" --out "$dir/out"

[ $failures -eq 0 ] && echo "factory CLI: all checks passed"
exit $((failures != 0))
