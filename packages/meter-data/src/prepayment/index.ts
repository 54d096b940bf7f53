// The public surface of prepayment (the package index re-exports it).
export { FriendlyHours, validateFriendlyCalendar } from './calendar.ts';
export { type ConsumedInterval, type ConsumptionSource, storeConsumption } from './consumption.ts';
export {
  emergencyCreditOffered,
  PREPAYMENT_ACTOR,
  PrepaymentEngine,
  type PrepaymentEngineDeps,
  type PrepaymentEngineOptions,
  type PrepaymentStep,
} from './engine.ts';
export { PrepaymentError, PrepaymentErrorCode } from './errors.ts';
export {
  appendPrepaymentEvents,
  lowCreditCode,
  PREPAYMENT_EVENT_LOG,
  PrepaymentEventCode,
  prepaymentEvent,
  prepaymentEventFacts,
} from './events.ts';
export {
  EXACT_SCALE as PREPAYMENT_EXACT_SCALE,
  exactCost,
  flatPriceFor,
  type IntervalPrice,
  type PriceFor,
  parseRate,
  roundExact,
  tariffPriceFor,
  tariffRateAt,
  withTaxes,
} from './pricing.ts';
export {
  type AdjustmentInput,
  type NewAccountInput,
  PrepaymentService,
  type PrepaymentServiceOptions,
  type TopUpInput,
  type TopUpResult,
} from './service.ts';
export { MAX_AMOUNT as PREPAYMENT_MAX_AMOUNT, validatePrepaymentSettings } from './settings.ts';
