import type { Device } from '../binding/AddonTypes';
import { loadAddon } from '../binding/addon';

/** The spellings a device may be given in: auto, cpu, cuda (or gpu), cuda:N; case does not matter. */
const DEVICE_NAME = /^(auto|cpu|cuda|gpu|cuda:\d{1,4})$/;

/** Throws unless `requested` is a device name embedforge understands (checked without touching the GPU). */
export function checkDeviceName(requested: string, where = 'device'): void {
  if (!DEVICE_NAME.test(requested.trim().toLowerCase())) {
    throw new Error(`${where} "${requested}" is not a device: use cpu, cuda, cuda:N (N the device index, e.g. cuda:1) or auto`);
  }
}

/**
 * 'cuda' when a CUDA device is usable, else 'cpu'; an explicit 'cuda' without one is an error. 'cuda:N'
 * selects device N (checked against the device count); 'cuda:0' is 'cuda'.
 */
export function resolveDevice(requested?: string): Device {
  const info = loadAddon().deviceInfo();
  if (requested === undefined || requested === null || requested === 'auto' || requested === '') return info.cudaAvailable ? 'cuda' : 'cpu';
  checkDeviceName(requested);
  const d = requested.trim().toLowerCase().replace(/^gpu$/, 'cuda');
  if (d === 'cpu') return 'cpu';
  if (d === 'auto') return info.cudaAvailable ? 'cuda' : 'cpu';
  if (!info.cudaAvailable) throw new Error(`device "${requested}" requested but no CUDA device is available (LibTorch ${info.torchVersion}); use device "cpu"`);
  const index = d === 'cuda' ? 0 : Number(d.slice(5));
  if (index >= info.cudaDeviceCount) {
    throw new Error(`device "${requested}" requested but this machine has ${info.cudaDeviceCount} CUDA device${info.cudaDeviceCount === 1 ? '' : 's'} (cuda:0 to cuda:${info.cudaDeviceCount - 1})`);
  }
  return index === 0 ? 'cuda' : (`cuda:${index}` as Device);
}

/** Whether a resolved device is a GPU (cuda or cuda:N). */
export function isCuda(device: Device | string): boolean {
  return device === 'cuda' || device.startsWith('cuda:');
}

/**
 * The Trainer's check of the training arguments' device (`device`, or "cpu" from `use_cpu`) against the
 * model's: the model is placed when it is loaded, so a mismatch is refused before the first step rather
 * than ignored.
 */
export function checkTrainingDevice(args: { device: string | null; useCpu: boolean }, modelDevice: Device): void {
  if (args.device === null || args.device.trim().toLowerCase() === 'auto') return;
  const wanted = args.device.trim().toLowerCase().replace(/^gpu$/, 'cuda').replace(/^cuda:0$/, 'cuda');
  if (wanted === modelDevice) return;
  const why = args.useCpu ? 'use_cpu is true' : `the training arguments give device "${args.device}"`;
  throw new Error(`${why} but the model is on ${modelDevice}: load it with { device: '${wanted}' } (SentenceTransformer.load(dir, { device }))`);
}
