import {
  type CosemDateTime,
  DATE_TIME_LENGTH,
  type DlmsData,
  dateTimeFromOctets,
  dateTimeToOctets,
  decodeData,
  encodeData,
} from '../axdr/index.ts';
import type { ByteReader, ByteWriter } from '../bytes.ts';
import {
  type CosemAttributeDescriptor,
  decodeCosemAttributeDescriptor,
  encodeCosemAttributeDescriptor,
} from './descriptors.ts';
import type { ApduBase } from './tags.ts';
import { readOctetString, readOptional, writeOctetString, writeOptional, writeU32 } from './wire.ts';

/**
 * Data-Notification ::= SEQUENCE { long-invoke-id-and-priority Unsigned32, date-time OCTET STRING,
 * notification-body SEQUENCE { data-value Data } }. date-time is empty or 12 bytes.
 */
export interface DataNotification extends ApduBase {
  type: 'data-notification';
  longInvokeIdAndPriority: number;
  /** The date-time octets as sent; the encoder writes exactly these. */
  dateTime: Uint8Array;
  /** `dateTime` parsed, when it is 12 bytes long. */
  dateTimeValue?: CosemDateTime;
  notificationBody: DlmsData;
}

/**
 * Event-Notification-Request ::= SEQUENCE { time OCTET STRING OPTIONAL,
 * cosem-attribute-descriptor, attribute-value Data }.
 */
export interface EventNotificationRequest extends ApduBase {
  type: 'event-notification-request';
  /** The time octets as sent, when present; the encoder writes exactly these. */
  time?: Uint8Array;
  /** `time` parsed, when it is 12 bytes long. */
  timeValue?: CosemDateTime;
  cosemAttributeDescriptor: CosemAttributeDescriptor;
  attributeValue: DlmsData;
}

export function dataNotification(fields: {
  longInvokeIdAndPriority: number;
  dateTime?: CosemDateTime;
  notificationBody: DlmsData;
}): DataNotification {
  const apdu: DataNotification = {
    type: 'data-notification',
    longInvokeIdAndPriority: fields.longInvokeIdAndPriority,
    dateTime: fields.dateTime === undefined ? new Uint8Array(0) : dateTimeToOctets(fields.dateTime),
    notificationBody: fields.notificationBody,
  };
  if (fields.dateTime !== undefined) apdu.dateTimeValue = dateTimeFromOctets(apdu.dateTime);
  return apdu;
}

export function eventNotificationRequest(fields: {
  time?: CosemDateTime;
  cosemAttributeDescriptor: CosemAttributeDescriptor;
  attributeValue: DlmsData;
}): EventNotificationRequest {
  const apdu: EventNotificationRequest = {
    type: 'event-notification-request',
    cosemAttributeDescriptor: fields.cosemAttributeDescriptor,
    attributeValue: fields.attributeValue,
  };
  if (fields.time !== undefined) {
    apdu.time = dateTimeToOctets(fields.time);
    apdu.timeValue = dateTimeFromOctets(apdu.time);
  }
  return apdu;
}

function parsedDateTime(octets: Uint8Array): CosemDateTime | undefined {
  return octets.length === DATE_TIME_LENGTH ? dateTimeFromOctets(octets) : undefined;
}

/** Reads the body after the 0x0F tag. */
export function decodeDataNotification(r: ByteReader): DataNotification {
  const longInvokeIdAndPriority = r.u32();
  const dateTime = readOctetString(r, 'date-time');
  const notificationBody = decodeData(r);
  const apdu: DataNotification = {
    type: 'data-notification',
    longInvokeIdAndPriority,
    dateTime,
    notificationBody,
  };
  const value = parsedDateTime(dateTime);
  if (value !== undefined) apdu.dateTimeValue = value;
  return apdu;
}

export function encodeDataNotification(w: ByteWriter, v: DataNotification): void {
  writeU32(w, v.longInvokeIdAndPriority, 'long-invoke-id-and-priority');
  writeOctetString(w, v.dateTime);
  encodeData(w, v.notificationBody);
}

/** Reads the body after the 0xC2 tag. */
export function decodeEventNotificationRequest(r: ByteReader): EventNotificationRequest {
  const time = readOptional(r, 'time', (x) => readOctetString(x, 'time'));
  const cosemAttributeDescriptor = decodeCosemAttributeDescriptor(r);
  const attributeValue = decodeData(r);
  const apdu: EventNotificationRequest = {
    type: 'event-notification-request',
    cosemAttributeDescriptor,
    attributeValue,
  };
  if (time !== undefined) {
    apdu.time = time;
    const value = parsedDateTime(time);
    if (value !== undefined) apdu.timeValue = value;
  }
  return apdu;
}

export function encodeEventNotificationRequest(w: ByteWriter, v: EventNotificationRequest): void {
  writeOptional(w, v.time, writeOctetString);
  encodeCosemAttributeDescriptor(w, v.cosemAttributeDescriptor);
  encodeData(w, v.attributeValue);
}
