/**
 * device "cuda:N" and use_cpu (issue 12, finding 14). This machine may have no GPU: device resolution is
 * tested against a stubbed device list (two GPUs, none), the native parseDevice through the real addon (its
 * refusals without CUDA), the arguments at parse time, and the Trainer's check on the CPU. Selecting a
 * second GPU itself needs a machine with two.
 */
import * as fs from 'fs';
import type { DeviceInfo } from '../../lib/binding/AddonTypes';
import { resolvePrecision } from '../../lib/training/precision';
import { parseTrainingArguments } from '../../lib/training/TrainingArguments';
import { describeIf, missing, tmpDir } from '../helpers/requirements';

const fakeInfo: { current: DeviceInfo | null } = { current: null };
jest.mock('../../lib/binding/addon', () => {
  const actual = jest.requireActual('../../lib/binding/addon');
  return {
    ...actual,
    loadAddon: () => {
      const addon = actual.loadAddon();
      return fakeInfo.current ? { ...addon, deviceInfo: () => fakeInfo.current } : addon;
    },
  };
});
// Imported after the mock so that resolveDevice sees it.
import { checkDeviceName, checkTrainingDevice, isCuda, resolveDevice } from '../../lib/models/device';

const TWO_GPUS: DeviceInfo = { cudaAvailable: true, cudaDeviceCount: 2, cudaDeviceName: 'Fake GPU', bf16Supported: true, torchVersion: 'x', torchCudaVersion: '13.0', cudaKernels: {} };
const NO_GPU: DeviceInfo = { cudaAvailable: false, cudaDeviceCount: 0, cudaDeviceName: '', bf16Supported: false, torchVersion: 'x', torchCudaVersion: '', cudaKernels: {} };

describe('device names', () => {
  test('accepted spellings; anything else is refused with the valid ones', () => {
    for (const name of ['cpu', 'CPU', 'cuda', 'gpu', 'cuda:0', 'cuda:1', 'cuda:12', 'auto', ' cuda:3 ']) expect(() => checkDeviceName(name)).not.toThrow();
    for (const name of ['tpu', 'cuda:', 'cuda:x', 'cuda:-1', 'cuda1', 'mps', 'cuda:1.5', 'cpu:0']) {
      expect(() => checkDeviceName(name)).toThrow(`device "${name}" is not a device: use cpu, cuda, cuda:N (N the device index, e.g. cuda:1) or auto`);
    }
    expect(isCuda('cuda')).toBe(true);
    expect(isCuda('cuda:1')).toBe(true);
    expect(isCuda('cpu')).toBe(false);
  });

  test('resolveDevice with two GPUs: cuda:1 selects device 1, cuda:0 is cuda, cuda:2 does not exist', () => {
    fakeInfo.current = TWO_GPUS;
    try {
      expect(resolveDevice('cuda:1')).toBe('cuda:1');
      expect(resolveDevice('CUDA:1')).toBe('cuda:1');
      expect(resolveDevice('cuda:0')).toBe('cuda');
      expect(resolveDevice('gpu')).toBe('cuda');
      expect(resolveDevice(undefined)).toBe('cuda');
      expect(resolveDevice('cpu')).toBe('cpu');
      expect(() => resolveDevice('cuda:2')).toThrow('device "cuda:2" requested but this machine has 2 CUDA devices (cuda:0 to cuda:1)');
      expect(() => resolveDevice('tpu')).toThrow('device "tpu" is not a device');
    } finally {
      fakeInfo.current = null;
    }
  });

  test('resolveDevice without a GPU: auto is cpu, any cuda is refused', () => {
    fakeInfo.current = NO_GPU;
    try {
      expect(resolveDevice('auto')).toBe('cpu');
      expect(() => resolveDevice('cuda:1')).toThrow('device "cuda:1" requested but no CUDA device is available');
    } finally {
      fakeInfo.current = null;
    }
  });

  test('mixed precision applies on cuda:N as on cuda', () => {
    const args = { bf16: true, fp16: false, tf32: true };
    expect(resolvePrecision(args, 'cuda:1', TWO_GPUS, () => {})).toEqual({ precision: 'bf16', tf32: true, notes: [] });
    expect(resolvePrecision(args, 'cpu', TWO_GPUS, () => {}).precision).toBe('fp32');
  });
});

