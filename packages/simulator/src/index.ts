export * from './model/catalog.ts';
export * from './model/meter-model.ts';
export * from './profiles.ts';
export * from './truth/fleet-truth.ts';
export * from './truth/scenarios.ts';
export * from './truth/shapes.ts';
export * from './truth/time.ts';
export * from './truth/topology.ts';
export { issuedSecrets, serialOf, systemTitleOf } from './truth/values.ts';
