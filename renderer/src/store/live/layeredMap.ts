// An immutable string-keyed map whose versions share one large base: an update copies only the recent overlay.
/**
 * The live world copies its tables on every fold so views can memoise on identity; copying a 30 000-entry Map four
 * times a second was the biggest steady cost of a large capture. Here a fold copies the overlay of recent changes,
 * and the overlay is merged into a fresh base only once it grows past a quarter of it (amortised O(changes)).
 * Earlier versions stay unchanged. Iteration: base entries not overridden, then the overlay.
 */
export class LayeredMap<V> implements ReadonlyMap<string, V> {
  private constructor(private readonly base: ReadonlyMap<string, V>, private readonly top: ReadonlyMap<string, V>, readonly size: number) {}

  static empty<V>(): LayeredMap<V> {
    return new LayeredMap<V>(new Map(), new Map(), 0);
  }

  static of<V>(entries: Iterable<readonly [string, V]>): LayeredMap<V> {
    const m = new Map(entries);
    return new LayeredMap<V>(m, new Map(), m.size);
  }

  /** A new version with the items upserted under their keys (this one is returned when there are none). */
  with(items: readonly V[], key: (v: V) => string): LayeredMap<V> {
    if (items.length === 0) return this;
    const top = new Map(this.top);
    let size = this.size;
    for (const it of items) {
      const k = key(it);
      if (!top.has(k) && !this.base.has(k)) size++;
      top.set(k, it);
    }
    if (top.size * 4 > this.base.size + 256) {
      const base = new Map(this.base);
      for (const [k, v] of top) base.set(k, v);
      return new LayeredMap(base, new Map(), size);
    }
    return new LayeredMap(this.base, top, size);
  }

  get(k: string): V | undefined {
    const v = this.top.get(k);
    return v !== undefined || this.top.has(k) ? v : this.base.get(k);
  }

  has(k: string): boolean {
    return this.top.has(k) || this.base.has(k);
  }

  *entries(): MapIterator<[string, V]> {
    const top = this.top;
    if (top.size === 0) {
      yield* this.base.entries();
      return;
    }
    for (const e of this.base) if (!top.has(e[0])) yield e;
    yield* top.entries();
  }

  *keys(): MapIterator<string> {
    for (const e of this.entries()) yield e[0];
  }

  *values(): MapIterator<V> {
    const top = this.top;
    if (top.size === 0) {
      yield* this.base.values();
      return;
    }
    for (const [k, v] of this.base) if (!top.has(k)) yield v;
    yield* top.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
}
