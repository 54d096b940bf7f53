import type { Instant } from '../paging.ts';

export interface NewAuditEntry {
  actor: string;
  action: string;
  /** What was acted on, e.g. `meter:42`, `command:7`. */
  target: string;
  outcome: 'allowed' | 'denied' | 'failed' | 'succeeded';
  detail: Record<string, unknown> | null;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
  at: Instant;
}
