/**
 * The addon is linked against LibTorch's CUDA build, so the engine's CUDA-only paths (varlen flash attention
 * in Attention.cpp, BiasedAttention's memory-efficient SDPA for MPNet, fused AdamW, bf16/fp16 autocast) have
 * kernels behind them on a GPU machine. What can be checked without a GPU is checked here: the CUDA runtime
 * version LibTorch was built with equals the one PyTorch reports (torch.version.cuda), and every CUDA kernel
 * the engine calls is registered with the dispatcher. The runtime part (a bf16 training step and encode on
 * the GPU, the packed batch's pinned asynchronous copy) needs a CUDA device and is skipped visibly without one.
 */
import { execFileSync } from 'child_process';
import { loadAddon } from '../../lib/binding/addon';
import { describeIf, missing, venvPython } from '../helpers/requirements';

function pythonCudaVersion(): string {
  return execFileSync(venvPython()!, ['-c', 'import torch; print(torch.version.cuda or "")'], { encoding: 'utf8' }).trim();
}

describeIf(missing({ addon: true, python: true }), 'the addon is built against LibTorch with CUDA', () => {
  const cuda = pythonCudaVersion();

  test('deviceInfo reports the CUDA runtime of the LibTorch build (no GPU needed)', () => {
    const info = loadAddon().deviceInfo();
    if (!cuda) {
      // A CPU PyTorch in the venv: the addon cannot have CUDA kernels; say so rather than pass silently.
      process.stderr.write('the venv\'s PyTorch is a CPU build: the addon has no CUDA paths to check\n');
      expect(info.torchCudaVersion).toBe('');
      return;
    }
    expect(info.torchCudaVersion).toBe(cuda);
  });

  test('every CUDA kernel the engine calls is registered by libtorch_cuda', () => {
    if (!cuda) return;
    const kernels = loadAddon().deviceInfo().cudaKernels;
    expect(Object.keys(kernels).sort()).toEqual([
      'aten::_efficient_attention_backward (CUDA)', 'aten::_efficient_attention_forward (CUDA)',
      'aten::_flash_attention_backward (CUDA)', 'aten::_flash_attention_forward (CUDA)',
      'aten::_fused_adamw_ (CUDA)', 'aten::linear (AutocastCUDA)',
    ]);
    const absent = Object.entries(kernels).filter(([, registered]) => !registered).map(([name]) => name);
    expect(absent).toEqual([]);
  });
});

describeIf(missing({ addon: true, cuda: true }), 'CUDA paths at run time', () => {
  const config = JSON.stringify({
    model_type: 'bert', architectures: ['BertModel'], vocab_size: 1000, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
    intermediate_size: 128, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 128,
    type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12,
  });
  // Two columns of 3 texts (anchors, positives), packed: lengths 5, 9, 17 | 33, 7, 12.
  const lengths = [5, 9, 17, 33, 7, 12];
  const cuSeqlens = Int32Array.from([0, ...lengths.map((_, i) => lengths.slice(0, i + 1).reduce((a, b) => a + b))]);
  const texts = { inputIds: Int32Array.from({ length: cuSeqlens[6] }, (_, i) => 1 + ((i * 37) % 999)), cuSeqlens };

  test('bf16 autocast training steps (flash varlen attention) and encode give finite figures', async () => {
    const addon = loadAddon();
    const enc = await addon.NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: true, device: 'cuda' });
    try {
      await enc.initWeights(0);
      await enc.configureTraining({ losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
        optimizer: { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'bf16', tf32: false });
      for (let step = 0; step < 3; step++) {
        const r = await enc.trainStep({ texts, numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-3, maxGradNorm: 1 });
        expect(Number.isFinite(r.loss)).toBe(true);
        expect(Number.isFinite(r.gradNorm)).toBe(true);
      }
      const emb = await enc.encode(texts);
      expect(emb.length).toBe(6 * 64);
      expect(Array.from(emb).every(Number.isFinite)).toBe(true);
    } finally {
      await enc.dispose();
    }
  });
});
