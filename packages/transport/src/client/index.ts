export * from './client.ts';
export * from './options.ts';
