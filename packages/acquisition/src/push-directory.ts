import type { Meter, MeterStore } from '@openhes/core';
import type { MeterAccess } from './meter-access.ts';
import type { PushDirectory, PushSender } from './push-listener.ts';
import { parseMeterAddress } from './registry.ts';

export interface StorePushDirectoryOptions {
  /** The index is rebuilt from the store when older than this; default 60 s. */
  ttlMs?: number;
  /** A sender not in the index rebuilds it at most this often; default 1 s. */
  missRefreshMs?: number;
  now?: () => number;
}

interface Index {
  builtAt: number;
  byTitle: Map<string, Meter>;
  /** null: several meters have this host, so it names none of them. */
  byHost: Map<string, Meter | null>;
}

/**
 * Push senders looked up in the store, through an index of the registry (system title,
 * address host; never the serial, which any push body can claim) cached for `ttlMs` and
 * dropped by `invalidate()` when a meter is created or changed; a sender the index does not know rebuilds it (at most once per
 * `missRefreshMs`), so a meter registered while the head end runs is found — at once when
 * the change is announced in this process, within `missRefreshMs` when it is not.
 */
export class StorePushDirectory implements PushDirectory {
  readonly #meters: Pick<MeterStore, 'list'>;
  readonly #access: Pick<MeterAccess, 'secretsOf' | 'profileOf'>;
  readonly #ttlMs: number;
  readonly #missRefreshMs: number;
  readonly #now: () => number;
  #index: Index | undefined;
  #building: Promise<Index> | undefined;
  #generation = 0;
  /** Index rebuilds so far (for tests and metrics). */
  builds = 0;

  constructor(
    meters: Pick<MeterStore, 'list'>,
    access: Pick<MeterAccess, 'secretsOf' | 'profileOf'>,
    options: StorePushDirectoryOptions = {},
  ) {
    this.#meters = meters;
    this.#access = access;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#missRefreshMs = options.missRefreshMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Drops the cached index: the next look-up reads the store again. */
  invalidate(): void {
    this.#generation++;
    this.#index = undefined;
  }

  bySystemTitle(hex: string): Promise<PushSender | undefined> {
    return this.#find((i) => i.byTitle.get(hex.toUpperCase()));
  }

  /** The one meter registered at this host; undefined when none or several are. */
  byAddress(host: string): Promise<PushSender | undefined> {
    return this.#find((i) => i.byHost.get(host) ?? undefined);
  }

  async #find(pick: (i: Index) => Meter | undefined): Promise<PushSender | undefined> {
    let index = await this.#current();
    let m = pick(index);
    if (m === undefined && this.#now() - index.builtAt >= this.#missRefreshMs) {
      this.#index = undefined;
      index = await this.#current();
      m = pick(index);
    }
    return m === undefined ? undefined : this.#sender(m);
  }

  async #current(): Promise<Index> {
    const i = this.#index;
    if (i !== undefined && this.#now() - i.builtAt < this.#ttlMs) return i;
    this.#building ??= this.#build().finally(() => {
      this.#building = undefined;
    });
    return this.#building;
  }

  async #build(): Promise<Index> {
    const generation = this.#generation;
    const index: Index = { builtAt: this.#now(), byTitle: new Map(), byHost: new Map() };
    let cursor: string | null = null;
    do {
      const page = await this.#meters.list({ limit: 5000, cursor });
      for (const m of page.items) {
        if (m.status === 'decommissioned') continue;
        let e: ReturnType<typeof parseMeterAddress>;
        try {
          e = parseMeterAddress(m.address);
          this.#access.profileOf(m);
        } catch {
          continue; // an unusable record (reported and flagged at start): no push is attributed to it
        }
        if (e.systemTitle !== undefined) index.byTitle.set(e.systemTitle.toUpperCase(), m);
        index.byHost.set(e.host, index.byHost.has(e.host) ? null : m);
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    this.builds++;
    // A change announced while building may be missing from this index: use it once, keep it not.
    if (generation === this.#generation) this.#index = index;
    return index;
  }

  async #sender(m: Meter): Promise<PushSender> {
    const s = await this.#access.secretsOf(m.id);
    let st: string | undefined;
    try {
      st = parseMeterAddress(m.address).systemTitle;
    } catch {
      st = undefined;
    }
    return {
      meterId: m.id,
      serial: m.serial,
      profile: this.#access.profileOf(m),
      ...(s.ek && s.ak ? { keys: { ek: s.ek, ak: s.ak } } : {}),
      ...(st === undefined ? {} : { systemTitle: st }),
    };
  }
}
