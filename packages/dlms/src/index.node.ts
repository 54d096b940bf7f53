// The package entry under the "node" export condition (Node, tsx, vitest, esbuild for node):
// the pure stack with node:crypto installed as its crypto provider unless one already is.

import { installNodeCrypto } from './node/crypto.ts';
import { hasDlmsCrypto } from './security/crypto.ts';

if (!hasDlmsCrypto()) installNodeCrypto();

export * from './index.ts';
