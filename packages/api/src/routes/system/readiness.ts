import type { Clock, Store } from '@openhes/core';

/** One condition of readiness and whether it holds. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** The stable code of what failed (e.g. STORAGE_FULL, DISK_CRITICAL); absent when ok. */
  code?: string;
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: ReadinessCheck[];
}

/** A readiness probe is answered from one store probe at most this often (no write storm). */
export const PROBE_EVERY_MS = 1000;

/**
 * Readiness of this API's process: the store takes a write now (`MaintenancePort.probeWrite`,
 * a small committed write; the host may add its own verdict there, e.g. free disk space at a
 * critical level). Concurrent and repeated calls within {@link PROBE_EVERY_MS} share one probe.
 */
export class Readiness {
  readonly #store: Store;
  readonly #clock: Clock;
  #last: { at: number; report: Promise<ReadinessReport> } | null = null;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  check(): Promise<ReadinessReport> {
    const now = this.#clock.now();
    const last = this.#last;
    if (last !== null && now - last.at < PROBE_EVERY_MS && now >= last.at) return last.report;
    const report = this.#probe();
    this.#last = { at: now, report };
    return report;
  }

  async #probe(): Promise<ReadinessReport> {
    const probe = this.#store.maintenance.probeWrite;
    if (probe === undefined) return { ready: true, checks: [{ name: 'store', ok: true }] };
    try {
      await probe.call(this.#store.maintenance);
      return { ready: true, checks: [{ name: 'store', ok: true }] };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return {
        ready: false,
        checks: [
          {
            name: 'store',
            ok: false,
            code: typeof code === 'string' ? code : 'STORE_UNWRITABLE',
            reason: e instanceof Error ? e.message : String(e),
          },
        ],
      };
    }
  }
}
