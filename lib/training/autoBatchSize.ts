/**
 * auto_find_batch_size as transformers 5.17 runs it (trainer_utils.find_executable_batch_size over
 * accelerate's): when the training loop fails with an out-of-memory error, the batch size becomes
 * int(0.9 * batch size) and the whole inner training loop starts again (a new sampler at the new size, a
 * new optimizer, schedule and step count; the weights as the failed attempt left them); at 0 it gives up.
 * Resuming from a checkpoint starts from the batch size the checkpoint was trained at.
 */

/** accelerate's reduce_batch_size_fn: 0.9 times, rounded down (transformers' docstring: "multiplied by 0.9"). */
export function reducedBatchSize(batchSize: number): number {
  return Math.floor(batchSize * 0.9);
}

/** The engine's out-of-memory failure (SentenceEncoder::rethrowOom, or LibTorch's CPU allocator), also inside a wrapped error. */
export function isOutOfMemory(err: unknown): boolean {
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const m = typeof e.message === 'string' ? e.message : '';
    if (/\bout of memory\b/.test(m) || m.includes("DefaultCPUAllocator: can't allocate memory") || m.includes('DefaultCPUAllocator: not enough memory')) return true;
  }
  return false;
}

/**
 * Test hook: EMBEDFORGE_TEST_OOM_ABOVE_ROWS=N makes every training batch of more than N rows fail as the
 * engine fails on out-of-memory, without allocating anything (the batch-size search is tested with it).
 */
export function simulatedOutOfMemory(rows: number, texts: number): Error | null {
  const limit = process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS;
  if (limit === undefined || !(rows > Number(limit))) return null;
  return new Error(`out of memory on cpu for a batch of ${texts} texts (simulated: EMBEDFORGE_TEST_OOM_ABOVE_ROWS=${limit}): lower the batch size`);
}
