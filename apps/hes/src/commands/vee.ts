import { parseInstantText } from '@openhes/core';
import type { Command } from 'commander';
import type { Io } from '../io.ts';
import { meterDataOptions, positiveInt, type StoreOptions, withMeterData } from './bill.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `hes vee run`: validation and estimation on demand for a range. */
export function registerVeeCommands(program: Command, io: Io): void {
  const vee = program.command('vee').description('validation, estimation and editing of interval data');

  meterDataOptions(
    vee
      .command('run')
      .description(
        'run VEE over the local days holding interval ends in (from, to]: gaps found and estimated as new versions (raw data untouched), rules checked',
      )
      .requiredOption('--from <time>', 'ISO 8601 date-time with Z or an offset, or a date (00:00 UTC)')
      .requiredOption('--to <time>', 'ISO 8601 date-time with Z or an offset, or a date (00:00 UTC)')
      .option('--meter <id>', 'only this meter (repeatable; default every meter)', collect)
      .option('--concurrency <n>', 'meters run at once (default 1)'),
  ).action(async (o: StoreOptions & { from: string; to: string; meter?: string[]; concurrency?: string }) =>
    withMeterData(io, o, async (md) => {
      const from = parseInstantText('--from', o.from);
      const to = parseInstantText('--to', o.to);
      if (to <= from) throw new Error('--to must be after --from');
      const r = await md.vee.run({
        from,
        to,
        ...(o.meter === undefined ? {} : { meterIds: o.meter.map((m) => positiveInt('--meter', m)) }),
        ...(o.concurrency === undefined ? {} : { concurrency: positiveInt('--concurrency', o.concurrency) }),
      });
      if (o.json) {
        io.out(JSON.stringify(r, null, 2));
        return;
      }
      io.out(
        `meters ${r.meters} channels ${r.channels} | intervals ${r.slots} values ${r.values} gaps ${r.gaps} estimated ${r.estimated} late-real ${r.lateReal}`,
      );
      io.out(`exceptions opened ${r.exceptionsOpened} cleared ${r.exceptionsCleared}`);
      const rules = Object.entries(r.byRule).sort(([a], [b]) => a.localeCompare(b));
      if (rules.length > 0) io.out(`findings: ${rules.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }),
  );
}
