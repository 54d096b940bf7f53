export * from './budget.ts';
export * from './client/index.ts';
export * from './link/index.ts';
export * from './server/index.ts';
export * from './tcp.ts';
export * from './transport.ts';
export * from './udp.ts';
