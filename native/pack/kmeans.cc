#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace tm2 {
namespace pack {

int Nearest(const int8_t* v, int n, const std::vector<int8_t>& centroids, int dim, int64_t* error) {
  const int k = static_cast<int>(centroids.size()) / dim;
  int best = 0;
  int64_t best_d = INT64_MAX;
  for (int c = 0; c < k; ++c) {
    const int8_t* q = centroids.data() + static_cast<size_t>(c) * dim;
    int64_t d = 0;
    for (int j = 0; j < n; ++j) {
      const int64_t e = static_cast<int64_t>(v[j]) - q[j];
      d += e * e;
    }
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  if (error) *error = best_d;
  return best;
}

std::vector<int8_t> KMeans(const std::vector<int8_t>& points, int dim, int k, int iterations,
                           uint32_t seed, int lo, int hi) {
  const size_t n = points.size() / static_cast<size_t>(dim);
  std::vector<double> cent(static_cast<size_t>(k) * dim, 0.0);
  if (n == 0) return std::vector<int8_t>(cent.size(), 0);
  std::mt19937 rng(seed);
  auto dist = [&](size_t i, size_t c) {
    double d = 0;
    for (int j = 0; j < dim; ++j) {
      const double e = points[i * dim + j] - cent[c * dim + j];
      d += e * e;
    }
    return d;
  };
  // k-means++: each next centroid drawn with probability ~ squared distance.
  std::vector<double> nearest(n, 1e300);
  size_t first = rng() % n;
  for (int j = 0; j < dim; ++j) cent[j] = points[first * dim + j];
  for (int c = 1; c < k; ++c) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      nearest[i] = std::min(nearest[i], dist(i, static_cast<size_t>(c - 1)));
      total += nearest[i];
    }
    size_t pick = n - 1;
    if (total > 0) {
      const double r = std::uniform_real_distribution<double>(0.0, total)(rng);
      double acc = 0;
      for (size_t i = 0; i < n; ++i) {
        acc += nearest[i];
        if (acc > r) {
          pick = i;
          break;
        }
      }
    }
    for (int j = 0; j < dim; ++j) cent[static_cast<size_t>(c) * dim + j] = points[pick * dim + j];
  }
  std::vector<int> assign(n, 0);
  std::vector<double> sum(cent.size());
  std::vector<size_t> count(static_cast<size_t>(k));
  for (int it = 0; it < iterations; ++it) {
    for (size_t i = 0; i < n; ++i) {
      double best = 1e300;
      for (int c = 0; c < k; ++c) {
        const double d = dist(i, static_cast<size_t>(c));
        if (d < best) {
          best = d;
          assign[i] = c;
        }
      }
    }
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) {
      ++count[assign[i]];
      for (int j = 0; j < dim; ++j) sum[static_cast<size_t>(assign[i]) * dim + j] += points[i * dim + j];
    }
    for (int c = 0; c < k; ++c)
      if (count[c])
        for (int j = 0; j < dim; ++j)
          cent[static_cast<size_t>(c) * dim + j] = sum[static_cast<size_t>(c) * dim + j] / count[c];
  }
  std::vector<int8_t> out(cent.size());
  for (size_t i = 0; i < cent.size(); ++i) {
    const long v = std::lround(cent[i]);
    out[i] = static_cast<int8_t>(std::min<long>(hi, std::max<long>(lo, v)));
  }
  return out;
}

}  // namespace pack
}  // namespace tm2
