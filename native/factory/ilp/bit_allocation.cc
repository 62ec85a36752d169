#include "ilp/bit_allocation.h"

#include <glpk.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace tm2 {
namespace factory {

namespace {

bool HasRam(const RamModel& m) { return !m.buffers.empty() || m.fixed_bytes > 0 || m.floor_bytes > 0; }

void Totals(const std::vector<LayerCost>& layers, const RamModel& ram, BitAllocation* a) {
  a->bytes = 0;
  a->sensitivity = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool four = a->bits[i] == 4, act4 = a->act_bits[i] == 4;
    a->bytes += four ? layers[i].bytes4 : layers[i].bytes8;
    a->sensitivity += (four ? layers[i].sens4 : layers[i].sens8) +
                      (act4 ? layers[i].act_sens4 : layers[i].act_sens8);
  }
  a->ram = HasRam(ram) ? RamOf(ram, a->act_bits) : 0;
}

bool Fits(const BitAllocation& a, const BitBudgets& b) {
  return (b.flash < 0 || a.bytes <= b.flash) && (b.ram < 0 || a.ram <= b.ram);
}

int64_t BufferBytes(const RamModel::Buffer& buf, const std::vector<int>& act_bits) {
  if (buf.layers.empty()) return buf.bytes8;
  for (int l : buf.layers)
    if (act_bits[l] != 4) return buf.bytes8;
  return buf.bytes4;
}

}  // namespace

int64_t RamOf(const RamModel& ram, const std::vector<int>& act_bits) {
  int lo = std::numeric_limits<int>::max(), hi = -1;
  for (const auto& b : ram.buffers) { lo = std::min(lo, b.first); hi = std::max(hi, b.last); }
  int64_t peak = ram.floor_bytes;
  for (int t = lo; t <= hi; ++t) {
    int64_t live = 0;
    for (const auto& b : ram.buffers)
      if (b.first <= t && t <= b.last) live += BufferBytes(b, act_bits);
    peak = std::max(peak, live);
  }
  return ram.fixed_bytes + peak;
}

int64_t MinimumFlash(const std::vector<LayerCost>& layers) {
  int64_t sum = 0;
  for (const auto& l : layers) sum += l.pinned8 ? l.bytes8 : std::min(l.bytes4, l.bytes8);
  return sum;
}

int64_t MinimumRam(const std::vector<LayerCost>& layers, const RamModel& ram) {
  std::vector<int> act(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) act[i] = layers[i].act_pinned8 ? 8 : 4;
  return RamOf(ram, act);
}

BitAllocation SolveBitAllocation(const std::vector<LayerCost>& layers, const RamModel& ram,
                                 const BitBudgets& budgets) {
  BitAllocation a;
  const int n = static_cast<int>(layers.size());
  a.bits.assign(n, 8);
  a.act_bits.assign(n, 8);
  const bool use_ram = budgets.ram >= 0 && HasRam(ram);
  const int64_t room = budgets.ram - ram.fixed_bytes;  // for the shared region
  if (use_ram && room < ram.floor_bytes) { Totals(layers, ram, &a); return a; }
  // Columns: x (weights 4-bit) 1..n, y (output 4-bit) n+1..2n, then one z per
  // buffer whose size depends on y.
  std::vector<int> zcol(ram.buffers.size(), 0);
  int cols = 2 * n;
  if (use_ram)
    for (size_t j = 0; j < ram.buffers.size(); ++j)
      if (!ram.buffers[j].layers.empty() && ram.buffers[j].bytes4 < ram.buffers[j].bytes8) zcol[j] = ++cols;
  std::vector<int> ia(1), ja(1);
  std::vector<double> ar(1);
  auto put = [&](int row, int col, double v) { ia.push_back(row); ja.push_back(col); ar.push_back(v); };
  glp_term_out(GLP_OFF);
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MIN);
  if (cols > 0) glp_add_cols(lp, cols);
  for (int i = 0; i < n; ++i) {
    glp_set_col_kind(lp, i + 1, GLP_BV);
    glp_set_col_kind(lp, n + i + 1, GLP_BV);
    if (layers[i].pinned8) glp_set_col_bnds(lp, i + 1, GLP_FX, 0.0, 0.0);
    if (layers[i].act_pinned8 || !use_ram) glp_set_col_bnds(lp, n + i + 1, GLP_FX, 0.0, 0.0);
    glp_set_obj_coef(lp, i + 1, layers[i].sens4 - layers[i].sens8);
    glp_set_obj_coef(lp, n + i + 1, layers[i].act_sens4 - layers[i].act_sens8);
  }
  for (int c = 2 * n + 1; c <= cols; ++c) glp_set_col_bnds(lp, c, GLP_DB, 0.0, 1.0);
  bool hopeless = false;
  // Flash: bytes saved by 4-bit weights >= all8 - budget.
  if (budgets.flash >= 0) {
    int64_t all8 = 0;
    for (const auto& l : layers) all8 += l.bytes8;
    const int row = glp_add_rows(lp, 1);
    glp_set_row_bnds(lp, row, GLP_LO, static_cast<double>(all8 - budgets.flash), 0.0);
    for (int i = 0; i < n; ++i) put(row, i + 1, static_cast<double>(layers[i].bytes8 - layers[i].bytes4));
  }
  if (use_ram) {
    // z_j - y_l <= 0: a buffer is at its 4-bit size only if all its layers are.
    for (size_t j = 0; j < ram.buffers.size(); ++j) {
      if (!zcol[j]) continue;
      for (int l : ram.buffers[j].layers) {
        const int row = glp_add_rows(lp, 1);
        glp_set_row_bnds(lp, row, GLP_UP, 0.0, 0.0);
        put(row, zcol[j], 1.0);
        put(row, n + l + 1, -1.0);
      }
    }
    // Every step: bytes saved on its live buffers >= live bytes at 8 bits - room.
    int lo = std::numeric_limits<int>::max(), hi = -1;
    for (const auto& b : ram.buffers) { lo = std::min(lo, b.first); hi = std::max(hi, b.last); }
    for (int t = lo; t <= hi; ++t) {
      int64_t live8 = 0;
      std::vector<size_t> savers;
      for (size_t j = 0; j < ram.buffers.size(); ++j) {
        const auto& b = ram.buffers[j];
        if (b.first > t || t > b.last) continue;
        live8 += b.bytes8;
        if (zcol[j]) savers.push_back(j);
      }
      if (live8 <= room) continue;
      if (savers.empty()) { hopeless = true; break; }
      const int row = glp_add_rows(lp, 1);
      glp_set_row_bnds(lp, row, GLP_LO, static_cast<double>(live8 - room), 0.0);
      for (size_t j : savers)
        put(row, zcol[j], static_cast<double>(ram.buffers[j].bytes8 - ram.buffers[j].bytes4));
    }
  }
  if (!hopeless && cols > 0) {
    glp_load_matrix(lp, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.presolve = GLP_ON;  // also reports an infeasible budget instead of failing
    const int ret = glp_intopt(lp, &parm);
    const int status = glp_mip_status(lp);
    if (ret == 0 && (status == GLP_OPT || status == GLP_FEAS)) {
      a.feasible = true;
      for (int i = 0; i < n; ++i) {
        a.bits[i] = glp_mip_col_val(lp, i + 1) > 0.5 ? 4 : 8;
        a.act_bits[i] = glp_mip_col_val(lp, n + i + 1) > 0.5 ? 4 : 8;
      }
    }
  }
  glp_delete_prob(lp);
  Totals(layers, ram, &a);
  if (cols == 0 && !hopeless) a.feasible = Fits(a, budgets);
  if (a.feasible && !Fits(a, use_ram ? budgets : BitBudgets{budgets.flash, -1}))
    throw std::logic_error("GLPK returned an over-budget allocation");
  return a;
}

