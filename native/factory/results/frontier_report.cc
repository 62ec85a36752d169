#include "results/frontier_report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "results/svg.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
using nlohmann::json;

namespace {

struct Pt {
  double x, y, lo, hi;
  bool front = false;
};

// Points not beaten by a smaller-or-equal x with a higher value.
void MarkFront(std::vector<Pt>* pts) {
  std::sort(pts->begin(), pts->end(), [](const Pt& a, const Pt& b) { return a.x < b.x || (a.x == b.x && a.y > b.y); });
  double best = -1e9;
  for (Pt& p : *pts)
    if (p.y > best) { p.front = true; best = p.y; }
}

// One panel: metric x100 against bytes (KB), at (ox, oy), w x h.
void Panel(std::ostringstream& o, const json& run, const char* key, const std::string& xlabel, double ox, double oy,
           double w, double h) {
  std::vector<Pt> pts;
  for (const auto& p : run["points"])
    pts.push_back({p[key].get<double>() / 1024, 100 * p["value"].get<double>(), 100 * p["ci95"][0].get<double>(),
                   100 * p["ci95"][1].get<double>()});
  MarkFront(&pts);
  const json* s = run.contains("shipped") && run["shipped"].contains("value") ? &run["shipped"] : nullptr;
  const double fl = 100 * run["float"]["value"].get<double>();
  double x0 = 1e18, x1 = 0, y0 = fl, y1 = fl;
  auto extend = [&](double x, double lo, double hi) {
    x0 = std::min(x0, x); x1 = std::max(x1, x); y0 = std::min(y0, lo); y1 = std::max(y1, hi);
  };
  for (const Pt& p : pts) extend(p.x, p.lo, p.hi);
  const double sx = s ? (*s)[std::string(key) == "weight_bytes" ? "weight_bytes" : "planned_ram_bytes"].get<double>() / 1024 : 0;
  if (s) extend(sx, 100 * (*s)["ci95"][0].get<double>(), 100 * (*s)["ci95"][1].get<double>());
  // A column of points (RAM while outputs are not packed) still gets a scale.
  const double span = std::max({x1 - x0, 0.05 * x1, 0.1}), mid = (x0 + x1) / 2;
  x0 = std::max(0.0, mid - 0.6 * span);
  x1 = mid + 0.6 * span;
  y0 = std::floor(y0 - 1); y1 = std::ceil(y1 + 1);
  const double L = ox + 50, R = ox + w - 10, T = oy + 30, B = oy + h - 40;
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * (R - L); };
  auto Y = [&](double v) { return B - (v - y0) / (y1 - y0) * (B - T); };
  o << "<text x=\"" << (L + R) / 2 << "\" y=\"" << oy + 18 << "\" text-anchor=\"middle\" font-weight=\"bold\">"
    << run["name"].get<std::string>() << ": " << run["metric"].get<std::string>() << " x100 vs " << xlabel << "</text>\n";
  SvgAxes(o, L, T, R, B);
  const double ystep = std::max(1.0, std::round((y1 - y0) / 6));
  for (double v = std::ceil(y0 / ystep) * ystep; v <= y1 + 1e-9; v += ystep)
    o << "<line x1=\"" << L - 4 << "\" y1=\"" << Y(v) << "\" x2=\"" << R << "\" y2=\"" << Y(v) << "\" stroke=\"#eee\"/>\n"
      << "<text x=\"" << L - 7 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << Fmt("%.0f", v + 0.0) << "</text>\n";
  const double raw = (x1 - x0) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double xstep = raw / mag < 2 ? mag : raw / mag < 5 ? 2 * mag : 5 * mag;
  for (double v = std::ceil(x0 / xstep) * xstep; v <= x1; v += xstep)
    o << "<line x1=\"" << X(v) << "\" y1=\"" << B << "\" x2=\"" << X(v) << "\" y2=\"" << B + 4 << "\" stroke=\"black\"/>\n"
      << "<text x=\"" << X(v) << "\" y=\"" << B + 17 << "\" text-anchor=\"middle\">"
      << Fmt(xstep < 0.1 ? "%.2f" : xstep < 1 ? "%.1f" : "%.0f", v)
      << "</text>\n";
  o << "<text x=\"" << (L + R) / 2 << "\" y=\"" << B + 33 << "\" text-anchor=\"middle\">" << xlabel << " (KB)</text>\n"
    << "<line x1=\"" << L << "\" y1=\"" << Y(fl) << "\" x2=\"" << R << "\" y2=\"" << Y(fl)
    << "\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n<text x=\"" << R - 2 << "\" y=\"" << Y(fl) - 4
    << "\" text-anchor=\"end\" fill=\"#555\">float</text>\n";
  std::string path;
  for (const Pt& p : pts)
    if (p.front) path += (path.empty() ? "M" : " L") + Fmt("%.1f %.1f", X(p.x), Y(p.y));
  if (!path.empty()) o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"#2c7fb8\" stroke-width=\"1.5\"/>\n";
  for (const Pt& p : pts)
    o << "<line x1=\"" << X(p.x) << "\" y1=\"" << Y(p.lo) << "\" x2=\"" << X(p.x) << "\" y2=\"" << Y(p.hi)
      << "\" stroke=\"#9ecae1\"/>\n<circle cx=\"" << X(p.x) << "\" cy=\"" << Y(p.y) << "\" r=\"4\" fill=\""
      << (p.front ? "#2c7fb8" : "#9ecae1") << "\"/>\n";
  if (s) {
    const double sy = 100 * (*s)["value"].get<double>();
    o << "<line x1=\"" << X(sx) << "\" y1=\"" << Y(100 * (*s)["ci95"][0].get<double>()) << "\" x2=\"" << X(sx) << "\" y2=\""
      << Y(100 * (*s)["ci95"][1].get<double>()) << "\" stroke=\"#e6a19a\"/>\n"
      << "<rect x=\"" << X(sx) - 5 << "\" y=\"" << Y(sy) - 5 << "\" width=\"10\" height=\"10\" fill=\"#c0392b\"/>\n"
      << "<text x=\"" << X(sx) + 8 << "\" y=\"" << Y(sy) - 8 << "\" fill=\"#c0392b\">shipped</text>\n";
  }
}

}  // namespace

