import {
  CipheredApduTag,
  type CosemDateTime,
  cipheringFamilyOf,
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  decipherApdu,
  decodeXdlmsApdu,
  fromHex,
  toHex,
} from '@openhes/dlms';
import { type DriverProfile, type ProfileObject, pushSetups } from '../profile.ts';

/*
 * Receiving DLMS pushes (meter-initiated DataNotification / EventNotificationRequest over
 * wrapper TCP or UDP): what the acquisition layer's push handler needs of the protocol, so
 * that it stays on the driver side of the map (acquisition imports core and drivers only).
 * The listeners themselves are in push-server.ts.
 */

/** What the outside of a pushed APDU tells before it is opened. */
export interface PushEnvelope {
  ciphered: boolean;
  /** The sender's system title (hex) when a general ciphering carries it. */
  systemTitle: string | undefined;
}

export function pushEnvelope(apdu: Uint8Array): PushEnvelope {
  const tag = apdu[0] ?? 0;
  const general = tag === CipheredApduTag.generalGloCiphering || tag === CipheredApduTag.generalDedCiphering;
  const ciphered = general || cipheringFamilyOf(tag) !== undefined;
  return { ciphered, systemTitle: general && apdu[1] === 8 ? toHex(apdu.subarray(2, 10)) : undefined };
}

/** The protection a push arrived with (from its security control byte), or none. */
export interface PushProtectionApplied {
  authenticated: boolean;
  encrypted: boolean;
}

export const PLAINTEXT_PUSH: Readonly<PushProtectionApplied> = { authenticated: false, encrypted: false };

/**
 * Deciphers a ciphered push under the sender's global keys (and its system title for
 * glo-ciphering): the plaintext, its invocation counter and the protection it really had. An
 * authenticated push's tag is checked here (DLMS_SECURITY when it does not verify), so its
 * system title and counter are the sender's; an encryption-only push proves nothing.
 */
export function decipherPush(
  apdu: Uint8Array,
  keys: { ek: Uint8Array; ak: Uint8Array },
  systemTitle?: string,
): { plaintext: Uint8Array; invocationCounter: number; protection: PushProtectionApplied } {
  const d = decipherApdu(apdu, {
    keys,
    ...(systemTitle === undefined ? {} : { systemTitle: fromHex(systemTitle) }),
  });
  return {
    plaintext: d.plaintext,
    invocationCounter: d.invocationCounter,
    protection: { authenticated: d.security.authentication, encrypted: d.security.encryption },
  };
}

type DeclaredPolicy = NonNullable<NonNullable<ProfileObject['push']>['protection']>['policy'] | 'none';

/** The policy a push setup declares ('none' when it pushes in clear). */
export function declaredPushPolicy(setup: ProfileObject): DeclaredPolicy {
  return setup.push?.protection?.policy ?? 'none';
}

/** Whether a push's protection is at least what a policy declares (auth and enc each as required). */
export function pushProtectionSatisfies(applied: PushProtectionApplied, policy: DeclaredPolicy): boolean {
  const needAuth = policy === 'auth' || policy === 'auth+enc';
  const needEnc = policy === 'enc' || policy === 'auth+enc';
  return (!needAuth || applied.authenticated) && (!needEnc || applied.encrypted);
}

/**
 * Whether some push setup of the model would take a push with this protection: a push below
 * every setup's policy is refused before its body is looked at (before its counter is kept).
 */
export function anyPushSetupAccepts(p: DriverProfile, applied: PushProtectionApplied): boolean {
  return pushSetups(p).some((s) => pushProtectionSatisfies(applied, declaredPushPolicy(s)));
}

export interface PushNotification {
  kind: 'data-notification' | 'event-notification';
  /** The notification body; an event notification's attribute value as a one-element structure. */
  body: DlmsData;
  time: CosemDateTime | undefined;
}

/** The notification in a plaintext push APDU; DLMS_PROTOCOL when it is something else. */
export function decodePushNotification(plaintext: Uint8Array): PushNotification {
  const x = decodeXdlmsApdu(plaintext);
  if (x.type === 'data-notification')
    return { kind: 'data-notification', body: x.notificationBody, time: x.dateTimeValue };
  if (x.type === 'event-notification-request')
    return {
      kind: 'event-notification',
      body: { type: 'structure', value: [x.attributeValue] },
      time: x.timeValue,
    };
  throw new DlmsError(DlmsErrorCode.Protocol, `push is a ${x.type}, not a notification`);
}

/**
 * Every visible-string in a push body. Diagnostics only: a string in the body is the sender's
 * claim, never its identity (see ParsedPush.deviceId, which may only confirm a sender).
 */
export function pushVisibleStrings(d: DlmsData): string[] {
  if (d.type === 'structure' || d.type === 'array') return d.value.flatMap(pushVisibleStrings);
  return d.type === 'visible-string' ? [d.value] : [];
}