describe('training arguments: device and use_cpu at parse time', () => {
  test('use_cpu forces the cpu; with a GPU device it is refused; a bad device is refused', () => {
    expect(parseTrainingArguments({ use_cpu: true }).device).toBe('cpu');
    expect(parseTrainingArguments({ use_cpu: true, device: 'cpu' }).device).toBe('cpu');
    expect(parseTrainingArguments({ useCpu: true }).device).toBe('cpu');
    expect(parseTrainingArguments({ device: 'cuda:1' }).device).toBe('cuda:1');
    expect(() => parseTrainingArguments({ use_cpu: true, device: 'cuda:1' }, 'cfg.yaml')).toThrow('cfg.yaml: "use_cpu" is true but "device" is "cuda:1": give one of them');
    expect(() => parseTrainingArguments({ device: 'cuda1' }, 'cfg.yaml')).toThrow('cfg.yaml: training argument "device" "cuda1" is not a device: use cpu, cuda, cuda:N');
  });

  test('the Trainer refuses arguments whose device is not the model\'s', () => {
    expect(() => checkTrainingDevice(parseTrainingArguments({ use_cpu: true }), 'cuda')).toThrow("use_cpu is true but the model is on cuda: load it with { device: 'cpu' }");
    expect(() => checkTrainingDevice(parseTrainingArguments({ device: 'cuda:1' }), 'cpu')).toThrow(`the training arguments give device "cuda:1" but the model is on cpu: load it with { device: 'cuda:1' }`);
    expect(() => checkTrainingDevice(parseTrainingArguments({ device: 'cuda:1' }), 'cuda:1')).not.toThrow();
    expect(() => checkTrainingDevice(parseTrainingArguments({ device: 'cuda:0' }), 'cuda')).not.toThrow();
    expect(() => checkTrainingDevice(parseTrainingArguments({ device: 'auto' }), 'cpu')).not.toThrow();
    expect(() => checkTrainingDevice(parseTrainingArguments({}), 'cuda:1')).not.toThrow();
  });
});

describeIf(missing({ addon: true }), 'the addon (native parseDevice) and the Trainer on the CPU', () => {
  const work = tmpDir('device');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('native: cuda:N is understood (refused here only for want of CUDA); malformed names are refused', async () => {
    const { loadAddon } = jest.requireActual('../../lib/binding/addon');
    const addon = loadAddon();
    const q = new Float32Array([1, 0]);
    if (!addon.deviceInfo().cudaAvailable) {
      await expect(addon.searchTopK(q, q, 2, 1, 'cosine', 'cuda:1')).rejects.toThrow('device "cuda:1" requested but CUDA is not available to LibTorch on this machine');
    }
    await expect(addon.searchTopK(q, q, 2, 1, 'cosine', 'cuda:x')).rejects.toThrow('unsupported device "cuda:x": the CUDA device index must be a number');
    await expect(addon.searchTopK(q, q, 2, 1, 'cosine', 'tpu')).rejects.toThrow('unsupported device "tpu" (supported: cpu, cuda, cuda:N)');
    const res = await addon.searchTopK(q, q, 2, 1, 'cosine', 'cpu');
    expect(Array.from(res.indices)).toEqual([0]);
  });

  test('Trainer: use_cpu with a CPU model trains; a cuda:1 argument with a CPU model is refused at construction', async () => {
    const { tinySetup } = await import('../helpers/tinyModel');
    const { Trainer } = await import('../../lib/training/Trainer');
    const { MultipleNegativesRankingLoss } = await import('../../lib/losses/MultipleNegativesRankingLoss');
    const { model, dataset } = await tinySetup(work);
    const base = { output_dir: `${work}/out`, max_steps: 1, per_device_train_batch_size: 8, save_strategy: 'no' };
    const ok = new Trainer({ model, args: { ...base, use_cpu: true }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss() });
    expect((await ok.train()).globalStep).toBe(1);
    expect(() => new Trainer({ model, args: { ...base, device: 'cuda:1' }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss() }))
      .toThrow(`the training arguments give device "cuda:1" but the model is on cpu`);
  }, 60_000);
});
