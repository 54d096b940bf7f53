import type { AuditEntry, NewAuditEntry } from './domain/audit.ts';
import type { Channel, ChannelDef } from './domain/channel.ts';
import type { CollectionOutcome, CollectionStatus } from './domain/collection.ts';
import type { Command, CommandKind, CommandState, NewCommand } from './domain/command.ts';
import type { EventCategory, MeterEvent, NewMeterEvent } from './domain/event.ts';
import type { Meter, MeterPatch, MeterStatus, NewMeter } from './domain/meter.ts';
import type {
  AggregateFn,
  AggregatePoint,
  Bucket,
  CompletenessRow,
  IngestResult,
  MeterAggregatePoint,
  Reading,
  ReadingBatch,
} from './domain/reading.ts';
import type {
  ApiToken,
  CounterKey,
  NewApiToken,
  NewUser,
  NewWrappedKey,
  User,
  WrappedKey,
} from './domain/security.ts';
import type { Hierarchy, NewTopologyNode, TopologyNode } from './domain/topology.ts';
import type { Instant, Page, PageRequest, TimeRange } from './paging.ts';

export interface MeterQuery extends PageRequest {
  status?: MeterStatus;
  /** Meters attached anywhere below this topology node (network or site). */
  underNode?: number;
}

export interface MeterStore {
  create(meter: NewMeter): Promise<Meter>;
  get(id: number): Promise<Meter | null>;
  getBySerial(serial: string): Promise<Meter | null>;
  update(id: number, patch: MeterPatch): Promise<Meter>;
  /** Enforces the lifecycle; fails when the transition is not allowed. */
  setStatus(id: number, status: MeterStatus): Promise<Meter>;
  list(query: MeterQuery): Promise<Page<Meter>>;
}

export interface TopologyStore {
  createNode(node: NewTopologyNode): Promise<TopologyNode>;
  getNode(id: number): Promise<TopologyNode | null>;
  children(parentId: number | null, hierarchy: Hierarchy, page: PageRequest): Promise<Page<TopologyNode>>;
  /** Ids of meters attached to the node or any node below it, ascending. */
  meterIdsUnder(nodeId: number): Promise<number[]>;
}

export interface ChannelStore {
  /** Returns the channel for (meter, obis, attribute, kind), creating it on first use. */
  ensure(meterId: number, def: ChannelDef): Promise<Channel>;
  /**
   * The channels for several definitions of one meter, created where missing, in one
   * transaction; returned in the order of `defs`.
   */
  ensureMany(meterId: number, defs: readonly ChannelDef[]): Promise<Channel[]>;
  get(id: number): Promise<Channel | null>;
  forMeter(meterId: number): Promise<Channel[]>;
}

/** Readings with from <= ts < to. */
export interface SeriesQuery extends TimeRange, PageRequest {
  channelId: number;
  /** `latest` (default) returns the newest version per instant; `all` every version. */
  versions?: 'latest' | 'all';
}

/**
 * Buckets starting in [from, to). Readings are stamped with the interval end, so a bucket
 * holds from < ts <= end (see `bucketStart`); buckets are UTC.
 */
export interface AggregateQuery extends TimeRange {
  channelId: number;
  bucket: Bucket;
  fn: AggregateFn;
}

/** Aggregate one channel (by OBIS/attribute) across many meters. */
export interface GroupAggregateQuery extends TimeRange, PageRequest {
  meterIds: readonly number[];
  obis: string;
  attribute: number;
  bucket: Bucket;
  fn: AggregateFn;
}

export interface CompletenessQuery extends PageRequest {
  meterIds: readonly number[];
  /** UTC day starts, [fromDay, toDay). */
  fromDay: Instant;
  toDay: Instant;
}

export interface ReadingStore {
  /** Atomic: either every reading of the batch is stored or none. */
  ingest(batch: ReadingBatch): Promise<IngestResult>;
  isBatchStored(batchId: string): Promise<boolean>;
  series(query: SeriesQuery): Promise<Page<Reading>>;
  /** Every version stored for one instant, oldest first. */
  history(channelId: number, ts: Instant): Promise<Reading[]>;
  aggregate(query: AggregateQuery): Promise<AggregatePoint[]>;
  aggregateGroup(query: GroupAggregateQuery): Promise<Page<MeterAggregatePoint>>;
  /** Newest instant's newest version for each channel of the meter. */
  latestForMeter(meterId: number): Promise<Reading[]>;
  completeness(query: CompletenessQuery): Promise<Page<CompletenessRow>>;
}

