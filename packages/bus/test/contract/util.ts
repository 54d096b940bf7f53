import { isCodedError } from '@openhes/core';
import { expect } from 'vitest';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it stops throwing or `timeoutMs` passes (then its last error is thrown). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await sleep(10);
    }
  }
}

/** The rejection of `p`, which must be a CodedError. */
export async function codedRejection(p: Promise<unknown>): Promise<{ kind: string; code: string }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isCodedError(e), `expected a CodedError, got ${String(e)}`).toBe(true);
  return e as { kind: string; code: string };
}
