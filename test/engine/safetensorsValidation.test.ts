/**
 * The safetensors reader holds files to the format's rule, as the safetensors crate (Python's safetensors)
 * does: ordered by offset, the tensors tile the data section exactly (from byte 0, no overlap, no gap, no
 * trailing bytes). Files that break it are refused with an error naming the file and the tensors; the same
 * files are refused by Python's safetensors. Weights holding NaN or Inf are refused at load, naming the
 * first such tensor.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { EncoderOptions, NativeEncoder } from '../../lib/binding/AddonTypes';
import { describeIf, missing, tmpDir, venvPython } from '../helpers/requirements';
import { pack, syntheticTexts, tinyConfig } from './fixtures';
import { joinSafetensors, splitSafetensors, tensorEntries, type Header, type HeaderEntry } from './rawSafetensors';

/** The addon's encoder, through create() where the addon has it (a constructor before). */
export async function newEncoder(options: EncoderOptions): Promise<NativeEncoder> {
  const ctor = loadAddon().NativeEncoder as unknown as { create?: (o: EncoderOptions) => Promise<NativeEncoder> } & (new (o: EncoderOptions) => NativeEncoder);
  return ctor.create ? ctor.create(options) : new ctor(options);
}

describeIf(missing({ addon: true }), 'safetensors validation', () => {
  let dir: string;
  let valid: string;
  let reference: Float32Array;
  const batch = pack(syntheticTexts(4, 5, 20, 1000));
  const make = (): Promise<NativeEncoder> => newEncoder({ configJson: tinyConfig(), pooling: 'mean', normalize: true, device: 'cpu' });
  const write = (name: string, header: Header, data: Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, joinSafetensors(JSON.stringify(header), data));
    return file;
  };
  /** Python's safetensors on each file (one interpreter for all): 'ok' or its error. */
  const pythonVerdicts = (files: string[]): string[] => {
    const code = [
      'import json, sys',
      'from safetensors.torch import load_file',
      'out = []',
      'for f in sys.argv[1:]:',
      '    try:',
      '        load_file(f)',
      '        out.append("ok")',
      '    except Exception as e:',
      '        out.append(f"{type(e).__name__} {e}")',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(venvPython()!, ['-c', code, ...files], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  };

  beforeAll(async () => {
    dir = tmpDir('st-validation');
    const enc = await make();
    await enc.initWeights(5);
    valid = path.join(dir, 'valid.safetensors');
    await enc.saveWeights(valid);
    reference = await enc.encode(batch);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The valid file's header and data with the two equal-sized LayerNorm tensors of the embeddings picked out. */
  const parts = () => {
    const { header, data } = splitSafetensors(valid);
    const w = header['embeddings.LayerNorm.weight'] as HeaderEntry;
    const b = header['embeddings.LayerNorm.bias'] as HeaderEntry;
    return { header, data, w, b };
  };
  const expectRejected = async (file: string, pattern: RegExp) => {
    const enc = await make();
    await enc.initWeights(1);
    const before = await enc.encode(batch);
    await expect(enc.loadWeights(file)).rejects.toThrow(pattern);
    expect(await enc.encode(batch)).toEqual(before); // a refused file leaves the model as it was
  };

  test('overlapping data offsets are refused, naming both tensors (they would alias each other\'s bytes)', async () => {
    const { header, data, w, b } = parts();
    w.data_offsets = [...b.data_offsets]; // the weight reads the bias's bytes
    const file = write('overlap.safetensors', header, data);
    await expectRejected(file, new RegExp(`overlap\\.safetensors, tensor 'embeddings\\.LayerNorm\\.(bias|weight)': data_offsets \\[\\d+, \\d+\\] overlap tensor 'embeddings\\.LayerNorm\\.(weight|bias)'`));
  });

  test('a gap between tensors is refused, naming the tensors on both sides', async () => {
    const { header, data, w } = parts();
    const at = w.data_offsets[0];
    for (const [, e] of tensorEntries(header)) {
      if (e.data_offsets[0] >= at) e.data_offsets = [e.data_offsets[0] + 8, e.data_offsets[1] + 8];
    }
    const padded = Buffer.concat([data.subarray(0, at), Buffer.alloc(8), data.subarray(at)]);
    const file = write('gap.safetensors', header, padded);
    await expectRejected(file, /gap\.safetensors, tensor 'embeddings\.LayerNorm\.weight': data_offsets \[\d+, \d+\] leave a gap of 8 bytes after (tensor '[^']+'|the start)/);
  });

  test('trailing bytes after the last tensor and an end offset before its begin are refused', async () => {
    const { header, data } = parts();
    await expectRejected(write('trailing.safetensors', header, Buffer.concat([data, Buffer.alloc(16)])),
      /trailing\.safetensors: the tensors cover \d+ bytes of the data section but it has \d+ \(16 bytes belong to no tensor\)/);
    const p = parts();
    p.w.data_offsets = [p.w.data_offsets[1], p.w.data_offsets[0]];
    await expectRejected(write('reversed.safetensors', p.header, p.data),
      /reversed\.safetensors, tensor 'embeddings\.LayerNorm\.weight': data_offsets \[\d+, \d+\] end before they begin/);
  });

  test('a header over the format\'s 100 MB limit is refused before it is read', async () => {
    const big = path.join(dir, 'big-header.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(100_000_008n);
    const fd = fs.openSync(big, 'w');
    fs.writeSync(fd, len);
    fs.ftruncateSync(fd, 8 + 100_000_008); // sparse: no 100 MB actually written
    fs.closeSync(fd);
    await expectRejected(big, /big-header\.safetensors: header length 100000008 exceeds the format's limit of 100000000 bytes/);
  });

  test('tensors stored in another order than their names are accepted and load the right weights', async () => {
    // The rule is about offsets, not about the order of the header's keys: reverse the data layout.
    const { header, data } = splitSafetensors(valid);
    const entries = tensorEntries(header).sort((a, b) => b[1].data_offsets[0] - a[1].data_offsets[0]);
    const chunks: Buffer[] = [];
    let offset = 0;
    const reordered: Header = {};
    for (const [name, e] of entries) {
      const bytes = data.subarray(e.data_offsets[0], e.data_offsets[1]);
      reordered[name] = { ...e, data_offsets: [offset, offset + bytes.length] };
      chunks.push(bytes);
      offset += bytes.length;
    }
    const file = write('reordered.safetensors', reordered, Buffer.concat(chunks));
    const enc = await make();
    await enc.loadWeights(file);
    expect(await enc.encode(batch)).toEqual(reference);
  });

  describeIf(missing({ python: true }), 'Python\'s safetensors on the same files', () => {
    test('refuses the overlapping, gapped, trailing, reversed and oversized files and accepts the reordered and valid ones', () => {
      const bad = ['overlap', 'gap', 'trailing', 'reversed', 'big-header'];
      const verdicts = pythonVerdicts([...bad, 'reordered', 'valid'].map((n) => path.join(dir, `${n}.safetensors`)));
      expect(Object.fromEntries(bad.map((n, i) => [n, verdicts[i]]))).toEqual({
        overlap: expect.stringMatching(/^SafetensorError .*invalid offset/i),
        gap: expect.stringMatching(/^SafetensorError .*invalid offset/i),
        trailing: expect.stringMatching(/^SafetensorError .*incomplete metadata/i),
        reversed: expect.stringMatching(/^SafetensorError .*invalid offset/i),
        'big-header': expect.stringMatching(/^SafetensorError .*header too large/i),
      });
      expect(verdicts.slice(bad.length)).toEqual(['ok', 'ok']);
    });
  });

  test('weights holding NaN or Inf are refused at load, naming the first such tensor and the file', async () => {
    const { header, data } = splitSafetensors(valid);
    const poison = (name: string, value: number, index: number) => {
      const e = header[name] as HeaderEntry;
      data.writeFloatLE(value, e.data_offsets[0] + 4 * index);
    };
    poison('encoder.layer.1.attention.self.key.weight', NaN, 17);
    poison('encoder.layer.1.output.dense.bias', Infinity, 3);
    poison('encoder.layer.1.output.dense.bias', -Infinity, 4);
    const file = write('nan.safetensors', header, data);
    await expectRejected(file, /nan\.safetensors: tensor encoder\.layer\.1\.attention\.self\.key\.weight holds 1 non-finite values \(NaN or Inf\) of 1024/);
    poison('encoder.layer.1.attention.self.key.weight', 0.5, 17);
    const inf = write('inf.safetensors', header, data);
    await expectRejected(inf, /inf\.safetensors: tensor encoder\.layer\.1\.output\.dense\.bias holds 2 non-finite values \(NaN or Inf\) of 32/);
  });
});
