#include "results/pack_report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "results/svg.h"
#include "results/text.h"

namespace tm2 {
namespace factory {
using nlohmann::json;

namespace {

std::string Bytes(long long b) {
  std::string s = std::to_string(b);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

// The layers kept uncoded by the sensitivity choice, e.g. " (kept: conv0 int4, fc int4)".
std::string Kept(const json& pack) {
  if (!pack.contains("kept_layers") || pack["kept_layers"].empty()) return "";
  std::string s = " (kept:";
  for (const auto& k : pack["kept_layers"])
    s += " " + k["layer"].get<std::string>() + " int" + std::to_string(k["bits"].get<int>()) + ",";
  s.back() = ')';
  return s;
}

// The per-channel parameters as the pack stores them (format 1.2 Narrow
// where smaller), when the results have the figure.
std::string ExactNarrow(const json& p) {
  if (!p.contains("pack_channel_bytes_exact_narrow")) return "";
  return " as wide vectors; the pack stores them Narrow (format 1.2: bias in int8/int16 where every value of a layer "
         "fits, one shift or multiplier per layer where all are equal, a header byte; decoded exactly at Init) in " +
         Bytes(p["pack_channel_bytes_exact_narrow"]) + " B";
}

double Delta(const json& m) { return 100 * (m["pack"]["value"].get<double>() - m["w8a8"]["value"].get<double>()); }

void ModelTable(std::ostringstream& o, const json& config) {
  o << "| model | metric (x100) | W8A8 | mixed 4/8 | pack | pack - W8A8 | PQ layers | engine = factory |\n"
       "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& m : config.at("models")) {
    const double agree = m["pack"].value("engine_agreement", -1.0);
    o << "| " << m["name"].get<std::string>() << " | " << m["metric"].get<std::string>() << " | " << PointsWithInterval(m["w8a8"])
      << " | " << PointsWithInterval(m["mixed"]) << " | " << PointsWithInterval(m["pack"]) << " | " << Fmt("%+.1f", Delta(m)) << " | "
      << m["pack"]["coded_layers"].get<int>() << " of " << m["pack"]["layers"].get<int>() << Kept(m["pack"]) << " | "
      << (agree < 0 ? std::string("-") : Fmt("%.1f %%", 100 * agree)) << " |\n";
  }
}

}  // namespace

std::string PackMarkdown(const json& r, const std::string& plot) {
  std::ostringstream o;
  const json& p = r.at("pack");
  long long fl = 0, w8 = 0, w8f = 0, mx = 0, mxf = 0;
  for (const auto& m : p.at("models")) {
    fl += m["float_bytes"].get<long long>();
    w8 += m["w8a8"]["weight_bytes"].get<long long>();
    w8f += m["w8a8"]["file_bytes"].get<long long>();
    mx += m["mixed"]["weight_bytes"].get<long long>();
    mxf += m["mixed"]["file_bytes"].get<long long>();
  }
  const long long pw = p["pack_weight_bytes"], pf = p["pack_file_bytes"];
  o << "### Model pack `" << r["name"].get<std::string>() << "`: " << p["models"].size() << " models, one codebook d = "
    << p["dim"].get<int>() << ", K = " << p["centroids"].get<int>() << ", fine-tuned " << p["finetune_epochs"].get<int>()
    << " epochs with it fixed\n\n";
  o << "Written by `tm2-factory pack` (models/reproduce.sh pack). Weights: codes + uncoded int8/int4 weights + the codebook ("
    << Bytes(p["codebook_bytes"]) << " B); float32 = parameters x 4. Whole files: the W8A8 and mixed files the same "
       "factory run exports for each model (the shipped recipes' own configurations), against the one pack file.\n\n";
  if (r.value("min_compression", 0.0) > 0)
    o << "Layer choice: the codable layers with the largest Hessian-weighted coding error (tr(H)/n x ||W - Q(W)||^2, "
      << r.value("sensitivity_samples", 0) << " Hutchinson probes, as a share of the model's total) per extra byte stay "
         "uncoded at int" << r.value("keep_bits", 8) << " while the weights stay within float32 / "
      << Fmt("%.1f", r["min_compression"].get<double>()) << "; they are listed as \"kept\" below.\n\n";
  o << "| bytes | float32 | W8A8 | mixed 4/8 | pack | float32 / pack | W8A8 / pack | mixed / pack |\n"
       "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  o << "| weights | " << Bytes(fl) << " | " << Bytes(w8) << " | " << Bytes(mx) << " | " << Bytes(pw) << " | "
    << Fmt("%.2fx", static_cast<double>(fl) / pw) << " | " << Fmt("%.2fx", static_cast<double>(w8) / pw) << " | "
    << Fmt("%.2fx", static_cast<double>(mx) / pw) << " |\n";
  o << "| whole files | - | " << Bytes(w8f) << " | " << Bytes(mxf) << " | " << Bytes(pf) << " | - | "
    << Fmt("%.2fx", static_cast<double>(w8f) / pf) << " | " << Fmt("%.2fx", static_cast<double>(mxf) / pf) << " |\n\n";
  o << "Per-channel vectors in the pack (bias, multiplier, shift; no float weight scales): "
    << Bytes(p["pack_channel_bytes"]) << " B" << ExactNarrow(p) << ". One arena for every model: " << Bytes(p["arena_bytes"]) << " B.\n\n";
  o << "Metric on each recipe's reported split, 95 % bootstrap intervals over its groups; \"engine = factory\" is the "
       "top-1 agreement of the engine running the pack from PCM with the factory's integer model.\n\n";
  ModelTable(o, p);
  if (r.contains("generalization")) {
    const json& g = r["generalization"];
    o << "\nGeneralization: models whose data and architecture were not used to learn the codebook, coded with it "
         "(fine-tuned the same way), in a pack of their own (" << Bytes(g["pack_file_bytes"]) << " B, weights "
      << Bytes(g["pack_weight_bytes"]) << " B";
    if (!g.value("codebook_charged", true))
      o << ", of which " << Bytes(g["pack_weight_bytes"].get<long long>() - g["codebook_bytes"].get<long long>())
        << " B its own; the layer choice's budget counts only these, as the codebook is the pack's";
    o << "):\n\n";
    ModelTable(o, g);
  }
  if (r.contains("sweep")) {
    o << "\nSweep over d and K (codebook learned again for each point, " << r["sweep"][0]["finetune_epochs"].get<int>()
      << " epoch(s) of fine-tuning):\n\n| d | K | weights | float32 / weights | whole file | mean pack - W8A8 | per model |\n"
         "|---:|---:|---:|---:|---:|---:|---|\n";
    for (const auto& s : r["sweep"]) {
      double sum = 0;
      std::string per;
      for (const auto& m : s["models"]) {
        sum += Delta(m);
        per += (per.empty() ? "" : ", ") + Fmt("%+.1f", Delta(m));
      }
      o << "| " << s["dim"].get<int>() << " | " << s["centroids"].get<int>() << " | " << Bytes(s["pack_weight_bytes"])
        << " | " << Fmt("%.1fx", static_cast<double>(fl) / s["pack_weight_bytes"].get<long long>()) << " | "
        << Bytes(s["pack_file_bytes"]) << " | " << Fmt("%+.2f", sum / s["models"].size()) << " | " << per << " |\n";
    }
    if (!plot.empty()) o << "\n![pack size against metric change](" << plot << ")\n";
  }
  o << "\n" << Fmt("%.0f", r.value("seconds", 0.0)) << " s in all (one thread).\n";
  return o.str();
}

std::string PackSweepSvg(const json& r) {
  struct Pt { double x, y; std::string label; bool main; };
  std::vector<Pt> pts;
  auto mean = [](const json& c) {
    double s = 0;
    for (const auto& m : c["models"]) s += Delta(m);
    return s / c["models"].size();
  };
  if (r.contains("sweep"))
    for (const auto& s : r["sweep"])
      pts.push_back({s["pack_weight_bytes"].get<double>(), mean(s),
                     "d=" + std::to_string(s["dim"].get<int>()) + " K=" + std::to_string(s["centroids"].get<int>()), false});
  const json& p = r["pack"];
  pts.push_back({p["pack_weight_bytes"].get<double>(), mean(p),
                 "pack d=" + std::to_string(p["dim"].get<int>()) + " K=" + std::to_string(p["centroids"].get<int>()), true});
  double x0 = 1e18, x1 = 0, y0 = -1, y1 = 1;
  for (const auto& q : pts) {
    x0 = std::min(x0, q.x); x1 = std::max(x1, q.x);
    y0 = std::min(y0, q.y); y1 = std::max(y1, q.y);
  }
  x0 = std::log10(x0) - 0.05; x1 = std::log10(x1) + 0.05;
  y0 = std::floor(y0) - 0.5; y1 = std::ceil(y1) + 0.5;
  const double W = 720, H = 400, L = 70, R = 120, T = 30, B = 50;  // labels right of the points
  auto X = [&](double v) { return L + (std::log10(v) - x0) / (x1 - x0) * (W - L - R); };
  auto Y = [&](double v) { return T + (y1 - v) / (y1 - y0) * (H - T - B); };
  std::ostringstream o;
  SvgOpen(o, W, H);
  o << "<text x=\"" << W / 2 << "\" y=\"18\" text-anchor=\"middle\">pack weight bytes (log) against mean metric change vs W8A8 (points)</text>\n";
  SvgAxes(o, L, T, W - R, H - B);
  for (double v = std::ceil(y0); v <= y1; v += std::max(1.0, std::round((y1 - y0) / 8))) {
    o << "<line x1=\"" << L - 4 << "\" y1=\"" << Y(v) << "\" x2=\"" << W - R << "\" y2=\"" << Y(v) << "\" stroke=\""
      << (v == 0 ? "#888" : "#eee") << "\"/>\n<text x=\"" << L - 8 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">"
      << Fmt("%+.0f", v) << "</text>\n";
  }
  for (double e = std::floor(x0); e <= x1; e += 1)
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, e);
      if (std::log10(v) < x0 || std::log10(v) > x1) continue;
      o << "<line x1=\"" << X(v) << "\" y1=\"" << H - B << "\" x2=\"" << X(v) << "\" y2=\"" << H - B + 4
        << "\" stroke=\"black\"/>\n<text x=\"" << X(v) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">"
        << Fmt("%.0f", v) << "</text>\n";
    }
  o << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 10 << "\" text-anchor=\"middle\">weight bytes (codes + kept weights + codebook)</text>\n";
  for (const auto& q : pts)
    o << "<circle cx=\"" << X(q.x) << "\" cy=\"" << Y(q.y) << "\" r=\"5\" fill=\"" << (q.main ? "#c0392b" : "#2c7fb8")
      << "\"/>\n<text x=\"" << X(q.x) + 7 << "\" y=\"" << Y(q.y) - 7 << "\">" << q.label << "</text>\n";
  o << "</svg>\n";
  return o.str();
}

}  // namespace factory
}  // namespace tm2
