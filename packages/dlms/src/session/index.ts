export * from './client.ts';
export * from './events.ts';
export * from './exchange.ts';
export * from './object-model.ts';
export * from './refs.ts';
export * from './server.ts';
export type { EventNotifyInput, NotifyInput } from './server-apdus.ts';
export * from './settings.ts';
