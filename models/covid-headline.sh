#!/bin/sh
# Puts the covid card's headline (the figures that hold on recordings the
# model never saw) at the top of a freshly written card, from the saved
# 5-fold cross-validation (models/reproduce.sh covid-cv), so regenerating
# the card keeps it (models/REPORT.md (f)):
#   models/covid-headline.sh models/results/covid-cough.cv.json models/covid-cough.card.md
# Within-channel AUCs of the shipped row, the pooled AUC and the
# channel-only baseline, each with its 95 % bootstrap interval over groups,
# and the shipped row's ECE over the held-out predictions.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 CV_RESULTS.json CARD.md" >&2; exit 2; }
cv=$1
card=$2
[ -f "$cv" ] || { echo "$0: no cross-validated results at $cv (run models/reproduce.sh covid-cv)" >&2; exit 1; }
grep -q '^# ' "$card" || { echo "$0: $card has no title line" >&2; exit 1; }
headline=$(jq -r '
  def f: (. * 1000 | round / 1000 | tostring) as $s
         | if ($s | test("\\.")) then ($s + "000" | capture("(?<v>[0-9]+\\.[0-9]{3})").v) else $s + ".000" end;
  def ci: "\(.value | f) [\(.ci95[0] | f), \(.ci95[1] | f)]";
  # Top-label ECE, 15 equal-width bins, ties to the first label (as the
  # factory computes it, results/calibration.cc), over held-out predictions.
  def ece15: length as $n
    | [.[] | (.p | to_entries | sort_by(-.value) | first) as $m
           | {b: ([($m.value * 15 | floor), 14] | min), c: $m.value, ok: (if $m.key == .label then 1 else 0 end)}]
    | group_by(.b) | map((map(.c) | add) - (map(.ok) | add) | fabs) | add / $n;
  def src($r; $k): $r.per_source[$k] | "\(.value | f) [\(.ci95[0] | f), \(.ci95[1] | f)]";
  (.rows | map(select(.name | endswith(", shipped"))) | first) as $s
  | (.rows | map(select(.name | startswith("channel-only baseline"))) | first) as $b
  | if $s == null or $b == null then error("no shipped or channel-only row") else . end
  | "**Headline (figures that hold on recordings the model never saw; models/REPORT.md (a) cross-check and (f)):**\n"
  + "within one channel the model ranks a COVID-19-positive cough above a negative one with AUC \(src($s; "call-center"))\n"
  + "(call-center telephone calls) and \(src($s; "telegram")) (telegram voice messages), against 0.5 for guessing;\n"
  + "over both channels \($s | ci) in \(.cross_validation.folds // 5)-fold cross-validation, against \($b | ci) for a\n"
  + "channel-only baseline that knows nothing but which channel a recording came from. Calibration on the same\n"
  + "held-out folds (every fold fits its temperature on its own validation groups, never on the fold it scores):\n"
  + "top-label ECE \($s.predictions | ece15 | f) (15 bins, \($s.predictions | length) recordings). The validation-split\n"
  + "figures below were measured on the split that chose the epoch, temperature and variant: optimistic."
' "$cv")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# Title, blank line, headline, then the card as the factory wrote it (an
# older headline, if present, is replaced).
awk -v h="$headline" '
  NR == 1 { print; print ""; print h; next }
  skip && /^$/ { skip = 0; next }
  /^\*\*Headline/ { skip = 1; next }
  skip { next }
  { print }' "$card" > "$tmp"
cat "$tmp" > "$card"
