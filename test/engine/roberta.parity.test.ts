/**
 * RoBERTa and XLM-RoBERTa (model_type "roberta", "xlm-roberta") in the engine against transformers'
 * RobertaModel / XLMRobertaModel + sentence-transformers' mean Pooling (scripts/reference/roberta_reference.py):
 * tiny random models at two shapes, every parameter drawn far from its init so that a wrong position row
 * (positions start at pad_token_id + 1) or weight name shows; one case loads an XLMRobertaForMaskedLM file,
 * whose encoder tensors carry the "roberta." prefix. fp32 on the CPU; min row cosine and max abs diff printed.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { maxAbsDiff, pack } from './fixtures';
import { readSafetensors } from './safetensors';

describeIf(missing({ addon: true, python: true }), 'RoBERTa / XLM-RoBERTa parity with transformers + sentence-transformers (fp32, CPU)', () => {
  let dir: string;
  let cases: string[];

  beforeAll(() => {
    dir = tmpDir('roberta-parity');
    cases = JSON.parse(runPython('roberta_reference.py', ['--out', dir]).trim().split('\n').pop()!);
  });

  test('mean-pooled embeddings match at two shapes, with and without the "roberta." prefix', async () => {
    const report: string[] = [];
    expect(cases).toHaveLength(4);
    for (const name of cases) {
      const caseDir = path.join(dir, name);
      const { ids, longest, hidden } = JSON.parse(fs.readFileSync(path.join(caseDir, 'ids.json'), 'utf8')) as
        { ids: number[][]; longest: number; hidden: number };
      const configJson = fs.readFileSync(path.join(caseDir, 'model', 'config.json'), 'utf8');
      const enc = await loadAddon().NativeEncoder.create({ configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(path.join(caseDir, 'model', 'model.safetensors'));
      const got = await enc.encode(pack(ids));
      const want = readSafetensors(path.join(caseDir, 'embeddings.safetensors')).mean.data as Float32Array;
      expect(got.length).toBe(want.length);
      let minCos = 1;
      for (let r = 0; r < ids.length; r++) {
        const a = got.subarray(r * hidden, (r + 1) * hidden);
        const b = want.subarray(r * hidden, (r + 1) * hidden);
        let dot = 0, na = 0, nb = 0;
        for (let i = 0; i < hidden; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
      }
      report.push(`${name}: min row cosine ${minCos.toFixed(9)}, max abs diff ${maxAbsDiff(got, want).toExponential(2)}`);
      expect(minCos).toBeGreaterThanOrEqual(0.99999);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
      // The position table holds pad_token_id + 1 rows before the first text position: one token more does not fit.
      await expect(enc.encode(pack([Array(longest + 1).fill(5)]))).rejects.toThrow(`text 0 has ${longest + 1} tokens`);
      await enc.dispose();
    }
    console.log(report.join('\n'));
  });

  test('DenoisingAutoEncoderLoss, whose decoder is tied to BERT weights, refuses a RoBERTa encoder by name', async () => {
    const configJson = fs.readFileSync(path.join(dir, 'roberta-small', 'model', 'config.json'), 'utf8');
    const enc = await loadAddon().NativeEncoder.create({ configJson, pooling: 'cls', normalize: false, device: 'cpu' });
    await expect(enc.configureTraining({
      losses: [{ name: 'DenoisingAutoEncoderLoss', tieEncoderDecoder: true }],
      optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
    })).rejects.toThrow('model_type "roberta" is not supported (only "bert")');
    await enc.dispose();
  });
});
