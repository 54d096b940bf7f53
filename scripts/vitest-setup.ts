// Property tests explore new random cases on every local run; in CI they replay a fixed
// seed so a run is reproducible (set FC_SEED to replay another one).
import fc from 'fast-check';

if (process.env.CI || process.env.FC_SEED) {
  fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261125) });
}

// The dlms tests import its pure sources directly, not the package entry that installs
// node:crypto under Node, so every test process installs it here the same way.
import { installNodeCrypto } from '@openhes/dlms/node';

installNodeCrypto();
