/**
 * What a model argument names: a local folder when one exists at that path, otherwise a hub id such as
 * `BAAI/bge-base-en-v1.5`, downloaded into (or found in) the Hugging Face cache.
 */
import * as fs from 'fs';
import * as path from 'path';
import { downloadModel, type HubDownloadOptions } from './downloadModel';

export interface ResolvedModel {
  /** The local folder to read. */
  dir: string;
  /** Set when the model came from the hub. */
  repoId?: string;
  revision?: string;
  commit?: string;
}

/** `owner/name` as the hub accepts repository ids (huggingface_hub's rule): word characters, '-' and '.', no '--' or '..'. */
export function isHubId(spec: string): boolean {
  return /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/.test(spec) && !/--|\.\./.test(spec) && !spec.endsWith('.git') && !spec.endsWith('.');
}

export async function resolveModelPath(spec: string, options: HubDownloadOptions = {}): Promise<ResolvedModel> {
  if (fs.existsSync(spec) || !isHubId(spec)) return { dir: spec };
  const snapshot = await downloadModel(spec, options);
  return { dir: snapshot.dir, repoId: snapshot.repoId, revision: snapshot.revision, commit: snapshot.commit };
}

/** For arguments relative to a config file or the working directory: the absolute path when it exists (or is no hub id), else the hub id as written. */
export function localPathOrHubId(spec: string, baseDir = '.'): string {
  const local = path.resolve(baseDir, spec);
  return fs.existsSync(local) || !isHubId(spec) ? local : spec;
}
