import { createCollector, READ_KINDS, type ReadKind, readMeterNow } from '@openhes/acquisition';
import type { Command } from 'commander';
import { ExitCode, type Io } from '../io.ts';
import { type DataOptions, dataOptions, type HesContext, openContext } from './meters.ts';

interface ReadMeterOptions extends DataOptions {
  reads: string;
  timeout: string;
  json?: boolean;
}

export function registerReadMeterCommand(program: Command, io: Io): void {
  dataOptions(
    program
      .command('read-meter')
      .description('read one registered meter now and store what it returned')
      .argument('<id>', 'meter id (or serial)')
      .option('--reads <list>', `comma-separated: ${READ_KINDS.join(', ')}`, 'registers,instantaneous')
      .option('--timeout <ms>', 'connect and response timeout', '10000')
      .option('--json', 'print the result as JSON'),
  ).action(async (id: string, o: ReadMeterOptions) => {
    const reads = o.reads.split(',').map((s) => s.trim()) as ReadKind[];
    const bad = reads.filter((r) => !READ_KINDS.includes(r));
    if (bad.length > 0) {
      io.err(`hes: unknown read ${bad.join(', ')}; use ${READ_KINDS.join(', ')}`);
      throw new ExitCode(2);
    }
    const ms = Number(o.timeout);
    let ctx: HesContext | undefined;
    try {
      ctx = await openContext(o, { connectMs: ms, responseMs: ms });
      const meter = /^\d+$/.test(id)
        ? await ctx.store.meters.get(Number(id))
        : await ctx.store.meters.getBySerial(id);
      if (meter === null) {
        io.err(`hes: no meter ${id}`);
        throw new ExitCode(1);
      }
      const collector = createCollector(ctx.store, ctx.access, { collector: { maxAttempts: 1 } });
      const r = await readMeterNow(collector, meter.id, reads);
      const latest = r.status === 'success' ? await ctx.store.readings.latestForMeter(meter.id) : [];
      const channels = new Map((await ctx.store.channels.forMeter(meter.id)).map((c) => [c.id, c]));
      const values = latest
        .map((v) => ({ channel: channels.get(v.channelId), ts: v.ts, value: v.value }))
        .filter(
          (v) =>
            v.channel !== undefined && (v.channel.kind === 'register' || v.channel.kind === 'instantaneous'),
        );
      if (o.json) {
        io.out(
          JSON.stringify(
            {
              meter: { id: meter.id, serial: meter.serial },
              status: r.status,
              errorCode: r.errorCode,
              attempts: r.attempts,
              durationMs: r.durationMs,
              readingsStored: r.readingsStored,
              values: values.map((v) => ({
                obis: v.channel!.obis,
                value: v.value,
                unit: v.channel!.unit,
                ts: new Date(v.ts).toISOString(),
              })),
            },
            null,
            2,
          ),
        );
      } else {
        io.out(
          `meter ${meter.id} ${meter.serial}: ${r.status}${r.errorCode ? ` (${r.errorCode})` : ''} in ${r.durationMs} ms, ${r.readingsStored} readings stored`,
        );
        for (const v of values)
          io.out(`  ${v.channel!.obis.padEnd(18)} ${String(v.value).padStart(14)} ${v.channel!.unit}`);
      }
      if (r.status !== 'success') throw new ExitCode(1);
    } catch (e) {
      if (e instanceof ExitCode) throw e;
      const code = (e as { code?: unknown }).code;
      io.err(
        `hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code})` : ''}`,
      );
      throw new ExitCode(1);
    } finally {
      await ctx?.store.close();
    }
  });
}
