import type { Store } from '@openhes/core';
import { buildApi } from './app.ts';

/** A store that fails if touched: building the document must not need a database. */
const noStore = new Proxy({} as Store, {
  get(_t, prop) {
    throw new Error(`openapi generation touched store.${String(prop)}`);
  },
});

export async function generateOpenApi(): Promise<unknown> {
  const app = await buildApi({ store: noStore, clock: { now: () => 0 } });
  try {
    return app.swagger();
  } finally {
    await app.close();
  }
}

/** The checked-in `packages/api/openapi.json` text. */
export async function openApiJson(): Promise<string> {
  return `${JSON.stringify(await generateOpenApi(), null, 2)}\n`;
}
