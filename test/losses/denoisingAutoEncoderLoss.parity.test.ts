/**
 * DenoisingAutoEncoderLoss (TSDAE) through the loss parity harness: sentence-transformers builds its decoder
 * (BertLMHeadModel, is_decoder, cross-attention, tied to the encoder) from the tiny model's folder; the engine
 * ties its BertDecoder to the encoder's tensors. Both get the same decoder-only parameters (cross-attention of
 * every layer, the LM head's transform and bias: drawn here, non-trivial) and the same damaged inputs (the
 * deletion noise drawn once, with a fixed seed, before either side runs). Compared: the loss and the gradient
 * of every encoder parameter (the encoder's and the decoder's uses of the tied tensors added up) and of every
 * decoder-only parameter, rel <= 1e-4. The cross-attention's query and key see one memory token, whose softmax
 * is 1: their gradients are analytically 0 and checked as noise.
 */
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { DenoisingAutoEncoderDataset } from '../../lib/data/DenoisingAutoEncoderDataset';
import { DenoisingAutoEncoderLoss } from '../../lib/losses/DenoisingAutoEncoderLoss';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';
import { SeededRandom } from '../../lib/data/SeededRandom';

const HIDDEN = 32;
const LAYERS = 2;
const VOCAB = 30522;

/** Seeded floats in [0, 1): the project's own generator, so every run of a seed is identical. */
function uniform(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.nextFloat();
}

/** The decoder-only parameters by sentence-transformers' names: [shape, values around `centre` +- `spread`]. */
function decoderParameters(seed: number): Map<string, { shape: number[]; values: number[] }> {
  const next = uniform(seed);
  const out = new Map<string, { shape: number[]; values: number[] }>();
  const add = (name: string, shape: number[], centre: number, spread: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape, values: Array.from({ length: n }, () => centre + spread * (2 * next() - 1)) });
  };
  for (let l = 0; l < LAYERS; l++) {
    const p = `decoder.bert.encoder.layer.${l}.crossattention.`;
    for (const w of ['query', 'key', 'value']) {
      add(`${p}self.${w}.weight`, [HIDDEN, HIDDEN], 0, 0.3);
      add(`${p}self.${w}.bias`, [HIDDEN], 0, 0.1);
    }
    add(`${p}output.dense.weight`, [HIDDEN, HIDDEN], 0, 0.3);
    add(`${p}output.dense.bias`, [HIDDEN], 0, 0.1);
    add(`${p}output.LayerNorm.weight`, [HIDDEN], 1, 0.2);
    add(`${p}output.LayerNorm.bias`, [HIDDEN], 0, 0.1);
  }
  add('decoder.cls.predictions.transform.dense.weight', [HIDDEN, HIDDEN], 0, 0.3);
  add('decoder.cls.predictions.transform.dense.bias', [HIDDEN], 0, 0.1);
  add('decoder.cls.predictions.transform.LayerNorm.weight', [HIDDEN], 1, 0.2);
  add('decoder.cls.predictions.transform.LayerNorm.bias', [HIDDEN], 0, 0.1);
  add('decoder.cls.predictions.bias', [VOCAB], 0, 0.5);
  return out;
}

const nested = (shape: number[], values: number[]): number[] | number[][] =>
  shape.length === 1 ? values : Array.from({ length: shape[0] }, (_, r) => values.slice(r * shape[1], (r + 1) * shape[1]));

/** The decoder's query/key (and the key bias the harness already treats so) see one memory token: gradient 0. */
const crossQueryKey = Array.from({ length: LAYERS }, (_, l) => ['query.weight', 'query.bias', 'key.weight']
  .map((w) => `losses.0.decoder.bert.encoder.layer.${l}.crossattention.self.${w}`)).flat();

function daeCase(name: string, originals: string[], pooling: LossParityCase['pooling'], normalize: boolean, seed: number): LossParityCase {
  const noise = new DenoisingAutoEncoderDataset(originals, { seed });
  const params = decoderParameters(seed);
  const loss = new DenoisingAutoEncoderLoss({ decoderParameters: Object.fromEntries([...params].map(([n, p]) => [n, p.values])) });
  return {
    name, pooling, normalize, texts: [[...noise.damaged], originals],
    st: { class: 'DenoisingAutoEncoderLoss' },
    spec: loss.toSpec() as LossSpec,
    lossParameters: Object.fromEntries([...params].map(([n, p]) => [n, nested(p.shape, p.values)])),
    analyticallyZero: crossQueryKey,
  };
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'DenoisingAutoEncoderLoss: parity with sentence-transformers', () => {
  test('tied decoder: loss and every gradient (encoder, cross-attention, LM head) on damaged/original pairs of mixed lengths', async () => {
    const rows = legalRows(12);
    // Questions (short, of different lengths: the target padding varies) and passages (truncated at 48 tokens).
    const mixed = [...rows.slice(0, 6).map((r) => r.anchor), ...rows.slice(6, 8).map((r) => r.positive)];
    const results = await runLossParity([
      daeCase('dae_mean', mixed, 'mean', false, 1),
      daeCase('dae_cls_normalized', rows.slice(4, 10).map((r) => r.anchor), 'cls', true, 2),
    ], 'dae');
    for (const r of results) process.stdout.write(`${r.report}\n`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
      expect([r.name, r.stLoss > 0, r.gradNorm > 0]).toEqual([r.name, true, true]);
    }
  }, 240_000);

  test('the loss refuses what it cannot take: one column, labels, an untied decoder', () => {
    const loss = new DenoisingAutoEncoderLoss();
    expect(() => loss.checkData({ inputs: ['text'], label: null })).toThrow(/DenoisingAutoEncoderLoss needs \(damaged_sentence, original_sentence\) pairs/);
    expect(() => loss.checkData({ inputs: ['noisy', 'text'], label: 'label', labels: Float32Array.from([1]) })).toThrow(/takes no labels/);
    expect(() => new DenoisingAutoEncoderLoss({ tieEncoderDecoder: false })).toThrow(/tie_encoder_decoder = false .* not supported/);
    expect(loss.toSpec()).toEqual({ name: 'DenoisingAutoEncoderLoss', tieEncoderDecoder: true });
  });
});
