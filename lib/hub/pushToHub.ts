/**
 * A saved model folder onto the hub, as sentence-transformers' push_to_hub does: the repository is created
 * (with the private flag) unless it exists, then every file of the folder goes up in one commit through the
 * hub client (small files inline, weights through LFS).
 */
import { createRepo, fileExists, HubApiError, uploadFiles, whoAmI } from '@huggingface/hub';
import * as fs from 'fs';
import * as path from 'path';
import { hubEndpoint, hubToken } from './hubEnvironment';
import { hubRequestError, isNetworkError } from './hubErrors';

export interface PushToHubOptions {
  /** Access token with write permission (default: HF_TOKEN, else $HF_HOME/token). */
  token?: string;
  /** Create the repository private (only when it is created; an existing one keeps its visibility). */
  private?: boolean;
  commitMessage?: string;
  /** Push into a repository that exists already (default false, as sentence-transformers: an existing repo is an error). */
  existOk?: boolean;
  /** Upload the model card README.md even when the repository has one (default false: the existing card is kept). */
  replaceModelCard?: boolean;
}

export interface PushResult {
  repoId: string;
  commitUrl: string;
  commitOid: string;
}

function pushToken(repo: string, token?: string): string {
  const accessToken = token ?? hubToken();
  if (!accessToken) throw new Error(`cannot push to ${repo}: no token. Pass {token}, set HF_TOKEN, or run \`hf auth login\` (a token with write access).`);
  return accessToken;
}

function pushError(e: unknown, repoId: string): Error {
  if (e instanceof Error && e.message.startsWith('cannot push')) return e;
  return isNetworkError(e)
    ? new Error(`cannot push to ${repoId}: ${hubEndpoint()} could not be reached (${(e as Error).message}); the model is unchanged on the hub`)
    : hubRequestError(e, repoId, 'main', true, 'push to');
}

/** `owner/name` for a push: a bare name goes under the token's user, as huggingface_hub's create_repo does. */
export async function qualifiedRepoId(repo: string, token?: string): Promise<string> {
  if (repo.includes('/')) return repo;
  try {
    return `${(await whoAmI({ accessToken: pushToken(repo, token), hubUrl: hubEndpoint() })).name}/${repo}`;
  } catch (e) {
    throw pushError(e, repo);
  }
}

export async function pushFolderToHub(dir: string, repo: string, options: PushToHubOptions & { defaultCommitMessage: string }): Promise<PushResult> {
  const accessToken = pushToken(repo, options.token);
  const hubUrl = hubEndpoint();
  const repoId = await qualifiedRepoId(repo, accessToken);
  try {
    let existed = false;
    try {
      await createRepo({ repo: { type: 'model', name: repoId }, accessToken, hubUrl, ...(options.private !== undefined && { private: options.private }) });
    } catch (e) {
      if (!(e instanceof HubApiError && e.statusCode === 409)) throw e;
      if (!options.existOk) throw new Error(`cannot push to ${repoId}: the repository exists already; pass existOk: true (--exist-ok) to push a new commit into it`);
      existed = true;
    }
    const keepCard = existed && !options.replaceModelCard
      && await fileExists({ repo: { type: 'model', name: repoId }, path: 'README.md', accessToken, hubUrl });
    const files = await Promise.all(listFiles(dir).filter((f) => !(keepCard && f === 'README.md'))
      .map(async (f) => ({ path: f, content: await fs.openAsBlob(path.join(dir, f)) })));
    const out = await uploadFiles({ repo: { type: 'model', name: repoId }, accessToken, hubUrl, files,
      commitTitle: options.commitMessage ?? options.defaultCommitMessage });
    if (!out) throw new Error(`cannot push to ${repoId}: the hub answered the commit without a commit id`);
    return { repoId, commitUrl: out.commit.url, commitOid: out.commit.oid };
  } catch (e) {
    throw pushError(e, repoId);
  }
}

/** Every file under dir, as relative paths with '/' (hidden files left out). */
function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, rel) : [rel];
  });
}
