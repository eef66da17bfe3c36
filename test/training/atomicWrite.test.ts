import * as fs from 'fs';
import * as path from 'path';
import { writeDirAtomic, writeFileAtomic } from '../../lib/training/atomicWrite';
import { tmpDir } from '../helpers/requirements';

/** Every entry of a folder, recursively, as relative path -> content ('<dir>' for folders). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isDirectory()) {
        out[rel] = '<dir>';
        walk(p);
      } else out[rel] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('writeFileAtomic', () => {
  it('writes and replaces a file, leaving no temporary file', async () => {
    const dir = tmpDir('atomic-file');
    const file = path.join(dir, 'trainer_state.json');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, new TextEncoder().encode('second'));
    expect(snapshot(dir)).toEqual({ 'trainer_state.json': 'second' });
  });

  it('fails cleanly when the folder does not exist', async () => {
    const dir = tmpDir('atomic-file');
    await expect(writeFileAtomic(path.join(dir, 'missing', 'f.json'), 'x')).rejects.toThrow(/ENOENT/);
    expect(snapshot(dir)).toEqual({});
  });
});

describe('writeDirAtomic', () => {
  it('creates the folder only once it is complete', async () => {
    const root = tmpDir('atomic-dir');
    const final = path.join(root, 'checkpoint-10');
    let seenDuringFill = true;
    await writeDirAtomic(final, async (tmp) => {
      expect(path.dirname(tmp)).toBe(root);
      fs.writeFileSync(path.join(tmp, 'model.safetensors'), 'weights');
      fs.mkdirSync(path.join(tmp, '1_Pooling'));
      fs.writeFileSync(path.join(tmp, '1_Pooling', 'config.json'), '{}');
      seenDuringFill = fs.existsSync(final);
    });
    expect(seenDuringFill).toBe(false);
    expect(snapshot(root)).toEqual({
      'checkpoint-10': '<dir>', 'checkpoint-10/model.safetensors': 'weights', 'checkpoint-10/1_Pooling': '<dir>', 'checkpoint-10/1_Pooling/config.json': '{}',
    });
  });

  it('replaces an existing folder whole, removing files the new one lacks', async () => {
    const root = tmpDir('atomic-dir');
    const final = path.join(root, 'checkpoint-10');
    fs.mkdirSync(final);
    fs.writeFileSync(path.join(final, 'old.bin'), 'old');
    fs.writeFileSync(path.join(final, 'model.safetensors'), 'old weights');
    await writeDirAtomic(final, async (tmp) => fs.writeFileSync(path.join(tmp, 'model.safetensors'), 'new weights'));
    expect(snapshot(root)).toEqual({ 'checkpoint-10': '<dir>', 'checkpoint-10/model.safetensors': 'new weights' });
  });

  it('leaves an existing folder untouched when filling fails half-way', async () => {
    const root = tmpDir('atomic-dir');
    const final = path.join(root, 'checkpoint-10');
    fs.mkdirSync(final);
    fs.writeFileSync(path.join(final, 'model.safetensors'), 'good weights');
    fs.writeFileSync(path.join(final, 'trainer_state.json'), '{"global_step": 10}');
    const before = snapshot(root);
    await expect(writeDirAtomic(final, async (tmp) => {
      fs.writeFileSync(path.join(tmp, 'model.safetensors'), 'half-writ');
      throw new Error('disk full while writing optimizer.pt');
    })).rejects.toThrow('disk full while writing optimizer.pt');
    expect(snapshot(root)).toEqual(before);
  });

  it('creates nothing when filling a new folder fails', async () => {
    const root = tmpDir('atomic-dir');
    await expect(writeDirAtomic(path.join(root, 'out', 'checkpoint-3'), async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(snapshot(root)).toEqual({ out: '<dir>' });
  });
});
