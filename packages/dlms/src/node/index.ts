// Node-only entry point of @openhes/dlms (subpath "./node"): the node:crypto provider.
export { installNodeCrypto, nodeCrypto } from './crypto.ts';
