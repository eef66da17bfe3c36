/**
 * The Hugging Face settings a user already has, read as Python's huggingface_hub reads them, so that both
 * share one cache and one login: HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN (or the token file that
 * `hf auth login` writes), HF_ENDPOINT.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** `$HF_HOME`, default `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(): string {
  const env = process.env;
  return expandHome(env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface'));
}

/** Where models live: `$HF_HUB_CACHE` (or its legacy name HUGGINGFACE_HUB_CACHE), default `$HF_HOME/hub`. */
export function hubCacheDir(): string {
  const env = process.env;
  return expandHome(env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || path.join(hfHome(), 'hub'));
}

/** HF_HUB_OFFLINE set to 1 / true / yes / on: the network is never touched. */
export function hubOffline(): boolean {
  return ['1', 'true', 'yes', 'on'].includes((process.env.HF_HUB_OFFLINE ?? '').trim().toLowerCase());
}

/** The hub's address: `$HF_ENDPOINT`, default https://huggingface.co. */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** The user's token: HF_TOKEN (or legacy HUGGING_FACE_HUB_TOKEN), else the file at HF_TOKEN_PATH or `$HF_HOME/token`; undefined when none. */
export function hubToken(): string | undefined {
  const env = process.env;
  const fromEnv = (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || '').trim();
  if (fromEnv) return fromEnv;
  const file = expandHome(env.HF_TOKEN_PATH || path.join(hfHome(), 'token'));
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}
