// Meter data: validation, estimation and editing (vee/), tariffs and billing (billing/), prepayment (prepayment/).

export * from './billing/index.ts';
export * from './prepayment/index.ts';
export * from './vee/index.ts';
