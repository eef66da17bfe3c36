/**
 * pushFolderToHub through the real @huggingface/hub client against the loopback hub (no model, no addon): the
 * token's sources, the existing-repository rules and model card, and the errors of a refused or unreachable hub.
 * Pushing a real model (model.pushToHub, trainer.pushToHub, embedforge push) is in loadFromHub.test.ts.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { pushFolderToHub } from '../../lib/hub/pushToHub';
import { HubServer } from '../helpers/hubServer';

const TOKEN = 'hf_testtoken0123456789';
const push = (dir: string, repo: string, o: Parameters<typeof pushFolderToHub>[2] = { defaultCommitMessage: 'Add new SentenceTransformer model' }) =>
  pushFolderToHub(dir, repo, o);

describe('pushFolderToHub', () => {
  let hub: HubServer;
  let root: string;
  let folder: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    hub = await HubServer.start();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-hub-push-'));
    folder = path.join(root, 'model');
    fs.mkdirSync(path.join(folder, '1_Pooling'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'config.json'), '{"model_type": "bert"}');
    fs.writeFileSync(path.join(folder, 'README.md'), '---\nlibrary_name: sentence-transformers\n---\n# card v1\n');
    fs.writeFileSync(path.join(folder, '1_Pooling', 'config.json'), '{"pooling_mode_mean_tokens": true}');
    fs.writeFileSync(path.join(folder, 'model.safetensors'), Buffer.alloc(4096, 7));
    fs.writeFileSync(path.join(folder, '.hidden'), 'left out');
  });
  afterAll(async () => {
    await hub.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH']) delete process.env[k];
    process.env.HF_HOME = fs.mkdtempSync(path.join(root, 'home-'));
    process.env.HF_ENDPOINT = hub.url;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  test('the token comes from $HF_HOME/token when HF_TOKEN is unset; the folder goes up in one commit', async () => {
    await expect(push(folder, 'tester/a')).rejects.toThrow('cannot push to tester/a: no token.');
    fs.writeFileSync(path.join(process.env.HF_HOME!, 'token'), TOKEN);
    const before = hub.requests.length;
    const r = await push(folder, 'tester/a');
    expect(hub.requests.slice(before).filter((q) => q.method !== 'PUT').every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const files = hub.filesOf('tester/a');
    expect([...files.keys()].sort()).toEqual(['.gitattributes', '1_Pooling/config.json', 'README.md', 'config.json', 'model.safetensors']);
    expect(files.get('model.safetensors')!.equals(fs.readFileSync(path.join(folder, 'model.safetensors')))).toBe(true);
    expect(hub.repos.get('tester/a')!.private).toBe(false);
    expect(hub.repos.get('tester/a')!.commits.get(r.commitOid)!.title).toBe('Add new SentenceTransformer model');
  });

  test('an existing repository: refused without existOk; with it, its model card is kept unless replaceModelCard', async () => {
    process.env.HF_TOKEN = TOKEN;
    await push(folder, 'tester/b', { private: true, defaultCommitMessage: 'first' });
    expect(hub.repos.get('tester/b')!.private).toBe(true);
    const other = path.join(root, 'model-v2');
    fs.cpSync(folder, other, { recursive: true });
    fs.writeFileSync(path.join(other, 'README.md'), '# card v2\n');
    fs.writeFileSync(path.join(other, 'config.json'), '{"model_type": "bert", "v": 2}');
    await expect(push(other, 'tester/b')).rejects.toThrow('cannot push to tester/b: the repository exists already; pass existOk: true');
    await push(other, 'tester/b', { existOk: true, defaultCommitMessage: 'second' });
    expect(hub.filesOf('tester/b').get('README.md')!.toString()).toContain('# card v1');
    expect(hub.filesOf('tester/b').get('config.json')!.toString()).toContain('"v": 2');
    await push(other, 'tester/b', { existOk: true, replaceModelCard: true, defaultCommitMessage: 'third' });
    expect(hub.filesOf('tester/b').get('README.md')!.toString()).toBe('# card v2\n');
  });

  test('a namespace the token cannot write to, a bad token, and no network', async () => {
    process.env.HF_TOKEN = TOKEN;
    await expect(push(folder, 'someone-else/c')).rejects.toThrow(
      'cannot push to someone-else/c: the hub refused (403: You don\'t have the rights to create a model under the namespace "someone-else"). '
      + 'Use a token with write access to someone-else.');
    await expect(push(folder, 'tester/c', { token: 'hf_not_a_known_token', defaultCommitMessage: 'x' })).rejects.toThrow(
      'cannot push to tester/c: the hub refused the token (401: Invalid credentials in Authorization header). Check HF_TOKEN or $HF_HOME/token, or pass {token}.');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}`;
    await expect(push(folder, 'tester/c')).rejects.toThrow(`cannot push to tester/c: http://127.0.0.1:${port} could not be reached`);
  });
});
