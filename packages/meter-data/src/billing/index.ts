// Time-of-use billing: tariffs as data, determinants from validated intervals, bills.
export { formatScaled, parseDecimal, priceMinor, roundDiv } from './decimal.ts';
export { computeDeterminants, type DeterminantsResult } from './determinants.ts';
export { BillingError, BillingErrorCode } from './errors.ts';
export { BILL_CSV_COLUMNS, billsToCsv, billsToJson, type ExportFormat } from './export.ts';
export {
  type BillingGroup,
  type BillingGroupInput,
  billingGroup,
  type CycleRule,
  cycleDays,
  cycleOf,
  DEFAULT_EXPORT_OBIS,
  DEFAULT_IMPORT_OBIS,
  groupMatches,
  parseCycle,
  previousCycle,
} from './groups.ts';
export { type Priced, priceDeterminants } from './rating.ts';
export {
  type BillingRunOptions,
  type BillingRunResult,
  BillingService,
  type BillingServiceOptions,
} from './service.ts';
export { CompiledTariff, validateTariff } from './tariff.ts';
