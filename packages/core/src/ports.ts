import type { AuditEntry, NewAuditEntry } from './domain/audit.ts';
import type { BusMessage, NewOutboxMessage, OutboxEntry } from './domain/bus.ts';
import type { Channel, ChannelDef } from './domain/channel.ts';
import type { CollectionOutcome, CollectionStatus } from './domain/collection.ts';
import type {
  Campaign,
  CampaignProgress,
  CampaignState,
  CampaignTarget,
  CampaignThrottle,
  Command,
  CommandKind,
  CommandPatch,
  CommandPriority,
  CommandReason,
  CommandState,
  FirmwareImage,
  NewCampaign,
  NewCommand,
  NewFirmwareImage,
} from './domain/command.ts';
import type { EventCategory, MeterEvent, NewMeterEvent } from './domain/event.ts';
import type { MeterHealth, MeterHealthUpdate } from './domain/health.ts';
import type { KeyPurpose, Meter, MeterPatch, MeterStatus, NewMeter } from './domain/meter.ts';
import type { NewReadingPlan, ReadingPlan } from './domain/plan.ts';
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
  Role,
  User,
  WrappedKey,
} from './domain/security.ts';
import type { Hierarchy, NewTopologyNode, TopologyNode } from './domain/topology.ts';
import type { Instant, Page, PageRequest, TimeRange } from './paging.ts';

/**
 * Meter list filters, all applied by the store (every given filter must match). A page is
 * empty only when no matching meter is left.
 */
export interface MeterQuery extends PageRequest {
  status?: MeterStatus;
  /** Meters attached anywhere below this topology node (network or site). */
  underNode?: number;
  serial?: string;
  manufacturer?: string;
  model?: string;
  protocol?: string;
  deviceProfile?: string;
  customerClass?: string;
  /** Case-insensitive substring of the serial. */
  search?: string;
  firmwareVersion?: string;
  tag?: string;
  segment?: string;
}