export interface EventQuery extends PageRequest {
  meterId?: number;
  from?: Instant;
  to?: Instant;
  category?: EventCategory;
}

export interface EventStore {
  /** Events are keyed by (meter, log, ts, code): appending one already stored is a no-op. */
  append(events: readonly NewMeterEvent[]): Promise<{ inserted: number; duplicates: number }>;
  list(query: EventQuery): Promise<Page<MeterEvent>>;
}

export interface CollectionQuery extends PageRequest {
  meterId?: number;
  taskId?: string;
  status?: CollectionStatus;
  from?: Instant;
  to?: Instant;
}

export interface CollectionStore {
  record(outcome: CollectionOutcome): Promise<void>;
  list(query: CollectionQuery): Promise<Page<CollectionOutcome>>;
}

export interface CommandQuery extends PageRequest {
  meterId?: number;
  state?: CommandState;
  kind?: CommandKind;
}

export interface CommandStore {
  create(command: NewCommand): Promise<Command>;
  get(id: number): Promise<Command | null>;
  /** Compare-and-set: fails unless the command is in `from` and the move is allowed. */
  transition(
    id: number,
    from: CommandState,
    to: CommandState,
    by: string,
    detail?: Record<string, unknown> | null,
  ): Promise<Command>;
  list(query: CommandQuery): Promise<Page<Command>>;
}

export interface AuditQuery extends PageRequest {
  actor?: string;
  target?: string;
  from?: Instant;
  to?: Instant;
}

export interface AuditStore {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
}

export interface UserStore {
  create(user: NewUser): Promise<User>;
  get(id: number): Promise<User | null>;
  getByName(name: string): Promise<User | null>;
  setDisabled(id: number, disabled: boolean): Promise<User>;
  list(page: PageRequest): Promise<Page<User>>;
}

export interface ApiTokenStore {
  create(token: NewApiToken): Promise<ApiToken>;
  findByHash(tokenHash: string): Promise<ApiToken | null>;
  revoke(id: number): Promise<void>;
  forUser(userId: number, page: PageRequest): Promise<Page<ApiToken>>;
}

export interface KeyStore {
  /** Stores a new version of the meter's key for that purpose; older versions are kept. */
  put(key: NewWrappedKey): Promise<WrappedKey>;
  current(meterId: number, purpose: WrappedKey['purpose']): Promise<WrappedKey | null>;
  versions(meterId: number, purpose: WrappedKey['purpose']): Promise<WrappedKey[]>;
}

export interface InvocationCounterStore {
  /**
   * Reserves `count` tx counter values durably and returns the first; values handed out are
   * never handed out again, even after a crash.
   */
  reserve(key: CounterKey, count: number): Promise<number>;
  /** Accepts an rx counter only if greater than every one accepted before (replay guard). */
  accept(key: CounterKey, value: number): Promise<boolean>;
  current(key: CounterKey): Promise<number | null>;
}

export interface RetentionPolicy {
  /** Keep at least this many days of each kind; whole periods older are dropped. */
  readingsDays?: number;
  eventsDays?: number;
  collectionDays?: number;
  auditDays?: number;
}

export interface RetentionResult {
  droppedPeriods: string[];
}

export interface MaintenancePort {
  /** Creates the storage periods (partitions or tables) covering [now, now + ahead). */
  ensurePeriods(range: TimeRange): Promise<string[]>;
  applyRetention(policy: RetentionPolicy, now: Instant): Promise<RetentionResult>;
}

export interface Clock {
  now(): Instant;
}

export interface Store {
  readonly meters: MeterStore;
  readonly topology: TopologyStore;
  readonly channels: ChannelStore;
  readonly readings: ReadingStore;
  readonly events: EventStore;
  readonly collection: CollectionStore;
  readonly commands: CommandStore;
  readonly audit: AuditStore;
  readonly users: UserStore;
  readonly tokens: ApiTokenStore;
  readonly keys: KeyStore;
  readonly counters: InvocationCounterStore;
  readonly maintenance: MaintenancePort;
  close(): Promise<void>;
}
