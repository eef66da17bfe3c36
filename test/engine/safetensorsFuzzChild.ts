/**
 * The safetensors fuzzer's worker, run in a child process by safetensorsFuzz.test.ts so that a crash, a
 * signal or a hang fails the test instead of killing jest. Arguments: work folder, number of inputs, seed.
 * Mutates a valid weights file of a tiny BERT (header bytes, length prefix, offsets, dtypes, shapes, JSON
 * structure, truncation, data bytes), loads each through the addon, and prints one JSON summary line.
 * The input being loaded is kept as current.safetensors, so a crash leaves its reproducer behind.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { EncoderOptions, NativeEncoder } from '../../lib/binding/AddonTypes';
import { tinyConfig } from './fixtures';
import { joinSafetensors, splitSafetensors, tensorEntries, type Header } from './rawSafetensors';
import { SeededRandom } from '../../lib/data/SeededRandom';

/** Seeded floats in [0, 1): the project's own generator, so every run of a seed is identical. */
function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.nextFloat();
}

async function newEncoder(options: EncoderOptions): Promise<NativeEncoder> {
  const ctor = loadAddon().NativeEncoder as unknown as { create?: (o: EncoderOptions) => Promise<NativeEncoder> } & (new (o: EncoderOptions) => NativeEncoder);
  return ctor.create ? ctor.create(options) : new ctor(options);
}

/** JSON values that stress the reader where a number, string or array is expected (raw JSON text). */
const oddValues = ['-1', '0', '1', '1.5', '1e308', '-0', '9007199254740993', '9223372036854775807', '9223372036854775808',
  '18446744073709551615', '1e20', 'null', 'true', '"12"', '[]', '{}', '[1,2,3]', '""', '"F32"', '4611686018427387904'];
const dtypes = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'I8', 'BOOL', 'F8_E4M3', 'U64', '', 'f32', 'F32 '];
const specialBytes = [...'{}[]":,-.0e9\\ '].map((c) => c.charCodeAt(0)).concat([0x00, 0x7f, 0x80, 0xc3, 0xff]);

