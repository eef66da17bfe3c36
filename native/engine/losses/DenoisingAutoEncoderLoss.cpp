// DenoisingAutoEncoderLoss (TSDAE): a BERT decoder reconstructs each original sentence from the sentence
// embedding of its damaged copy, as sentence-transformers 6 builds it with tie_encoder_decoder = True.
// Inputs: 2 columns of token ids, column 0 the damaged (noisy) sentences, column 1 the originals; no labels.
//   reps    = encoder(column 0)                                   (B, H) the model's sentence embeddings
//   target  = column 1's ids, padded with pad_token_id             (B, L), [CLS] ... [SEP] [PAD]...
//   logits  = decoder(target[:, :L-1], memory = reps)             (B, L-1, vocab)   (BertDecoder.h)
//   loss    = cross_entropy(logits, target[:, 1:]), mean over the labels that are not pad_token_id
// so [CLS] is the first decoder input, [SEP] the last label, and the padding is never a label.
// Only column 0 goes through the encoder: the originals are decoder targets, as in sentence-transformers.
// The decoder's "bert.*" tensors are the encoder's own (tied): their gradients add up in the encoder's
// parameters. Its own parameters (cross-attention of every layer, the LM head's transform and bias) are
// the loss's (Loss::parameters): taken from the spec ("decoderParameters", by name, for tests), else from
// the model file's unused tensors when it has them (an MLM checkpoint's "cls.predictions.*", as transformers
// loads the decoder from the model's folder), else transformers' BERT init (normal(0, initializer_range)
// weights, zero biases, LayerNorm 1/0) drawn from LibTorch's default CPU generator, which the Trainer seeds.
// The decoder runs under the encoder's autocast; the cross-entropy in fp32. Dropout follows the model's
// config in training; the engine evaluates (eval_loss) under inference mode, where dropout is off.
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include "BertDecoder.h"
#include "LossRegistry.h"
#include "Precision.h"

namespace embedforge {

namespace {

class DenoisingAutoEncoderLoss : public Loss {
 public:
  DenoisingAutoEncoderLoss(const BertEncoder& encoder, BertDecoder::Named own)
      : padTokenId_(encoder.config().padTokenId), decoder_(encoder, std::move(own)) {}

  std::string name() const override { return "DenoisingAutoEncoderLoss"; }

  std::vector<std::pair<std::string, at::Tensor>> parameters() const override { return decoder_.ownParameters(); }

  at::Tensor compute(const LossInputs&) const override {
    TORCH_CHECK(false, name(), " decodes the original sentences' token ids: it runs only as the training loss of the engine, "
                "not over given embeddings");
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    TORCH_CHECK(embedder.numColumns() == 2, name(), " needs (damaged_sentence, original_sentence) pairs: exactly 2 input columns, got ",
                embedder.numColumns(), " input column(s) (DenoisingAutoEncoderDataset / the noise transform makes them from single sentences)");
    TORCH_CHECK(!labels.defined(), name(),
                " takes no labels, but the data has a \"label\"/\"score\" column; drop it or choose a loss that uses it");
    const int64_t rows = embedder.rows();
    at::Tensor reps = embedder.embedColumn(0);
    auto [input, target] = decoderIdsAndLabels(embedder.texts(1, 0, rows), embedder.device());
    at::Tensor logits;
    {
      AutocastScope autocast(embedder.precision(), embedder.device());
      // The engine trains with autograd and evaluates in inference mode: dropout only in the former.
      logits = decoder_.forward(input, reps, at::GradMode::is_enabled());
    }
    at::Tensor value = at::cross_entropy_loss(logits.to(at::kFloat).reshape({-1, logits.size(-1)}), target.reshape(-1),
                                              /*weight=*/{}, at::Reduction::Mean, padTokenId_);
    return {value, [value](const at::Tensor& gradOutput) { value.backward(gradOutput); }};
  }

