import type { LossSpec } from '../binding/AddonTypes';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface DenoisingAutoEncoderLossOptions {
  /** sentence-transformers ignores it (with a warning) when the decoder is tied; so does this. */
  decoderNameOrPath?: string;
  /** Tie the decoder's BERT weights to the encoder's (default true; false is not supported). */
  tieEncoderDecoder?: boolean;
  /** The decoder's own parameters (cross-attention, LM head transform and bias) by their name in
   *  sentence-transformers' loss module, flat row-major: for tests that give both sides the same decoder. */
  decoderParameters?: Record<string, number[]>;
}

/**
 * TSDAE: a BERT decoder, tied to the encoder, reconstructs each original sentence from the sentence embedding
 * of its damaged copy (token-level cross-entropy). Data: (damaged, original) pairs, e.g. from
 * DenoisingAutoEncoderDataset (word deletion). The decoder's own parameters (cross-attention of every layer,
 * the LM head's transform and bias) train with the encoder and stay in the training state, not in the saved
 * model: taken from the model file when it has them (an MLM checkpoint's head), else BERT's initialisation
 * drawn from the training seed. The engine computes it in native/engine/losses/DenoisingAutoEncoderLoss.cpp.
 */
export class DenoisingAutoEncoderLoss implements Loss {
  readonly name = 'DenoisingAutoEncoderLoss';
  readonly decoderNameOrPath: string | undefined;
  readonly tieEncoderDecoder: boolean;
  readonly decoderParameters: Record<string, number[]> | undefined;

  constructor(options: DenoisingAutoEncoderLossOptions = {}) {
    this.decoderNameOrPath = options.decoderNameOrPath;
    this.tieEncoderDecoder = options.tieEncoderDecoder ?? true;
    this.decoderParameters = options.decoderParameters;
    if (!this.tieEncoderDecoder) {
      throw new Error(
        'DenoisingAutoEncoderLoss: tie_encoder_decoder = false (a separate decoder loaded from decoder_name_or_path) is not supported; ' +
          'the decoder is tied to the encoder, as sentence-transformers does by default',
      );
    }
  }

  static fromConfig(o: LossOptions): DenoisingAutoEncoderLoss {
    return new DenoisingAutoEncoderLoss({
      decoderNameOrPath: o.text('decoder_name_or_path'),
      tieEncoderDecoder: o.boolean('tie_encoder_decoder', true),
    });
  }

  toSpec(): LossSpec {
    return {
      name: this.name, tieEncoderDecoder: this.tieEncoderDecoder,
      ...(this.decoderParameters ? { decoderParameters: this.decoderParameters } : {}),
    };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, {
      min: 2, max: 2,
      describe: '(damaged_sentence, original_sentence) pairs, exactly 2 input columns (DenoisingAutoEncoderDataset makes them from single sentences)',
    });
    rejectLabels(this.name, data);
  }

  checkModel(): void {}

  /** As sentence-transformers' get_config_dict(): the decoder is the model itself (tied), no retokenization.
   *  decoder_name_or_path there is the model's own path, which the loss does not know here: it is null. */
  configDict(): Record<string, unknown> {
    return { decoder_name_or_path: null, need_retokenization: false };
  }
}
