export * from './tcp.ts';
export * from './transport.ts';
export * from './udp.ts';
