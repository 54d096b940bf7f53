/**
 * Wall-clock formatters of IANA zones, one per zone, shared by VEE (local days) and billing
 * (tariff periods): exact over DST changes (23- and 25-hour days). Undefined for an unknown zone;
 * each caller reports that with its own error naming its field.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

export function zoneFormatter(timeZone: string): Intl.DateTimeFormat | undefined {
  let f = formats.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      return undefined;
    }
    formats.set(timeZone, f);
  }
  return f;
}

/** What an unknown zone is called in the errors of both. */
export function unknownZoneMessage(timeZone: string): string {
  return `unknown time zone ${JSON.stringify(timeZone)} (an IANA name, e.g. Europe/Berlin)`;
}
