// The ModernBERT encoder (model_type "modernbert": ModernBERT, gte-modernbert, modernbert-embed) over Hugging Face
// weight names without the "model." prefix ([bias] only when the config's norm_bias / attention_bias / mlp_bias says):
//   embeddings.tok_embeddings.weight (V, H), embeddings.norm.weight [bias] (H)
//   layers.N.attn_norm.weight [bias] (H)        (none in layer 0: its attn_norm is the identity)
//   layers.N.attn.Wqkv.weight (3H, H) [bias]    rows: q, k, v, each heads x headDim
//   layers.N.attn.Wo.weight (H, H) [bias]
//   layers.N.mlp_norm.weight [bias] (H)
//   layers.N.mlp.Wi.weight (2I, H) [bias]       rows: the activation's input, then the gate
//   layers.N.mlp.Wo.weight (H, I) [bias]
//   final_norm.weight [bias] (H)
// Forward on the T packed tokens (x: (T, H)), pre-norm:
//   x = drop_emb(LN(tok[ids]))
//   per layer: x += drop_attn(Wo(attn(rope(q), rope(k), v)))  with q, k, v = Wqkv(attn_norm(x))
//              x += Wo(drop_mlp(act(a) * g))                   with (a, g) = Wi(mlp_norm(x)) split in halves
//   out = LN_final(x)
// Rotary embedding on q and k from the token's position 0..len-1 in its text: pairs (d, d + headDim/2) rotated by
// pos * theta^(-2d/headDim), theta = global_rope_theta on global layers, local_rope_theta on local ones. Global
// layers attend over the whole text; local layers (all but every global_attn_every_n_layers-th, or as layer_types
// says) only within local_attention / 2 positions either side. Linear weights are (out, in) as in torch.nn.Linear.
// Tensors of a loaded file the encoder does not use (an MLM head's head.* / decoder.*) are kept and written back.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ModernBertConfig.h"
#include "PackedBatch.h"
#include "PretrainedEncoder.h"

namespace embedforge {

class ModernBertEncoder : public PretrainedEncoder {
 public:
  ModernBertEncoder(ModernBertConfig config, at::Device device);

  const ModernBertConfig& config() const { return config_; }
  EncoderConfig encoderConfig() const override;
  /** As the HF Trainer decides: not biases, not the LayerNorms' weights (every *norm*); the embeddings decay. */
  bool decays(const std::string& name) const override;

  /** transformers' ModernBERT init: truncated normal (+-initializer_cutoff_factor std) with std initializer_range for
   *  the embeddings, Wqkv and Wi, initializer_range / sqrt(2 * num_hidden_layers) for attn.Wo and mlp.Wo; zero
   *  biases; norms 1 / 0. Drawn on the CPU, so a seed gives the same weights on every device. */
  void init(uint64_t seed) override;

  at::Tensor forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates = nullptr) const override;
  std::unique_ptr<Encoder> createLike() const override;

 private:
  struct Layer {
    bool global = true;
    at::Tensor attnNormW, attnNormB, qkvW, qkvB, attnOutW, attnOutB, mlpNormW, mlpNormB, wiW, wiB, woW, woB;
  };
  void bindLayers();
  /** The "model." prefix of ModernBertForMaskedLM & co. is optional in files. */
  Shapes expectedShapes() const override;
  /** (T, headDim) cos and sin of the rotary angles for each token's position, for base theta. */
  std::pair<at::Tensor, at::Tensor> rotaryTables(const at::Tensor& positions, double theta) const;

  ModernBertConfig config_;
  at::Tensor tokEmb_, embNormW_, embNormB_, finalNormW_, finalNormB_;
  std::vector<Layer> layers_;
};

}  // namespace embedforge
