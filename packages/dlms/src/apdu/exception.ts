import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { ExceptionServiceError } from './results.ts';
import type { ApduBase } from './tags.ts';
import { writeU8, writeU32 } from './wire.ts';

/**
 * Exception-Response ::= SEQUENCE { state-error ENUMERATED, service-error CHOICE }: two bytes,
 * plus an Unsigned32 invocation counter when service-error is invocation-counter-error (6).
 */
export interface ExceptionResponse extends ApduBase {
  type: 'exception-response';
  /** One of `ExceptionStateError`. */
  stateError: number;
  /** One of `ExceptionServiceError`. */
  serviceError: number;
  /** Present exactly when serviceError is invocation-counter-error. */
  invocationCounter?: number;
}

/** Reads the body after the 0xD8 tag. */
export function decodeExceptionResponse(r: ByteReader): ExceptionResponse {
  const stateError = r.u8();
  const serviceError = r.u8();
  const apdu: ExceptionResponse = { type: 'exception-response', stateError, serviceError };
  if (serviceError === ExceptionServiceError['invocation-counter-error']) apdu.invocationCounter = r.u32();
  return apdu;
}

export function encodeExceptionResponse(w: ByteWriter, v: ExceptionResponse): void {
  writeU8(w, v.stateError, 'state-error');
  writeU8(w, v.serviceError, 'service-error');
  const counterError = v.serviceError === ExceptionServiceError['invocation-counter-error'];
  if (counterError !== (v.invocationCounter !== undefined)) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      'exception-response: invocationCounter goes with service-error invocation-counter-error only',
    );
  }
  if (v.invocationCounter !== undefined) writeU32(w, v.invocationCounter, 'invocation-counter');
}