std::string FrontierSvg(const std::vector<json>& runs) {
  const double W = 900, PH = 300, H = PH * runs.size() + 30;
  std::ostringstream o;
  SvgOpen(o, W, H);
  for (size_t i = 0; i < runs.size(); ++i) {
    Panel(o, runs[i], "weight_bytes", "flash: weight bytes", 0, PH * i, W / 2, PH);
    Panel(o, runs[i], "planned_ram_bytes", "RAM: planned arena", W / 2, PH * i, W / 2, PH);
  }
  o << "<text x=\"10\" y=\"" << H - 10 << "\" fill=\"#555\">blue: post-training allocations under flash/RAM budgets "
       "(dark: Pareto front), bars 95 % group bootstrap; red: shipped model (with QAT); dashed: float</text>\n</svg>\n";
  return o.str();
}

std::string FrontierMarkdown(const std::vector<json>& runs, const std::string& plot) {
  std::ostringstream o;
  for (const json& r : runs) {
    o << "\n### " << r["name"].get<std::string>() << " (" << r["metric"].get<std::string>() << " x100 on the "
      << r["split"].get<std::string>() << " split, " << r["items"].get<int>() << " items; float "
      << PointsWithInterval(r["float"])
      << ")\n\nPlanned RAM from the engine's planner on a small part: " << r["ram_least"].get<long long>()
      << " B with every output but the logits at 4 bits, " << r["ram_all8"].get<long long>()
      << " B all 8-bit; W8A8 weights " << r["weight_bytes_w8"].get<long long>() << " B.\n\n"
      << "| flash budget | RAM budget | weight bytes | planned RAM | " << r["metric"].get<std::string>()
      << " | weights 4-bit | outputs 4-bit |\n|---:|---:|---:|---:|---|---:|---:|\n";
    std::vector<json> pts(r["points"].begin(), r["points"].end());
    std::sort(pts.begin(), pts.end(), [](const json& a, const json& b) {
      return a["weight_bytes"].get<long long>() < b["weight_bytes"].get<long long>();
    });
    for (const json& p : pts) {
      int w4 = 0, a4 = 0;
      for (int b : p["weight_bits"]) w4 += b == 4;
      for (int b : p["act_bits"]) a4 += b == 4;
      o << "| " << p["flash_budget"].get<long long>() << " | " << p["ram_budget"].get<long long>() << " | "
        << p["weight_bytes"].get<long long>() << " | " << p["planned_ram_bytes"].get<long long>() << " | "
        << PointsWithInterval(p)
        << " | " << w4 << " of " << p["weight_bits"].size() << " | " << a4 << " of " << p["act_bits"].size() << " |\n";
    }
    if (r.contains("shipped") && r["shipped"].contains("value")) {
      const json& s = r["shipped"];
      o << "| shipped " << s["model"].get<std::string>() << " | | " << s["weight_bytes"].get<long long>() << " | "
        << s["planned_ram_bytes"].get<long long>() << " | "
        << PointsWithInterval(s)
        << " | | |\n";
    }
  }
  if (!plot.empty()) o << "\n![accuracy against flash and RAM](" << plot << ")\n";
  return o.str();
}

}  // namespace factory
}  // namespace tm2
