/**
 * Where an object's value comes from. Profiles name these in `source`; the truth computes
 * them. Cumulative energies are exact integer integrals (see energy.ts); `block.*` are the
 * differences of the cumulative registers at the interval bounds.
 */
const TOU = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((t) => [`import.wh.t${t}`, `import.vah.t${t}`]);
const PHASE = [1, 2, 3].flatMap((p) => [
  `voltage.l${p}`,
  `current.l${p}`,
  `pf.l${p}`,
  `block.voltage.l${p}`,
  `block.current.l${p}`,
]);

export const ENERGY_SOURCES = [
  'import.wh',
  'import.vah',
  'export.wh',
  'export.vah',
  'q1.varh',
  'q2.varh',
  'q3.varh',
  'q4.varh',
  ...TOU,
] as const;

export const SOURCE_LIST = [
  ...ENERGY_SOURCES,
  ...ENERGY_SOURCES.map((s) => `block.${s}`),
  ...PHASE,
  'voltage',
  'current',
  'current.n',
  'pf',
  'frequency',
  'power.active',
  'power.apparent',
  'power.reactive',
  'block.voltage',
  'block.current',
  'block.current.n',
  'block.pf',
  'md.import.w',
  'md.import.va',
  'md.export.w',
  'md.export.va',
  'powerOnMinutes',
  'powerOffMinutes',
  'powerFailures',
  'tamperCount',
  'billingCount',
  'programmingCount',
  'billing.powerOnMinutes',
  'billing.date',
  'billing.avgPf',
  'serial',
  'deviceId',
  'ldn',
  'manufacturer',
  'firmware',
  'meterType',
  'category',
  'currentRating',
  'yearOfManufacture',
  'ctRatio',
  'ptRatio',
  'dip',
  'blockPeriod',
  'dailyPeriod',
  'availableBillingPeriods',
  'eventCode',
  'esw',
  'eswf',
  'invocationCounter',
  'zero',
] as const;

export type Source = string;
export const SOURCES: ReadonlySet<string> = new Set(SOURCE_LIST);
