// The distance functions of sentence-transformers' triplet and contrastive losses, each family as its
// loss module defines it (values and gradients follow the same operations):
//   BatchDistanceMetric (BatchHardTripletLossDistanceFunction), x (B, D) -> (B, B):
//     cosine_distance:    1 - cos_sim(x, x)
//     euclidean_distance: sqrt(max(|x_i|^2 - 2 x_i.x_j + |x_j|^2, 0)), exactly 0 (and 0 gradient)
//                         where the squared distance is 0 (the diagonal)
//   TripletDistanceMetric, a, b (B, D) -> (B):
//     cosine: 1 - pairwise_cos_sim;  euclidean: sqrt(sum (a - b)^2);  manhattan: sum |a - b|
//   SiameseDistanceMetric, a, b (B, D) -> (B):
//     euclidean / manhattan: F.pairwise_distance(a, b, p = 2 / 1) (= ||a - b + 1e-6||_p);
//     cosine_distance: 1 - F.cosine_similarity(a, b) (eps 1e-8)
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace embedforge {

enum class BatchDistanceMetric { CosineDistance, EuclideanDistance };
enum class TripletDistanceMetric { Cosine, Euclidean, Manhattan };
enum class SiameseDistanceMetric { Euclidean, Manhattan, CosineDistance };

/** "cosine_distance" | "euclidean_distance"; throws naming the loss otherwise. */
BatchDistanceMetric batchDistanceMetricFromName(const std::string& name, const std::string& lossName);
/** "cosine" | "euclidean" | "manhattan". */
TripletDistanceMetric tripletDistanceMetricFromName(const std::string& name, const std::string& lossName);
/** "euclidean" | "manhattan" | "cosine_distance". */
SiameseDistanceMetric siameseDistanceMetricFromName(const std::string& name, const std::string& lossName);

/** All pairwise distances between the rows of x: (B, D) -> (B, B). */
at::Tensor batchDistances(const at::Tensor& x, BatchDistanceMetric metric);
/** Row-wise distance of a[i] to b[i]: (B, D), (B, D) -> (B). */
at::Tensor tripletDistance(const at::Tensor& a, const at::Tensor& b, TripletDistanceMetric metric);
at::Tensor siameseDistance(const at::Tensor& a, const at::Tensor& b, SiameseDistanceMetric metric);

}  // namespace embedforge
