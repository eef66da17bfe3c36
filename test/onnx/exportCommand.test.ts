/**
 * `embedforge export --onnx` (once through lib/cli/main.ts run from source, else exportCommand itself, since a
 * CLI start costs seconds here): OUT is the model folder plus onnx/model.onnx,
 * the source untouched; a rerun replaces OUT; an unrelated folder is refused, not replaced; --output equal to
 * --model adds only the ONNX file; tokenizer_config.json's model_max_length follows max_seq_length, so that
 * transformers.js truncates where embedforge does.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { exportCommand } from '../../lib/cli/exportCommand';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { tsNodeArgs } from '../helpers/tsChild';
import { cosine, ortEmbedInChild } from './ortEmbed';

function cli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, tsNodeArgs('lib/cli/main.ts', ['export', ...args]), { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'embedforge export --onnx', () => {
  const work = tmpDir('onnx-cli');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('writes OUT = the model folder + onnx/model.onnx, which onnxruntime runs as encode() does; a rerun replaces it', async () => {
    const source = tinyStModel('mpnet', { initRange: 0.2 });
    const out = path.join(work, 'served');
    const r = cli(['--model', source, '--output', out, '--onnx']);
    expect(r.stderr).toContain(`wrote ${path.join(out, 'onnx', 'model.onnx')}`);
    expect(r.status).toBe(0);
    fs.writeFileSync(path.join(out, 'stale.txt'), 'from an earlier export');
    await exportCommand({ model: source, output: out, onnx: true });
    expect(fs.existsSync(path.join(out, 'stale.txt'))).toBe(false);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'modules.json', '1_Pooling/config.json', 'model.safetensors', 'onnx/model.onnx']) {
      expect(fs.existsSync(path.join(out, f))).toBe(true);
    }
    expect(fs.existsSync(path.join(source, 'onnx'))).toBe(false);
    expect(fs.readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);  // no temporary folder left

    const model = await SentenceTransformer.load(out, { device: 'cpu' });
    try {
      const texts = ['a short one', 'a somewhat longer text, with more words in it than the first one has'];
      const { rows } = ortEmbedInChild(path.join(work, 'request.json'),
        { onnxFile: path.join(out, 'onnx', 'model.onnx'), ids: model.tokenize(texts).map((r) => Array.from(r)), pooling: 'mean', normalize: true });
      const ours = await model.encode(texts);
      rows.forEach((row, i) => expect(cosine(row, ours.subarray(i * 64, (i + 1) * 64))).toBeGreaterThanOrEqual(0.99999));
    } finally {
      await model.dispose();
    }
  });

  test('refuses to replace a folder that is not a model folder, and asks for a format', async () => {
    const other = path.join(work, 'notes');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'todo.txt'), 'keep me');
    const model = tinyStModel('bert', { initRange: 0.2 });
    await expect(exportCommand({ model, output: other, onnx: true })).rejects.toThrow(`--output ${other} exists and is not a model folder`);
    expect(fs.readdirSync(other)).toEqual(['todo.txt']);
    await expect(exportCommand({ model, output: path.join(work, 'x') })).rejects.toThrow('--onnx');
    await expect(exportCommand({ model: other, output: path.join(work, 'x'), onnx: true })).rejects.toThrow(`model folder ${other} has no config.json`);
  });

  test('a config the engine refuses is refused, not exported as something else', async () => {
    const folder = path.join(work, 'relative-positions');
    fs.cpSync(tinyStModel('bert', { initRange: 0.2 }), folder, { recursive: true });
    const configFile = path.join(folder, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), position_embedding_type: 'relative_key' }));
    await expect(exportCommand({ model: folder, output: folder, onnx: true })).rejects.toThrow(`${configFile}: position_embedding_type "relative_key" has no ONNX export`);
    expect(fs.existsSync(path.join(folder, 'onnx'))).toBe(false);
  });

  test('--output = --model adds onnx/model.onnx in place; tokenizer_config.json takes max_seq_length', async () => {
    const folder = path.join(work, 'in-place');
    fs.cpSync(tinyStModel('modernbert', { initRange: 0.2 }), folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 32, do_lower_case: false }));
    const before = fs.readdirSync(folder).sort();
    await exportCommand({ model: folder, output: folder, onnx: true });
    expect(fs.readdirSync(folder).sort()).toEqual([...before, 'onnx'].sort());
    expect(fs.readdirSync(path.join(folder, 'onnx'))).toEqual(['model.onnx']);
    expect(JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(32);
  });
});
