import { AccountState, type LedgerEntry, type PrepaymentAccount } from '@openhes/core';
import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { instant, iso, isoOrNull } from '../../presenters/time.ts';
import { IdParams, replies } from '../common/schema.ts';
import { actorOf, callPort, defined, portOf } from '../vee/port.ts';
import {
  AccountListQuery,
  AccountPage,
  AccountSchema,
  AdjustmentBody,
  LedgerPage,
  LedgerQuery,
  NewAccountBody,
  PostReply,
  TopUpBody,
} from './schema.ts';

export function presentAccount(a: PrepaymentAccount) {
  return {
    ...a,
    reconnectPending: a.state === AccountState.reconnectPending,
    disconnectPending: a.state === AccountState.disconnectPending,
    pending:
      a.pending === null
        ? null
        : { ...a.pending, requestedAt: iso(a.pending.requestedAt), retryAt: isoOrNull(a.pending.retryAt) },
    heldUntil: isoOrNull(a.heldUntil),
    settings: a.settings as unknown as Record<string, unknown>,
    lastTopUpAt: isoOrNull(a.lastTopUpAt),
    chargedThrough: iso(a.chargedThrough),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

export function presentEntry(e: LedgerEntry) {
  return { ...e, at: iso(e.at) };
}

/**
 * Prepayment (issue 14): accounts, top-ups idempotent by payment reference (a repeat answers
 * the original result with `duplicate`), the append-only ledger, adjustments with a reason, and
 * the account's supply state including a pending reconnect. Without the service: 503
 * PREPAYMENT_UNAVAILABLE.
 */
export function prepaymentRoutes(app: Api, ctx: ApiContext): void {
  const prepayment = () => portOf(ctx, 'prepayment');

  app.get(
    '/prepayment/accounts',
    {
      schema: {
        operationId: 'prepaymentAccounts',
        tags: ['prepayment'],
        summary: 'Prepayment accounts with balance and supply state',
        querystring: AccountListQuery,
        response: replies(200, AccountPage),
      },
    },
    async (req) => {
      const q = req.query;
      const port = prepayment();
      const page = await callPort(() =>
        port.accounts(
          defined({ state: q.state, meterId: q.meterId, limit: q.limit ?? 500, cursor: q.cursor }),
        ),
      );
      return { items: page.items.map(presentAccount), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/prepayment/accounts',
    {
      schema: {
        operationId: 'prepaymentAccountOpen',
        tags: ['prepayment'],
        summary: 'Open a prepayment account for a meter (one open account per meter: a second is 409)',
        body: NewAccountBody,
        response: replies(201, AccountSchema),
      },
    },
    async (req, reply) => {
      const b = req.body;
      req.audit.target = `meter:${b.meterId}`;
      const port = prepayment();
      const account = await callPort(() =>
        port.openAccount(
          {
            meterId: b.meterId,
            currency: b.currency,
            minorDigits: b.minorDigits ?? 2,
            ...(b.chargeFrom === undefined ? {} : { chargeFrom: instant(b.chargeFrom, 'body/chargeFrom') }),
            ...(b.settings === undefined ? {} : { settings: b.settings }),
          },
          actorOf(req),
        ),
      );
      req.audit.target = `prepayment-account:${account.id}`;
      req.audit.detail = { meterId: account.meterId, currency: account.currency };
      return reply.status(201).send(presentAccount(account));
    },
  );

  app.get(
    '/prepayment/accounts/:id',
    {
      schema: {
        operationId: 'prepaymentAccount',
        tags: ['prepayment'],
        summary: 'One account: balance, state, a pending connect or disconnect command, held disconnection',
        params: IdParams,
        response: replies(200, AccountSchema),
      },
    },
    async (req) => {
      const port = prepayment();
      return presentAccount(await callPort(() => port.account(req.params.id)));
    },
  );

  app.post(
    '/prepayment/accounts/:id/top-ups',
    {
      schema: {
        operationId: 'prepaymentTopUp',
        tags: ['prepayment'],
        summary:
          'Credit a payment (201); the same reference again credits nothing and answers the original top-up (200, duplicate true)',
        description:
          'The same reference with another account or amount is 409. A top-up that makes the balance positive on a disconnected account starts the reconnection (state reconnect-pending until the meter confirms).',
        params: IdParams,
        body: TopUpBody,
        response: { 201: PostReply, ...replies(200, PostReply) },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      req.audit.target = `prepayment-account:${id}`;
      req.audit.detail = { amount: b.amount, reference: b.reference };
      const port = prepayment();
      const r = await callPort(() =>
        port.topUp(
          defined({ accountId: id, amount: b.amount, reference: b.reference, note: b.note }),
          actorOf(req),
        ),
      );
      req.audit.detail = {
        ...req.audit.detail,
        entryId: r.entry.id,
        duplicate: r.duplicate,
        balance: r.account.balance,
      };
      return reply
        .status(r.duplicate ? 200 : 201)
        .send({ entry: presentEntry(r.entry), account: presentAccount(r.account), duplicate: r.duplicate });
    },
  );

  app.post(
    '/prepayment/accounts/:id/adjustments',
    {
      schema: {
        operationId: 'prepaymentAdjust',
        tags: ['prepayment'],
        summary: 'A correction with a reason (either sign; a reversed top-up is a negative adjustment)',
        params: IdParams,
        body: AdjustmentBody,
        response: replies(201, PostReply),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      req.audit.target = `prepayment-account:${id}`;
      req.audit.detail = { amount: b.amount, reason: b.reason };
      if (b.amount === 0) {
        throw new ApiError(400, ApiErrorCode.ValidationFailed, 'body/amount must not be 0', {
          field: 'amount',
          errors: [{ field: 'body/amount', message: 'must not be 0' }],
        });
      }
      if (b.reason.trim() === '') {
        throw new ApiError(400, ApiErrorCode.ValidationFailed, 'body/reason must not be blank', {
          field: 'reason',
          errors: [{ field: 'body/reason', message: 'must not be blank' }],
        });
      }
      const port = prepayment();
      const r = await callPort(() =>
        port.adjust({ accountId: id, amount: b.amount, reason: b.reason }, actorOf(req)),
      );
      req.audit.detail = { ...req.audit.detail, entryId: r.entry.id, balance: r.account.balance };
      return reply
        .status(201)
        .send({ entry: presentEntry(r.entry), account: presentAccount(r.account), duplicate: r.duplicate });
    },
  );

  app.get(
    '/prepayment/accounts/:id/ledger',
    {
      schema: {
        operationId: 'prepaymentLedger',
        tags: ['prepayment'],
        summary:
          'The account’s ledger (charges, top-ups, adjustments, emergency credit) with the running balance',
        params: IdParams,
        querystring: LedgerQuery,
        response: replies(200, LedgerPage),
      },
    },
    async (req) => {
      const q = req.query;
      const port = prepayment();
      const page = await callPort(() =>
        port.ledger(
          defined({
            accountId: req.params.id,
            kind: q.kind,
            order: q.order,
            limit: q.limit ?? 500,
            cursor: q.cursor,
          }),
        ),
      );
      return { items: page.items.map(presentEntry), nextCursor: page.nextCursor };
    },
  );
}
