import type { Instant } from '@openhes/core';
import {
  ClassId,
  decodePushSetup,
  encodeCommunicationWindow,
  encodeRepetitionDelay,
  encodeSendDestinationAndMethod,
  type PushSetup,
} from '@openhes/cosem';
import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import type { PushConfiguration, PushSettings } from '../driver.ts';
import { DriverError, DriverErrorCode } from '../errors.ts';
import {
  attributeRange,
  type DlmsOperation,
  dataText,
  decoded,
  encoded,
  mismatch,
  readAll,
  write,
} from './ops.ts';

const PUSH = ClassId.PushSetup;
const ATTR = { destination: 3, window: 4, randomisation: 5, retries: 6, delay: 7 } as const;
const TCP = 0;
const AXDR = 0;

function int(type: 'unsigned' | 'long-unsigned', n: number, field: string): DlmsData {
  const max = type === 'unsigned' ? 0xff : 0xffff;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new DriverError(DriverErrorCode.Invalid, `${field} ${n} outside 0..${max}`);
  return { type, value: n };
}

/** Push setup (class 40) of the model's push objects: attributes 3..7 written, 2..7 read back. */
export class DlmsPushConfiguration implements PushConfiguration {
  readonly objects: readonly string[];
  readonly #op: DlmsOperation;
  readonly #meterTime: (at: Instant) => CosemDateTime;

  constructor(op: DlmsOperation, objects: readonly string[], meterTime: (at: Instant) => CosemDateTime) {
    this.#op = op;
    this.objects = objects;
    this.#meterTime = meterTime;
  }

  async readPushSetup(obis?: string): Promise<PushSetup> {
    const o = this.#object(obis);
    return this.#op(async (client) => {
      const values = await readAll(client, o, PUSH, attributeRange(2, 7));
      return decoded(() => decodePushSetup(values));
    });
  }

  async setPushSetup(settings: PushSettings, obis?: string): Promise<PushSetup> {
    const o = this.#object(obis);
    const writes = this.#writes(settings);
    return this.#op(async (client) => {
      const wanted = [...writes];
      if (settings.repetitionDelay !== undefined) {
        const r = settings.repetitionDelay;
        let value: DlmsData;
        if (typeof r === 'number') {
          // Seconds go in the form the meter holds: long-unsigned (versions 0, 1) only.
          const [current] = await readAll(client, o, PUSH, [ATTR.delay]);
          if (current?.type === 'structure')
            throw new DriverError(
              DriverErrorCode.Invalid,
              `push setup ${o} holds repetition_delay as {min, exponent, max}: give repetitionDelay in that form`,
            );
          value = int('long-unsigned', r, 'repetitionDelay');
        } else value = encoded(() => encodeRepetitionDelay(r));
        wanted.push([ATTR.delay, value]);
      }
      for (const [attr, value] of wanted) await write(client, o, PUSH, attr, value);
      const values = await readAll(client, o, PUSH, attributeRange(2, 7));
      for (const [attr, value] of wanted) {
        const got = values[attr - 2];
        if (dataText(got) !== dataText(value))
          throw mismatch(`push setup ${o} attribute ${attr}`, value, got);
      }
      return decoded(() => decodePushSetup(values));
    });
  }

  #object(obis: string | undefined): string {
    const o = obis ?? this.objects[0];
    if (o === undefined || !this.objects.includes(o))
      throw new DriverError(
        DriverErrorCode.Invalid,
        `push setup ${String(obis)} is not one of the model's (${this.objects.join(', ')})`,
      );
    return o;
  }

  /** Attributes 3..6, checked and encoded before anything is sent. */
  #writes(s: PushSettings): [number, DlmsData][] {
    const out: [number, DlmsData][] = [];
    if (s.destination !== undefined) {
      const d = s.destination;
      out.push([
        ATTR.destination,
        encoded(() =>
          encodeSendDestinationAndMethod(
            typeof d === 'string' ? { transportService: TCP, destination: d, message: AXDR } : d,
          ),
        ),
      ]);
    }
    if (s.communicationWindow !== undefined) {
      const at = (t: Instant | CosemDateTime): CosemDateTime =>
        typeof t === 'number' ? this.#meterTime(t) : t;
      const windows = s.communicationWindow.map((w) => ({ start: at(w.start), end: at(w.end) }));
      out.push([ATTR.window, encoded(() => encodeCommunicationWindow(windows))]);
    }
    if (s.randomisationStartInterval !== undefined)
      out.push([
        ATTR.randomisation,
        int('long-unsigned', s.randomisationStartInterval, 'randomisationStartInterval'),
      ]);
    if (s.numberOfRetries !== undefined)
      out.push([ATTR.retries, int('unsigned', s.numberOfRetries, 'numberOfRetries')]);
    return out;
  }
}
