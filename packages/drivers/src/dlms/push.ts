import type { CollectedValue, Instant } from '@openhes/core';
import {
  applyScaler,
  formatObis,
  obisToBytes,
  parseObis,
  Unit,
  type UnitName,
  unitSymbol,
} from '@openhes/cosem';
import { type CosemDateTime, type DlmsData, dateTimeFromData, toHex } from '@openhes/dlms';
import type { DriverEvent } from '../driver.ts';
import { DriverError, DriverErrorCode } from '../errors.ts';
import {
  type CaptureRef,
  type DriverProfile,
  eventLogObjects,
  type ProfileObject,
  profileObject,
  pushSetups,
} from '../profile.ts';
import { meterInstant } from './time.ts';

const CLOCK_OBIS = '0.0.1.0.0.255';
const DEVICE_ID_OBIS = '0.0.96.1.2.255';
/** IS 15959 event status word: one bit per alarm condition. */
export const EVENT_STATUS_WORD_OBIS = '0.0.94.91.18.255';

export interface ParsedPush {
  /** The push setup the body was matched to. */
  setup: ProfileObject;
  kind: string;
  /** Time of the pushed values: the clock element, else the notification's date-time. */
  meterTime: Instant | undefined;
  /** Device id element (0.0.96.1.2.255), used to identify the sender. */
  deviceId: string | undefined;
  values: CollectedValue[];
  events: DriverEvent[];
}

function isSetupName(d: DlmsData | undefined, setup: ProfileObject): boolean {
  if (d?.type !== 'octet-string' || d.value.length !== 6) return false;
  return toHex(d.value) === toHex(obisToBytes(parseObis(setup.obis)));
}

/**
 * The push setup a body was built from: the one whose logical name the body carries (IS 15959
 * pushes list the setup itself), else the only one with that many objects, counted with or
 * without the setup's own logical-name entry.
 */
export function matchPushSetup(
  p: DriverProfile,
  body: readonly DlmsData[],
): { setup: ProfileObject; refs: CaptureRef[] } {
  const setups = pushSetups(p);
  for (const s of setups) {
    const refs = s.push!.objects;
    if (
      refs.length === body.length &&
      refs.some((r, i) => r[0] === 40 && r[2] === 1 && isSetupName(body[i], s))
    )
      return { setup: s, refs };
  }
  const candidates: { setup: ProfileObject; refs: CaptureRef[] }[] = [];
  for (const s of setups) {
    const all = s.push!.objects;
    const bare = all.filter((r) => !(r[0] === 40 && r[2] === 1));
    if (all.length === body.length) candidates.push({ setup: s, refs: all });
    else if (bare.length === body.length) candidates.push({ setup: s, refs: bare });
  }
  if (candidates.length === 1) return candidates[0]!;
  throw new DriverError(
    DriverErrorCode.Protocol,
    `push of ${body.length} values matches ${candidates.length} push setups of ${p.id}`,
    { detail: { profile: p.id, elements: body.length } },
  );
}

function unitOf(o: ProfileObject | undefined): string {
  const name = o?.unit as UnitName | undefined;
  if (name === undefined || !(name in Unit)) return '';
  return unitSymbol(Unit[name]) ?? '';
}

function setBits(d: DlmsData): number[] {
  if (d.type !== 'bit-string') return [];
  const out: number[] = [];
  for (let i = 0; i < d.value.length; i++)
    if (((d.value.bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0) out.push(i);
  return out;
}

/**
 * Parses a DataNotification body by the model's push setups. Values are scaled by the
 * scalers the device profile states (a push carries raw values); alarm bits and event
 * codes become events.
 */
export function parsePushBody(
  p: DriverProfile,
  body: DlmsData,
  notificationTime?: CosemDateTime,
): ParsedPush {
  if (body.type !== 'structure')
    throw new DriverError(DriverErrorCode.Protocol, `push body is ${body.type}, not a structure`);
  const { setup, refs } = matchPushSetup(p, body.value);
  const byObis = new Map(p.objects.map((o) => [o.obis, o]));
  let meterTime: Instant | undefined;
  let deviceId: string | undefined;
  refs.forEach((r, i) => {
    const d = body.value[i]!;
    if (r[1] === CLOCK_OBIS && r[0] === 8 && r[2] === 2) {
      try {
        meterTime = meterInstant(dateTimeFromData(d), p);
      } catch {
        meterTime = undefined;
      }
    }
    if (r[1] === DEVICE_ID_OBIS && (d.type === 'visible-string' || d.type === 'utf8-string'))
      deviceId = d.value;
    if (r[1] === DEVICE_ID_OBIS && d.type === 'octet-string') deviceId = String.fromCharCode(...d.value);
  });
  if (meterTime === undefined && notificationTime !== undefined)
    meterTime = meterInstant(notificationTime, p);
  const kind = setup.push!.kind;
  const block = profileObject(p, 'block');
  const channelKind = kind === 'block' ? 'interval' : kind === 'instantaneous' ? 'instantaneous' : 'register';
  const intervalSeconds = kind === 'block' ? (block?.profile?.capturePeriod ?? null) : null;
  const values: CollectedValue[] = [];
  const events: DriverEvent[] = [];
  const codeLogs = new Map(eventLogObjects(p).map((l) => [l.log.codeObject, l]));
  refs.forEach((r, i) => {
    const d = body.value[i]!;
    const [classId, obis, attr] = r;
    if (meterTime === undefined) return;
    if (obis === EVENT_STATUS_WORD_OBIS) {
      for (const bit of setBits(d)) {
        const meaning = p.eventStatusBits?.[String(bit)];
        events.push({
          log: EVENT_STATUS_WORD_OBIS,
          code: bit,
          category: meaning?.category ?? 'other',
          meterTime,
          description: meaning?.name,
        });
      }
      return;
    }
    if (!('value' in d) || (typeof d.value !== 'number' && typeof d.value !== 'bigint')) return;
    const log = codeLogs.get(obis);
    if (log !== undefined) {
      const code = Number(d.value);
      events.push({
        log: log.object.obis,
        code,
        category: log.category,
        meterTime,
        description: log.log.codes[String(code)],
      });
      return;
    }
    if (attr !== 2 || (classId !== 1 && classId !== 3 && classId !== 4)) return;
    const o = byObis.get(obis);
    const scaler = classId === 1 ? 0 : (o?.scaler ?? 0);
    values.push({
      channel: {
        obis: formatObis(parseObis(obis)),
        attribute: attr,
        kind: channelKind,
        unit: unitOf(o),
        scaler,
        intervalSeconds,
      },
      ts: meterTime,
      value: applyScaler(d.value, scaler),
    });
  });
  return { setup, kind, meterTime, deviceId, values, events };
}
