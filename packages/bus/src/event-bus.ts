import type { BusMessage, EventBus, Subscription } from '@openhes/core';
import { checkText, invalidError } from './errors.ts';
import { compilePattern } from './pattern.ts';

export interface MemoryEventBusOptions {
  /** Deliveries of one message to one subscriber before it is given up. Default 5. */
  maxAttempts?: number;
  /** Pause before a failed delivery is tried again, doubled each time. Default 50 ms. */
  retryDelayMs?: number;
  /** Told of each message a subscriber gave up on (after maxAttempts failures). */
  onError?: (error: unknown, message: BusMessage, pattern: string) => void;
}

export interface MemoryEventBus extends EventBus {
  /** Resolves once every message published so far has been handled (tests, shutdown). */
  drain(): Promise<void>;
}

interface Sub {
  pattern: string;
  matches: (type: string) => boolean;
  handler: (message: BusMessage) => Promise<void> | void;
  /** Tail of the delivery chain per message key: a key's messages go one after the other. */
  tails: Map<string, Promise<void>>;
  active: boolean;
}

/**
 * The in-process EventBus. Each subscriber receives each matching message once, in publish
 * order per key (keys run concurrently); a handler that throws gets the message again after a
 * pause, up to maxAttempts, then it is reported to onError and skipped.
 *
 * `publish` resolves once every matching subscriber has handled the messages, so an outbox
 * relay commits its cursor only past what the subscribers of this process took (at least
 * once, even across a crash). Hence a handler must not await a publish of a message with its
 * own key (it would wait for itself); publish without awaiting, or use another key.
 */
export function createMemoryEventBus(options: MemoryEventBusOptions = {}): MemoryEventBus {
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 50;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw invalidError('maxAttempts must be >= 1');
  const subs = new Set<Sub>();
  const pending = new Set<Promise<void>>();

  async function handle(sub: Sub, message: BusMessage): Promise<void> {
    for (let attempt = 1; sub.active; attempt++) {
      try {
        await sub.handler(message);
        return;
      } catch (e) {
        if (attempt >= maxAttempts) {
          options.onError?.(e, message, sub.pattern);
          return;
        }
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  function enqueue(sub: Sub, message: BusMessage): Promise<void> {
    const prev = sub.tails.get(message.key) ?? Promise.resolve();
    const next = prev.then(() => handle(sub, message));
    sub.tails.set(message.key, next);
    pending.add(next);
    void next.finally(() => {
      pending.delete(next);
      if (sub.tails.get(message.key) === next) sub.tails.delete(message.key);
    });
    return next;
  }

  return {
    async publish(messages) {
      for (const [i, m] of messages.entries()) {
        checkText(`messages[${i}].id`, m.id);
        checkText(`messages[${i}].type`, m.type);
        checkText(`messages[${i}].key`, m.key);
      }
      const deliveries: Promise<void>[] = [];
      for (const m of messages) {
        const message: BusMessage = { id: m.id, type: m.type, key: m.key, at: m.at, payload: m.payload };
        for (const sub of subs) if (sub.matches(m.type)) deliveries.push(enqueue(sub, message));
      }
      await Promise.all(deliveries);
    },

    async subscribe(pattern, handler): Promise<Subscription> {
      const sub: Sub = { pattern, matches: compilePattern(pattern), handler, tails: new Map(), active: true };
      subs.add(sub);
      return {
        async unsubscribe() {
          sub.active = false;
          subs.delete(sub);
        },
      };
    },

    async drain() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
