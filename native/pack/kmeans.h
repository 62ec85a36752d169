// Seeded k-means over int8 sub-vectors, with int8 centroids: k-means++
// seeding, Lloyd iterations in double, centroids rounded and clamped to
// [lo, hi]. Deterministic for the same inputs and seed (std::mt19937 and a
// fixed visiting order).
#ifndef TM2_NATIVE_PACK_KMEANS_H_
#define TM2_NATIVE_PACK_KMEANS_H_

#include <cstdint>
#include <vector>

namespace tm2 {
namespace pack {

// `points`: n x dim values. Returns k x dim centroids (fewer distinct
// points than k: the remaining centroids repeat the last one).
std::vector<int8_t> KMeans(const std::vector<int8_t>& points, int dim, int k, int iterations,
                           uint32_t seed, int lo, int hi);

// Index of the centroid nearest to `v`'s first `n` values (n <= dim),
// ties to the lowest index; `error` gets the squared distance.
int Nearest(const int8_t* v, int n, const std::vector<int8_t>& centroids, int dim, int64_t* error);

}  // namespace pack
}  // namespace tm2

#endif  // TM2_NATIVE_PACK_KMEANS_H_
