export * from './errors.ts';
export * from './bytes.ts';
export * from './axdr/index.ts';