 private:
  /** Column 1 padded to (B, L) with pad_token_id: its first L-1 tokens are the decoder input, its last L-1 the labels. */
  std::pair<at::Tensor, at::Tensor> decoderIdsAndLabels(const PackedTexts& texts, const at::Device& device) const {
    const int64_t b = texts.numTexts();
    int64_t len = 0;
    for (int64_t i = 0; i < b; ++i) len = std::max<int64_t>(len, texts.cuSeqlens[i + 1] - texts.cuSeqlens[i]);
    TORCH_CHECK(len >= 2, name(), ": the original sentences tokenize to at most ", len,
                " token(s); the decoder needs at least 2 ([CLS] to predict the next from)");
    at::Tensor ids = at::full({b, len}, padTokenId_, at::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    for (int64_t i = 0; i < b; ++i) {
      for (int32_t t = texts.cuSeqlens[i]; t < texts.cuSeqlens[i + 1]; ++t) acc[i][t - texts.cuSeqlens[i]] = texts.inputIds[t];
    }
    ids = ids.to(device);
    return {ids.narrow(1, 0, len - 1), ids.narrow(1, 1, len - 1)};
  }

  int64_t padTokenId_;
  BertDecoder decoder_;
};

/** "decoder.bert.X" -> "X", "decoder.cls.X" -> "cls.X": the name in the model file (BertEncoder::extras strips "bert."). */
std::string fileName(const std::string& name) {
  const std::string bert = "decoder.bert.", decoder = "decoder.";
  if (name.rfind(bert, 0) == 0) return name.substr(bert.size());
  return name.substr(decoder.size());
}

at::Tensor initialValue(const std::string& name, const std::vector<int64_t>& shape, const BertConfig& config) {
  auto endsWith = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name.find("LayerNorm") != std::string::npos) return endsWith("weight") ? at::ones(shape) : at::zeros(shape);
  if (endsWith("bias")) return at::zeros(shape);
  return at::empty(shape, at::kFloat).normal_(0.0, config.initializerRange);
}

}  // namespace

std::unique_ptr<Loss> makeDenoisingAutoEncoderLoss(const LossSpec& spec, const LossContext& context) {
  TORCH_CHECK(context.encoder, spec.name(), ": internal: no encoder to tie the decoder to");
  TORCH_CHECK(spec.boolean("tieEncoderDecoder"), spec.name(),
              ": tie_encoder_decoder = false (a separate decoder from decoder_name_or_path) is not supported; the engine ties "
              "the decoder to the encoder, as sentence-transformers does by default");
  // The decoder reuses BERT's layers and weight names (BertDecoder.h): other architectures are refused by name.
  const auto* bert = dynamic_cast<const BertEncoder*>(context.encoder);
  TORCH_CHECK(bert && bert->config().modelType == "bert", spec.name(), ": the decoder is a BERT decoder tied to the encoder's weights; model_type \"",
              context.encoder->encoderConfig().modelType, "\" is not supported (only \"bert\")");
  const BertEncoder& encoder = *bert;
  const BertConfig& config = encoder.config();
  std::map<std::string, std::vector<double>> given;
  if (spec.has("decoderParameters")) given = spec.numberLists("decoderParameters");
  BertDecoder::Named own;
  for (const auto& [name, shape] : BertDecoder::ownShapes(config)) {
    at::Tensor value;
    const auto file = encoder.extras().find(fileName(name));
    if (spec.has("decoderParameters")) {
      auto it = given.find(name);
      TORCH_CHECK(it != given.end(), spec.name(), ": decoderParameters lacks \"", name, "\"");
      value = at::tensor(it->second, at::kDouble).to(at::kFloat);
      TORCH_CHECK(value.numel() == at::empty(shape, at::kFloat).numel(), spec.name(), ": decoderParameters \"", name, "\" must hold ",
                  at::empty(shape, at::kFloat).numel(), " numbers (shape ", at::IntArrayRef(shape), ", row-major), got ", value.numel());
      value = value.reshape(shape);
      given.erase(it);
    } else if (file != encoder.extras().end() && file->second.sizes() == at::IntArrayRef(shape)) {
      value = file->second.to(at::kFloat);
    } else {
      value = initialValue(name, shape, config);
    }
    own.emplace_back(name, value.to(context.device).detach().clone().requires_grad_(true));
  }
  TORCH_CHECK(given.empty(), spec.name(), ": decoderParameters has \"", given.empty() ? "" : given.begin()->first,
              "\", which is not a parameter of the decoder");
  return std::make_unique<DenoisingAutoEncoderLoss>(encoder, std::move(own));
}

}  // namespace embedforge
