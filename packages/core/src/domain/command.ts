import type { Instant } from '../paging.ts';

export const CommandKind = {
  connect: 'connect',
  disconnect: 'disconnect',
  loadLimit: 'load-limit',
  setTou: 'set-tou',
  timeSync: 'time-sync',
  firmwareUpgrade: 'firmware-upgrade',
  keyChange: 'key-change',
  readOnDemand: 'read-on-demand',
} as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

export const CommandState = {
  queued: 'queued',
  sent: 'sent',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
} as const;
export type CommandState = (typeof CommandState)[keyof typeof CommandState];

const COMMAND_TRANSITIONS: Readonly<Record<CommandState, readonly CommandState[]>> = {
  queued: ['sent', 'cancelled', 'expired', 'failed'],
  // A sent command may be re-queued for a retry after a retryable failure.
  sent: ['succeeded', 'failed', 'queued', 'expired'],
  succeeded: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export function canTransitionCommand(from: CommandState, to: CommandState): boolean {
  return COMMAND_TRANSITIONS[from].includes(to);
}

export function isTerminalCommandState(s: CommandState): boolean {
  return COMMAND_TRANSITIONS[s].length === 0;
}

export interface CommandTransition {
  state: CommandState;
  at: Instant;
  by: string;
  detail: Record<string, unknown> | null;
}

export interface NewCommand {
  kind: CommandKind;
  meterId: number;
  parameters: Record<string, unknown>;
  /** User or system principal that asked. */
  requestedBy: string;
}

export interface Command extends NewCommand {
  id: number;
  state: CommandState;
  createdAt: Instant;
  updatedAt: Instant;
  history: CommandTransition[];
}
