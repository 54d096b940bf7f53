export * from './data.ts';
export * from './datetime-codec.ts';
export * from './types.ts';
