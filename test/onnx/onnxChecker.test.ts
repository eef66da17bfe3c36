/**
 * The onnx package's checker (Python, full_check: the spec's rules and strict shape inference) accepts every
 * architecture's export, and infers last_hidden_state as float [batch_size, sequence_length, hidden] from the
 * int64 [batch_size, sequence_length] inputs: the graph is valid ONNX, not merely something onnxruntime runs.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, repoRoot, tmpDir, venvPython } from '../helpers/requirements';
import { tinyStModel, type Arch } from '../helpers/stModel';

const ARCHS: Arch[] = ['bert', 'roberta', 'xlm-roberta', 'mpnet', 'modernbert'];

function onnxPackageMissing(): string | null {
  const py = venvPython();
  if (!py) return null;  // missing() names the venv
  try {
    execFileSync(py, ['-c', 'import onnx'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'the onnx Python package is not in the venv (bash scripts/setup-python.sh)';
  }
}

interface Verdict { file: string; ok: boolean; error?: string; ir_version: number; opset: number[]; inputs: { name: string; elem_type: string; shape: (string | number)[] }[]; outputs: { name: string; elem_type: string; shape: (string | number)[] }[] }

describeIf(missing({ addon: true, python: true, sharedData: true }) ?? onnxPackageMissing(), 'ONNX export passes onnx.checker', () => {
  const work = tmpDir('onnx-checker');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('every architecture: full check and inferred shapes', async () => {
    const files: string[] = [];
    for (const arch of ARCHS) {
      const model = await SentenceTransformer.load(tinyStModel(arch, { initRange: 0.2 }), { device: 'cpu' });
      try {
        await model.save(path.join(work, arch), { onnx: true });
      } finally {
        await model.dispose();
      }
      files.push(path.join(work, arch, 'onnx', 'model.onnx'));
    }
    const r = spawnSync(venvPython()!, [path.join(repoRoot, 'scripts', 'reference', 'onnx_check.py'), ...files], { encoding: 'utf8', timeout: 120_000 });
    const verdicts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Verdict);
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    expect(r.status).toBe(0);
    verdicts.forEach((v, i) => {
      const io = (list: Verdict['inputs']) => list.map((x) => `${x.name}:${x.elem_type}[${x.shape.join(',')}]`);
      expect(v.opset).toEqual([17]);
      expect(io(v.inputs)).toEqual(['input_ids:INT64[batch_size,sequence_length]', 'attention_mask:INT64[batch_size,sequence_length]',
        ...(ARCHS[i] === 'bert' ? ['token_type_ids:INT64[batch_size,sequence_length]'] : [])]);
      expect(io(v.outputs)).toEqual(['last_hidden_state:FLOAT[batch_size,sequence_length,64]']);
    });
  });
});
