// The k-way merge step shared by compaction (table runs) and GROUPBY (series of a group): a binary min-heap of
// source indexes, ordered by whatever `before(a, b)` says of the sources' current heads.

/** Restores heap order below position `k` after the entry there changed. */
export function siftDown(heap: number[], k: number, before: (a: number, b: number) => boolean): void {
  const n = heap.length;
  const x = heap[k];
  for (;;) {
    let c = 2 * k + 1;
    if (c >= n) break;
    if (c + 1 < n && before(heap[c + 1], heap[c])) c++;
    if (!before(heap[c], x)) break;
    heap[k] = heap[c];
    k = c;
  }
  heap[k] = x;
}

/** Puts an array of source indexes in heap order. */
export function heapify(heap: number[], before: (a: number, b: number) => boolean): void {
  for (let k = (heap.length >> 1) - 1; k >= 0; k--) siftDown(heap, k, before);
}
