import {
  actionResultName,
  applicationContextNameText,
  type Conformance,
  conformanceNames,
  conformanceToBits,
  dataAccessResultName,
  exceptionServiceErrorName,
  exceptionStateErrorName,
  mechanismNameText,
  parseInvokeIdAndPriority,
  parseLongInvokeIdAndPriority,
} from '@openhes/dlms';
import { isDlmsData } from './present.ts';

/**
 * Replaces enumerated numbers by their names as the standard spells them, keeping the number
 * beside the name, so a trace reads without the Green Book open. Purely presentational.
 */
export function annotate(value: unknown, key = '', parentType = ''): unknown {
  if (value === null || typeof value !== 'object') return annotateScalar(value, key, parentType);
  if (value instanceof Uint8Array || isDlmsData(value)) return value;
  if (Array.isArray(value)) return value.map((v) => annotate(v, key, parentType));
  if (key.endsWith('Conformance') && isConformance(value)) {
    return conformanceNames(conformanceToBits(value as Conformance));
  }
  const type =
    typeof (value as { type?: unknown }).type === 'string' ? (value as { type: string }).type : parentType;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = annotate(v, k, type);
  return out;
}

function isConformance(v: object): boolean {
  const entries = Object.entries(v);
  return entries.length > 0 && entries.every(([k, x]) => typeof x === 'boolean' && /^[a-z0-9-]+$/.test(k));
}

function named(n: number, name: string): string {
  return name.startsWith('unknown') ? `${n} (${name})` : `${name} (${n})`;
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
      return value;
    default:
      return value;
  }
}
