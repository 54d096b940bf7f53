import { decodeXdlmsApdu } from '../apdu/index.ts';
import type { NotificationEvent } from './events.ts';

/** data-notification (0x0F) and event-notification-request (0xC2). */
const NOTIFICATION_TAGS = new Set([0x0f, 0xc2]);

export function isNotificationTag(tag: number | undefined): boolean {
  return tag !== undefined && NOTIFICATION_TAGS.has(tag);
}

/**
 * The notification event for a plain APDU the server sent unasked, or undefined when the APDU
 * is something else (a response). `ciphered` tells whether it arrived protected.
 */
export function notificationEvent(plain: Uint8Array, ciphered: boolean): NotificationEvent | undefined {
  if (!isNotificationTag(plain[0])) return undefined;
  const apdu = decodeXdlmsApdu(plain);
  if (apdu.type !== 'data-notification' && apdu.type !== 'event-notification-request') return undefined;
  return { type: 'notification', apdu, ciphered };
}
