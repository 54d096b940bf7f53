import { attributeDef, attributeName, className, methodName } from '@openhes/cosem';
import {
  AccessSelector,
  AcseServiceProvider,
  AcseServiceUser,
  AssociationResult,
  actionResultName,
  applicationContextNameText,
  CipheredInitiateTag,
  CLOCK_STATUS_UNSPECIFIED,
  type Conformance,
  clockStatusFlags,
  conformanceNames,
  conformanceToBits,
  DAY_LAST,
  DAY_SECOND_LAST,
  type DlmsData,
  DlmsError,
  dataAccessResultName,
  exceptionServiceErrorName,
  exceptionStateErrorName,
  MONTH_DAYLIGHT_SAVINGS_BEGIN,
  MONTH_DAYLIGHT_SAVINGS_END,
  mechanismNameText,
  NOT_SPECIFIED,
  parseEntryDescriptor,
  parseInvokeIdAndPriority,
  parseLongInvokeIdAndPriority,
  parseRangeDescriptor,
  ReleaseRequestReason,
  ReleaseResponseReason,
  type ServiceErrorName,
  ServiceErrorTag,
  serviceErrorValueName,
  VaaName,
  XdlmsInitiateTag,
  YEAR_UNSPECIFIED,
} from '@openhes/dlms';
import { isDlmsData } from './present.ts';

/**
 * Replaces enumerated numbers by their names as the standard spells them, keeping the number
 * beside the name, so a trace reads without the Green Book open: invoke-id bits, results and
 * diagnostics, release reasons, service errors, interface classes with their attributes and
 * methods, access selectors (with the range/entry descriptor spelled out), vaa-name, the tags
 * of user-information, date-time special values and clock status. Purely presentational.
 */
export function annotate(value: unknown, key = '', parentType = ''): unknown {
  if (value === null || typeof value !== 'object') return annotateScalar(value, key, parentType);
  if (value instanceof Uint8Array || isDlmsData(value)) return value;
  if (Array.isArray(value)) return value.map((v) => annotate(v, key, parentType));
  if (key.endsWith('Conformance') && isConformance(value)) {
    return conformanceNames(conformanceToBits(value as Conformance));
  }
  const obj = value as Record<string, unknown>;
  if (DESCRIPTOR_KEYS.has(key) && typeof obj.classId === 'number') return annotateDescriptor(obj);
  if (isDateTimeFields(obj)) return annotateDateTime(obj);
  if (key === 'resultSourceDiagnostic' && typeof obj.source === 'string' && typeof obj.value === 'number') {
    return { source: obj.source, value: named(obj.value, diagnosticName(obj.source, obj.value)) };
  }
  if (isConfirmedServiceError(obj)) {
    return { ...obj, value: named(obj.value, serviceErrorValueName(obj.serviceError, obj.value)) };
  }
  const type = typeOf(obj, parentType);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = annotate(v, k, type);
  annotateSelection(obj, out);
  annotateEnumValue(obj, out);
  return out;
}

/** The context names take their meaning from: an xDLMS `type`, an inspected `apdu`, a user-information `kind`. */
function typeOf(obj: Record<string, unknown>, parentType: string): string {
  for (const k of ['type', 'apdu', 'kind']) {
    const v = obj[k];
    if (typeof v === 'string') return v;
  }
  return parentType;
}

function isConformance(v: object): boolean {
  const entries = Object.entries(v);
  return entries.length > 0 && entries.every(([k, x]) => typeof x === 'boolean' && /^[a-z0-9-]+$/.test(k));
}

/** `name (n)`; an unnamed value stays a number, an `unknown…` name goes after it. */
function named(n: number, name: string | undefined, hex = false): string | number {
  if (name === undefined) return n;
  const shown = hex ? hexNumber(n) : String(n);
  return name.startsWith('unknown') ? `${shown} (${name})` : `${name} (${shown})`;
}

