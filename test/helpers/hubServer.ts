/**
 * A Hugging Face hub in miniature on loopback, answering what the real @huggingface/hub client asks:
 *   GET  /api/models/{id}/revision/{rev}          model info: sha, siblings, private, gated
 *   POST /api/models/{id}/paths-info/{rev}        per file: size, git oid, lfs {oid = sha256, size}
 *   GET  /api/models/{id}/tree/{rev}              every file and folder (what Python's snapshot_download lists)
 *   GET  /{id}/resolve/{rev}/{file}               content with ETag, X-Repo-Commit, X-Linked-Etag / -Size, Range (206);
 *                                                 LFS files redirect to {cdnUrl}/cdn/{sha256}, a second server (another
 *                                                 origin), as the hub redirects to its CDN
 *   HEAD /{id}/raw/{rev}/{file}                   file exists
 *   GET  /api/whoami-v2                           the token's user
 *   POST /api/repos/create                        {name, organization, type, visibility}; 409 when it exists
 *   POST /api/models/{id}/preupload/{rev}         uploadMode lfs for weights, regular for the rest
 *   POST /{id}.git/info/lfs/objects/batch         basic transfer: PUT to /lfs-upload/{oid}
 *   POST /api/models/{id}/commit/{rev}            NDJSON header / file (base64) / lfsFile / deletedFile
 * Every request is logged (method, path, file, Range, Authorization, bytes of content sent). `cutOnce` makes the next download of a file
 * stop after some bytes with the connection destroyed, to test resumption.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

export interface LoggedRequest {
  method: string;
  path: string;
  /** Bytes of file content the answer carried (absent for redirects, metadata and errors). */
  bytes?: number;
  /** The repository file a request reads (resolve, raw and CDN requests). */
  file?: string;
  range?: string;
  authorization?: string;
}

interface Commit {
  sha: string;
  title: string;
  files: Map<string, Buffer>;
}

export interface HubRepo {
  private: boolean;
  gated: boolean;
  refs: Map<string, string>;
  commits: Map<string, Commit>;
}

const LFS = /\.(safetensors|bin|onnx|pt|h5|msgpack|ot)$/;

