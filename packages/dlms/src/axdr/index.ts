export { decodeTypeDescription, encodeTypeDescription } from './compact.ts';
export * from './data.ts';
export * from './datetime.ts';
export * from './format.ts';
export { dataTypeName, MAX_DATA_DEPTH } from './simple.ts';
export * from './types.ts';
