export * from './client.ts';
export * from './options.ts';
export * from './profile.ts';
