#include "ilp/bit_allocation.h"

#include <glpk.h>

#include <cstdio>
#include <limits>
#include <stdexcept>

namespace tm2 {
namespace factory {

namespace {

void Totals(const std::vector<LayerCost>& layers, BitAllocation* a) {
  a->bytes = 0;
  a->sensitivity = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool four = a->bits[i] == 4;
    a->bytes += four ? layers[i].bytes4 : layers[i].bytes8;
    a->sensitivity += four ? layers[i].sens4 : layers[i].sens8;
  }
}

}  // namespace

BitAllocation SolveBitAllocation(const std::vector<LayerCost>& layers, int64_t budget) {
  BitAllocation a;
  const int n = static_cast<int>(layers.size());
  a.bits.assign(n, 8);
  int64_t all8 = 0;
  for (const auto& l : layers) all8 += l.bytes8;
  if (n == 0) { a.feasible = budget >= 0; return a; }
  glp_term_out(GLP_OFF);
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MIN);
  // One row: bytes saved by going to 4 bits >= all8 - budget.
  glp_add_rows(lp, 1);
  glp_set_row_bnds(lp, 1, GLP_LO, static_cast<double>(all8 - budget), 0.0);
  glp_add_cols(lp, n);
  std::vector<int> ia(n + 1), ja(n + 1);
  std::vector<double> ar(n + 1);
  for (int i = 0; i < n; ++i) {
    const int col = i + 1;
    glp_set_col_kind(lp, col, GLP_BV);
    if (layers[i].pinned8) glp_set_col_bnds(lp, col, GLP_FX, 0.0, 0.0);
    glp_set_obj_coef(lp, col, layers[i].sens4 - layers[i].sens8);
    ia[col] = 1;
    ja[col] = col;
    ar[col] = static_cast<double>(layers[i].bytes8 - layers[i].bytes4);
  }
  glp_load_matrix(lp, n, ia.data(), ja.data(), ar.data());
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;  // also reports an infeasible budget instead of failing
  const int ret = glp_intopt(lp, &parm);
  const int status = glp_mip_status(lp);
  if (ret == 0 && (status == GLP_OPT || status == GLP_FEAS)) {
    a.feasible = true;
    for (int i = 0; i < n; ++i) a.bits[i] = glp_mip_col_val(lp, i + 1) > 0.5 ? 4 : 8;
  }
  glp_delete_prob(lp);
  Totals(layers, &a);
  if (a.feasible && a.bytes > budget) throw std::logic_error("GLPK returned an over-budget allocation");
  return a;
}

BitAllocation BruteForceBitAllocation(const std::vector<LayerCost>& layers, int64_t budget) {
  const int n = static_cast<int>(layers.size());
  if (n > 20) throw std::invalid_argument("brute force is for n <= 20");
  BitAllocation best;
  best.sensitivity = std::numeric_limits<double>::infinity();
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    BitAllocation a;
    a.bits.resize(n);
    bool ok = true;
    for (int i = 0; i < n; ++i) {
      a.bits[i] = (mask >> i) & 1 ? 4 : 8;
      if (a.bits[i] == 4 && layers[i].pinned8) ok = false;
    }
    if (!ok) continue;
    Totals(layers, &a);
    if (a.bytes <= budget && a.sensitivity < best.sensitivity) {
      best = a;
      best.feasible = true;
    }
  }
  if (!best.feasible) { best.bits.assign(n, 8); Totals(layers, &best); }
  return best;
}

std::string FormatAllocation(const std::vector<LayerCost>& layers, const BitAllocation& a) {
  std::string out;
  char line[200];
  for (size_t i = 0; i < layers.size(); ++i) {
    std::snprintf(line, sizeof(line), "  %-22s %d bits  %6lld bytes  sens4 %.3g sens8 %.3g%s\n",
                  layers[i].name.c_str(), a.bits[i],
                  static_cast<long long>(a.bits[i] == 4 ? layers[i].bytes4 : layers[i].bytes8),
                  layers[i].sens4, layers[i].sens8, layers[i].pinned8 ? " (pinned)" : "");
    out += line;
  }
  std::snprintf(line, sizeof(line), "  total %lld weight bytes, sensitivity %.4g%s\n",
                static_cast<long long>(a.bytes), a.sensitivity, a.feasible ? "" : " (INFEASIBLE)");
  return out + line;
}

}  // namespace factory
}  // namespace tm2