export interface MeterStore {
  create(meter: NewMeter): Promise<Meter>;
  get(id: number): Promise<Meter | null>;
  getBySerial(serial: string): Promise<Meter | null>;
  update(id: number, patch: MeterPatch): Promise<Meter>;
  /** Enforces the lifecycle; fails when the transition is not allowed. */
  setStatus(id: number, status: MeterStatus): Promise<Meter>;
  list(query: MeterQuery): Promise<Page<Meter>>;
  /** Ids (ascending) of the meters a campaign target selects, decommissioned ones excluded. */
  select(target: CampaignTarget): Promise<number[]>;
  /**
   * Deletes a meter that never delivered data (no channels/readings, events, collection
   * outcomes or commands), with its keys, counters and health; a conflict names what it has.
   */
  remove(id: number): Promise<void>;
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

/** Order of a time-ordered list: `asc` oldest first (default), `desc` newest first. */
export type ListOrder = 'asc' | 'desc';

export interface EventQuery extends PageRequest {
  meterId?: number;
  from?: Instant;
  to?: Instant;
  category?: EventCategory;
  /** By ts then id; a cursor continues in the order it was issued for. */
  order?: ListOrder;
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
  /** By startedAt then id; a cursor continues in the order it was issued for. */
  order?: ListOrder;
}

export interface CollectionStore {
  record(outcome: CollectionOutcome): Promise<void>;
  list(query: CollectionQuery): Promise<Page<CollectionOutcome>>;
}

export interface CommandQuery extends PageRequest {
  meterId?: number;
  campaignId?: number;
  /** One state or any of several. */
  state?: CommandState | readonly CommandState[];
  kind?: CommandKind;
  requestedBy?: string;
  /** By id: `asc` (default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
}

export interface CommandStore {
  create(command: NewCommand): Promise<Command>;
  /** A campaign's commands in one transaction; returns how many were created. */
  createMany(commands: readonly NewCommand[]): Promise<number>;
  get(id: number): Promise<Command | null>;
  /**
   * Compare-and-set: fails (conflict) unless the command is in `from` and the move is
   * allowed; `patch` fields are written in the same statement; the history gains an entry.
   */
  transition(
    id: number,
    from: CommandState,
    to: CommandState,
    by: string,
    patch?: CommandPatch & { detail?: Record<string, unknown> | null },
  ): Promise<Command>;
  /** Writes `patch` without a state change, only while the command is still in `state` (CAS). */
  update(id: number, state: CommandState, patch: CommandPatch): Promise<Command>;
  list(query: CommandQuery): Promise<Page<Command>>;
  /**
   * Unfinished commands (queued or sending) whose campaign (if any) is running, urgent first
   * then oldest, at most `limit`, skipping ids in `exclude`: what a runner picks up.
   */
  due(limit: number, exclude?: ReadonlySet<number>): Promise<Command[]>;
  /** Count of a campaign's commands by state (every state present, zero when none). */
  progress(campaignId: number): Promise<CampaignProgress>;
  /** Moves every command of the campaign in one of `from` to `to` (cancel, expire); returns the count. */
  transitionCampaignCommands(
    campaignId: number,
    from: readonly CommandState[],
    to: CommandState,
    by: string,
    detail?: Record<string, unknown> | null,
  ): Promise<number>;
}

export interface CampaignQuery extends PageRequest {
  state?: CampaignState | readonly CampaignState[];
  kind?: CommandKind;
  requestedBy?: string;
  dryRun?: boolean;
  order?: 'asc' | 'desc';
}

export interface CampaignStore {
  /** Creates the campaign and its commands (one per meter id, same kind/parameters) in one transaction. */
  create(campaign: NewCampaign, meterIds: readonly number[]): Promise<Campaign>;
  get(id: number): Promise<Campaign | null>;
  /** Compare-and-set like commands; `approvedBy` set on approval. */
  transition(
    id: number,
    from: CampaignState,
    to: CampaignState,
    by: string,
    patch?: { approvedBy?: string | null; detail?: Record<string, unknown> | null },
  ): Promise<Campaign>;
  list(query: CampaignQuery): Promise<Page<Campaign>>;
}

export interface FirmwareImageStore {
  /** Stores the bytes and their SHA-256; an image with the same hash is returned as it is (no copy). */
  put(image: NewFirmwareImage, bytes: Uint8Array): Promise<FirmwareImage>;
  get(id: number): Promise<FirmwareImage | null>;
  bytes(id: number): Promise<Uint8Array | null>;
  list(page: PageRequest): Promise<Page<FirmwareImage>>;
  /** Refused (conflict) while a command that is not terminal names the image. */
  delete(id: number): Promise<void>;
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
  setRole(id: number, role: Role): Promise<User>;
  setApprover(id: number, approver: boolean): Promise<User>;
  /** A new PHC hash (password change or reset). */
  setPasswordHash(id: number, passwordHash: string): Promise<User>;
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
  /**
   * A key being rotated: stored beside the current one, never used for sessions until promoted.
   * One pending key per meter and purpose (a new one replaces it).
   */
  putPending(key: NewWrappedKey): Promise<WrappedKey>;
  pending(meterId: number, purpose: WrappedKey['purpose']): Promise<WrappedKey | null>;
  /** The pending key becomes the current version (the old stays in `versions`); null when none was pending. */
  promote(meterId: number, purpose: WrappedKey['purpose']): Promise<WrappedKey | null>;
  discardPending(meterId: number, purpose: WrappedKey['purpose']): Promise<void>;
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
  /**
   * Sets an rx counter to `value`, lower or higher than the one stored: the operator's resync
   * of a meter whose own counter went back (replacement, factory reset), with `value` read from
   * the meter itself over an authenticated association. Returns the value replaced (null: none).
   * Refused for tx counters, which only ever rise.
   */
  resetReceived(key: CounterKey, value: number): Promise<number | null>;
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
  /**
   * Proves the store takes a write now (a small write, committed durably); rejects with the
   * store's typed error (kind `unavailable`, e.g. code STORAGE_FULL) when it cannot. Readiness.
   */
  probeWrite?(): Promise<void>;
}

export interface Clock {
  now(): Instant;
}

/** Reading plans, kept in the store. Names are unique. */
export interface PlanStore {
  list(): Promise<ReadingPlan[]>;
  get(id: number): Promise<ReadingPlan | null>;
  create(plan: NewReadingPlan): Promise<ReadingPlan>;
  /** Null when no plan has that id. */
  replace(id: number, plan: NewReadingPlan): Promise<ReadingPlan | null>;
  delete(id: number): Promise<boolean>;
}

/** Each meter's health and flag state, stored so every process and restart sees it. */
export interface MeterHealthStore {
  get(meterId: number): Promise<MeterHealth | null>;
  put(health: MeterHealthUpdate): Promise<MeterHealth>;
  /** Meters flagged until after `now`, ascending id. */
  flagged(now: Instant): Promise<MeterHealth[]>;
}

/**
 * The transactional outbox: stores append to it in the same transaction as the data a
 * message announces (readings, events, command results …), so nothing is announced that was
 * not stored and nothing stored goes unannounced. A relay reads it in `seq` order and
 * publishes on the bus; consumers are at least once, deduplicating by message id.
 */
export interface OutboxStore {
  /** Appends outside any data write (for messages that have no data of their own). */
  append(messages: readonly NewOutboxMessage[]): Promise<OutboxEntry[]>;
  /** Entries with seq > after, oldest first. */
  read(after: number, limit: number): Promise<OutboxEntry[]>;
  /** The last seq a named relay has published; 0 when none. */
  cursor(relay: string): Promise<number>;
  /** Moves the relay's cursor forward (never back). */
  commit(relay: string, seq: number): Promise<void>;
  /** Drops entries every relay has passed and older than `before`. */
  prune(before: Instant): Promise<number>;
}

// ── ports of the bus (packages/bus: in-process default, NATS JetStream for scale) ──────────

export interface Subscription {
  unsubscribe(): Promise<void>;
}

/** Publish/subscribe of bus messages. `pattern` is a type with `*` (one segment) / `>` (rest). */
export interface EventBus {
  publish(messages: readonly BusMessage[]): Promise<void>;
  subscribe(pattern: string, handler: (message: BusMessage) => Promise<void> | void): Promise<Subscription>;
}

export interface EnqueueOptions {
  /** Not delivered before this many ms. */
  delayMs?: number;
  /** A second enqueue with the same key while the first is pending is dropped. */
  dedupeKey?: string;
}

/** One delivery of a queued item; exactly one of ack/nak ends it, else it is redelivered. */
export interface WorkDelivery<T> {
  readonly id: string;
  readonly payload: T;
  /** 1 on the first delivery. */
  readonly attempt: number;
  /** Done: the item is removed. Call only after its effects are stored. */
  ack(): Promise<void>;
  /** Not done: delivered again after `delayMs` (default 0). */
  nak(delayMs?: number): Promise<void>;
  /** Still working: pushes the redelivery deadline back by the queue's ack wait. */
  inProgress(): Promise<void>;
}

export interface WorkQueueStats {
  /** Deliverable now. */
  ready: number;
  /** Waiting for their delay. */
  delayed: number;
  /** Delivered and not yet acked or nak'ed. */
  inFlight: number;
}

/**
 * A durable work queue (read and command tasks). Items not acked within the queue's ack
 * wait (a consumer died) are delivered again, to any consumer.
 */
export interface WorkQueue<T> {
  enqueue(payload: T, options?: EnqueueOptions): Promise<string>;
  /** Up to `max` deliveries; waits up to `waitMs` (default 0) for the first one. */
  fetch(max: number, options?: { waitMs?: number }): Promise<WorkDelivery<T>[]>;
  stats(): Promise<WorkQueueStats>;
  close(): Promise<void>;
}

/** A held lease. Lost when not renewed within its ttl or when its holder's process dies. */
export interface Lease {
  readonly key: string;
  readonly holder: string;
  /** True while still held (extends the ttl). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** One session per meter across processes: a meter is read by whoever holds its lease. */
export interface MeterLease {
  /** Null when another holder has the meter. */
  tryAcquire(meterId: number, holder: string, ttlMs: number): Promise<Lease | null>;
}

/** Singletons (the scheduler, campaign drivers): two holders of one name never both act. */
export interface LeaderLock {
  /** Null when another holder leads. */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<Lease | null>;
}

/**
 * Meter secrets (EK, AK, passwords) encrypted at rest under a key-encryption key that stays
 * out of the store. Returned bytes are plaintext: never log them.
 */
export interface SecretVault {
  /** Identifies the key-encryption key (not secret). */
  readonly kekId: string;
  /** Stores a new version of the secret; returns the reference kept in `Meter.keyRefs`. */
  put(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<string>;
  /** The current version, or null when none is stored. */
  get(meterId: number, purpose: KeyPurpose): Promise<Uint8Array | null>;
  /** Key rotation: the new secret kept as pending (encrypted) until the meter accepted it. */
  putPending(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<void>;
  getPending(meterId: number, purpose: KeyPurpose): Promise<Uint8Array | null>;
  /** Pending → current; returns the new reference for `Meter.keyRefs`, null when none was pending. */
  promotePending(meterId: number, purpose: KeyPurpose): Promise<string | null>;
  discardPending(meterId: number, purpose: KeyPurpose): Promise<void>;
}

/** Who asks: the principal and where from, as audited. */
export interface Actor {
  name: string;
  /** Client address (API), `cli`, or `system`. */
  address: string | null;
  /** May approve another person's command or campaign (the approver right). */
  approver: boolean;
}

export interface CommandRequest {
  kind: CommandKind;
  meterId: number;
  parameters?: Record<string, unknown>;
  reason: CommandReason;
  priority?: CommandPriority;
  /** Instant after which it ends `expired` if not done; default: one hour from now. */
  deadline?: Instant | null;
}

export interface CampaignRequest {
  name: string;
  kind: CommandKind;
  target: CampaignTarget;
  parameters?: Record<string, unknown>;
  reason: CommandReason;
  priority?: CommandPriority;
  throttle?: CampaignThrottle;
  deadline?: Instant | null;
  /** Rehearse against simulated twins; no real meter is touched. */
  dryRun?: boolean;
}

/** How many meters a target selects, and the first few. */
export interface TargetPreview {
  count: number;
  meterIds: number[];
}

/**
 * Meter control as the API and CLI use it (implemented in `@openhes/control`). Requests are
 * validated before anything is stored (CodedError kind `invalid` naming the field), every
 * request, approval, rejection and outcome is audited with the actor and address. Reads go
 * to the store directly.
 */
export interface ControlPort {
  requestCommand(request: CommandRequest, actor: Actor): Promise<Command>;
  approveCommand(id: number, actor: Actor): Promise<Command>;
  rejectCommand(id: number, actor: Actor, note?: string): Promise<Command>;
  cancelCommand(id: number, actor: Actor): Promise<Command>;
  requestCampaign(request: CampaignRequest, actor: Actor): Promise<Campaign>;
  previewTarget(target: CampaignTarget): Promise<TargetPreview>;
  approveCampaign(id: number, actor: Actor): Promise<Campaign>;
  rejectCampaign(id: number, actor: Actor, note?: string): Promise<Campaign>;
  pauseCampaign(id: number, actor: Actor): Promise<Campaign>;
  resumeCampaign(id: number, actor: Actor): Promise<Campaign>;
  cancelCampaign(id: number, actor: Actor): Promise<Campaign>;
  /** Checks size and (when given) the expected SHA-256 before storing. */
  uploadImage(
    image: Omit<NewFirmwareImage, 'uploadedBy'> & { sha256?: string },
    bytes: Uint8Array,
    actor: Actor,
  ): Promise<FirmwareImage>;
}

export interface Store {
  readonly meters: MeterStore;
  readonly topology: TopologyStore;
  readonly channels: ChannelStore;
  readonly readings: ReadingStore;
  readonly events: EventStore;
  readonly collection: CollectionStore;
  readonly commands: CommandStore;
  readonly campaigns: CampaignStore;
  readonly firmware: FirmwareImageStore;
  readonly audit: AuditStore;
  readonly users: UserStore;
  readonly tokens: ApiTokenStore;
  readonly keys: KeyStore;
  readonly counters: InvocationCounterStore;
  readonly maintenance: MaintenancePort;
  readonly plans: PlanStore;
  readonly health: MeterHealthStore;
  readonly outbox: OutboxStore;
  readonly vee: import('./domain/vee.ts').VeeStore;
  readonly billing: import('./domain/billing.ts').BillingStore;
  readonly prepayment: import('./domain/prepayment.ts').PrepaymentStore;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Meter data (issue 14) as the API and the CLI call it. The services of @openhes/meter-data
// (VeeService, BillingService, the prepayment engine) satisfy these structurally; the head
// end hands them to the API.

/** One interval of a VEE series with its quality; a gap is explicit (value null). */
export interface VeeSeriesPoint {
  /** Interval end (UTC). */
  ts: Instant;
  value: number | null;
  version: number | null;
  /** QualityFlag bits (0 for a gap). */
  quality: number;
  /** IEC 61968-9 style reading-quality codes: the value's state first, then the findings. */
  codes: string[];
  gap: boolean;
  estimated: boolean;
  edited: boolean;
  /** Estimation method of an estimate. */
  method: string | null;
  /** Rules of open exceptions over the interval. */
  rules: string[];
}

/** What one VEE run did. */
export interface VeeRunSummary {
  meters: number;
  channels: number;
  slots: number;
  values: number;
  gaps: number;
  estimated: number;
  lateReal: number;
  exceptionsOpened: number;
  exceptionsCleared: number;
  byRule: Record<string, number>;
}

export interface VeePort {
  /** On demand: whole local days holding interval ends in (from, to], for the meters given or all. */
  run(range: { from: Instant; to: Instant; meterIds?: readonly number[] }): Promise<VeeRunSummary>;
  series(query: {
    channelId: number;
    from: Instant;
    to: Instant;
    mode?: 'raw' | 'validated';
  }): Promise<VeeSeriesPoint[]>;
  exceptions(
    query: import('./domain/vee.ts').VeeExceptionQuery,
  ): Promise<Page<import('./domain/vee.ts').VeeException>>;
  exception(id: number): Promise<import('./domain/vee.ts').VeeException>;
  resolve(
    id: number,
    resolution: import('./domain/vee.ts').VeeResolution,
    actor: Actor,
    note?: string,
  ): Promise<import('./domain/vee.ts').VeeException>;
  summary(
    query: import('./domain/vee.ts').VeeDayQuery,
  ): Promise<Page<import('./domain/vee.ts').VeeDaySummary>>;
  timeliness(
    query: import('./domain/vee.ts').TimelinessQuery,
  ): Promise<import('./domain/vee.ts').TimelinessFigures[]>;
  /** A new version of one interval (reason required, audited); a final value is a conflict. */
  edit(
    input: { channelId: number; ts: Instant; value: number; reason: string },
    actor: Actor,
  ): Promise<{ edit: import('./domain/vee.ts').VeeEdit; reading: Reading }>;
}

/** What a billing run did. */
export interface BillingRunSummary {
  cycle: string;
  groups: string[];
  meters: number;
  created: number;
  rebilled: number;
  unchanged: number;
  estimated: number;
  noData: number;
  registerMismatches: number;
  skipped: { meterId: number; reason: string }[];
  failed: { meterId: number; code: string; message: string }[];
  billIds: number[];
}

export interface BillingPort {
  readonly groups: readonly { id: string }[];
  /** Validates (a fault names its place) and stores a tariff as its next revision. */
  putTariff(input: unknown, actor: string): Promise<import('./domain/billing.ts').Tariff>;
  getTariff(id: string, revision?: number): Promise<import('./domain/billing.ts').Tariff>;
  listTariffs(options?: { includeRetired?: boolean }): Promise<import('./domain/billing.ts').Tariff[]>;
  retireTariff(id: string, actor: string): Promise<void>;
  run(
    cycle: string,
    options: {
      group?: string;
      meterIds?: number[];
      actor: string;
      reason?: string;
      rebill?: boolean;
      /** The cycle's final run: the billed values become final (VEE may no longer change them). */
      final?: boolean;
    },
  ): Promise<BillingRunSummary>;
  listBills(
    query: import('./domain/billing.ts').BillQuery,
  ): Promise<Page<import('./domain/billing.ts').Bill>>;
  getBill(id: number): Promise<import('./domain/billing.ts').Bill>;
  billVersions(meterId: number, cycle: string): Promise<import('./domain/billing.ts').Bill[]>;
  exportBills(
    query: Omit<import('./domain/billing.ts').BillQuery, 'cursor' | 'limit'>,
    format: 'csv' | 'json',
  ): Promise<string>;
}

/** A payment credited to a prepayment account, idempotent by its payment reference. */
export interface TopUpRequest {
  accountId: number;
  /** Minor units, > 0 and at most the account's maxTopUp. */
  amount: number;
  reference: string;
  note?: string;
}

export interface PrepaymentAdjustment {
  accountId: number;
  /** Minor units, either sign, not 0. */
  amount: number;
  reason: string;
}

export interface PrepaymentPort {
  openAccount(
    input: Omit<import('./domain/prepayment.ts').NewPrepaymentAccount, 'createdBy'>,
    actor: Actor,
  ): Promise<import('./domain/prepayment.ts').PrepaymentAccount>;
  account(id: number): Promise<import('./domain/prepayment.ts').PrepaymentAccount>;
  accounts(
    query: import('./domain/prepayment.ts').PrepaymentAccountQuery,
  ): Promise<Page<import('./domain/prepayment.ts').PrepaymentAccount>>;
  /** A repeated reference credits nothing and answers the original entry (`duplicate`). */
  topUp(request: TopUpRequest, actor: Actor): Promise<import('./domain/prepayment.ts').PostResult>;
  adjust(request: PrepaymentAdjustment, actor: Actor): Promise<import('./domain/prepayment.ts').PostResult>;
  ledger(
    query: import('./domain/prepayment.ts').LedgerQuery,
  ): Promise<Page<import('./domain/prepayment.ts').LedgerEntry>>;
}

/** One channel's current values over a range, as columns (VEE's bulk read). */
export interface ChannelCurrentValues {
  channelId: number;
  /** Instants in time order; per instant its newest version (>= 1). */
  ts: Float64Array;
  value: Float64Array;
  quality: Int32Array;
  version: Int32Array;
  /** 1 where the newest version's source is `estimate`. */
  estimate: Uint8Array;
  /**
   * Every version of the instants that also hold a value kept aside (version <= 0, a push's
   * conflict), in (ts, version) order; empty when none has one.
   */
  aside: Reading[];
}

/**
 * Optional capability of a ReadingStore (both storage engines have it): the current values of
 * several channels over [from, to) in one call, without a Reading object per value.
 */
export interface ReadingBulkReader {
  currentMany(query: {
    channelIds: readonly number[];
    from: Instant;
    to: Instant;
  }): Promise<ChannelCurrentValues[]>;
}
