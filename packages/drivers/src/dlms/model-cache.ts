import type { CaptureObject, ScalerUnit } from '@openhes/cosem';

export interface ProfileShape {
  captureObjects: CaptureObject[];
  /** Per column; undefined where the column has no scaler. */
  scalers: (ScalerUnit | undefined)[];
}

/**
 * What is read once per device model and shared by every driver of that model: capture
 * objects and scalers of profiles, scalers of registers, and whether the model refuses
 * range (and entry) access. Keys are `<profile id>|<what>`.
 */
export class ModelCache {
  readonly #shapes = new Map<string, ProfileShape>();
  readonly #scalers = new Map<string, ScalerUnit | null>();
  readonly #noRange = new Set<string>();
  readonly #noEntry = new Set<string>();

  shape(model: string, obis: string): ProfileShape | undefined {
    return this.#shapes.get(`${model}|${obis}`);
  }

  setShape(model: string, obis: string, shape: ProfileShape): void {
    this.#shapes.set(`${model}|${obis}`, shape);
  }

  /** undefined: not read yet; null: the object has no scaler. */
  scaler(model: string, classId: number, obis: string): ScalerUnit | null | undefined {
    return this.#scalers.get(`${model}|${classId}|${obis}`);
  }

  setScaler(model: string, classId: number, obis: string, su: ScalerUnit | null): void {
    this.#scalers.set(`${model}|${classId}|${obis}`, su);
  }

  refusesRange(model: string, obis: string): boolean {
    return this.#noRange.has(`${model}|${obis}`);
  }

  markRangeRefused(model: string, obis: string): void {
    this.#noRange.add(`${model}|${obis}`);
  }

  /** The model refuses entry_descriptor on this profile too: read its whole buffer. */
  refusesEntry(model: string, obis: string): boolean {
    return this.#noEntry.has(`${model}|${obis}`);
  }

  markEntryRefused(model: string, obis: string): void {
    this.#noEntry.add(`${model}|${obis}`);
  }

  get size(): number {
    return this.#shapes.size + this.#scalers.size;
  }
}
