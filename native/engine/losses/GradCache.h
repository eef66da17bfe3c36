// GradCache (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited
// Setup"), the three steps sentence-transformers' CachedLossMixin runs, for the Cached* losses:
//   1. embed every column in mini-batches of `miniBatch` rows without autograd, keeping each
//      mini-batch's RNG state (BatchEmbedder::embed);
//   2. compute the loss on those embeddings made leaves, in row chunks whose graphs are
//      back-propagated one at a time (only one chunk's score matrix lives at once): the gradients
//      d loss / d embedding are the cache;
//   3. at backward: re-embed each mini-batch with autograd, replaying its RNG state, and
//      back-propagate gradOutput * its cached gradient into the encoder. The replayed embeddings are
//      checked against step 1's (a mask not replayed would pair the cache with other embeddings).
// Only one mini-batch of encoder activations is alive at a time, so the batch size (the number of
// in-batch negatives) is bounded by the memory of the embeddings, not of the encoder.
// Without grad mode (the engine's evaluationLoss) only steps 1 and 2 run, without any backward.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <utility>
#include <vector>

#include "Loss.h"

namespace embedforge {

/** Step 1: every column of the batch as a (rows, D) leaf (requiring grad in grad mode), embedded in mini-batches without a graph. */
std::vector<at::Tensor> embedWithoutGraph(BatchEmbedder& embedder, int64_t miniBatch);

/** Each column's mini-batches [begin, end): miniBatch rows each or, when numTokens > 0, as many consecutive texts as
 *  fit in numTokens tokens (at least one), as sentence-transformers' mini_batch_num_tokens packs them. */
using MiniBatchRanges = std::vector<std::vector<std::pair<int64_t, int64_t>>>;
MiniBatchRanges miniBatchRanges(const BatchEmbedder& embedder, int64_t miniBatch, int64_t numTokens);
std::vector<at::Tensor> embedWithoutGraph(BatchEmbedder& embedder, const MiniBatchRanges& ranges);

/** Loss of rows [begin, end) of the batch, weighted so that the chunks sum to the batch's loss. */
using ChunkLoss = std::function<at::Tensor(int64_t begin, int64_t end)>;

/** Step 2: the sum over row chunks of `chunk` rows of chunkLoss, each chunk back-propagated as it is made
 *  (backward false: only summed, as without gradients); returns the detached total. */
at::Tensor chunkedLoss(int64_t rows, int64_t chunk, const ChunkLoss& chunkLoss, bool backward);

/** Step 3: the backward of StagedLoss, given each column's leaf from step 1 (their .grad is the cache). */
std::function<void(const at::Tensor&)> replayBackward(BatchEmbedder& embedder, int64_t miniBatch, std::vector<at::Tensor> leaves);
std::function<void(const at::Tensor&)> replayBackward(BatchEmbedder& embedder, MiniBatchRanges ranges, std::vector<at::Tensor> leaves);

/** Steps 1 to 3 for a loss whose chunks read only the columns' embeddings: chunkLoss(columns, begin, end). */
StagedLoss gradCacheStage(BatchEmbedder& embedder, int64_t miniBatch,
                          const std::function<at::Tensor(const std::vector<at::Tensor>&, int64_t, int64_t)>& chunkLoss);
/** The same with the encoder's mini-batches given (miniBatchRanges) and loss chunks of chunkRows rows. */
StagedLoss gradCacheStage(BatchEmbedder& embedder, const MiniBatchRanges& ranges, int64_t chunkRows,
                          const std::function<at::Tensor(const std::vector<at::Tensor>&, int64_t, int64_t)>& chunkLoss);

}  // namespace embedforge
