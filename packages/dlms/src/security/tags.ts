/**
 * Ciphered xDLMS APDU tags (reference tables §3). Each service with a glo- and ded- form is
 * listed with its plain tag; the general-* tags carry any APDU, including data-notification.
 */
export const CipheredApduTag = {
  gloInitiateRequest: 0x21,
  gloReadRequest: 0x25,
  gloWriteRequest: 0x26,
  gloInitiateResponse: 0x28,
  gloReadResponse: 0x2c,
  gloWriteResponse: 0x2d,
  gloConfirmedServiceError: 0x2e,
  gloUnconfirmedWriteRequest: 0x36,
  gloInformationReportRequest: 0x38,
  dedInitiateRequest: 0x41,
  dedReadRequest: 0x45,
  dedWriteRequest: 0x46,
  dedInitiateResponse: 0x48,
  dedReadResponse: 0x4c,
  dedWriteResponse: 0x4d,
  dedConfirmedServiceError: 0x4e,
  dedUnconfirmedWriteRequest: 0x56,
  dedInformationReportRequest: 0x58,
  gloGetRequest: 0xc8,
  gloSetRequest: 0xc9,
  gloEventNotificationRequest: 0xca,
  gloActionRequest: 0xcb,
  gloGetResponse: 0xcc,
  gloSetResponse: 0xcd,
  gloActionResponse: 0xcf,
  dedGetRequest: 0xd0,
  dedSetRequest: 0xd1,
  dedEventNotificationRequest: 0xd2,
  dedActionRequest: 0xd3,
  dedGetResponse: 0xd4,
  dedSetResponse: 0xd5,
  dedActionResponse: 0xd7,
  generalGloCiphering: 0xdb,
  generalDedCiphering: 0xdc,
  generalCiphering: 0xdd,
} as const;
export type CipheredApduTag = (typeof CipheredApduTag)[keyof typeof CipheredApduTag];

export type CipheringFamily = 'glo' | 'ded';
export type CipheredKind = 'glo' | 'ded' | 'general-glo' | 'general-ded';

/** [plain, glo, ded] for every service that has service-specific ciphered forms. */
const SERVICE_TAGS: readonly (readonly [plain: number, glo: number, ded: number])[] = [
  [0x01, CipheredApduTag.gloInitiateRequest, CipheredApduTag.dedInitiateRequest],
  [0x05, CipheredApduTag.gloReadRequest, CipheredApduTag.dedReadRequest],
  [0x06, CipheredApduTag.gloWriteRequest, CipheredApduTag.dedWriteRequest],
  [0x08, CipheredApduTag.gloInitiateResponse, CipheredApduTag.dedInitiateResponse],
  [0x0c, CipheredApduTag.gloReadResponse, CipheredApduTag.dedReadResponse],
  [0x0d, CipheredApduTag.gloWriteResponse, CipheredApduTag.dedWriteResponse],
  [0x0e, CipheredApduTag.gloConfirmedServiceError, CipheredApduTag.dedConfirmedServiceError],
  [0x16, CipheredApduTag.gloUnconfirmedWriteRequest, CipheredApduTag.dedUnconfirmedWriteRequest],
  [0x18, CipheredApduTag.gloInformationReportRequest, CipheredApduTag.dedInformationReportRequest],
  [0xc0, CipheredApduTag.gloGetRequest, CipheredApduTag.dedGetRequest],
  [0xc1, CipheredApduTag.gloSetRequest, CipheredApduTag.dedSetRequest],
  [0xc2, CipheredApduTag.gloEventNotificationRequest, CipheredApduTag.dedEventNotificationRequest],
  [0xc3, CipheredApduTag.gloActionRequest, CipheredApduTag.dedActionRequest],
  [0xc4, CipheredApduTag.gloGetResponse, CipheredApduTag.dedGetResponse],
  [0xc5, CipheredApduTag.gloSetResponse, CipheredApduTag.dedSetResponse],
  [0xc7, CipheredApduTag.gloActionResponse, CipheredApduTag.dedActionResponse],
];

const GLO_BY_PLAIN = new Map<number, number>();
const DED_BY_PLAIN = new Map<number, number>();
const PLAIN_BY_CIPHERED = new Map<number, number>();
const FAMILY_BY_CIPHERED = new Map<number, CipheringFamily>();
for (const [plain, glo, ded] of SERVICE_TAGS) {
  GLO_BY_PLAIN.set(plain, glo);
  DED_BY_PLAIN.set(plain, ded);
  PLAIN_BY_CIPHERED.set(glo, plain);
  PLAIN_BY_CIPHERED.set(ded, plain);
  FAMILY_BY_CIPHERED.set(glo, 'glo');
  FAMILY_BY_CIPHERED.set(ded, 'ded');
}

/** Plain service tags that have glo-/ded- forms, in table order. */
export const servicesWithCipheredTags: readonly number[] = SERVICE_TAGS.map(([plain]) => plain);

/**
 * The service-specific ciphered tag for a plain APDU tag, or undefined when the service has none
 * (exception-response, data-notification, …: those go in general-glo/ded-ciphering or in clear).
 */
export function cipheredTagFor(plainTag: number, family: CipheringFamily): number | undefined {
  return (family === 'glo' ? GLO_BY_PLAIN : DED_BY_PLAIN).get(plainTag);
}

/** The plain tag behind a glo-/ded- service tag; undefined for general-* and non-ciphered tags. */
export function plainTagFor(cipheredTag: number): number | undefined {
  return PLAIN_BY_CIPHERED.get(cipheredTag);
}

/** glo or ded for a service-specific ciphered tag, else undefined. */
export function cipheringFamilyOf(cipheredTag: number): CipheringFamily | undefined {
  return FAMILY_BY_CIPHERED.get(cipheredTag);
}

/** True for every glo-/ded- service tag and for general-glo/ded-ciphering and general-ciphering. */
export function isCipheredTag(tag: number): boolean {
  return (
    PLAIN_BY_CIPHERED.has(tag) ||
    tag === CipheredApduTag.generalGloCiphering ||
    tag === CipheredApduTag.generalDedCiphering ||
    tag === CipheredApduTag.generalCiphering
  );
}
