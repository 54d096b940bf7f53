import {
  meterRatingLookup,
  type PushListener,
  StorePushDirectory,
  startPushListener,
} from '@openhes/acquisition';
import { ReadingIngestService } from '@openhes/core';
import type { RunningService, ServiceContext } from './context.ts';

export interface RunningPush extends RunningService {
  listener: PushListener;
  directory: StorePushDirectory;
}

/**
 * The push service: TCP and UDP listeners for meter-initiated notifications. Senders are
 * looked up in the store through a cache dropped whenever a meter change is announced on the
 * bus (imports, API updates, the demo), so a meter registered while the head end runs is
 * known at its first push; changes made by other processes are found on the next miss.
 */
export async function startPush(ctx: ServiceContext): Promise<RunningPush | undefined> {
  const { wired, io, options } = ctx;
  if (options.pushPort === undefined) return undefined;
  const directory = new StorePushDirectory(wired.store.meters, wired.access);
  const sub = await wired.bus.subscribe('meter.changed', () => directory.invalidate());
  const listener = await startPushListener(
    {
      host: options.pushHost,
      tcpPort: options.pushPort,
      udpPort: options.pushPort,
      // Floods of connections are refused within these limits and told once per reason per interval.
      limits: wired.pushLimits,
      sockets: wired.sockets,
      log: (line) => io.err(line),
    },
    {
      directory,
      // Pushed values beyond the meter's rating are flagged; differing ones kept as conflicts.
      ingest: new ReadingIngestService(wired.store.channels, wired.store.readings, undefined, {
        ratingOf: meterRatingLookup(wired.store.meters, wired.access),
      }),
      events: wired.store.events,
      counters: wired.store.counters,
      liveReceived: (meterId) => wired.access.receivedInSession(meterId),
      ...(options.printAlarms
        ? {
            onAlarm: (meterId, events) =>
              io.err(
                `alarm meter ${meterId}: ${events.map((e) => e.description ?? `${e.log}/${e.code}`).join(', ')}`,
              ),
          }
        : {}),
      // Refused pushes: each counted by reason, the first of a reason and sender per minute
      // logged, all of them audited and summed up once per reason, sender and minute.
      onError: (e, from) => io.err(`push from ${from} dropped: ${e.message}`),
      onRefused: (reason) => wired.metrics.metrics.pushRefused(reason),
      audit: wired.store.audit,
      log: (line) => io.err(line),
      now: Date.now,
    },
  );
  return {
    listener,
    directory,
    async stop() {
      await sub.unsubscribe();
      await listener.close();
    },
  };
}