/** A file as the hub's tree and paths-info list it: git blob oid, and for LFS files the content's sha256. */
function fileEntry(file: string, content: Buffer): Record<string, unknown> {
  return { type: 'file', path: file, size: content.length, oid: gitOid(content),
    ...(LFS.test(file) && { lfs: { oid: sha256(content), size: content.length, pointerSize: 134 } }) };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export class HubServer {
  readonly requests: LoggedRequest[] = [];
  readonly repos = new Map<string, HubRepo>();
  /** Tokens the server accepts, by user. */
  readonly users = new Map<string, string>([['hf_testtoken0123456789', 'tester']]);
  /** Objects uploaded through LFS, by sha256. */
  private readonly lfsStore = new Map<string, Buffer>();
  private cut: { file: string; afterBytes: number; times: number } | null = null;

  private constructor(private readonly servers: http.Server[], readonly url: string, readonly cdnUrl: string) {}

  static async start(): Promise<HubServer> {
    // The hub, and its CDN on another host (127.0.0.2 on Linux; elsewhere "localhost"): huggingface_hub reads a
    // file's metadata from the redirect itself when it leads off the hub's host, and follows it when it does not.
    const servers = [http.createServer(), http.createServer()];
    const listen = (server: http.Server, host: string): Promise<number> => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
    });
    const hubPort = await listen(servers[0], '127.0.0.1');
    let cdnHost = '127.0.0.2';
    const cdnPort = await listen(servers[1], cdnHost).catch(() => {
      cdnHost = 'localhost';
      return listen(servers[1] = http.createServer(), '127.0.0.1');
    });
    const urls = [`http://127.0.0.1:${hubPort}`, `http://${cdnHost}:${cdnPort}`];
    const hub = new HubServer(servers, urls[0], urls[1]);
    for (const server of servers) {
      server.on('request', (req, res) => {
        hub.handle(req, res).catch((e) => {
          if (!res.headersSent) hub.json(res, 500, { error: String(e) });
          else res.destroy();
        });
      });
    }
    return hub;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    }));
  }

  /** A repository whose main branch holds every file under `dir` (plus `extra`); returns the commit sha. */
  addRepo(repoId: string, dir: string, options: { private?: boolean; gated?: boolean; extra?: Record<string, Buffer | string> } = {}): string {
    const files = new Map<string, Buffer>();
    const walk = (rel: string): void => {
      for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(r);
        else files.set(r, fs.readFileSync(path.join(dir, r)));
      }
    };
    walk('');
    for (const [f, c] of Object.entries(options.extra ?? {})) files.set(f, Buffer.from(c));
    const repo: HubRepo = { private: !!options.private, gated: !!options.gated, refs: new Map(), commits: new Map() };
    this.repos.set(repoId, repo);
    return this.addCommit(repo, 'initial commit', files);
  }

  /** The files of a repository at a revision (default main). */
  filesOf(repoId: string, revision = 'main'): Map<string, Buffer> {
    const repo = this.repos.get(repoId)!;
    return repo.commits.get(repo.refs.get(revision) ?? revision)!.files;
  }

  /** The next `times` GETs of `file`'s content each send `afterBytes` bytes, then drop the connection. */
  cutOnce(file: string, afterBytes: number, times = 1): void {
    this.cut = { file, afterBytes, times };
  }

  /** Logged requests whose path contains `part`. */
  requestsTo(part: string): LoggedRequest[] {
    return this.requests.filter((r) => r.path.includes(part));
  }

  private addCommit(repo: HubRepo, title: string, files: Map<string, Buffer>): string {
    const sha = randomBytes(20).toString('hex');
    repo.commits.set(sha, { sha, title, files });
    repo.refs.set('main', sha);
    return sha;
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private user(req: http.IncomingMessage): string | null {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m ? this.users.get(m[1]) ?? null : null;
  }

  /** The repository if the request may read it, else the error answer (as the hub answers). */
  private readable(req: http.IncomingMessage, res: http.ServerResponse, repoId: string): HubRepo | null {
    const repo = this.repos.get(repoId);
    if (!repo) {
      this.json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      return null;
    }
    if (repo.private && !this.user(req)) {
      this.json(res, 401, { error: 'Invalid username or password.' }, { 'X-Error-Code': 'RepoNotFound' });
      return null;
    }
    if (repo.gated) {
      this.json(res, 403, { error: `Access to model ${repoId} is restricted and you are not in the authorized list. Visit https://hub/${repoId} to ask for access.` },
        { 'X-Error-Code': 'GatedRepo' });
      return null;
    }
    return repo;
  }

  private commitOf(res: http.ServerResponse, repo: HubRepo, revision: string): Commit | null {
    const commit = repo.commits.get(repo.refs.get(revision) ?? revision);
    if (!commit) this.json(res, 404, { error: `Invalid rev id: ${revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
    return commit ?? null;
  }

  private async body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const p = decodeURIComponent(url.pathname);
    const file = /^\/[^/]+\/[^/]+\/(?:resolve|raw)\/[^/]+\/(.+)$/.exec(p)?.[1] ?? url.searchParams.get('file') ?? undefined;
    const entry: LoggedRequest = { method: req.method!, path: p, file, range: req.headers.range, authorization: req.headers.authorization };
    this.requests.push(entry);
    let m: RegExpExecArray | null;

    if (req.method === 'GET' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p))) {
      const repo = this.readable(req, res, m[1]);
      const commit = repo && this.commitOf(res, repo, m[2]);
      if (!repo || !commit) return;
      this.json(res, 200, { _id: m[1], id: m[1], sha: commit.sha, private: repo.private, gated: repo.gated, pipeline_tag: 'sentence-similarity',
        downloads: 0, likes: 0, lastModified: new Date().toISOString(), siblings: [...commit.files.keys()].map((rfilename) => ({ rfilename })) });
      return;
    }
    if (req.method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/(.+)$/.exec(p))) {
      const { paths } = JSON.parse((await this.body(req)).toString()) as { paths: string[] };
      const repo = this.readable(req, res, m[1]);
      const commit = repo && this.commitOf(res, repo, m[2]);
      if (!repo || !commit) return;
      this.json(res, 200, paths.filter((f) => commit.files.has(f)).map((f) => fileEntry(f, commit.files.get(f)!)));
      return;
    }
    if (req.method === 'GET' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(p))) {
      // What Python's snapshot_download lists (recursive): every file and folder of the commit.
      const repo = this.readable(req, res, m[1]);
      const commit = repo && this.commitOf(res, repo, m[2]);
      if (!repo || !commit) return;
      const files = [...commit.files.keys()];
      const folders = [...new Set(files.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
      this.json(res, 200, [...folders.map((d) => ({ type: 'directory', path: d, oid: gitOid(Buffer.from(d)), size: 0 })),
        ...files.map((f) => fileEntry(f, commit.files.get(f)!))]);
      return;
    }
    if ((m = /^\/([^/]+\/[^/]+)\/(resolve|raw)\/([^/]+)\/(.+)$/.exec(p)) && (req.method === 'GET' || req.method === 'HEAD')) {
      const [, repoId, , revision, file] = m;
      const repo = this.readable(req, res, repoId);
      const commit = repo && this.commitOf(res, repo, revision);
      if (!repo || !commit) return;
      const content = commit.files.get(file);
      if (!content) {
        this.json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
        return;
      }
      const headers: Record<string, string> = { 'X-Repo-Commit': commit.sha, ETag: `"${gitOid(content)}"` };
      if (LFS.test(file)) {
        // As the hub: LFS files redirect to the CDN; the redirect carries the content's sha256 and size.
        res.writeHead(302, { ...headers, 'X-Linked-Etag': `"${sha256(content)}"`, 'X-Linked-Size': String(content.length),
          Location: `${this.cdnUrl}/cdn/${sha256(content)}?file=${encodeURIComponent(file)}` });
        res.end();
        return;
      }
      this.sendContent(req, res, file, content, headers, entry);
      return;
    }
    if (req.method === 'GET' && (m = /^\/cdn\/([0-9a-f]{64})$/.exec(p))) {
      const file = url.searchParams.get('file') ?? '';
      const content = [...this.repos.values()].flatMap((r) => [...r.commits.values()]).map((c) => c.files.get(file)).find((c) => c && sha256(c) === m![1]);
      if (!content) {
        res.writeHead(404).end();
        return;
      }
      this.sendContent(req, res, file, content, { ETag: `"${m[1]}"` }, entry);
      return;
    }
    if (req.method === 'GET' && p === '/api/whoami-v2') {
      const user = this.user(req);
      if (!user) this.json(res, 401, { error: 'Invalid credentials in Authorization header' });
      else this.json(res, 200, { type: 'user', name: user, auth: { type: 'access_token', accessToken: { role: 'write' } } });
      return;
    }
    if (req.method === 'POST' && p === '/api/repos/create') {
      const body = JSON.parse((await this.body(req)).toString()) as { name: string; organization?: string; visibility?: string; type: string };
      const user = this.user(req);
      if (!user) return this.json(res, 401, { error: 'Invalid credentials in Authorization header' });
      const repoId = `${body.organization ?? user}/${body.name}`;
      if (!repoId.startsWith(`${user}/`)) return this.json(res, 403, { error: `You don't have the rights to create a model under the namespace "${body.organization}"` });
      if (this.repos.has(repoId)) return this.json(res, 409, { error: 'You already created this model repo', url: `${this.url}/${repoId}` });
      const repo: HubRepo = { private: body.visibility === 'private', gated: false, refs: new Map(), commits: new Map() };
      this.repos.set(repoId, repo);
      this.addCommit(repo, 'initial commit', new Map([['.gitattributes', Buffer.from('*.safetensors filter=lfs diff=lfs merge=lfs -text\n')]]));
      this.json(res, 200, { url: `${this.url}/${repoId}`, id: repoId, name: repoId });
      return;
    }
    if (req.method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/preupload\/(.+)$/.exec(p))) {
      if (!this.writable(req, res, m[1])) return;
      const { files } = JSON.parse((await this.body(req)).toString()) as { files: { path: string; size: number }[] };
      this.json(res, 200, { files: files.map((f) => ({ path: f.path, uploadMode: LFS.test(f.path) || f.size > 10 << 20 ? 'lfs' : 'regular', shouldIgnore: false })) });
      return;
    }
    if (req.method === 'POST' && (m = /^\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(p))) {
      if (!this.writable(req, res, m[1])) return;
      const { objects } = JSON.parse((await this.body(req)).toString()) as { objects: { oid: string; size: number }[] };
      res.writeHead(200, { 'Content-Type': 'application/vnd.git-lfs+json' });
      res.end(JSON.stringify({ transfer: 'basic', objects: objects.map((o) => ({ oid: o.oid, size: o.size,
        ...(!this.lfsStore.has(o.oid) && { actions: { upload: { href: `${this.url}/lfs-upload/${o.oid}` } } }) })) }));
      return;
    }
    if (req.method === 'PUT' && (m = /^\/lfs-upload\/([0-9a-f]{64})$/.exec(p))) {
      const content = await this.body(req);
      if (sha256(content) !== m[1]) return this.json(res, 400, { error: 'sha256 mismatch' });
      this.lfsStore.set(m[1], content);
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/commit\/(.+)$/.exec(p))) {
      const repo = this.writable(req, res, m[1]);
      if (!repo) return;
      const lines = (await this.body(req)).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
      const parent = repo.commits.get(repo.refs.get(m[2]) ?? '');
      const files = new Map(parent?.files ?? []);
      let title = '';
      for (const { key, value } of lines) {
        if (key === 'header') title = String(value.summary ?? '');
        else if (key === 'file') files.set(String(value.path), Buffer.from(String(value.content), value.encoding === 'base64' ? 'base64' : 'utf8'));
        else if (key === 'lfsFile') {
          const stored = this.lfsStore.get(String(value.oid));
          if (!stored) return this.json(res, 422, { error: `LFS object ${String(value.oid)} of ${String(value.path)} was not uploaded` });
          files.set(String(value.path), stored);
        } else if (key === 'deletedFile') files.delete(String(value.path));
        else return this.json(res, 400, { error: `unknown NDJSON key ${key}` });
      }
      const sha = this.addCommit(repo, title, files);
      this.json(res, 200, { success: true, commitOid: sha, commitUrl: `${this.url}/${m[1]}/commit/${sha}` });
      return;
    }
    this.json(res, 404, { error: `no route for ${req.method} ${p}` });
  }

  private writable(req: http.IncomingMessage, res: http.ServerResponse, repoId: string): HubRepo | null {
    const user = this.user(req);
    const repo = this.repos.get(repoId);
    if (!user) this.json(res, 401, { error: 'Invalid credentials in Authorization header' });
    else if (!repo) this.json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    else if (!repoId.startsWith(`${user}/`)) this.json(res, 403, { error: `You don't have the rights to create a model under ${repoId}` });
    else return repo;
    return null;
  }

  /** The content, whole or the byte range asked for (206 with Content-Range); or cut short when cutOnce asked for it. */
  private sendContent(req: http.IncomingMessage, res: http.ServerResponse, file: string, content: Buffer, headers: Record<string, string>,
    entry: LoggedRequest): void {
    let start = 0;
    let end = content.length - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
      if (start >= content.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${content.length}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${content.length}`;
    }
    res.writeHead(status, { ...headers, 'Accept-Ranges': 'bytes', 'Content-Length': String(end - start + 1), 'Content-Type': 'application/octet-stream' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = content.subarray(start, end + 1);
    // A probe (Range bytes=0-0) is never cut: only a real transfer of the file.
    if (this.cut && this.cut.file === file && body.length > this.cut.afterBytes) {
      const { afterBytes } = this.cut;
      if (--this.cut.times === 0) this.cut = null;
      entry.bytes = afterBytes;
      res.write(body.subarray(0, afterBytes), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    entry.bytes = body.length;
    res.end(body);
  }
}

/** Each test starts with no HF_* token, cache or offline setting of its own, a fresh HF_HOME under
 *  root() and HF_ENDPOINT at the server; the environment is restored after each test. */
export function isolateHubEnvironment(root: () => string, hub: () => HubServer): void {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE']) delete process.env[k];
    process.env.HF_HOME = fs.mkdtempSync(path.join(root(), 'home-'));
    process.env.HF_ENDPOINT = hub().url;
  });
  afterEach(() => {
    process.env = { ...saved };
  });
}
