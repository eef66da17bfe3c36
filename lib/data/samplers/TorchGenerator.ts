/**
 * Where the samplers' randomness comes from: a torch.Generator on the CPU, LibTorch's own through the
 * addon, so that torch.randperm(n, generator=g) after g.manual_seed(s) gives here the permutation it gives
 * in sentence-transformers. The samplers take a factory, so model-free tests can hand them a fake.
 */
import { loadAddon } from '../../binding/addon';
import type { TorchGenerator } from '../../binding/AddonTypes';

export type { TorchGenerator };

/** Makes a fresh generator (torch.Generator()). */
export type GeneratorFactory = () => TorchGenerator;

/** LibTorch's CPU generator, from the native addon. */
export const torchGenerator: GeneratorFactory = () => new (loadAddon().TorchGenerator)();