BitAllocation SolveBitAllocation(const std::vector<LayerCost>& layers, int64_t budget) {
  return SolveBitAllocation(layers, RamModel(), BitBudgets{budget < 0 ? 0 : budget, -1});
}

BitAllocation BruteForceBitAllocation(const std::vector<LayerCost>& layers, const RamModel& ram,
                                      const BitBudgets& budgets) {
  const int n = static_cast<int>(layers.size());
  const bool use_ram = budgets.ram >= 0 && HasRam(ram);
  std::vector<int*> free;  // the bits a search may set to 4
  BitAllocation a;
  a.bits.assign(n, 8);
  a.act_bits.assign(n, 8);
  for (int i = 0; i < n; ++i) {
    if (!layers[i].pinned8) free.push_back(&a.bits[i]);
    if (use_ram && !layers[i].act_pinned8) free.push_back(&a.act_bits[i]);
  }
  if (free.size() > 20) throw std::invalid_argument("brute force is for at most 20 free bits");
  BitAllocation best;
  best.sensitivity = std::numeric_limits<double>::infinity();
  for (uint32_t mask = 0; mask < (1u << free.size()); ++mask) {
    for (size_t k = 0; k < free.size(); ++k) *free[k] = (mask >> k) & 1 ? 4 : 8;
    Totals(layers, ram, &a);
    if (Fits(a, use_ram ? budgets : BitBudgets{budgets.flash, -1}) && a.sensitivity < best.sensitivity) {
      best = a;
      best.feasible = true;
    }
  }
  if (!best.feasible) {
    best.bits.assign(n, 8);
    best.act_bits.assign(n, 8);
    Totals(layers, ram, &best);
  }
  return best;
}

BitAllocation BruteForceBitAllocation(const std::vector<LayerCost>& layers, int64_t budget) {
  return BruteForceBitAllocation(layers, RamModel(), BitBudgets{budget < 0 ? 0 : budget, -1});
}

std::string FormatAllocation(const std::vector<LayerCost>& layers, const BitAllocation& a) {
  std::string out;
  char line[240];
  for (size_t i = 0; i < layers.size(); ++i) {
    std::snprintf(line, sizeof(line), "  %-22s W%d A%d  %6lld bytes  sens4 %.3g sens8 %.3g act4 %.3g%s%s\n",
                  layers[i].name.c_str(), a.bits[i], a.act_bits[i],
                  static_cast<long long>(a.bits[i] == 4 ? layers[i].bytes4 : layers[i].bytes8),
                  layers[i].sens4, layers[i].sens8, layers[i].act_sens4 - layers[i].act_sens8,
                  layers[i].pinned8 ? " (W pinned)" : "",
                  layers[i].act_pinned8 ? " (A pinned)" : "");
    out += line;
  }
  std::snprintf(line, sizeof(line), "  total %lld weight bytes, RAM %lld bytes (planned), sensitivity %.4g%s\n",
                static_cast<long long>(a.bytes), static_cast<long long>(a.ram), a.sensitivity,
                a.feasible ? "" : " (INFEASIBLE)");
  return out + line;
}

}  // namespace factory
}  // namespace tm2
