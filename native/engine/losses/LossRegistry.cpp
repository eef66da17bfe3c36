// The table of losses (LossRegistry.h). Each factory is defined in the loss's own file.
#include "LossRegistry.h"

#include <c10/util/Exception.h>

#include <map>

namespace embedforge {

std::unique_ptr<Loss> makeMultipleNegativesRankingLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeMultipleNegativesSymmetricRankingLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeMatryoshkaLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeSoftmaxLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeAdaptiveLayerLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeCachedMultipleNegativesRankingLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeCachedMultipleNegativesSymmetricRankingLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeMegaBatchMarginLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeGISTEmbedLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeCachedGISTEmbedLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeBatchAllTripletLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeBatchHardTripletLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeBatchHardSoftMarginTripletLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeBatchSemiHardTripletLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeTripletLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeContrastiveLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeOnlineContrastiveLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeCosineSimilarityLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeCoSENTLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeAnglELoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeContrastiveTensionLoss(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeContrastiveTensionLossInBatchNegatives(const LossSpec&, const LossContext&);
std::unique_ptr<Loss> makeDenoisingAutoEncoderLoss(const LossSpec&, const LossContext&);

namespace {

const std::map<std::string, LossFactory>& registry() {
  static const std::map<std::string, LossFactory> table = {
      {"MultipleNegativesRankingLoss", makeMultipleNegativesRankingLoss},
      {"MultipleNegativesSymmetricRankingLoss", makeMultipleNegativesSymmetricRankingLoss},
      {"MatryoshkaLoss", makeMatryoshkaLoss},
      {"SoftmaxLoss", makeSoftmaxLoss},
      {"AdaptiveLayerLoss", makeAdaptiveLayerLoss},
      {"CachedMultipleNegativesRankingLoss", makeCachedMultipleNegativesRankingLoss},
      {"CachedMultipleNegativesSymmetricRankingLoss", makeCachedMultipleNegativesSymmetricRankingLoss},
      {"MegaBatchMarginLoss", makeMegaBatchMarginLoss},
      {"GISTEmbedLoss", makeGISTEmbedLoss},
      {"CachedGISTEmbedLoss", makeCachedGISTEmbedLoss},
      {"BatchAllTripletLoss", makeBatchAllTripletLoss},
      {"BatchHardTripletLoss", makeBatchHardTripletLoss},
      {"BatchHardSoftMarginTripletLoss", makeBatchHardSoftMarginTripletLoss},
      {"BatchSemiHardTripletLoss", makeBatchSemiHardTripletLoss},
      {"TripletLoss", makeTripletLoss},
      {"ContrastiveLoss", makeContrastiveLoss},
      {"OnlineContrastiveLoss", makeOnlineContrastiveLoss},
      {"CosineSimilarityLoss", makeCosineSimilarityLoss},
      {"CoSENTLoss", makeCoSENTLoss},
      {"AnglELoss", makeAnglELoss},
      {"ContrastiveTensionLoss", makeContrastiveTensionLoss},
      {"ContrastiveTensionLossInBatchNegatives", makeContrastiveTensionLossInBatchNegatives},
      {"DenoisingAutoEncoderLoss", makeDenoisingAutoEncoderLoss},
  };
  return table;
}

}  // namespace

std::vector<std::string> knownLosses() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

std::unique_ptr<Loss> createLoss(const LossSpec& spec, const LossContext& context) {
  auto it = registry().find(spec.name());
  if (it == registry().end()) {
    std::string known;
    for (const auto& n : knownLosses()) known += (known.empty() ? "" : ", ") + n;
    TORCH_CHECK(false, "unknown loss \"", spec.name(), "\"; the engine has ", known);
  }
  return it->second(spec, context);
}

}  // namespace embedforge
