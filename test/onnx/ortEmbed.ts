/**
 * Sentence embeddings from an exported model.onnx through onnxruntime-node, as a user serving it would
 * compute them: right-padded int64 inputs with an attention mask, the model's pooling over last_hidden_state,
 * then L2 normalization when the folder has a Normalize module. onnxruntime-node's tensors are typed arrays
 * of Node's own realm, which jest's sandbox does not recognise: tests run this file in a child process
 * (ortEmbedInChild), which reads its request from a JSON file and prints the result as JSON.
 */
import * as fs from 'fs';
import * as ort from 'onnxruntime-node';
import { runTsSync } from '../helpers/tsChild';

interface Request { onnxFile: string; ids: number[][]; pooling: 'mean' | 'cls'; normalize: boolean }
interface Result { rows: number[][]; inputNames: string[] }

/** ortEmbed in a child Node process. */
export function ortEmbedInChild(requestFile: string, request: Request): Result {
  fs.writeFileSync(requestFile, JSON.stringify(request));
  const child = runTsSync('test/onnx/ortEmbed.ts', [requestFile], 120_000);
  if (child.status !== 0) throw new Error(`ortEmbed child failed (${child.status ?? child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout) as Result;
}

if (require.main === module) {
  const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Request;
  void ortEmbed(request.onnxFile, request.ids.map((r) => Int32Array.from(r)), request.pooling, request.normalize).then(({ rows, inputNames }) => {
    process.stdout.write(JSON.stringify({ rows: rows.map((r) => Array.from(r)), inputNames }));
  });
}

export async function ortEmbed(onnxFile: string, ids: Int32Array[], pooling: 'mean' | 'cls', normalize: boolean): Promise<{ rows: Float32Array[]; inputNames: readonly string[] }> {
  const session = await ort.InferenceSession.create(onnxFile);
  const batch = ids.length, length = Math.max(...ids.map((r) => r.length));
  const inputIds = new BigInt64Array(batch * length), mask = new BigInt64Array(batch * length);
  ids.forEach((row, b) => row.forEach((id, j) => {
    inputIds[b * length + j] = BigInt(id);
    mask[b * length + j] = 1n;
  }));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', inputIds, [batch, length]),
    attention_mask: new ort.Tensor('int64', mask, [batch, length]),
  };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * length), [batch, length]);
  const out = (await session.run(feeds)).last_hidden_state;
  const hidden = out.dims[2];
  const data = out.data as Float32Array;
  const rows = ids.map((row, b) => {
    const v = new Float32Array(hidden);
    const tokens = pooling === 'cls' ? 1 : row.length;
    for (let j = 0; j < tokens; j++) for (let k = 0; k < hidden; k++) v[k] += data[(b * length + j) * hidden + k] / tokens;
    if (normalize) {
      const norm = Math.max(Math.hypot(...v), 1e-12);
      for (let k = 0; k < hidden; k++) v[k] /= norm;
    }
    return v;
  });
  await session.release();
  return { rows, inputNames: session.inputNames };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