function hexNumber(n: number, width = 2): string {
  return `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;
}

function keyOf(table: Readonly<Record<string, number>>, value: number): string | undefined {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return undefined;
}

function diagnosticName(source: string, value: number): string | undefined {
  return keyOf(source === 'acse-service-provider' ? AcseServiceProvider : AcseServiceUser, value);
}

function isConfirmedServiceError(
  o: Record<string, unknown>,
): o is { service: string; serviceError: ServiceErrorName; value: number } {
  return (
    typeof o.service === 'string' &&
    typeof o.serviceError === 'string' &&
    o.serviceError in ServiceErrorTag &&
    typeof o.value === 'number'
  );
}

// ---- COSEM descriptors: class, attribute and method names ----------------------------------

/** Keys whose objects are attribute/method descriptors or capture object definitions. */
const DESCRIPTOR_KEYS = new Set([
  'cosemAttributeDescriptor',
  'cosemMethodDescriptor',
  'cosemMethodDescriptorList',
  'restrictingObject',
  'selectedValues',
]);

function annotateDescriptor(d: Record<string, unknown>): Record<string, unknown> {
  const classId = d.classId as number;
  const out: Record<string, unknown> = { ...d, classId: named(classId, className(classId)) };
  if (typeof d.attributeId === 'number')
    out.attributeId = named(d.attributeId, attributeName(classId, d.attributeId));
  if (typeof d.methodId === 'number') out.methodId = named(d.methodId, methodName(classId, d.methodId));
  return out;
}

/** Numbers of a descriptor as sent, whether or not it was annotated already. */
function descriptorOf(o: Record<string, unknown>): { classId: number; attributeId: number } | undefined {
  const d = o.cosemAttributeDescriptor as { classId?: unknown; attributeId?: unknown } | undefined;
  if (d === undefined || typeof d.classId !== 'number' || typeof d.attributeId !== 'number') return undefined;
  return { classId: d.classId, attributeId: d.attributeId };
}

/** Access selectors the Blue Book names: Profile generic (class 7) buffer, attribute 2. */
function accessSelectorName(classId: number, attributeId: number, selector: number): string | undefined {
  if (classId !== 7 || attributeId !== 2) return undefined;
  return keyOf(AccessSelector, selector);
}

/** Names the access selector beside a descriptor and spells out a range/entry descriptor. */
function annotateSelection(raw: Record<string, unknown>, out: Record<string, unknown>): void {
  const d = descriptorOf(raw);
  const sel = raw.accessSelection as { accessSelector?: unknown; accessParameters?: unknown } | undefined;
  if (d === undefined || sel === undefined || typeof sel.accessSelector !== 'number') return;
  const name = accessSelectorName(d.classId, d.attributeId, sel.accessSelector);
  if (name === undefined) return;
  const annotated: Record<string, unknown> = {
    ...(out.accessSelection as Record<string, unknown>),
    accessSelector: named(sel.accessSelector, name),
  };
  try {
    const params = sel.accessParameters as DlmsData;
    if (sel.accessSelector === AccessSelector['range-descriptor']) {
      annotated.rangeDescriptor = annotate(parseRangeDescriptor(params), 'rangeDescriptor');
    } else {
      annotated.entryDescriptor = parseEntryDescriptor(params);
    }
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
    annotated.note = `access parameters are not a valid ${name}`;
  }
  out.accessSelection = annotated;
}

/** The name of an enum value written or notified for an attribute whose class names its values. */
function annotateEnumValue(raw: Record<string, unknown>, out: Record<string, unknown>): void {
  const d = descriptorOf(raw);
  if (d === undefined) return;
  for (const k of ['value', 'attributeValue']) {
    const v = raw[k];
    if (!isDlmsData(v) || v.type !== 'enum') continue;
    const name = attributeDef(d.classId, d.attributeId)?.values?.[v.value];
    if (name !== undefined) out[`${k}Name`] = named(v.value, name);
  }
}

// ---- date-time fields ------------------------------------------------------------------------

const DATE_TIME_KEYS = ['year', 'month', 'dayOfMonth', 'dayOfWeek', 'hour', 'minute', 'second', 'hundredths'];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function isDateTimeFields(o: Record<string, unknown>): boolean {
  return DATE_TIME_KEYS.every((k) => typeof o[k] === 'number') && 'clockStatus' in o;
}

function unspecified(v: number): string | number {
  return v === NOT_SPECIFIED ? named(v, 'not specified') : v;
}

function monthText(v: number): string | number {
  if (v === MONTH_DAYLIGHT_SAVINGS_END) return named(v, 'daylight_savings_end', true);
  if (v === MONTH_DAYLIGHT_SAVINGS_BEGIN) return named(v, 'daylight_savings_begin', true);
  return unspecified(v);
}

function dayOfMonthText(v: number): string | number {
  if (v === DAY_SECOND_LAST) return named(v, '2nd last day of month', true);
  if (v === DAY_LAST) return named(v, 'last day of month', true);
  if (v >= 0xe0 && v < DAY_SECOND_LAST) return named(v, 'reserved', true);
  return unspecified(v);
}

function dayOfWeekText(v: number): string | number {
  const day = v >= 1 && v <= 7 ? DAY_NAMES[v - 1] : undefined;
  return day === undefined ? unspecified(v) : named(v, day);
}

function clockStatusText(v: number): string {
  if (v === CLOCK_STATUS_UNSPECIFIED) return `${hexNumber(v)} (not specified)`;
  const flags = clockStatusFlags(v);
  return `${hexNumber(v)} (${flags.length === 0 ? 'no flag set' : flags.join(', ')})`;
}

/** A decoded date, time or date-time with its special values and clock status named. */
function annotateDateTime(o: Record<string, unknown>): Record<string, unknown> {
  const n = (k: string) => o[k] as number;
  const out: Record<string, unknown> = {
    ...o,
    year: n('year') === YEAR_UNSPECIFIED ? named(YEAR_UNSPECIFIED, 'not specified', true) : n('year'),
    month: monthText(n('month')),
    dayOfMonth: dayOfMonthText(n('dayOfMonth')),
    dayOfWeek: dayOfWeekText(n('dayOfWeek')),
    hour: unspecified(n('hour')),
    minute: unspecified(n('minute')),
    second: unspecified(n('second')),
    hundredths: unspecified(n('hundredths')),
  };
  if (o.deviation === null) out.deviation = 'not specified (0x8000)';
  if (typeof o.clockStatus === 'number') out.clockStatus = clockStatusText(o.clockStatus);
  return out;
}

// ---- single numbers --------------------------------------------------------------------------

function userInformationTagName(tag: number): string | undefined {
  return keyOf(XdlmsInitiateTag, tag) ?? keyOf(CipheredInitiateTag, tag);
}

function annotateScalar(value: unknown, key: string, parentType: string): unknown {
  if (typeof value !== 'number') return value;
  switch (key) {
    case 'invokeIdAndPriority': {
      const f = parseInvokeIdAndPriority(value);
      return `0x${value.toString(16).toUpperCase()} (invoke-id ${f.invokeId}, ${f.confirmed ? 'confirmed' : 'unconfirmed'}, ${f.highPriority ? 'high' : 'normal'} priority)`;
    }
    case 'longInvokeIdAndPriority': {
      const f = parseLongInvokeIdAndPriority(value) as unknown as Record<string, unknown>;
      const parts = Object.entries(f).map(([k, v]) => `${k} ${String(v)}`);
      return `0x${value.toString(16).toUpperCase()} (${parts.join(', ')})`;
    }
    case 'applicationContextName':
      return named(value, applicationContextNameText(value as never));
    case 'mechanismName':
      return named(value, mechanismNameText(value as never));
    case 'dataAccessResult':
      return named(value, dataAccessResultName(value));
    case 'stateError':
      return named(value, exceptionStateErrorName(value));
    case 'serviceError':
      return parentType === 'exception-response' ? named(value, exceptionServiceErrorName(value)) : value;
    case 'result':
      if (parentType === 'set-response') return named(value, dataAccessResultName(value));
      if (parentType === 'action-response') return named(value, actionResultName(value));
      if (parentType === 'AARE') return named(value, keyOf(AssociationResult, value) ?? 'unknown result');
      return value;
    case 'reason':
      if (parentType === 'RLRQ') return named(value, keyOf(ReleaseRequestReason, value) ?? 'unknown reason');
      if (parentType === 'RLRE') return named(value, keyOf(ReleaseResponseReason, value) ?? 'unknown reason');
      return value;
    case 'vaaName': {
      const name = keyOf(VaaName, value);
      return name === undefined ? value : `${name} (${hexNumber(value, 4)})`;
    }
    case 'tag':
      return parentType.startsWith('initiate-') ||
        parentType === 'confirmed-service-error' ||
        parentType === 'ciphered'
        ? named(value, userInformationTagName(value), true)
        : value;
    default:
      return value;
  }
}
