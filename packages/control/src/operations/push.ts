import type { PushSetupParameters } from '@openhes/core';
import type { PushConfiguration, PushSettings } from '@openhes/drivers';
import type { Operation } from '../operation.ts';
import { parseWindowTime } from '../validate.ts';
import { localDateTime } from './clock.ts';
import {
  type CosemDateTime,
  inSession,
  need,
  notConfirmed,
  parametersOf,
  sameWallTime,
  unsupported,
} from './support.ts';

type PushSetup = Awaited<ReturnType<PushConfiguration['readPushSetup']>>;

/** A window bound: with an offset an instant, without one the meter's local wall time. */
function windowBound(text: string, field: string): number | CosemDateTime {
  const t = parseWindowTime(field, text);
  return t.zoned ? t.at : localDateTime(text, field);
}

export function pushSettings(p: PushSetupParameters): PushSettings {
  return {
    ...(p.destination !== undefined ? { destination: p.destination } : {}),
    ...(p.windows !== undefined
      ? {
          communicationWindow: p.windows.map((w, i) => ({
            start: windowBound(w.start, `windows[${i}].start`),
            end: windowBound(w.end, `windows[${i}].end`),
          })),
        }
      : {}),
    ...(p.randomisationSeconds !== undefined ? { randomisationStartInterval: p.randomisationSeconds } : {}),
    ...(p.retries !== undefined ? { numberOfRetries: p.retries } : {}),
    ...(p.repetitionDelaySeconds !== undefined ? { repetitionDelay: p.repetitionDelaySeconds } : {}),
  };
}

function differences(p: PushSetupParameters, settings: PushSettings, s: PushSetup): string[] {
  const wrong: string[] = [];
  if (p.destination !== undefined && s.sendDestinationAndMethod.destinationText !== p.destination)
    wrong.push('destination');
  if (settings.communicationWindow !== undefined) {
    const asked = settings.communicationWindow;
    const same =
      asked.length === s.communicationWindow.length &&
      asked.every((w, i) => {
        const g = s.communicationWindow[i];
        // Instants are converted by the driver to the meter's zone: compared by count only.
        return (
          g !== undefined &&
          (typeof w.start === 'number' || sameWallTime(w.start, g.start)) &&
          (typeof w.end === 'number' || sameWallTime(w.end, g.end))
        );
      });
    if (!same) wrong.push('windows');
  }
  if (p.randomisationSeconds !== undefined && s.randomisationStartInterval !== p.randomisationSeconds)
    wrong.push('randomisationSeconds');
  if (p.retries !== undefined && s.numberOfRetries !== p.retries) wrong.push('retries');
  if (p.repetitionDelaySeconds !== undefined) {
    const d = s.repetitionDelay;
    const seconds = d.kind === 'fixed' ? d.seconds : d.min;
    if (seconds !== p.repetitionDelaySeconds) wrong.push('repetitionDelaySeconds');
  }
  return wrong;
}

/** Push setup attributes written (3 → 7), read back, compared. */
export const pushSetup: Operation = async (ctx) => {
  const p = parametersOf<PushSetupParameters>(ctx.command);
  const settings = pushSettings(p);
  return inSession(ctx, async (driver) => {
    const push = need(driver.push, ctx.meter.id, 'no push setup');
    if (p.pushObis !== undefined && !push.objects.includes(p.pushObis))
      throw unsupported(`meter ${ctx.meter.id}: the model has no push setup ${p.pushObis}`, {
        field: 'pushObis',
        objects: [...push.objects],
      });
    const s = await push.setPushSetup(settings, p.pushObis);
    const wrong = differences(p, settings, s);
    if (wrong.length > 0)
      throw notConfirmed(`meter ${ctx.meter.id}: ${wrong.join(', ')} read back differently`, {
        fields: wrong,
      });
    return {
      result: {
        pushObis: p.pushObis ?? push.objects[0] ?? null,
        destination: s.sendDestinationAndMethod.destinationText,
        windows: s.communicationWindow.length,
        randomisationSeconds: s.randomisationStartInterval,
        retries: s.numberOfRetries,
      },
    };
  });
};
