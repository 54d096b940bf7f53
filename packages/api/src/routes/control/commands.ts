import type { CommandKind, Command as CommandRecord, CommandRequest, CommandState } from '@openhes/core';
import type { FastifyRequest } from 'fastify';
import type { Api, ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { IdParams, replies } from '../common/schema.ts';
import {
  accepted,
  actorOf,
  callControl,
  defined,
  emptyBodyAsObject,
  instantOf,
  normalizeInstants,
  oneOrMany,
  parametersFor,
} from './common.ts';
import { presentCommand } from './present.ts';
import { Command, CommandListQuery, CommandPage, NewCommandBody, NoteBody, shortcutBody } from './schema.ts';

/** The per-meter shortcuts: POST /meters/{id}/<path> asks for a command of that kind. */
export const METER_SHORTCUTS: readonly { path: string; kind: CommandKind; summary: string }[] = [
  {
    path: 'disconnect',
    kind: 'disconnect',
    summary: 'Disconnect the supply (final register read, then read back)',
  },
  {
    path: 'connect',
    kind: 'connect',
    summary: 'Reconnect (only armed in control modes 1, 3, 5, 6; the result says so)',
  },
  {
    path: 'load-limit',
    kind: 'load-limit',
    summary: 'Write the limiter’s thresholds and durations, read back',
  },
  {
    path: 'time-sync',
    kind: 'time-sync',
    summary: 'Synchronise the clock (shift_time or set, never across a boundary)',
  },
  { path: 'calendar', kind: 'set-calendar', summary: 'Write and activate a time-of-use calendar, read back' },
  { path: 'special-days', kind: 'set-special-days', summary: 'Write the special days table, read back' },
  { path: 'firmware', kind: 'firmware-update', summary: 'Transfer, verify and activate an uploaded image' },
  { path: 'keys/rotate', kind: 'key-rotation', summary: 'Rotate the authentication and encryption keys' },
  {
    path: 'push-setup',
    kind: 'push-setup',
    summary: 'Write the push destination, windows and randomisation',
  },
];

const ACCEPTED_NOTE =
  'Answers 202 with the stored command (queued, or awaiting-approval); its outcome comes from the meter later (GET /commands/{id})';

interface CommandFields {
  reason: CommandRequest['reason'];
  priority?: CommandRequest['priority'];
  deadline?: string | number | null;
}

function requestOf(
  kind: CommandKind,
  meterId: number,
  parameters: Record<string, unknown>,
  b: CommandFields,
) {
  const deadline = instantOf(b.deadline);
  return defined({
    kind,
    meterId,
    parameters,
    reason: b.reason,
    priority: b.priority,
    deadline,
  }) as CommandRequest;
}

/** What the audit entry of an accepted request says: the command, its state now (not an outcome). */
function auditRequested(req: FastifyRequest, c: CommandRecord): void {
  req.audit.target = `command:${c.id}`;
  req.audit.detail = { kind: c.kind, meterId: c.meterId, reason: c.reason, state: c.state };
}

export function commandRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;

  const ask = async (req: FastifyRequest, request: CommandRequest) => {
    req.audit.target = `meter:${request.meterId}`;
    req.audit.detail = { kind: request.kind, reason: request.reason };
    const actor = await actorOf(ctx, req);
    const c = await callControl(ctx, (control) => control.requestCommand(request, actor));
    auditRequested(req, c);
    return presentCommand(c);
  };

  app.post(
    '/commands',
    {
      schema: {
        operationId: 'requestCommand',
        tags: ['control'],
        summary: 'Ask for one operation on one meter',
        description: ACCEPTED_NOTE,
        body: NewCommandBody,
        response: accepted(Command),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const parameters = parametersFor(b.kind, b.parameters);
      return reply.status(202).send(await ask(req, requestOf(b.kind, b.meterId, parameters, b)));
    },
  );

  for (const s of METER_SHORTCUTS) {
    app.post(
      `/meters/:id/${s.path}`,
      {
        schema: {
          operationId: `meter${s.kind
            .split('-')
            .map((w) => w[0]?.toUpperCase() + w.slice(1))
            .join('')}`,
          tags: ['control'],
          summary: s.summary,
          description: `A ${s.kind} command on this meter. ${ACCEPTED_NOTE}`,
          params: IdParams,
          body: shortcutBody(s.kind),
          response: accepted(Command),
        },
      },
      async (req, reply) => {
        const b = req.body as CommandFields & { parameters?: Record<string, unknown> };
        const parameters = normalizeInstants(b.parameters ?? {});
        return reply.status(202).send(await ask(req, requestOf(s.kind, req.params.id, parameters, b)));
      },
    );
  }

  app.get(
    '/commands',
    {
      schema: {
        operationId: 'listCommands',
        tags: ['control'],
        summary: 'List commands (filters, cursor paging by id)',
        querystring: CommandListQuery,
        response: replies(200, CommandPage),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.commands.list(
        defined({
          meterId: q.meterId,
          campaignId: q.campaignId,
          state: oneOrMany<CommandState>(q.state),
          kind: q.kind as CommandKind | undefined,
          requestedBy: q.requestedBy,
          order: q.order as 'asc' | 'desc' | undefined,
          limit: q.limit,
          cursor: q.cursor,
        }),
      );
      return { items: page.items.map(presentCommand), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/commands/:id',
    {
      schema: {
        operationId: 'getCommand',
        tags: ['control'],
        params: IdParams,
        response: replies(200, Command),
      },
    },
    async (req) => {
      const c = await store.commands.get(req.params.id);
      if (c === null) throw notFound(`command ${req.params.id}`);
      return presentCommand(c);
    },
  );

  app.post(
    '/commands/:id/approve',
    {
      schema: {
        operationId: 'approveCommand',
        tags: ['control'],
        summary: 'Approve a command awaiting approval (needs the approver right; not one’s own request)',
        params: IdParams,
        response: replies(200, Command),
      },
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `command:${id}`;
      const actor = await actorOf(ctx, req);
      const c = await callControl(ctx, (control) => control.approveCommand(id, actor));
      req.audit.detail = { state: c.state };
      return presentCommand(c);
    },
  );

  app.post(
    '/commands/:id/reject',
    {
      schema: {
        operationId: 'rejectCommand',
        tags: ['control'],
        summary: 'Reject a command awaiting approval (needs the approver right)',
        params: IdParams,
        body: NoteBody,
        response: replies(200, Command),
      },
      preValidation: emptyBodyAsObject,
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `command:${id}`;
      const note = req.body?.note;
      const actor = await actorOf(ctx, req);
      const c = await callControl(ctx, (control) => control.rejectCommand(id, actor, note));
      req.audit.detail = { state: c.state };
      return presentCommand(c);
    },
  );

  app.post(
    '/commands/:id/cancel',
    {
      schema: {
        operationId: 'cancelCommand',
        tags: ['control'],
        summary: 'Cancel a command not yet being sent',
        params: IdParams,
        response: replies(200, Command),
      },
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `command:${id}`;
      const actor = await actorOf(ctx, req);
      const c = await callControl(ctx, (control) => control.cancelCommand(id, actor));
      req.audit.detail = { state: c.state };
      return presentCommand(c);
    },
  );
}