async function main(): Promise<void> {
  const [workDir, countArg, seedArg, sampleEveryArg] = process.argv.slice(2);
  // Every sampleEvery-th input is kept under sample/ with our verdict, for the comparison with Python.
  const sampleEvery = Number(sampleEveryArg ?? 0);
  const sampleDir = path.join(workDir, 'sample');
  if (sampleEvery > 0) fs.mkdirSync(sampleDir, { recursive: true });
  const samples: { file: string; ours: string }[] = [];
  const count = Number(countArg);
  const rand = prng(Number(seedArg));
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

  const options: EncoderOptions = {
    configJson: tinyConfig({ vocab_size: 40, hidden_size: 8, num_attention_heads: 2, intermediate_size: 12, num_hidden_layers: 1, max_position_embeddings: 16 }),
    pooling: 'mean', normalize: true, device: 'cpu',
  };
  const encoder = await newEncoder(options);
  await encoder.initWeights(1);
  const validFile = path.join(workDir, 'valid.safetensors');
  await encoder.saveWeights(validFile);
  const valid = fs.readFileSync(validFile);
  const { header, data } = splitSafetensors(validFile);
  const headerText = JSON.stringify(header);
  const names = tensorEntries(header).map(([n]) => n);

  /** The header with one tensor's field replaced by raw JSON text. */
  const withField = (name: string, field: string, raw: string): string => {
    const h = JSON.parse(headerText) as Header;
    (h[name] as Record<string, unknown>)[field] = '\u0000RAW\u0000';
    return JSON.stringify(h).replace('"\\u0000RAW\\u0000"', raw);
  };
  const mutators: Record<string, () => Buffer> = {
    headerBits: () => {
      const b = Buffer.from(valid);
      for (let k = 1 + int(4); k > 0; k--) { const i = 8 + int(headerText.length); b[i] ^= 1 << int(8); }
      return b;
    },
    headerBytes: () => {
      const b = Buffer.from(valid);
      for (let k = 1 + int(3); k > 0; k--) b[8 + int(headerText.length)] = pick(specialBytes);
      return b;
    },
    lengthPrefix: () => {
      const b = Buffer.from(valid);
      const n = BigInt(headerText.length);
      const choices = [0n, 1n, 2n, n - 1n, n + 1n, n + BigInt(int(64)), n - BigInt(int(64)), BigInt(valid.length), BigInt(valid.length - 7),
        (1n << 63n), (1n << 64n) - 1n, 100_000_001n, BigInt(int(2 ** 31)) * BigInt(int(2 ** 31))];
      const v = pick(choices);
      b.writeBigUInt64LE(((v % (1n << 64n)) + (1n << 64n)) % (1n << 64n), 0);
      if (rand() < 0.3) b[int(8)] ^= 1 << int(8);
      return b;
    },
    offsets: () => {
      const name = pick(names);
      const other = tensorEntries(header)[int(names.length)][1].data_offsets;
      const [b0, e0] = tensorEntries(header).find(([n]) => n === name)![1].data_offsets;
      const d = () => int(17) - 8;
      const raw = pick([`[${b0 + d()},${e0 + d()}]`, `[${e0},${b0}]`, `[${other[0]},${other[1]}]`, `[${b0},${pick(oddValues)}]`,
        `[${pick(oddValues)},${e0}]`, `[${b0}]`, `[${b0},${e0},${e0}]`, pick(oddValues), `[${b0 + 4},${e0 + 4}]`]);
      return joinSafetensors(withField(name, 'data_offsets', raw), data);
    },
    dtype: () => joinSafetensors(withField(pick(names), 'dtype', rand() < 0.7 ? JSON.stringify(pick(dtypes)) : pick(oddValues)), data),
    shape: () => {
      const name = pick(names);
      const shape = (header[name] as { shape: number[] }).shape.map(String);
      const r = int(5);
      if (r === 0 && shape.length) shape[int(shape.length)] = pick(oddValues);
      else if (r === 1) shape.push(pick(['1', '2', '0', '4611686018427387904', pick(oddValues)]));
      else if (r === 2) shape.pop();
      else if (r === 3 && shape.length) shape[int(shape.length)] = String(Number(shape[0]) + int(5) - 2);
      else shape.unshift('0');
      return joinSafetensors(withField(name, 'shape', rand() < 0.9 ? `[${shape.join(',')}]` : pick(oddValues)), data);
    },
    structure: () => {
      const r = int(7);
      const name = pick(names);
      const h = JSON.parse(headerText) as Record<string, unknown>;
      if (r === 0) delete h[name];
      else if (r === 1) h[name] = JSON.parse(pick(oddValues));
      else if (r === 2) delete (h[name] as Record<string, unknown>)[pick(['dtype', 'shape', 'data_offsets'])];
      else if (r === 3) h.__metadata__ = JSON.parse(pick(oddValues));
      else if (r === 4) return joinSafetensors(headerText.replace(`"${name}":`, `"${name}":${JSON.stringify(header[name])},"${name}":`), data);
      else if (r === 5) return joinSafetensors('['.repeat(1 + int(200)) + ']'.repeat(int(200)), data);
      else return joinSafetensors(Buffer.concat([Buffer.from(headerText.slice(0, -1) + ',"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('":1}')]), data);
      return joinSafetensors(JSON.stringify(h), data);
    },
    truncate: () => (rand() < 0.7 ? valid.subarray(0, int(valid.length)) : Buffer.concat([valid, Buffer.alloc(1 + int(16), int(256))])),
    dataBytes: () => {
      const b = Buffer.from(valid);
      for (let k = 1 + int(4); k > 0; k--) b[8 + headerText.length + int(data.length)] = int(256);
      return b;
    },
  };
  const kinds = Object.keys(mutators);

  const messages = new Map<string, number>();
  const badErrors: string[] = [];
  const perKind: Record<string, { accepted: number; rejected: number }> = Object.fromEntries(kinds.map((k) => [k, { accepted: 0, rejected: 0 }]));
  const current = path.join(workDir, 'current.safetensors');
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const kind = pick(kinds);
    let bytes = mutators[kind]();
    if (rand() < 0.15) bytes = Buffer.concat([bytes.subarray(0, int(bytes.length + 1)), rand() < 0.5 ? Buffer.alloc(0) : bytes.subarray(int(bytes.length))]);
    fs.writeFileSync(current, bytes);
    const sampled = sampleEvery > 0 && i % sampleEvery === 0 ? path.join(sampleDir, `input-${i}.safetensors`) : null;
    if (sampled) fs.writeFileSync(sampled, bytes);
    try {
      await encoder.loadWeights(current);
      perKind[kind].accepted++;
      if (sampled) samples.push({ file: sampled, ours: 'ok' });
    } catch (e) {
      if (sampled) samples.push({ file: sampled, ours: e instanceof Error ? e.message.split(current).join(sampled) : String(e) });
      perKind[kind].rejected++;
      const message = e instanceof Error ? e.message : `non-Error thrown: ${String(e)}`;
      if (!(e instanceof Error) || !message.includes(current) || /Exception raised from|\n/.test(message)) {
        if (badErrors.length < 20) badErrors.push(`input ${i} (${kind}): ${message}`);
      }
      const shape = message.split(current).join('<file>').replace(/'[^']*'/g, "'<name>'")
        .replace(/(tensor|missing tensor) [\w.]+ /, '$1 <name> ').replace(/unsupported dtype .* \(/, 'unsupported dtype <dtype> (').replace(/byte 0x[0-9a-f]{2}/, 'byte 0xNN').replace(/(?<![A-Za-z_\d])-?\d+(\.\d+)?(?![A-Za-z_\d])/g, 'N');
      messages.set(shape, (messages.get(shape) ?? 0) + 1);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const rejected = kinds.reduce((s, k) => s + perKind[k].rejected, 0);
  process.stdout.write(JSON.stringify({ count, accepted: count - rejected, rejected, seconds, perKind, badErrors,
    messages: [...messages.entries()].sort((a, b) => b[1] - a[1]), samples }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`fuzz child failed: ${(e as Error).stack}\n`);
  process.exit(2);
});
