import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { passwordResetAudit, resetPassword } from '@openhes/api';
import type { Store } from '@openhes/core';
import { openStore } from '@openhes/storage';
import type { Command } from 'commander';
import { ExitCode, type Io } from '../io.ts';

interface StoreOptions {
  data: string;
  pg?: string;
  pgSchema?: string;
}

function failure(io: Io, e: unknown): never {
  const code = (e as { code?: unknown }).code;
  io.err(`hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code})` : ''}`);
  throw new ExitCode(1);
}

function cliUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * The existing store of a data directory (or PostgreSQL). Never creates one: recovering an
 * account in a directory that holds no store would only hide a wrong path.
 */
async function openExistingStore(o: StoreOptions): Promise<Store> {
  if (o.pg !== undefined) {
    const schema = o.pgSchema ?? process.env.HES_PG_SCHEMA;
    return openStore({ kind: 'postgres', url: o.pg, ...(schema === undefined ? {} : { schema }) });
  }
  const path = join(resolve(o.data), 'hes.db');
  if (!existsSync(path))
    throw Object.assign(
      new Error(`no head-end store at ${path} (is --data the head end's data directory?)`),
      {
        code: 'HES_NO_STORE',
      },
    );
  return openStore({ kind: 'sqlite', path });
}

function storeOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <dir>', 'data directory of the head end (its SQLite store)')
    .option('--pg <url>', 'PostgreSQL URL instead of the SQLite file')
    .option('--pg-schema <name>', 'PostgreSQL schema (HES_PG_SCHEMA; default public)');
}

async function withStore(io: Io, o: StoreOptions, fn: (store: Store) => Promise<void>): Promise<void> {
  let store: Store | undefined;
  try {
    store = await openExistingStore(o);
    await fn(store);
  } catch (e) {
    if (e instanceof ExitCode) throw e;
    failure(io, e);
  } finally {
    await store?.close();
  }
}

/**
 * `hes users`: local account administration for whoever can read the data directory (or
 * reach the PostgreSQL store): the recovery path when no admin can log in.
 */
export function registerUsersCommands(program: Command, io: Io): void {
  const users = program.command('users').description('API users: list them, recover a password locally');

  storeOptions(users.command('list').description('list the API users, their role and rights')).action(
    async (o: StoreOptions) =>
      withStore(io, o, async (store) => {
        let cursor: string | null = null;
        io.out('id\tname\trole\tapprover\tdisabled\tpassword');
        do {
          const page = await store.users.list({ limit: 500, ...(cursor === null ? {} : { cursor }) });
          for (const u of page.items)
            io.out(
              `${u.id}\t${u.name}\t${u.role}\t${u.approver ? 'yes' : 'no'}\t${u.disabled ? 'yes' : 'no'}\t${u.passwordHash === null ? 'none' : 'set'}`,
            );
          cursor = page.nextCursor;
        } while (cursor !== null);
      }),
  );

  storeOptions(
    users
      .command('reset-password')
      .description(
        "set a new one-time password for a user and print it (local recovery, e.g. a lost admin password); ends the user's login sessions; audited as cli",
      )
      .argument('<name>', 'user name, e.g. admin')
      .option('--actor <name>', 'who asks, for the audit log (default: cli:<login name>)'),
  ).action(async (name: string, o: StoreOptions & { actor?: string }) =>
    withStore(io, o, async (store) => {
      const user = await store.users.getByName(name);
      if (user === null)
        throw Object.assign(new Error(`no user ${name} (hes users list --data ${o.data} names them)`), {
          code: 'HES_UNKNOWN_USER',
        });
      const r = await resetPassword(store, user.id);
      await store.audit.append(passwordResetAudit(o.actor ?? `cli:${cliUser()}`, user, r, 'cli'));
      if (user.disabled)
        io.err(`hes: note: user ${name} is disabled; an admin re-enables it (PATCH /users/${user.id})`);
      io.out(`one-time password for ${name}: ${r.generated}`);
      io.out('log in with it and change it (POST /auth/password); it is shown only now');
    }),
  );
}
