export * from './push.ts';
export * from './serve.ts';
