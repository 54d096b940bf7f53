export * from './data.ts';
export * from './datetime.ts';
export * from './format.ts';
export * from './types.ts';
