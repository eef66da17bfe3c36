import type { Device } from '../binding/AddonTypes';
import { loadAddon } from '../binding/addon';

/** 'cuda' when a CUDA device is usable, else 'cpu'; an explicit 'cuda' without one is an error. */
export function resolveDevice(requested?: string): Device {
  const info = loadAddon().deviceInfo();
  if (requested === undefined || requested === 'auto' || requested === '') return info.cudaAvailable ? 'cuda' : 'cpu';
  const d = requested.toLowerCase().replace(/:0$/, '');
  if (d === 'cpu') return 'cpu';
  if (d === 'cuda' || d === 'gpu') {
    if (!info.cudaAvailable) throw new Error(`device "${requested}" requested but no CUDA device is available (LibTorch ${info.torchVersion}); use device "cpu"`);
    return 'cuda';
  }
  throw new Error(`unknown device "${requested}": use cpu, cuda or auto`);
}
