/** Hub failures turned into messages that name the repository and say what to do. */
import { HubApiError } from '@huggingface/hub';
import { hubEndpoint } from './hubEnvironment';

/** True when the request never got an HTTP answer (no network, DNS failure, refused or reset connection). */
export function isNetworkError(e: unknown): boolean {
  if (e instanceof HubApiError) return false;
  const err = e as { name?: string; message?: string; cause?: { code?: string } } | undefined;
  return err?.name === 'TypeError' && /fetch failed|terminated|network/i.test(err.message ?? '')
    || /^(ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(err?.cause?.code ?? '');
}

/** The reason behind a fetch failure, e.g. "connect ECONNREFUSED 127.0.0.1:443". */
function networkCause(e: unknown): string {
  const cause = (e as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message || cause?.code || (e as Error).message;
}

export function noNetworkError(repoId: string, cacheFolder: string, e: unknown): Error {
  return new Error(`cannot download ${repoId}: ${hubEndpoint()} could not be reached (${networkCause(e)}), and the Hugging Face cache `
    + `(${cacheFolder}) does not have it. Check the network (or HF_ENDPOINT), or copy the model folder here and pass its path.`);
}

/** A clear error for an answer of the hub about `repoId` (404, 401, 403, ...); other errors pass through. */
export function hubRequestError(e: unknown, repoId: string, revision: string, hasToken: boolean, what = 'download'): Error {
  if (!(e instanceof HubApiError)) return e as Error;
  const where = `${hubEndpoint()}/${repoId}`;
  const noFolder = what === 'download' ? 'there is no local folder of that name, and ' : '';
  const detail = e.message.replace(/\. URL: .*$/, '');
  const tokenHint = hasToken
    ? 'the token in use (HF_TOKEN or $HF_HOME/token) has no access to it'
    : 'no token was given (set HF_TOKEN, run `hf auth login`, or pass {token})';
  switch (e.statusCode) {
    case 404:
      return /revision|rev id/i.test(detail)
        ? new Error(`cannot ${what} ${repoId}: it has no revision "${revision}" (${detail}). Check the branch, tag or commit.`)
        : new Error(`cannot ${what} ${repoId}: ${noFolder}${where} does not exist (${detail}). Check the id or the path.`);
    case 401:
      if (what !== 'download') return new Error(`cannot ${what} ${repoId}: the hub refused the token (401: ${detail}). Check HF_TOKEN or $HF_HOME/token, or pass {token}.`);
      return new Error(`cannot ${what} ${repoId}: ${noFolder}the hub refused access (401: ${detail}). The repository does not exist or is private and ${tokenHint}.`);
    case 403:
      if (what !== 'download') return new Error(`cannot ${what} ${repoId}: the hub refused (403: ${detail}). Use a token with write access to ${repoId.split('/')[0]}.`);
      return new Error(`cannot ${what} ${repoId}: access is restricted (403: ${detail}). If the model is gated, accept its conditions at ${where} `
        + `with your account; ${tokenHint}.`);
    default:
      return new Error(`cannot ${what} ${repoId}: the hub answered ${e.statusCode} (${detail})`);
  }
}
