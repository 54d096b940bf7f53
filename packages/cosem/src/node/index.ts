/** Node-only entry of @openhes/cosem (`@openhes/cosem/node`): file access around the pure module. */
export * from './profiles.ts';
