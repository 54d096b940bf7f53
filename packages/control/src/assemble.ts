import type { CampaignThrottle, Clock, CommandKind, EventBus, Meter, SecretVault } from '@openhes/core';
import type { DriverProfile } from '@openhes/drivers';
import { profileCapabilities } from './kinds.ts';
import type { Operation } from './operation.ts';
import type { OperationOptions } from './operations/index.ts';
import type { MeterSessions, TwinProvider } from './ports.ts';
import { RelayWatch, type RelayWatchOptions } from './relay-watch.ts';
import { CommandRunner, type RunnerOptions, type RunnerStore } from './runner.ts';
import { ControlService, type ControlServiceOptions } from './service.ts';

/** What meter control needs from the process (wired once, in the app's composition root). */
export interface ControlDeps {
  store: RunnerStore;
  vault: SecretVault;
  /** Sessions on real meters through the collectors (acquisition's `commandSessions(collector)`). */
  sessions: MeterSessions;
  /** Twins for dry-run campaigns; without it a dry run's commands fail CONTROL_UNSUPPORTED. */
  twins?: TwinProvider;
  /** With a bus, relay changes nobody ordered become events of the head end's own (RelayWatch). */
  bus?: EventBus;
  /** What a meter can do (see `profileCapabilities`); undefined: not knowable. Default: from `profiles`. */
  capabilitiesOf?: (meter: Meter) => ReadonlySet<string> | undefined;
  /**
   * The loaded device profiles by id (drivers' loadDriverProfiles): with them, what a meter can
   * do and the operations' per-meter options default from its model (see profileOperationOptions).
   */
  profiles?: ReadonlyMap<string, DriverProfile>;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface ControlOptions extends ControlServiceOptions {
  runner?: RunnerOptions;
  relay?: RelayWatchOptions;
  /** Defaults of campaign throttles and the budget of single commands (CampaignThrottle defaults). */
  throttle?: CampaignThrottle;
  /**
   * createOperations' options (createControl only): firmware timings, the capture period and
   * counter reset per meter, new key material. Unset per-meter ones come from `profiles`.
   */
  operationOptions?: OperationOptions;
}

export interface Control {
  /** What the API and CLI call. */
  service: ControlService;
  runner: CommandRunner;
  relays: RelayWatch;
  /** Resumes commands a crash left sending, starts polling, and subscribes the relay watch to the bus. */
  start(): Promise<{ resumed: number }>;
  /** Unsubscribes, stops polling, lets in-flight sessions finish (bounded). */
  stop(): Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** createControl with the operations given (tests pass fakes; createControl passes OPERATIONS). */
export function assembleControl(
  deps: ControlDeps & { operations: Readonly<Record<CommandKind, Operation>> },
  options: ControlOptions = {},
): Control {
  const clock = deps.clock ?? { now: () => Date.now() };
  const runner = new CommandRunner(
    {
      store: deps.store,
      vault: deps.vault,
      sessions: deps.sessions,
      ...(deps.twins === undefined ? {} : { twins: deps.twins }),
      operations: deps.operations,
      clock,
      sleep: deps.sleep ?? realSleep,
      random: deps.random ?? Math.random,
    },
    { ...(options.throttle === undefined ? {} : { throttle: options.throttle }), ...options.runner },
  );
  const capabilitiesOf =
    deps.capabilitiesOf ?? (deps.profiles === undefined ? undefined : profileCapabilities(deps.profiles));
  const service = new ControlService(
    {
      store: deps.store,
      clock,
      ...(capabilitiesOf === undefined ? {} : { capabilitiesOf }),
      onWork: () => runner.wake(),
    },
    options,
  );
  const relays = new RelayWatch(deps.store, options.relay);
  return {
    service,
    runner,
    relays,
    async start() {
      if (deps.bus !== undefined) await relays.start(deps.bus);
      return { resumed: await runner.start() };
    },
    async stop() {
      await relays.stop();
      await runner.stop();
    },
  };
}
