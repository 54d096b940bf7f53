export * from './aes-gcm.ts';
export * from './ciphering.ts';
export * from './hls.ts';
export * from './invocation-counter.ts';
export * from './iv.ts';
export * from './key-wrap.ts';
export * from './security-control.ts';
export * from './tags.ts';
