#!/usr/bin/env node
// The `hes` command. Runs the TypeScript sources through tsx's loader, so a fresh
// `npm ci` is enough to use it (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
