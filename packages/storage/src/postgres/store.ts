import type { Store } from '@openhes/core';
import type { PostgresConfig } from '../index.ts';

export async function openPostgresStore(_config: PostgresConfig): Promise<Store> {
  throw new Error('not yet');
}
