/**
 * A hub model as a local sentence-transformers folder: the snapshot of the Hugging Face cache. One metadata
 * request resolves the revision to a commit and lists the repository; files the snapshot already has are
 * reused, the others downloaded. Offline (HF_HUB_OFFLINE=1), or when the hub cannot be reached, the commit
 * comes from refs/ and the snapshot is used as it is.
 * The client's own cache helpers (@huggingface/hub 2.17) are not used: snapshotDownload fetches every file of the
 * repository (onnx/, openvino/, pytorch_model.bin), and downloadFileToCacheDir names the snapshot folder after each
 * file's last commit instead of the revision's commit, writes no refs/, and restarts a cut download from zero.
 */
import { modelInfo, pathsInfo } from '@huggingface/hub';
import * as fs from 'fs';
import * as path from 'path';
import { downloadFileToCache } from './downloadToCache';
import { cachedCommit, repoFolder, snapshotDir, writeRef } from './hubCache';
import { hubCacheDir, hubEndpoint, hubOffline, hubToken } from './hubEnvironment';
import { hubRequestError, isNetworkError, noNetworkError } from './hubErrors';
import { moduleFolders, neededModelFiles } from './modelFiles';

export interface HubDownloadOptions {
  /** Branch, tag or commit sha (default "main"). */
  revision?: string;
  /** Access token (default: HF_TOKEN, else $HF_HOME/token). */
  token?: string;
  /** The hub cache (default: HF_HUB_CACHE, else $HF_HOME/hub). */
  cacheDir?: string;
  /** Progress lines (large files, resumed downloads); default: stderr. */
  log?: (line: string) => void;
}

export interface HubSnapshot {
  dir: string;
  repoId: string;
  revision: string;
  commit: string;
}

export async function downloadModel(repoId: string, options: HubDownloadOptions = {}): Promise<HubSnapshot> {
  const revision = options.revision ?? 'main';
  const folder = repoFolder(options.cacheDir ?? hubCacheDir(), repoId);
  if (hubOffline()) {
    const cached = cachedSnapshot(folder, repoId, revision);
    if (cached) return cached;
    throw new Error(`${repoId} (revision ${revision}) is not in the Hugging Face cache (${folder}) and HF_HUB_OFFLINE=1 forbids downloading it: `
      + 'download it once with the network (unset HF_HUB_OFFLINE), or pass the path of a local model folder.');
  }
  const accessToken = options.token ?? hubToken();
  const hubUrl = hubEndpoint();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let info: { sha?: string; filePaths?: string[] };
  try {
    info = await modelInfo({ name: repoId, revision, hubUrl, accessToken, additionalFields: ['sha', 'filePaths'] });
  } catch (e) {
    if (!isNetworkError(e)) throw hubRequestError(e, repoId, revision, accessToken !== undefined);
    const cached = cachedSnapshot(folder, repoId, revision);
    if (!cached) throw noNetworkError(repoId, folder, e);
    log(`${hubUrl} could not be reached; using ${repoId} at commit ${cached.commit} from the cache`);
    return cached;
  }
  const commit = info.sha;
  if (!commit) throw new Error(`${hubUrl} answered without a commit sha for ${repoId} (revision ${revision})`);
  const repoFiles = info.filePaths ?? [];
  const dir = snapshotDir(folder, commit);
  // Files the snapshot has are reused (a commit's snapshot never changes); the others are listed (ETag, size) and downloaded.
  const fetchFiles = async (wanted: string[]): Promise<void> => {
    const missing = wanted.filter((f) => !fs.existsSync(path.join(dir, f)));
    if (missing.length === 0) return;
    try {
      const listed = new Map((await pathsInfo({ repo: { type: 'model', name: repoId }, paths: missing, revision: commit, hubUrl, accessToken }))
        .map((p) => [p.path, p]));
      for (const file of missing) {
        const entry = listed.get(file);
        const etag = entry?.lfs?.oid ?? entry?.oid;
        if (!entry || !etag) throw new Error(`${repoId}: the hub lists ${file} at commit ${commit} but gives no id (oid) for it`);
        await downloadFileToCache({ repoId, file, commit, etag, size: entry.size, folder, hubUrl, accessToken, log });
      }
    } catch (e) {
      throw isNetworkError(e) ? noNetworkError(repoId, folder, e) : hubRequestError(e, repoId, revision, accessToken !== undefined);
    }
  };
  // modules.json first: the module folders it names (1_Pooling, 2_Dense, ...) decide which other files are needed.
  let modules: string[] = [];
  if (repoFiles.includes('modules.json')) {
    await fetchFiles(['modules.json']);
    modules = moduleFolders(fs.readFileSync(path.join(dir, 'modules.json'), 'utf8'), `${repoId}/modules.json`);
  }
  const files = neededModelFiles(repoFiles, modules);
  if (!files.some((f) => f.endsWith('.safetensors'))) {
    const weights = repoFiles.filter((f) => /\.(bin|pt|pth|h5|msgpack|onnx|ckpt)$/.test(f));
    throw new Error(`${repoId} (revision ${revision}) has no safetensors weights${weights.length ? ` (it has ${weights.slice(0, 4).join(', ')})` : ''}: `
      + 'embedforge reads safetensors only. Convert the weights to model.safetensors (the hub\'s convert space opens a pull request; '
      + 'load it with its revision, e.g. refs/pr/1), or load a local folder that has them.');
  }
  await fetchFiles(files);
  await writeRef(folder, revision, commit);
  return { dir, repoId, revision, commit };
}

/** The cached snapshot of a revision, when refs/ (or the commit sha itself) leads to one. */
function cachedSnapshot(folder: string, repoId: string, revision: string): HubSnapshot | null {
  const commit = cachedCommit(folder, revision);
  if (!commit) return null;
  const dir = snapshotDir(folder, commit);
  return fs.existsSync(path.join(dir, 'config.json')) ? { dir, repoId, revision, commit } : null;
}
