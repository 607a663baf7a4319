/**
 * A small generic LRU (least-recently-used) cache with optional time-to-live,
 * plus a memoize() helper built on top of it.
 * Written for the domain-assistant project as sample code.
 */

export interface LRUOptions {
  /** Maximum number of entries kept; the least recently used one is evicted first. */
  maxSize: number;
  /** Optional time-to-live in milliseconds; expired entries are treated as missing. */
  ttlMs?: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number; // epoch ms, Infinity when there is no TTL
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
}

export class LRUCache<K, V> {
  private readonly maxSize: number;
  private readonly ttlMs?: number;
  // A Map iterates in insertion order, so the first key is the least recently used.
  private readonly entries = new Map<K, Entry<V>>();
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(options: LRUOptions) {
    if (!Number.isInteger(options.maxSize) || options.maxSize < 1) {
      throw new RangeError("maxSize must be a positive integer");
    }
    this.maxSize = options.maxSize;
    this.ttlMs = options.ttlMs;
  }

  /** Returns the cached value and marks it as most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt <= Date.now()) {
      if (entry !== undefined) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry.value;
  }

  /** Inserts or replaces a value, evicting the least recently used entry if full. */
  set(key: K, value: V): this {
    if (this.entries.has(key)) this.entries.delete(key);
    const expiresAt = this.ttlMs === undefined ? Infinity : Date.now() + this.ttlMs;
    this.entries.set(key, { value, expiresAt });
    while (this.entries.size > this.maxSize) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
      this.evictions++;
    }
    return this;
  }

  has(key: K): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.entries.size };
  }
}

/**
 * Wraps a single-argument function so that results are cached by argument.
 * Use keyFn when the argument is an object that should be compared by content.
 */
export function memoize<A, R>(
  fn: (arg: A) => R,
  options: LRUOptions = { maxSize: 128 },
  keyFn: (arg: A) => unknown = (a) => a,
): ((arg: A) => R) & { cache: LRUCache<unknown, R> } {
  const cache = new LRUCache<unknown, R>(options);
  const wrapped = (arg: A): R => {
    const key = keyFn(arg);
    if (cache.has(key)) return cache.get(key) as R;
    const result = fn(arg);
    cache.set(key, result);
    return result;
  };
  return Object.assign(wrapped, { cache });
}

/** Example: cached Fibonacci numbers. */
export const fib: (n: number) => number = memoize((n: number): number =>
  n < 2 ? n : fib(n - 1) + fib(n - 2),
);
