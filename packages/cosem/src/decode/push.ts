import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import { array, dateTimeOctets, int, octets, structure } from './encode.ts';
import { type CaptureObject, decodeCaptureObjects, encodeCaptureObjects } from './objects.ts';
import {
  element,
  expectDateTime,
  expectInteger,
  expectOctets,
  expectStructure,
  latin1,
  mapArray,
  type NamedValue,
  named,
  type Path,
  shapeError,
} from './shape.ts';

/** transport_service (send_destination_and_method); 200..255 are manufacturer specific. */
export const TransportServiceNames = {
  0: 'TCP',
  1: 'UDP',
  2: 'FTP',
  3: 'SMTP',
  4: 'SMS',
  5: 'HDLC',
  6: 'M-Bus',
  7: 'ZigBee',
  8: 'DLMS gateway',
} as const;

/** message_type; 128..255 are manufacturer specific. */
export const PushMessageTypeNames = {
  0: 'A-XDR encoded xDLMS APDU',
  1: 'XML encoded xDLMS APDU',
} as const;

/** push_object_list elements have the capture_object_definition shape. */
export type PushObject = CaptureObject;

export function decodePushObjectList(d: DlmsData, path: Path = 'push_object_list'): PushObject[] {
  return decodeCaptureObjects(d, path);
}

export function encodePushObjectList(list: readonly PushObject[]): DlmsData {
  return encodeCaptureObjects(list);
}

export interface SendDestinationAndMethod {
  transportService: NamedValue;
  /** Address as the meter holds it (e.g. "10.0.0.1:4059", a phone number). */
  destination: Uint8Array;
  destinationText: string;
  message: NamedValue;
}

export function decodeSendDestinationAndMethod(
  d: DlmsData,
  path: Path = 'send_destination_and_method',
): SendDestinationAndMethod {
  const v = expectStructure(d, 3, path);
  const destination = expectOctets(element(v, 1, path), `${path}.destination`);
  return {
    transportService: named(
      expectInteger(element(v, 0, path), `${path}.transport_service`),
      TransportServiceNames,
    ),
    destination,
    destinationText: latin1(destination),
    message: named(expectInteger(element(v, 2, path), `${path}.message`), PushMessageTypeNames),
  };
}

export function encodeSendDestinationAndMethod(v: {
  transportService: number;
  destination: Uint8Array | string;
  message: number;
}): DlmsData {
  const dest =
    typeof v.destination === 'string'
      ? Uint8Array.from(v.destination, (c) => c.charCodeAt(0) & 0xff)
      : v.destination;
  return structure(
    int('enum', v.transportService, 'transport_service'),
    octets(dest),
    int('enum', v.message, 'message'),
  );
}

export interface WindowElement {
  start: CosemDateTime;
  end: CosemDateTime;
}

export function decodeCommunicationWindow(d: DlmsData, path: Path = 'communication_window'): WindowElement[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      start: expectDateTime(element(v, 0, p), `${p}.start_time`),
      end: expectDateTime(element(v, 1, p), `${p}.end_time`),
    };
  });
}

export function encodeCommunicationWindow(windows: readonly WindowElement[]): DlmsData {
  return array(
    windows.map((w) => structure(dateTimeOctets(w.start, 'start_time'), dateTimeOctets(w.end, 'end_time'))),
  );
}

/** repetition_delay: seconds (versions 0, 1) or {min, exponent, max} (version 2). */
export type RepetitionDelay =
  | { kind: 'fixed'; seconds: number }
  | { kind: 'exponential'; min: number; exponent: number; max: number };

export function decodeRepetitionDelay(d: DlmsData, path: Path = 'repetition_delay'): RepetitionDelay {
  if (d.type === 'structure') {
    const v = expectStructure(d, 3, path);
    return {
      kind: 'exponential',
      min: expectInteger(element(v, 0, path), `${path}.repetition_delay_min`),
      exponent: expectInteger(element(v, 1, path), `${path}.repetition_delay_exponent`),
      max: expectInteger(element(v, 2, path), `${path}.repetition_delay_max`),
    };
  }
  if (d.type === 'long-unsigned' || d.type === 'unsigned' || d.type === 'double-long-unsigned') {
    return { kind: 'fixed', seconds: d.value };
  }
  return shapeError(path, `expected long-unsigned or structure, got ${d.type}`);
}

/** Push setup attributes 2..7 read together. */
export interface PushSetup {
  pushObjectList: PushObject[];
  sendDestinationAndMethod: SendDestinationAndMethod;
  communicationWindow: WindowElement[];
  randomisationStartInterval: number;
  numberOfRetries: number;
  repetitionDelay: RepetitionDelay;
}

export function decodePushSetup(values: readonly DlmsData[], path: Path = 'push_setup'): PushSetup {
  const at = (i: number) => element(values, i, path);
  return {
    pushObjectList: decodePushObjectList(at(0), `${path}.push_object_list`),
    sendDestinationAndMethod: decodeSendDestinationAndMethod(at(1), `${path}.send_destination_and_method`),
    communicationWindow: decodeCommunicationWindow(at(2), `${path}.communication_window`),
    randomisationStartInterval: expectInteger(at(3), `${path}.randomisation_start_interval`),
    numberOfRetries: expectInteger(at(4), `${path}.number_of_retries`),
    repetitionDelay: decodeRepetitionDelay(at(5), `${path}.repetition_delay`),
  };
}
