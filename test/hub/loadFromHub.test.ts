/**
 * A real (tiny) sentence-transformers model through the hub, with the real @huggingface/hub client against the
 * loopback hub of test/helpers/hubServer.ts: loading by id gives the local folder's embeddings, the CLI takes the
 * id, and model.pushToHub / trainer.pushToHub / `embedforge push` upload the folder and its model card, which
 * loads back by id with the same embeddings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildProgram } from '../../lib/cli/main';
import { encodeCommand } from '../../lib/cli/encodeCommand';
import { validateTrainConfig } from '../../lib/cli/trainConfig';
import { runTrainJob } from '../../lib/cli/trainJob';
import { Dataset } from '../../lib/data/Dataset';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { HubServer, isolateHubEnvironment } from '../helpers/hubServer';
import { readNpy, rowCosines } from '../helpers/npy';
import { describeIf, missing, runPython } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { sampleTexts } from '../helpers/texts';

const TOKEN = 'hf_testtoken0123456789';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'models from the hub: load by id, push', () => {
  let hub: HubServer;
  let root: string;
  let localDir: string;
  let commit: string;
  let local: SentenceTransformer;
  let expected: Float32Array;
  const texts = sampleTexts(12);

  beforeAll(async () => {
    hub = await HubServer.start();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-hub-load-'));
    localDir = tinyStModel();
    commit = hub.addRepo('acme/tiny-st', localDir, { extra: { 'pytorch_model.bin': 'pickle', 'onnx/model.onnx': 'onnx', 'openvino/openvino_model.bin': 'ov' } });
    local = await SentenceTransformer.load(localDir, { device: 'cpu' });
    expected = await local.encode(texts);
  });
  afterAll(async () => {
    await local?.dispose();
    await hub?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  isolateHubEnvironment(() => root, () => hub);

  test('SentenceTransformer.load(hub id) gives the local folder\'s embeddings, online and then offline', async () => {
    const before = hub.requests.length;
    const fromHub = await SentenceTransformer.load('acme/tiny-st', { device: 'cpu' });
    try {
      const snapshot = path.join(process.env.HF_HOME!, 'hub', 'models--acme--tiny-st', 'snapshots', commit);
      expect(fromHub.loadedFrom).toBe(snapshot);
      expect(fromHub.modelCardData.baseModel).toBe('acme/tiny-st');
      // Same weights and tokenizer files, same process: the same numbers (measured: identical).
      expect(maxAbsDiff(await fromHub.encode(texts), expected)).toBeLessThanOrEqual(1e-6);
      expect(hub.requests.slice(before).filter((r) => /\.bin$|onnx|openvino/.test(r.file ?? r.path))).toEqual([]);
    } finally {
      await fromHub.dispose();
    }
    // sentence-transformers itself loads 'acme/tiny-st' from the cache we wrote (offline) and gives the same embeddings.
    const textsFile = path.join(root, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(texts));
    const npy = path.join(root, 'st.npy');
    runPython('st_models.py', ['encode', '--model', 'acme/tiny-st', '--texts', textsFile, '--out', npy]);
    expect(Math.min(...rowCosines(readNpy(npy).data, expected, texts.length, local.embeddingDim))).toBeGreaterThanOrEqual(0.99999);
    process.env.HF_HUB_OFFLINE = '1';
    const at = hub.requests.length;
    const offline = await SentenceTransformer.load('acme/tiny-st', { device: 'cpu' });
    try {
      expect(hub.requests.length).toBe(at);
      expect(maxAbsDiff(await offline.encode(texts), expected)).toBeLessThanOrEqual(1e-6);
    } finally {
      await offline.dispose();
    }
  });

  test('embedforge encode --model <hub id> --revision <commit>', async () => {
    const input = path.join(root, 'texts.jsonl'); // the passages hold line breaks
    fs.writeFileSync(input, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const output = path.join(root, 'out.npy');
    await encodeCommand({ model: 'acme/tiny-st', revision: commit, input, output, device: 'cpu' });
    expect(maxAbsDiff(readNpy(output).data, expected)).toBeLessThanOrEqual(1e-6);
    expect(fs.existsSync(path.join(process.env.HF_HOME!, 'hub', 'models--acme--tiny-st', 'snapshots', commit, 'model.safetensors'))).toBe(true);
  });

  test('a train config names the model and a GIST guide by hub id (model: {path, revision})', async () => {
    const data = path.join(root, 'pairs.jsonl');
    fs.writeFileSync(data, sampleTexts(16).map((t, i) => JSON.stringify({ anchor: `question ${i}`, positive: t })).join('\n') + '\n');
    const config = validateTrainConfig({
      model: { path: 'acme/tiny-st', revision: commit, device: 'cpu' }, train_data: 'pairs.jsonl',
      loss: { name: 'GISTEmbedLoss', guide: 'acme/tiny-st' },
      args: { output_dir: 'run', max_steps: 1, per_device_train_batch_size: 8, save_strategy: 'no' },
    }, 'hub-train.yaml');
    const before = hub.requests.length;
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true); // the JSON lines
    let r;
    try {
      r = await runTrainJob(config, root, { json: true, log: () => undefined });
    } finally {
      out.mockRestore();
    }
    expect(r.globalStep).toBe(1);
    const card = fs.readFileSync(path.join(root, 'run', 'final', 'README.md'), 'utf8');
    expect(card).toContain('base_model: acme/tiny-st');
    // Model and guide: one download of the repo, then one metadata request for the second use.
    expect(hub.requests.slice(before).filter((q) => q.path.includes('/revision/')).length).toBe(2);
    const transferred = hub.requests.slice(before).filter((q) => q.bytes !== undefined && q.range !== 'bytes=0-0').map((q) => q.file);
    expect(transferred).toContain('model.safetensors');
    expect(new Set(transferred).size).toBe(transferred.length);
  });

  test('model.pushToHub creates the repo (private), uploads the folder and its card; it loads back by id', async () => {
    await expect(local.pushToHub('tiny-pushed')).rejects.toThrow('cannot push to tiny-pushed: no token. Pass {token}, set HF_TOKEN');
    const before = hub.requests.length;
    const r = await local.pushToHub('tiny-pushed', { token: TOKEN, private: true });
    expect(r.repoId).toBe('tester/tiny-pushed'); // a bare name goes under the token's user
    expect(r.commitUrl).toBe(`${hub.url}/tester/tiny-pushed/commit/${r.commitOid}`);
    const repo = hub.repos.get('tester/tiny-pushed')!;
    expect(repo.private).toBe(true);
    const files = hub.filesOf('tester/tiny-pushed');
    for (const f of ['README.md', 'model.safetensors', 'modules.json', 'config.json', 'tokenizer.json', '1_Pooling/config.json', 'config_sentence_transformers.json']) {
      expect(files.has(f)).toBe(true);
    }
    const card = files.get('README.md')!.toString();
    expect(card).toContain('library_name: sentence-transformers');
    expect(card).toContain('base_model:');
    expect(card).toContain('model = SentenceTransformer("tester/tiny-pushed")');
    expect(card).toContain("await SentenceTransformer.load('tester/tiny-pushed')");
    expect([...repo.commits.values()].map((c) => c.title)).toContain('Add new SentenceTransformer model');
    // The weights went through LFS (batch + PUT), the rest inline in the commit.
    const sent = hub.requests.slice(before).map((q) => `${q.method} ${q.path.replace(/[0-9a-f]{64}/, '<sha256>')}`);
    expect(sent).toEqual(expect.arrayContaining(['POST /api/repos/create', 'POST /api/models/tester/tiny-pushed/preupload/main',
      'POST /tester/tiny-pushed.git/info/lfs/objects/batch', 'PUT /lfs-upload/<sha256>', 'POST /api/models/tester/tiny-pushed/commit/main']));
    expect(hub.requests.slice(before).filter((q) => q.method !== 'PUT').every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);

    await expect(local.pushToHub('tester/tiny-pushed', { token: TOKEN })).rejects.toThrow(
      'cannot push to tester/tiny-pushed: the repository exists already; pass existOk: true');
    await local.pushToHub('tester/tiny-pushed', { token: TOKEN, existOk: true, commitMessage: 'second push' });
    expect([...repo.commits.values()].map((c) => c.title)).toContain('second push');

    process.env.HF_TOKEN = TOKEN; // private: reading needs the token too
    const back = await SentenceTransformer.load('tester/tiny-pushed', { device: 'cpu' });
    try {
      expect(maxAbsDiff(await back.encode(texts), expected)).toBeLessThanOrEqual(1e-6);
    } finally {
      await back.dispose();
    }
  });

  test('trainer.pushToHub: the repo is named after output_dir, "End of training", reused on the next push', async () => {
    process.env.HF_TOKEN = TOKEN;
    const trainer = new Trainer({ model: local, args: { output_dir: path.join(root, 'bge-finetuned'), use_cpu: true },
      trainDataset: Dataset.fromRecords([{ anchor: 'a question', positive: 'its passage' }]), loss: new MultipleNegativesRankingLoss() });
    const first = await trainer.pushToHub();
    expect(first.repoId).toBe('tester/bge-finetuned');
    const second = await trainer.pushToHub({ commitMessage: 'epoch 2' });
    const titles = [...hub.repos.get('tester/bge-finetuned')!.commits.values()].map((c) => c.title);
    expect(titles).toEqual(['initial commit', 'End of training', 'epoch 2']);
    expect(second.commitOid).not.toBe(first.commitOid);
    expect(hub.filesOf('tester/bge-finetuned').get('README.md')!.toString()).toContain('library_name: sentence-transformers');
  });

  test('embedforge push --model DIR --repo ID uploads the folder as it is', async () => {
    process.env.HF_TOKEN = TOKEN;
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await buildProgram().parseAsync(['node', 'embedforge', 'push', '--model', localDir, '--repo', 'tester/cli-pushed', '--private']);
    } finally {
      out.mockRestore();
    }
    expect(hub.repos.get('tester/cli-pushed')!.private).toBe(true);
    const files = hub.filesOf('tester/cli-pushed');
    for (const f of fs.readdirSync(localDir).filter((f) => fs.statSync(path.join(localDir, f)).isFile())) {
      expect(files.get(f)?.equals(fs.readFileSync(path.join(localDir, f)))).toBe(true);
    }
    await expect(buildProgram().parseAsync(['node', 'embedforge', 'push', '--model', root, '--repo', 'tester/x']))
      .rejects.toThrow(`--model ${root}: not a model folder (no modules.json or config.json)`);
  });
});
