/**
 * Refuses embeddings holding NaN or Inf before they are written or scored: broken weights (a model saved
 * after training diverged) otherwise give NaN vectors, files of NaN and normal-looking metrics.
 */
export function requireFiniteEmbeddings(emb: Float32Array, dim: number, model: string, what: string): void {
  for (let i = 0; i < emb.length; i++) {
    if (Number.isFinite(emb[i])) continue;
    let count = 0;
    for (let j = i; j < emb.length; j++) if (!Number.isFinite(emb[j])) count++;
    const row = Math.floor(i / dim);
    throw new Error(`${model}: embedding row ${row} of the ${what} holds ${emb[i]} (dimension ${i % dim}); ${count} of ${emb.length} values ` +
      'are not finite. The model folder\'s weights or its computation are broken (saved after training diverged?)');
  }
}

/** How an error names a model: its folder when it was loaded from one. */
export function modelName(model: { loadedFrom?: string | null }): string {
  return model.loadedFrom ? `model ${model.loadedFrom}` : 'the model';
}
