/**
 * Downloading through the real @huggingface/hub client from a hub-shaped server on loopback (no model, no
 * addon needed): only the files a sentence-transformers folder needs, huggingface_hub's cache layout (checked
 * by Python's huggingface_hub itself), one metadata request on a cache hit, HF_HUB_OFFLINE, resumption with
 * Range after a cut, tokens, and the errors users meet.
 */
import { createHash, randomBytes } from 'crypto';
import { execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { scanCacheDir } from '@huggingface/hub';
import { downloadModel } from '../../lib/hub/downloadModel';
import { isHubId, localPathOrHubId, resolveModelPath } from '../../lib/hub/resolveModelPath';
import { HubServer, isolateHubEnvironment, type LoggedRequest } from '../helpers/hubServer';
import { venvPython } from '../helpers/requirements';

const TOKEN = 'hf_testtoken0123456789';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A sentence-transformers-shaped folder (contents need not be a real model here) plus files the loader must not fetch. */
function fakeModelFolder(root: string): string {
  const dir = path.join(root, 'fake-model');
  const files: Record<string, string | Buffer> = {
    'modules.json': JSON.stringify([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
      { idx: 3, name: '3', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
    'config.json': '{"model_type": "bert"}', 'config_sentence_transformers.json': '{}', 'sentence_bert_config.json': '{"max_seq_length": 64}',
    'tokenizer.json': '{"version": "1.0"}', 'tokenizer_config.json': '{"do_lower_case": true}', 'special_tokens_map.json': '{"pad_token": "[PAD]"}', 'vocab.txt': '[PAD]\n[UNK]\n', 'README.md': '# card\n',
    'model.safetensors': randomBytes(300_000), '1_Pooling/config.json': '{"pooling_mode_mean_tokens": true}',
    '2_Dense/config.json': '{"in_features": 8}', '2_Dense/model.safetensors': randomBytes(5000), '2_Dense/pytorch_model.bin': 'x',
    'pytorch_model.bin': 'not wanted', 'onnx/model.onnx': 'not wanted', 'onnx/config.json': '{}', 'openvino/openvino_model.bin': 'x',
    'openvino/openvino_model.xml': '<x/>', 'tf_model.h5': 'x', 'flax_model.msgpack': 'x', 'rust_model.ot': 'x', '.gitattributes': '*.bin filter=lfs\n',
    'train_script.py': 'print(1)',
  };
  for (const [f, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), c);
  }
  return dir;
}

const NEEDED = ['1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', 'README.md', 'config.json', 'config_sentence_transformers.json',
  'model.safetensors', 'modules.json', 'sentence_bert_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];

/** Files under a snapshot folder, relative, sorted. */
function snapshotFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? snapshotFiles(dir, r) : [r];
  }).sort();
}

/** The content transfers (answers that carried file bytes, other than the client's one-byte probe), by file. */
function transfers(hub: HubServer, from = 0): LoggedRequest[] {
  return hub.requests.slice(from).filter((r) => r.bytes !== undefined && r.range !== 'bytes=0-0');
}

/** A closed loopback port: connections are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('model hub downloads', () => {
  let hub: HubServer;
  let root: string;
  let commit: string;

  beforeAll(async () => {
    hub = await HubServer.start();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-hub-'));
    commit = hub.addRepo('acme/fake-st', fakeModelFolder(root));
    hub.addRepo('acme/private-st', fakeModelFolder(path.join(root, 'p')), { private: true });
    hub.addRepo('acme/gated-st', fakeModelFolder(path.join(root, 'g')), { gated: true });
    const binOnly = path.join(root, 'bin-only');
    fs.mkdirSync(binOnly);
    fs.writeFileSync(path.join(binOnly, 'config.json'), '{}');
    fs.writeFileSync(path.join(binOnly, 'pytorch_model.bin'), 'x');
    hub.addRepo('acme/bin-only', binOnly);
  });
  afterAll(async () => {
    await hub.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  isolateHubEnvironment(() => root, () => hub);

  test('hub ids and local paths', () => {
    expect(isHubId('BAAI/bge-base-en-v1.5')).toBe(true);
    expect(isHubId('sentence-transformers/all-MiniLM-L6-v2')).toBe(true);
    for (const notId of ['./models/x', '/abs/x', 'a/b/c', 'model', 'a--b/c', 'a/b..c', '../x', 'a/b.git']) expect(isHubId(notId)).toBe(false);
    // A local folder of that name wins over the hub.
    fs.mkdirSync(path.join(root, 'acme', 'fake-st'), { recursive: true });
    expect(localPathOrHubId('acme/fake-st', root)).toBe(path.join(root, 'acme', 'fake-st'));
    expect(localPathOrHubId('acme/fake-st', path.join(root, 'elsewhere'))).toBe('acme/fake-st');
    expect(localPathOrHubId('no/such', root)).toBe('no/such');
    expect(localPathOrHubId('./no/such', root)).toBe(path.join(root, 'no', 'such'));
  });

  test('downloads only the needed files, in huggingface_hub\'s cache layout', async () => {
    const first = hub.requests.length;
    const snap = await downloadModel('acme/fake-st');
    const cache = path.join(process.env.HF_HOME!, 'hub');
    const folder = path.join(cache, 'models--acme--fake-st');
    expect(snap).toEqual({ dir: path.join(folder, 'snapshots', commit), repoId: 'acme/fake-st', revision: 'main', commit });
    expect(snapshotFiles(snap.dir)).toEqual(NEEDED);
    expect(transfers(hub, first).map((r) => r.file).sort()).toEqual(NEEDED);
    expect(hub.requests.slice(first).filter((r) => /\.(bin|onnx|h5|msgpack|ot|xml)$|onnx\/|openvino\//.test(r.file ?? r.path))).toEqual([]);
    expect(fs.readFileSync(path.join(folder, 'refs', 'main'), 'utf8')).toBe(commit);
    // Snapshot entries are relative symlinks into blobs/, named by sha256 for LFS files and by git blob id for the rest.
    const files = hub.filesOf('acme/fake-st');
    const weights = path.join(snap.dir, 'model.safetensors');
    expect(fs.readlinkSync(weights)).toBe(path.join('..', '..', 'blobs', sha256(files.get('model.safetensors')!)));
    expect(fs.readlinkSync(path.join(snap.dir, '2_Dense', 'model.safetensors'))).toBe(path.join('..', '..', '..', 'blobs', sha256(files.get('2_Dense/model.safetensors')!)));
    const configOid = createHash('sha1').update(`blob ${files.get('config.json')!.length}\0`).update(files.get('config.json')!).digest('hex');
    expect(fs.readlinkSync(path.join(snap.dir, 'config.json'))).toBe(path.join('..', '..', 'blobs', configOid));
    for (const f of NEEDED) expect(fs.readFileSync(path.join(snap.dir, f)).equals(files.get(f)!)).toBe(true);
    expect(fs.readdirSync(path.join(folder, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
    // The client's own cache scanner reads it too (it lists a snapshot's top-level files only: 2.17's scanSnapshotDir skips folders).
    const scanned = await scanCacheDir(cache);
    expect(scanned.warnings).toEqual([]);
    expect(scanned.repos.map((r) => ({ id: r.id, revisions: r.revisions.map((v) => ({ commit: v.commitOid, refs: v.refs,
      files: v.files.map((f) => path.relative(snap.dir, f.path)).sort() })) })))
      .toEqual([{ id: { name: 'acme/fake-st', type: 'model' }, revisions: [{ commit, refs: ['main'], files: NEEDED.filter((f) => !f.includes('/')) }] }]);
  });

  const python = venvPython();
  (python ? test : test.skip)('Python\'s huggingface_hub finds the files our client wrote (scan_cache_dir, snapshot_download offline)', async () => {
    const snap = await downloadModel('acme/fake-st');
    const script = [
      'import json, sys',
      'from huggingface_hub import scan_cache_dir, snapshot_download, hf_hub_download',
      'info = scan_cache_dir(sys.argv[1])',
      'repos = [{"id": r.repo_id, "type": r.repo_type, "revisions": [{"commit": v.commit_hash, "refs": sorted(v.refs),',
      '  "files": sorted(str(f.file_path.relative_to(v.snapshot_path)) for f in v.files)} for v in r.revisions]} for r in info.repos]',
      'snap = snapshot_download("acme/fake-st", cache_dir=sys.argv[1], local_files_only=True)',
      'pool = hf_hub_download("acme/fake-st", "1_Pooling/config.json", cache_dir=sys.argv[1], local_files_only=True)',
      'print(json.dumps({"repos": repos, "warnings": [str(w) for w in info.warnings], "snapshot": snap, "pooling": pool}))',
    ].join('\n');
    const out = JSON.parse(execFileSync(python!, ['-c', script, path.join(process.env.HF_HOME!, 'hub')], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } }));
    expect(out.warnings).toEqual([]);
    expect(out.repos).toEqual([{ id: 'acme/fake-st', type: 'model', revisions: [{ commit, refs: ['main'], files: NEEDED }] }]);
    expect(out.snapshot).toBe(snap.dir);
    expect(out.pooling).toBe(path.join(snap.dir, '1_Pooling', 'config.json'));
  });
  (python ? test : test.skip)('Python\'s snapshot_download from the same hub writes the same cache as ours, and ours reuses it (offline, and online with one request)', async () => {
    const cacheP = path.join(root, 'python-cache');
    const script = 'import json, sys\nfrom huggingface_hub import snapshot_download\n'
      + 'print(snapshot_download("acme/fake-st", cache_dir=sys.argv[1], allow_patterns=json.loads(sys.argv[2])))';
    // Asynchronously: the hub answering Python runs in this process.
    const pythonDir = (await promisify(execFile)(python!, ['-c', script, cacheP, JSON.stringify(NEEDED)],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HF_HUB_DISABLE_PROGRESS_BARS: '1', HF_HUB_DISABLE_TELEMETRY: '1' } })).stdout.trim();
    process.env.HF_HUB_CACHE = path.join(root, 'node-cache');
    const ours = await downloadModel('acme/fake-st');
    const layout = (cache: string): Record<string, string> => {
      const folder = path.join(cache, 'models--acme--fake-st');
      return Object.fromEntries([['refs/main', fs.readFileSync(path.join(folder, 'refs', 'main'), 'utf8')],
        ...NEEDED.map((f) => [f, fs.readlinkSync(path.join(folder, 'snapshots', commit, f))])]);
    };
    // Same commit folder, same blob names (sha256 for LFS, git blob id otherwise), same relative links.
    expect(path.relative(cacheP, pythonDir)).toBe(path.relative(process.env.HF_HUB_CACHE, ours.dir));
    expect(layout(process.env.HF_HUB_CACHE)).toEqual(layout(cacheP));

    process.env.HF_HUB_CACHE = cacheP;
    const before = hub.requests.length;
    expect((await downloadModel('acme/fake-st')).dir).toBe(pythonDir);
    expect(hub.requests.slice(before).map((r) => r.path)).toEqual(['/api/models/acme/fake-st/revision/main']);
    process.env.HF_HUB_OFFLINE = '1';
    expect((await downloadModel('acme/fake-st')).dir).toBe(pythonDir);
    expect(hub.requests.length).toBe(before + 1);
  });
  if (!python) process.stderr.write('SKIPPED "Python\'s huggingface_hub finds the files": the Python virtualenv is missing (bash scripts/setup-python.sh)\n');

  test('a cache hit costs one metadata request; HF_HUB_OFFLINE=1 resolves from refs/ with none', async () => {
    await downloadModel('acme/fake-st');
    let before = hub.requests.length;
    const again = await downloadModel('acme/fake-st');
    expect(hub.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/models/acme/fake-st/revision/main']);
    process.env.HF_HUB_OFFLINE = '1';
    before = hub.requests.length;
    expect(await downloadModel('acme/fake-st')).toEqual(again);
    expect((await resolveModelPath('acme/fake-st')).dir).toBe(again.dir);
    expect(hub.requests.length).toBe(before);
    const cacheFolder = path.join(process.env.HF_HOME!, 'hub', 'models--acme--other');
    await expect(downloadModel('acme/other')).rejects.toThrow(`acme/other (revision main) is not in the Hugging Face cache (${cacheFolder}) and HF_HUB_OFFLINE=1`);
    await expect(downloadModel('acme/fake-st', { revision: 'v2' })).rejects.toThrow('acme/fake-st (revision v2) is not in the Hugging Face cache');
    expect(hub.requests.length).toBe(before);
  });

  test('HF_HUB_CACHE and a commit sha as revision', async () => {
    const cache = path.join(root, 'custom-cache');
    process.env.HF_HUB_CACHE = cache;
    const snap = await downloadModel('acme/fake-st', { revision: commit });
    expect(snap.dir).toBe(path.join(cache, 'models--acme--fake-st', 'snapshots', commit));
    expect(fs.existsSync(path.join(cache, 'models--acme--fake-st', 'refs'))).toBe(false); // a commit names itself: no ref, as huggingface_hub
    await expect(downloadModel('acme/fake-st', { revision: 'no-such-branch' })).rejects.toThrow('acme/fake-st: it has no revision "no-such-branch"');
  });

  test('a download cut mid-file resumes with a Range request, and a partial file left by an earlier run is continued', async () => {
    hub.cutOnce('model.safetensors', 100_000);
    const before = hub.requests.length;
    const lines: string[] = [];
    const snap = await downloadModel('acme/fake-st', { log: (l) => lines.push(l) });
    const weights = hub.filesOf('acme/fake-st').get('model.safetensors')!;
    expect(fs.readFileSync(path.join(snap.dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(transfers(hub, before).filter((r) => r.file === 'model.safetensors').map((r) => r.range)).toEqual([undefined, `bytes=100000-${weights.length - 1}`]);
    expect(lines.join('\n')).toContain('connection lost at byte 100000 of 300000; resuming');

    // Another process died mid-download: blobs/<sha256>.incomplete holds the first bytes.
    process.env.HF_HOME = fs.mkdtempSync(path.join(root, 'home-'));
    const blobs = path.join(process.env.HF_HOME, 'hub', 'models--acme--fake-st', 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    fs.writeFileSync(path.join(blobs, `${sha256(weights)}.incomplete`), weights.subarray(0, 123_456));
    const from = hub.requests.length;
    const again = await downloadModel('acme/fake-st');
    expect(fs.readFileSync(path.join(again.dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(transfers(hub, from).filter((r) => r.file === 'model.safetensors').map((r) => r.range))
      .toEqual([`bytes=123456-${weights.length - 1}`]);
  });

  test('a connection that keeps dropping stops with a clear error after 5 resumptions; the next run continues', async () => {
    const weights = hub.filesOf('acme/fake-st').get('model.safetensors')!;
    hub.cutOnce('model.safetensors', 10_000, 6);
    await expect(downloadModel('acme/fake-st', { log: () => undefined })).rejects.toThrow(
      /^download of acme\/fake-st\/model.safetensors stopped at byte 60000 of 300000 \(.+\); run again to resume it$/);
    const from = hub.requests.length;
    const snap = await downloadModel('acme/fake-st');
    expect(fs.readFileSync(path.join(snap.dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(transfers(hub, from).filter((r) => r.file === 'model.safetensors').map((r) => r.range)).toEqual([`bytes=60000-${weights.length - 1}`]);
  });

  test('one downloader per file: concurrent downloads fetch each file once; a lock of a live process is waited for, a dead one\'s taken over', async () => {
    const before = hub.requests.length;
    const quiet = { log: (): void => undefined };
    const [a, b] = await Promise.all([downloadModel('acme/fake-st', quiet), downloadModel('acme/fake-st', quiet)]);
    expect(a).toEqual(b);
    expect(transfers(hub, before).map((r) => r.file).sort()).toEqual(NEEDED);

    process.env.HF_HOME = fs.mkdtempSync(path.join(root, 'home-'));
    const weights = hub.filesOf('acme/fake-st').get('model.safetensors')!;
    const locks = path.join(process.env.HF_HOME, 'hub', '.locks', 'models--acme--fake-st');
    fs.mkdirSync(locks, { recursive: true });
    const lock = path.join(locks, `${sha256(weights)}.embedforge.lock`);
    const holder = spawn('sleep', ['30']);
    fs.writeFileSync(lock, String(holder.pid));
    const lines: string[] = [];
    let done = false;
    const pending = downloadModel('acme/fake-st', { log: (l) => lines.push(l) }).then((snap) => {
      done = true;
      return snap;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(done).toBe(false);
    expect(lines).toEqual([`acme/fake-st/model.safetensors: waiting for process ${holder.pid}, which is downloading it too`]);
    holder.kill();
    const snap = await pending;
    expect(fs.readFileSync(path.join(snap.dir, 'model.safetensors')).equals(weights)).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);

    process.env.HF_HOME = fs.mkdtempSync(path.join(root, 'home-'));
    fs.mkdirSync(path.join(process.env.HF_HOME, 'hub', '.locks', 'models--acme--fake-st'), { recursive: true });
    fs.writeFileSync(path.join(process.env.HF_HOME, 'hub', '.locks', 'models--acme--fake-st', `${sha256(weights)}.embedforge.lock`), '2147483646');
    await downloadModel('acme/fake-st', { log: (l) => { throw new Error(`unexpected wait: ${l}`); } });
  });

  test('a corrupt partial file is caught by the sha256 check and removed', async () => {
    const weights = hub.filesOf('acme/fake-st').get('model.safetensors')!;
    const blobs = path.join(process.env.HF_HOME!, 'hub', 'models--acme--fake-st', 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    const partial = path.join(blobs, `${sha256(weights)}.incomplete`);
    fs.writeFileSync(partial, randomBytes(1000));
    await expect(downloadModel('acme/fake-st')).rejects.toThrow(/download of acme\/fake-st\/model.safetensors is corrupt \(sha256 [0-9a-f]{64}, expected/);
    expect(fs.existsSync(partial)).toBe(false);
    expect(fs.existsSync(path.join(blobs, sha256(weights)))).toBe(false);
    await downloadModel('acme/fake-st'); // and the next run starts afresh
  });

  test('tokens: HF_TOKEN, then $HF_HOME/token, are sent as Bearer; private and gated repos say what to do', async () => {
    await expect(downloadModel('acme/private-st')).rejects.toThrow(
      'cannot download acme/private-st: there is no local folder of that name, and the hub refused access (401: Invalid username or password.). '
      + 'The repository does not exist or is private and no token was given (set HF_TOKEN');
    process.env.HF_TOKEN = TOKEN;
    let before = hub.requests.length;
    await downloadModel('acme/private-st');
    expect(hub.requests.slice(before).length).toBeGreaterThan(5);
    expect(hub.requests.slice(before).filter((r) => !r.path.startsWith('/cdn/')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);

    delete process.env.HF_TOKEN;
    process.env.HF_HOME = fs.mkdtempSync(path.join(root, 'home-'));
    fs.writeFileSync(path.join(process.env.HF_HOME, 'token'), `${TOKEN}\n`);
    before = hub.requests.length;
    await downloadModel('acme/private-st');
    expect(hub.requests[before].authorization).toBe(`Bearer ${TOKEN}`);

    await expect(downloadModel('acme/gated-st')).rejects.toThrow(
      `cannot download acme/gated-st: access is restricted (403: Access to model acme/gated-st is restricted`);
    await expect(downloadModel('acme/gated-st')).rejects.toThrow(`If the model is gated, accept its conditions at ${hub.url}/acme/gated-st`);
  });

  test('unknown repo, a repo without safetensors, and no network', async () => {
    await expect(resolveModelPath('acme/missing')).rejects.toThrow(
      `cannot download acme/missing: there is no local folder of that name, and ${hub.url}/acme/missing does not exist (Repository not found)`);
    await expect(downloadModel('acme/bin-only')).rejects.toThrow('acme/bin-only (revision main) has no safetensors weights (it has pytorch_model.bin): embedforge reads safetensors only');

    const cached = await downloadModel('acme/fake-st');
    const offline = `http://127.0.0.1:${await closedPort()}`;
    process.env.HF_ENDPOINT = offline;
    await expect(downloadModel('acme/private-st')).rejects.toThrow(new RegExp(`^cannot download acme/private-st: ${offline} could not be reached `
      + '\\(.*ECONNREFUSED.*\\), and the Hugging Face cache \\(.*models--acme--private-st\\) does not have it'));
    // huggingface_hub's behaviour: without the network a cached revision is used, with a note.
    const lines: string[] = [];
    expect(await downloadModel('acme/fake-st', { log: (l) => lines.push(l) })).toEqual(cached);
    expect(lines).toEqual([`${offline} could not be reached; using acme/fake-st at commit ${commit} from the cache`]);
  });
});
