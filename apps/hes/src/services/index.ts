/** The services a `hes start` process may run, in start order. */
export const SERVICE_NAMES = ['maintenance', 'collector', 'push', 'scheduler', 'control', 'api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * `--services` as a set: names separated by commas (any order, any subset; all when absent).
 * Unknown names are refused, and so is a scheduler without a collector in its process (its
 * tasks go to the collector of its own process; a shared work queue comes with NATS).
 */
export function parseServices(text: string | undefined): Set<ServiceName> {
  if (text === undefined) return new Set(SERVICE_NAMES);
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new Error(`--services needs at least one of ${SERVICE_NAMES.join(', ')}`);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(
      `--services: unknown service${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${SERVICE_NAMES.join(', ')})`,
    );
  const set = new Set(names as ServiceName[]);
  if (set.has('scheduler') && !set.has('collector'))
    throw new Error('--services: the scheduler needs the collector in the same process (add "collector")');
  // Commands run through the collector's sessions; an API without it still takes requests.
  if (set.has('control') && !set.has('collector'))
    throw new Error('--services: control needs the collector in the same process (add "collector")');
  return set;
}
