import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import {
  type ActionRequest,
  type ActionResponse,
  decodeActionRequest,
  decodeActionResponse,
  encodeActionRequest,
  encodeActionResponse,
} from './action.ts';
import { decodeExceptionResponse, type ExceptionResponse, encodeExceptionResponse } from './exception.ts';
import {
  decodeGeneralBlockTransfer,
  encodeGeneralBlockTransfer,
  type GeneralBlockTransfer,
} from './general-block-transfer.ts';
import {
  decodeGetRequest,
  decodeGetResponse,
  encodeGetRequest,
  encodeGetResponse,
  type GetRequest,
  type GetResponse,
} from './get.ts';
import {
  type DataNotification,
  decodeDataNotification,
  decodeEventNotificationRequest,
  type EventNotificationRequest,
  encodeDataNotification,
  encodeEventNotificationRequest,
} from './notification.ts';
import {
  decodeSetRequest,
  decodeSetResponse,
  encodeSetRequest,
  encodeSetResponse,
  type SetRequest,
  type SetResponse,
} from './set.ts';
import { XdlmsTag } from './tags.ts';

export type XdlmsApdu =
  | GetRequest
  | GetResponse
  | SetRequest
  | SetResponse
  | ActionRequest
  | ActionResponse
  | DataNotification
  | EventNotificationRequest
  | ExceptionResponse
  | GeneralBlockTransfer;

export type XdlmsApduType = XdlmsApdu['type'];

/**
 * First bytes of APDUs that exist in DLMS (ACSE, SN referencing, ciphered, signing, gateway,
 * confirmed-service-error) but are not plain xDLMS services of this codec: decoding them is
 * Unsupported here, not Malformed.
 */
const OTHER_KNOWN_TAGS: ReadonlySet<number> = new Set([
  0x01, 0x05, 0x06, 0x08, 0x0c, 0x0d, 0x0e, 0x10, 0x16, 0x18, 0x21, 0x25, 0x26, 0x28, 0x2c, 0x2d, 0x2e, 0x36,
  0x38, 0x41, 0x45, 0x46, 0x48, 0x4c, 0x4d, 0x4e, 0x56, 0x58, 0x60, 0x61, 0x62, 0x63, 0xc8, 0xc9, 0xca, 0xcb,
  0xcc, 0xcd, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd7, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xdf, 0xe6, 0xe7,
]);

function decodeBody(r: ByteReader): XdlmsApdu {
  const at = r.offset;
  const tag = r.u8();
  switch (tag) {
    case XdlmsTag['get-request']:
      return decodeGetRequest(r);
    case XdlmsTag['get-response']:
      return decodeGetResponse(r);
    case XdlmsTag['set-request']:
      return decodeSetRequest(r);
    case XdlmsTag['set-response']:
      return decodeSetResponse(r);
    case XdlmsTag['action-request']:
      return decodeActionRequest(r);
    case XdlmsTag['action-response']:
      return decodeActionResponse(r);
    case XdlmsTag['data-notification']:
      return decodeDataNotification(r);
    case XdlmsTag['event-notification-request']:
      return decodeEventNotificationRequest(r);
    case XdlmsTag['exception-response']:
      return decodeExceptionResponse(r);
    case XdlmsTag['general-block-transfer']:
      return decodeGeneralBlockTransfer(r);
    default:
      if (OTHER_KNOWN_TAGS.has(tag)) {
        return r.fail(
          DlmsErrorCode.Unsupported,
          `APDU tag 0x${tag.toString(16)} is not a plain xDLMS service`,
          at,
        );
      }
      return r.fail(DlmsErrorCode.Malformed, `unknown APDU tag 0x${tag.toString(16)}`, at);
  }
}

/**
 * Decodes one plain xDLMS APDU. Bytes left after a complete APDU do not fail the decode:
 * they come back in `trailing` (meters append bytes; the caller decides whether to warn).
 */
export function decodeXdlmsApdu(bytes: Uint8Array): XdlmsApdu {
  const r = new ByteReader(bytes);
  const apdu = decodeBody(r);
  if (!r.atEnd()) apdu.trailing = r.copy(r.remaining, 'trailing');
  return apdu;
}

/** Encodes one APDU; `trailing` is ignored. Throws DlmsError(Encode) on out-of-range fields. */
export function encodeXdlmsApdu(apdu: XdlmsApdu): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(XdlmsTag[apdu.type]);
  switch (apdu.type) {
    case 'get-request':
      encodeGetRequest(w, apdu);
      break;
    case 'get-response':
      encodeGetResponse(w, apdu);
      break;
    case 'set-request':
      encodeSetRequest(w, apdu);
      break;
    case 'set-response':
      encodeSetResponse(w, apdu);
      break;
    case 'action-request':
      encodeActionRequest(w, apdu);
      break;
    case 'action-response':
      encodeActionResponse(w, apdu);
      break;
    case 'data-notification':
      encodeDataNotification(w, apdu);
      break;
    case 'event-notification-request':
      encodeEventNotificationRequest(w, apdu);
      break;
    case 'exception-response':
      encodeExceptionResponse(w, apdu);
      break;
    case 'general-block-transfer':
      encodeGeneralBlockTransfer(w, apdu);
      break;
  }
  return w.finish();
}
