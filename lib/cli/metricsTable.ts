/** A before/after table of evaluation metrics for the terminal (the retrieval ones when there are any). */
export function metricsTable(before: Record<string, number>, after: Record<string, number>, keys?: string[]): string {
  const retrieval = Object.keys(after).filter((k) => /(ndcg@10|mrr@10|map@100|accuracy@1|recall@10)$/.test(k));
  // Other evaluators (triplet, similarity, ...) report a few metrics each: all of them.
  const chosen = keys ?? (retrieval.length ? retrieval : Object.keys(after));
  const width = Math.max(6, ...chosen.map((k) => k.length));
  const line = (a: string, b: string, c: string, d: string): string => `${a.padEnd(width)}  ${b.padStart(8)}  ${c.padStart(8)}  ${d.padStart(8)}`;
  const rows = [line('metric', 'before', 'after', 'change'), line('-'.repeat(width), '--------', '--------', '--------')];
  for (const k of chosen) {
    const b = before[k];
    const a = after[k];
    const f = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(4));
    rows.push(line(k, f(b), f(a), b === undefined || a === undefined ? '-' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(4)}`));
  }
  return rows.join('\n');
}
