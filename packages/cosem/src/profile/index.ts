export * from './control.ts';
export * from './resolve.ts';
export * from './schema.ts';
export * from './validate.ts';
