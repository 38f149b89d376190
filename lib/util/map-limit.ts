// The bounded parallel map: `fn` over every item, at most `limit` at once, results in the items' order.

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!(limit >= 1)) throw new Error(`parallel limit must be ≥ 1, got ${limit}`);
  const results: R[] = new Array(items.length);
  let next = 0;
  // Each worker takes the next index synchronously, so no item runs twice and at most `limit` run at once.
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
