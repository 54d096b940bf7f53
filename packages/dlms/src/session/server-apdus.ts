import {
  type Aare,
  AcseServiceUser,
  AssociationResult,
  type ConfirmedServiceError,
  encodeAare,
  encodeConfirmedServiceError,
  InitiateError,
} from '../acse/index.ts';
import {
  type CosemAttributeDescriptor,
  dataNotification,
  encodeXdlmsApdu,
  eventNotificationRequest,
  longInvokeIdAndPriority,
} from '../apdu/index.ts';
import type { CosemDateTime, DlmsData } from '../axdr/index.ts';

export interface NotifyInput {
  body: DlmsData;
  dateTime?: CosemDateTime;
  longInvokeId?: number;
  /** Cipher as this association (key) is configured; defaults to the current one. */
  association?: string;
}

export interface EventNotifyInput {
  descriptor: CosemAttributeDescriptor;
  value: DlmsData;
  time?: CosemDateTime;
  association?: string;
}

export function exceptionResponse(
  stateError: number,
  serviceError: number,
  invocationCounter?: number,
): Uint8Array {
  return encodeXdlmsApdu({
    type: 'exception-response',
    stateError,
    serviceError,
    ...(invocationCounter === undefined ? {} : { invocationCounter }),
  });
}

/** A rejected AARE; initiate errors travel as ConfirmedServiceError in user-information. */
export function rejectAare(
  context: number,
  diagnostic: keyof typeof AcseServiceUser,
  initiateError?: keyof typeof InitiateError,
): Uint8Array {
  const aare: Aare = {
    applicationContextName: context as Aare['applicationContextName'],
    result: AssociationResult['rejected-permanent'],
    resultSourceDiagnostic: { source: 'acse-service-user', value: AcseServiceUser[diagnostic] },
  };
  if (initiateError !== undefined) {
    const cse: ConfirmedServiceError = {
      service: 'initiateError',
      serviceError: 'initiate',
      value: InitiateError[initiateError],
    };
    aare.userInformation = encodeConfirmedServiceError(cse);
  }
  return encodeAare(aare);
}

export function dataNotificationApdu(input: NotifyInput): Uint8Array {
  return encodeXdlmsApdu(
    dataNotification({
      longInvokeIdAndPriority: longInvokeIdAndPriority({ longInvokeId: input.longInvokeId ?? 0 }),
      ...(input.dateTime === undefined ? {} : { dateTime: input.dateTime }),
      notificationBody: input.body,
    }),
  );
}

export function eventNotificationApdu(input: EventNotifyInput): Uint8Array {
  return encodeXdlmsApdu(
    eventNotificationRequest({
      cosemAttributeDescriptor: input.descriptor,
      attributeValue: input.value,
      ...(input.time === undefined ? {} : { time: input.time }),
    }),
  );
}
