/**
 * Which numeric precision a run gets from bf16 / fp16 / tf32. They are applied where the device
 * supports them; elsewhere the run goes on in fp32 and says so once, as a tutorial written for a GPU
 * should still run on a laptop.
 */
import type { Device, DeviceInfo, Precision } from '../binding/AddonTypes';

export interface PrecisionChoice {
  precision: Precision;
  tf32: boolean;
  /** Why a requested mode was not applied; empty when everything asked for is in effect. */
  notes: string[];
}

export function resolvePrecision(
  args: { bf16: boolean; fp16: boolean; tf32?: boolean | null },
  device: Device,
  info: DeviceInfo,
  warn: (message: string) => void = (m) => process.stderr.write(`embedforge: ${m}\n`),
): PrecisionChoice {
  if (args.bf16 && args.fp16) throw new Error('bf16 and fp16 cannot both be set: choose one mixed-precision mode');
  const notes: string[] = [];
  let precision: Precision = 'fp32';
  if (args.bf16 || args.fp16) {
    const wanted: Precision = args.bf16 ? 'bf16' : 'fp16';
    if (!device.startsWith('cuda')) notes.push(`${wanted} was requested but training runs on ${device}: using fp32`);
    else if (wanted === 'bf16' && !info.bf16Supported) notes.push(`bf16 was requested but ${info.cudaDeviceName} does not support it: using fp32 (try fp16)`);
    else precision = wanted;
  }
  let tf32 = false;
  if (args.tf32) {
    if (!device.startsWith('cuda')) notes.push(`tf32 was requested but training runs on ${device}: matmuls stay fp32`);
    else tf32 = true;
  }
  notes.forEach(warn);
  return { precision, tf32, notes };
}
