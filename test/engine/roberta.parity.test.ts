/**
 * RoBERTa and XLM-RoBERTa (model_type "roberta", "xlm-roberta") in the engine against transformers'
 * RobertaModel / XLMRobertaModel + sentence-transformers' mean Pooling (scripts/reference/roberta_reference.py):
 * tiny random models at two shapes, every parameter drawn far from its init so that a wrong position row
 * (positions start at pad_token_id + 1) or weight name shows; one case loads an XLMRobertaForMaskedLM file,
 * whose encoder tensors carry the "roberta." prefix. The loss and every parameter gradient of MNRL at the first step
 * (encoderParity.ts). fp32 on the CPU; the figures are printed.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { caseEncoder, expectEmbeddingsMatch, expectFirstStepGradientsMatch, isKeyBias, readCase } from './encoderParity';
import { pack } from './fixtures';
import { readSafetensors } from './safetensors';

interface CaseData { ids: number[][]; longest: number; hidden: number; columns: number[][][]; lossValue: number }

describeIf(missing({ addon: true, python: true }), 'RoBERTa / XLM-RoBERTa parity with transformers + sentence-transformers (fp32, CPU)', () => {
  let dir: string;
  let cases: string[];

  beforeAll(() => {
    dir = tmpDir('roberta-parity');
    cases = JSON.parse(runPython('roberta_reference.py', ['--out', dir]).trim().split('\n').pop()!);
  });

  const caseData = (name: string) => readCase<CaseData>(dir, name);
  const encoder = (name: string) => caseEncoder(dir, name);

  test('mean-pooled embeddings match at two shapes, with and without the "roberta." prefix', async () => {
    const report: string[] = [];
    expect(cases).toHaveLength(4);
    for (const name of cases) {
      const { ids, longest, hidden } = caseData(name);
      const enc = await encoder(name);
      const want = readSafetensors(path.join(dir, name, 'embeddings.safetensors')).mean.data as Float32Array;
      report.push(`${name}: ${expectEmbeddingsMatch(await enc.encode(pack(ids)), want, hidden)}`);
      // The position table holds pad_token_id + 1 rows before the first text position: one token more does not fit.
      await expect(enc.encode(pack([Array(longest + 1).fill(5)]))).rejects.toThrow(`text 0 has ${longest + 1} tokens`);
      await enc.dispose();
    }
    console.log(report.join('\n'));
  });

  test('MultipleNegativesRankingLoss: the loss and every parameter gradient at the first step match', async () => {
    const report: string[] = [];
    for (const name of cases) {
      const { columns, lossValue } = caseData(name);
      const enc = await encoder(name);
      report.push(`${name}: ${await expectFirstStepGradientsMatch(enc, columns, lossValue, path.join(dir, name, 'grads.safetensors'), isKeyBias)}`);
      await enc.dispose();
    }
    console.log(`RoBERTa / XLM-RoBERTa MNRL vs sentence-transformers:\n  ${report.join('\n  ')}`);
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
