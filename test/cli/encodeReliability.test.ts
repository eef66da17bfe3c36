/**
 * `embedforge encode` and `evaluate` fail loudly rather than report success or numbers they do not have:
 * encode resolves only once its file is in place, a write that fails is an error naming the path (exit 1,
 * no success line, no unhandled rejection), and weights or embeddings holding NaN/Inf are refused with an
 * error naming the model folder, before anything is written or scored.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { encodeCommand } from '../../lib/cli/encodeCommand';
import { evaluateCommand } from '../../lib/cli/evaluateCommand';
import { readNpy } from '../helpers/npy';
import { describeIf, missing, repoRoot, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';
import { joinSafetensors, splitSafetensors, type HeaderEntry } from '../engine/rawSafetensors';

/** Runs the CLI from its TypeScript source (transpiled on require), so the test needs no `npm run build:ts`. */
const requireHook = `const fs = require('fs');
const ts = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'typescript'))});
require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }, fileName: f }).outputText, f);
`;

describeIf(missing({ addon: true }), 'encode and evaluate: failures are errors, never success', () => {
  const work = tmpDir('encode-reliability');
  const modelDir = path.join(work, 'model');
  const overflowDir = path.join(work, 'overflowing-model');
  const nanDir = path.join(work, 'nan-model');
  const input = path.join(work, 'texts.txt');
  const pairs = path.join(work, 'pairs.jsonl');
  const hook = path.join(work, 'ts-hook.js');
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, ['-r', hook, path.join(repoRoot, 'lib', 'cli', 'main.ts'), ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };
  /** A copy of the model folder with some tensors' values rewritten. */
  const copyWithWeights = (dir: string, edit: (name: string, values: Float32Array) => void) => {
    fs.cpSync(modelDir, dir, { recursive: true });
    const file = path.join(dir, 'model.safetensors');
    const { header, data } = splitSafetensors(file);
    const bytes = Buffer.from(data);
    for (const [name, e] of Object.entries(header)) {
      if (name === '__metadata__' || (e as HeaderEntry).dtype !== 'F32') continue;
      const [b, end] = (e as HeaderEntry).data_offsets;
      edit(name, new Float32Array(bytes.buffer, bytes.byteOffset + b, (end - b) / 4));
    }
    const raw = fs.readFileSync(file);
    const n = Number(raw.readBigUInt64LE(0));
    fs.writeFileSync(file, joinSafetensors(raw.subarray(8, 8 + n), bytes));
  };

  beforeAll(async () => {
    fs.writeFileSync(hook, requireHook);
    const { model, dataset } = await tinySetup(work, { numCompanies: 6 });
    await model.save(modelDir);
    const rows = Array.from({ length: dataset.numRows }, (_, i) => dataset.row(i) as { anchor: string; positive: string });
    fs.writeFileSync(input, rows.slice(0, 5).map((r) => r.anchor).join('\n') + '\n');
    fs.writeFileSync(pairs, rows.map((r, i) => JSON.stringify({ id: i, ...r })).join('\n') + '\n');
    // Finite weights whose sum overflows float32: word + position embeddings = Inf, LayerNorm(Inf) = NaN.
    copyWithWeights(overflowDir, (name, v) => {
      if (name === 'embeddings.word_embeddings.weight' || name === 'embeddings.position_embeddings.weight') v.fill(3e38);
    });
    copyWithWeights(nanDir, (name, v) => {
      if (name === 'encoder.layer.0.intermediate.dense.weight') v[5] = NaN;
    });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('encodeCommand resolves only once the output file is complete in place, no temporary file left', async () => {
    const out = path.join(work, 'api.npy');
    const r = await encodeCommand({ model: modelDir, input, output: out });
    expect(fs.existsSync(out)).toBe(true);
    const npy = readNpy(out);
    expect([npy.rows, npy.cols]).toEqual([5, r.dim]);
    expect(fs.readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('an output in a missing folder or onto a folder: exit 1, an error naming the path, no success line', async () => {
    const missingDir = path.join(work, 'no-such-folder');
    const a = cli(['encode', '--model', modelDir, '--input', input, '--output', path.join(missingDir, 'out.npy')]);
    expect({ code: a.code, signal: a.signal, stderr: a.stderr }).toEqual({ code: 1, signal: null,
      stderr: `embedforge: --output ${path.join(missingDir, 'out.npy')}: cannot write the embeddings: its folder ${missingDir} does not exist\n` });
    // Onto an existing folder: the rename fails after the temporary file was written; it is removed.
    const folder = path.join(work, 'taken.jsonl');
    fs.mkdirSync(path.join(folder, 'inside'), { recursive: true });
    await expect(encodeCommand({ model: modelDir, input, output: folder }))
      .rejects.toThrow(new RegExp(`^--output ${folder}: cannot write the embeddings: ${folder} is a folder$`));
    expect(fs.readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('weights holding NaN: encode and evaluate fail at load, naming the file and the tensor', async () => {
    const r = cli(['encode', '--model', nanDir, '--input', input, '--output', path.join(work, 'nan.npy')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`embedforge: ${path.join(nanDir, 'model.safetensors')}: tensor encoder.layer.0.intermediate.dense.weight holds 1 ` +
      'non-finite values (NaN or Inf) of 2048; the weights are unusable (saved after training diverged?)\n');
    expect(fs.existsSync(path.join(work, 'nan.npy'))).toBe(false);
    await expect(evaluateCommand({ model: nanDir, data: pairs, device: 'cpu' })).rejects.toThrow(/intermediate\.dense\.weight holds 1 non-finite values/);
  });

  test('finite weights giving NaN embeddings: encode writes nothing and evaluate scores nothing, naming the model folder', async () => {
    const out = path.join(work, 'overflow.npy');
    const r = cli(['encode', '--model', overflowDir, '--input', input, '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`embedforge: model ${overflowDir}: embedding row 0 of the lines of ${input} holds NaN (dimension 0); ` +
      `${5 * 32} of ${5 * 32} values are not finite. The model folder's weights or its computation are broken (saved after training diverged?)\n`);
    expect(fs.existsSync(out)).toBe(false);
    await expect(evaluateCommand({ model: overflowDir, data: pairs, device: 'cpu', json: true }))
      .rejects.toThrow(new RegExp(`^model ${overflowDir}: embedding row 0 of the queries holds NaN`));
  });
});
