export * from './errors.ts';
export * from './bytes.ts';
export * from './axdr/index.ts';
export * from './acse/index.ts';
export * from './apdu/index.ts';
export * from './security/index.ts';
export * from './session/index.ts';
