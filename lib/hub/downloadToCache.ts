/**
 * One repository file into the cache, named as huggingface_hub names it (blobs/<etag>: the sha256 of an LFS file,
 * the git blob id of another, as the hub's paths-info lists them). The hub client resolves the download address
 * (fileDownloadInfo) and streams the content (downloadFile), written to blobs/<etag>.incomplete, continued with an HTTP
 * Range request when the connection is cut (in this call, or by a later call that finds the partial file),
 * checked (size; sha256 for LFS files, whose ETag is their sha256), then renamed to blobs/<etag> and linked
 * into snapshots/<commit>/ so that the file appears only once complete. One process at a time downloads a
 * blob (downloadLock.ts); the others wait, then find it done.
 */
import { downloadFile, fileDownloadInfo, type FileDownloadInfoOutput } from '@huggingface/hub';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { withDownloadLock } from './downloadLock';
import { blobPath, linkIntoSnapshot } from './hubCache';
import { isNetworkError } from './hubErrors';

/** Connection cuts survived per file (huggingface_hub retries as often). */
const MAX_RESUMES = 5;

export interface CacheFileRequest {
  repoId: string;
  file: string;
  commit: string;
  /** From pathsInfo: lfs.oid, else oid. */
  etag: string;
  size: number;
  folder: string;
  hubUrl: string;
  accessToken?: string;
  log?: (line: string) => void;
}

export async function downloadFileToCache(r: CacheFileRequest): Promise<string> {
  const repo = { type: 'model' as const, name: r.repoId };
  const info = await fileDownloadInfo({ repo, path: r.file, revision: r.commit, hubUrl: r.hubUrl, accessToken: r.accessToken });
  if (!info) throw new Error(`${r.repoId}: the hub lists ${r.file} at commit ${r.commit} but does not serve it`);
  if (info.size !== r.size) throw new Error(`${r.repoId}: the hub lists ${r.file} with ${r.size} bytes but serves ${info.size}`);
  const etag = r.etag;
  const blob = blobPath(r.folder, etag);
  if (!(await sizeIs(blob, info.size))) {
    const lock = path.join(path.dirname(r.folder), '.locks', path.basename(r.folder), `${etag}.embedforge.lock`);
    await withDownloadLock(lock, async () => {
      if (!(await sizeIs(blob, info.size))) await fetchBlob(r, info, blob); // another process may have finished it meanwhile
    }, (pid) => r.log?.(`${r.repoId}/${r.file}: waiting for process ${pid ?? '?'}, which is downloading it too`));
  }
  return linkIntoSnapshot(r.folder, r.commit, r.file, etag);
}

/** The blob's bytes into blobs/<etag>.incomplete (continuing what is there), checked, then renamed to blobs/<etag>. */
async function fetchBlob(r: CacheFileRequest, info: FileDownloadInfoOutput, blob: string): Promise<void> {
  const repo = { type: 'model' as const, name: r.repoId };
  await fsp.mkdir(path.dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  if (info.size >= 10 << 20) r.log?.(`downloading ${r.repoId}/${r.file} (${(info.size / 2 ** 20).toFixed(0)} MiB)`);
  for (let attempt = 0; ; attempt++) {
    let offset = (await fileSize(partial)) ?? 0;
    if (offset > info.size) {
      await fsp.rm(partial);
      offset = 0;
    }
    try {
      const content = await downloadFile({ repo, path: r.file, revision: r.commit, hubUrl: r.hubUrl, accessToken: r.accessToken, downloadInfo: info });
      if (!content) throw new Error(`${r.repoId}: ${r.file} vanished from commit ${r.commit}`);
      if (offset < info.size) {
        // Blob.slice on the client's lazy blob becomes a Range request for the missing bytes only.
        const rest = offset > 0 ? content.slice(offset) : content;
        await pipeline(Readable.fromWeb(rest.stream() as import('stream/web').ReadableStream), fs.createWriteStream(partial, { flags: 'a' }));
      }
      break;
    } catch (e) {
      const reached = (await fileSize(partial)) ?? 0;
      const cut = isNetworkError(e) || isCutStream(e);
      if (cut && (attempt >= MAX_RESUMES || (reached === offset && attempt > 0))) {
        throw new Error(`download of ${r.repoId}/${r.file} stopped at byte ${reached} of ${info.size} (${errorText(e)}); run again to resume it`);
      }
      if (!cut) throw e instanceof Error ? e : new Error(`download of ${r.repoId}/${r.file} failed: ${errorText(e)}`);
      r.log?.(`${r.repoId}/${r.file}: connection lost at byte ${reached} of ${info.size}; resuming`);
    }
  }
  await verify(partial, info.size, r.etag, `${r.repoId}/${r.file}`);
  await fsp.rename(partial, blob);
}

function errorText(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string } };
  return err?.cause?.message ?? err?.message ?? String(e);
}

/** A stream that ended early: undici's "terminated", or the client's stream aborted with that message. */
function isCutStream(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? e);
  return /terminated|socket|aborted|premature|ECONNRESET|other side closed/i.test(msg);
}

async function fileSize(p: string): Promise<number | null> {
  try {
    return (await fsp.stat(p)).size;
  } catch {
    return null;
  }
}

async function sizeIs(p: string, size: number): Promise<boolean> {
  return (await fileSize(p)) === size;
}

/** Size, and for LFS files (ETag = sha256 of the content) the hash; a bad file is removed so the next try starts afresh. */
async function verify(file: string, size: number, etag: string, name: string): Promise<void> {
  const got = await fileSize(file);
  let problem = got !== size ? `${got} bytes, expected ${size}` : null;
  if (!problem && /^[0-9a-f]{64}$/.test(etag)) {
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    const digest = hash.digest('hex');
    if (digest !== etag) problem = `sha256 ${digest}, expected ${etag}`;
  }
  if (problem) {
    await fsp.rm(file, { force: true });
    throw new Error(`download of ${name} is corrupt (${problem}); it was removed, run again to download it afresh`);
  }
}
