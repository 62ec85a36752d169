// SVG pieces the results plots share (frontier_report.cc, pack_report.cc):
// the white page with the plots' font, and a pair of axes.
//
//   std::ostringstream o;
//   SvgOpen(o, 720, 400);
//   SvgAxes(o, 70, 30, 600, 350);   // left, top, right, bottom
//   ... ticks, points ...
//   o << "</svg>\n";
#ifndef TM2_FACTORY_RESULTS_SVG_H_
#define TM2_FACTORY_RESULTS_SVG_H_

#include <ostream>

namespace tm2 {
namespace factory {

inline void SvgOpen(std::ostream& o, double width, double height) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

// The x axis along `bottom` and the y axis along `left`.
inline void SvgAxes(std::ostream& o, double left, double top, double right, double bottom) {
  o << "<line x1=\"" << left << "\" y1=\"" << bottom << "\" x2=\"" << right << "\" y2=\"" << bottom
    << "\" stroke=\"black\"/>\n"
    << "<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << bottom
    << "\" stroke=\"black\"/>\n";
}

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_RESULTS_SVG_H_
