import type { Migration } from './runner.ts';

/**
 * Forward-only. Readings live in per-period tables (`readings_<period>`) created on demand
 * and listed in `store_periods`; everything else is in the tables below.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'meters, topology, channels, reading periods',
    sql: `
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE topology_nodes (
  id INTEGER PRIMARY KEY,
  hierarchy TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id INTEGER REFERENCES topology_nodes(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  UNIQUE (hierarchy, code)
);
CREATE INDEX topology_nodes_parent ON topology_nodes (parent_id, id);
CREATE TABLE meters (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE,
  manufacturer TEXT NOT NULL,
  model TEXT NOT NULL,
  device_profile TEXT NOT NULL,
  protocol TEXT NOT NULL,
  address TEXT NOT NULL,
  key_refs TEXT NOT NULL,
  status TEXT NOT NULL,
  customer_class TEXT NOT NULL,
  tariff TEXT,
  payment_mode TEXT NOT NULL,
  service_point_id INTEGER REFERENCES topology_nodes(id),
  section_id INTEGER REFERENCES topology_nodes(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX meters_service_point ON meters (service_point_id);
CREATE INDEX meters_section ON meters (section_id);
CREATE INDEX meters_status ON meters (status, id);
CREATE TABLE channels (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  obis TEXT NOT NULL,
  attribute INTEGER NOT NULL,
  kind TEXT NOT NULL,
  unit TEXT NOT NULL,
  scaler INTEGER NOT NULL,
  interval_s INTEGER,
  last_ts INTEGER,
  UNIQUE (meter_id, obis, attribute, kind)
);
CREATE INDEX channels_obis ON channels (obis, attribute, meter_id);
CREATE TABLE store_periods (
  kind TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  end_ts INTEGER NOT NULL,
  name TEXT NOT NULL UNIQUE,
  PRIMARY KEY (kind, start_ts)
) WITHOUT ROWID;
CREATE TABLE ingest_batches (
  batch_id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  row_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ingest_batches_received ON ingest_batches (received_at);
-- Per channel and UTC day (interval-end convention) over the newest versions. sum and count
-- are exact; min/max are exact unless dirty (a value was replaced), then read from readings.
CREATE TABLE reading_days (
  channel_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  sum REAL NOT NULL,
  count INTEGER NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  dirty INTEGER NOT NULL,
  PRIMARY KEY (channel_id, day)
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'events, collection outcomes, commands, audit',
    sql: `
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  ts INTEGER NOT NULL,
  meter_time INTEGER NOT NULL,
  log TEXT NOT NULL,
  code INTEGER NOT NULL,
  category TEXT NOT NULL,
  raw BLOB,
  received_at INTEGER NOT NULL,
  UNIQUE (meter_id, log, ts, code)
);
CREATE INDEX events_meter_ts ON events (meter_id, ts, id);
CREATE INDEX events_ts ON events (ts, id);
CREATE INDEX events_category_ts ON events (category, ts, id);
CREATE TABLE collection_outcomes (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  task_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT,
  readings_stored INTEGER NOT NULL,
  attempt INTEGER NOT NULL
);
CREATE INDEX collection_meter ON collection_outcomes (meter_id, started_at, id);
CREATE INDEX collection_task ON collection_outcomes (task_id, started_at, id);
CREATE INDEX collection_started ON collection_outcomes (started_at, id);
CREATE TABLE commands (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  parameters TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  state TEXT NOT NULL,
  history TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX commands_meter ON commands (meter_id, id);
CREATE INDEX commands_state ON commands (state, id);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX audit_at ON audit_log (at, id);
CREATE INDEX audit_actor ON audit_log (actor, id);
CREATE INDEX audit_target ON audit_log (target, id);
`,
  },
  {
    version: 3,
    name: 'users, api tokens, wrapped keys, invocation counters',
    sql: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
CREATE TABLE meter_keys (
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  purpose TEXT NOT NULL,
  version INTEGER NOT NULL,
  kek_id TEXT NOT NULL,
  wrapped BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (meter_id, purpose, version)
) WITHOUT ROWID;
CREATE TABLE invocation_counters (
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  direction TEXT NOT NULL,
  purpose TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (meter_id, direction, purpose)
) WITHOUT ROWID;
`,
  },
  {
    version: 4,
    name: 'plans, meter health, outbox, meter list indexes',
    sql: `
CREATE TABLE plans (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cron TEXT NOT NULL,
  reads TEXT NOT NULL,
  meters TEXT NOT NULL,
  window_seconds INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE meter_health (
  meter_id INTEGER PRIMARY KEY REFERENCES meters(id),
  failures INTEGER NOT NULL,
  flagged_until INTEGER,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  last_error TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX meter_health_flagged ON meter_health (flagged_until) WHERE flagged_until IS NOT NULL;
-- One writer at a time: the rowid order is the commit order. AUTOINCREMENT so a pruned
-- (deleted) tail never hands out a seq a relay has already passed.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX outbox_at ON outbox (at);
CREATE TABLE outbox_cursors (relay TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX meters_manufacturer ON meters (manufacturer, id);
CREATE INDEX meters_model ON meters (model, id);
CREATE INDEX meters_device_profile ON meters (device_profile, id);
CREATE INDEX meters_protocol ON meters (protocol, id);
CREATE INDEX meters_customer_class ON meters (customer_class, id);
`,
  },
  {
    version: 5,
    name: 'outbox without AUTOINCREMENT and without the at index (cheaper ingest)',
    // AUTOINCREMENT wrote sqlite_sequence on every announcement; plain rowids stay increasing
    // because prune always keeps the newest entry. Prune walks seq (the rowid), not `at`.
    sql: `
CREATE TABLE outbox_v5 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
INSERT INTO outbox_v5 (seq, id, type, key, at, payload) SELECT seq, id, type, key, at, payload FROM outbox;
-- Keep the numbering above every seq handed out, even if the table was pruned empty.
INSERT INTO outbox_v5 (seq, id, type, key, at, payload)
  SELECT seq, 'outbox-v5-mark', 'outbox.mark', 'outbox', 946684800000, 'null' FROM sqlite_sequence
  WHERE name = 'outbox' AND seq > coalesce((SELECT max(seq) FROM outbox), 0);
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
`,
  },
  {
    version: 6,
    name: 'meter firmware version, tags and communication segment; the approver right',
    sql: `
ALTER TABLE meters ADD COLUMN firmware_version TEXT;
ALTER TABLE meters ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE meters ADD COLUMN segment TEXT;
CREATE INDEX meters_firmware_version ON meters (firmware_version, id);
CREATE INDEX meters_segment ON meters (segment, id);
ALTER TABLE users ADD COLUMN approver INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 7,
    name: 'meter status disconnected (a supply state, not a lifecycle status) becomes active',
    sql: `
UPDATE meters SET status = 'active' WHERE status = 'disconnected';
`,
  },
  {
    version: 8,
    name: 'meter control: commands reshaped, campaigns, firmware images, pending keys',
    // Commands are rebuilt keeping their rows: states and kinds renamed (sent → sending,
    // succeeded → confirmed, set-tou → set-calendar, firmware-upgrade → firmware-update,
    // key-change → key-rotation), also inside each history; attempts counted from the history.
    // An unfinished read-on-demand (no longer a command kind) ends cancelled. priority is a
    // rank (0 urgent, 1 normal) so due() reads the partial index in order.
    sql: `
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  parameters TEXT NOT NULL,
  reason TEXT NOT NULL,
  priority INTEGER NOT NULL,
  throttle TEXT NOT NULL,
  deadline INTEGER,
  dry_run INTEGER NOT NULL,
  state TEXT NOT NULL,
  meter_count INTEGER NOT NULL,
  requested_by TEXT NOT NULL,
  requested_from TEXT,
  approved_by TEXT,
  history TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_state ON campaigns (state, id);
CREATE TABLE commands_v8 (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  campaign_id INTEGER REFERENCES campaigns(id),
  parameters TEXT NOT NULL,
  reason TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  deadline INTEGER,
  requested_by TEXT NOT NULL,
  requested_from TEXT,
  approved_by TEXT,
  progress TEXT,
  result TEXT,
  error TEXT,
  history TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO commands_v8 (id, kind, meter_id, campaign_id, parameters, reason, priority, state, attempts,
  deadline, requested_by, requested_from, approved_by, progress, result, error, history, created_at, updated_at)
SELECT id,
  CASE kind WHEN 'set-tou' THEN 'set-calendar' WHEN 'firmware-upgrade' THEN 'firmware-update'
    WHEN 'key-change' THEN 'key-rotation' ELSE kind END,
  meter_id, NULL, parameters, 'maintenance', 1,
  CASE state WHEN 'sent' THEN 'sending' WHEN 'succeeded' THEN 'confirmed' ELSE state END,
  (SELECT count(*) FROM json_each(commands.history) WHERE json_extract(value, '$.state') = 'sent'),
  NULL, requested_by, NULL, NULL, NULL, NULL, NULL,
  coalesce((SELECT json_group_array(json_set(value, '$.state',
      CASE json_extract(value, '$.state') WHEN 'sent' THEN 'sending' WHEN 'succeeded' THEN 'confirmed'
        ELSE json_extract(value, '$.state') END) ORDER BY key)
    FROM json_each(commands.history)), '[]'),
  created_at, updated_at
FROM commands;
DROP TABLE commands;
ALTER TABLE commands_v8 RENAME TO commands;
UPDATE commands SET state = 'cancelled',
  history = json_insert(history, '$[#]', json_object('state', 'cancelled',
    'at', CAST(unixepoch('subsec') * 1000 AS INTEGER), 'by', 'migration-8',
    'detail', json_object('reason', 'read-on-demand is no longer a command kind'))),
  error = json_object('code', 'COMMAND_KIND_RETIRED', 'message', 'read-on-demand is no longer a command kind')
WHERE kind = 'read-on-demand' AND state IN ('queued', 'sending');
CREATE INDEX commands_meter ON commands (meter_id, id);
CREATE INDEX commands_state ON commands (state, id);
CREATE INDEX commands_campaign ON commands (campaign_id, id);
CREATE INDEX commands_campaign_state ON commands (campaign_id, state);
CREATE INDEX commands_due ON commands (campaign_id, priority, id) WHERE state IN ('queued', 'sending');
CREATE TABLE firmware_images (
  id INTEGER PRIMARY KEY,
  identifier TEXT NOT NULL,
  version TEXT NOT NULL,
  device_profiles TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  bytes BLOB NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at INTEGER NOT NULL
);
-- A key being rotated: one per meter and purpose, never used for sessions until promoted
-- into meter_keys as the next version.
CREATE TABLE meter_keys_pending (
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  purpose TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  wrapped BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (meter_id, purpose)
) WITHOUT ROWID;
`,
  },
  {
    version: 9,
    name: 'VEE: exceptions, day summaries, edits, final marks',
    sql: `
CREATE TABLE vee_exceptions (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  rule TEXT NOT NULL,
  ts_from INTEGER NOT NULL,
  ts_to INTEGER NOT NULL,
  day TEXT NOT NULL,
  group_id TEXT NOT NULL,
  quality_code TEXT NOT NULL,
  detail TEXT,
  status TEXT NOT NULL,
  resolution TEXT,
  note TEXT,
  resolved_by TEXT,
  resolved_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (channel_id, ts_from, rule)
);
CREATE INDEX vee_exceptions_meter ON vee_exceptions (meter_id, id);
CREATE INDEX vee_exceptions_status ON vee_exceptions (status, id);
CREATE TABLE vee_days (
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  day TEXT NOT NULL,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  group_id TEXT NOT NULL,
  day_start INTEGER NOT NULL,
  day_end INTEGER NOT NULL,
  expected INTEGER NOT NULL,
  actual INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  edited INTEGER NOT NULL,
  missing INTEGER NOT NULL,
  suspect INTEGER NOT NULL,
  exceptions INTEGER NOT NULL,
  validated INTEGER NOT NULL,
  validated_d1 INTEGER NOT NULL,
  validated_d2 INTEGER NOT NULL,
  validated_final INTEGER NOT NULL,
  first_run_at INTEGER NOT NULL,
  last_run_at INTEGER NOT NULL,
  PRIMARY KEY (channel_id, day)
) WITHOUT ROWID;
CREATE INDEX vee_days_meter ON vee_days (meter_id, day);
CREATE INDEX vee_days_group ON vee_days (group_id, day);
CREATE INDEX vee_days_day ON vee_days (day);
CREATE TABLE vee_edits (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  ts INTEGER NOT NULL,
  old_value REAL,
  new_value REAL NOT NULL,
  version INTEGER NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX vee_edits_channel ON vee_edits (channel_id, ts, id);
CREATE TABLE vee_locks (
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  ts_from INTEGER NOT NULL,
  ts_to INTEGER NOT NULL,
  label TEXT NOT NULL,
  locked_by TEXT NOT NULL,
  locked_at INTEGER NOT NULL
);
CREATE INDEX vee_locks_channel ON vee_locks (channel_id, ts_from);
`,
  },
  {
    version: 10,
    name: 'billing: tariffs (revisions) and bills (immutable versions)',
    sql: `
CREATE TABLE billing_tariffs (
  id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  doc TEXT NOT NULL,
  retired INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, revision)
) WITHOUT ROWID;
CREATE TABLE billing_bills (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  cycle TEXT NOT NULL,
  version INTEGER NOT NULL,
  latest INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  tariff_id TEXT NOT NULL,
  tariff_revision INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  total INTEGER NOT NULL,
  data_version TEXT NOT NULL,
  doc TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (meter_id, cycle, version)
);
CREATE INDEX billing_bills_cycle ON billing_bills (cycle, meter_id, version);
CREATE INDEX billing_bills_group ON billing_bills (group_id, cycle);
`,
  },
  {
    version: 11,
    name: 'prepayment: accounts and their append-only ledger (unique references)',
    sql: `
CREATE TABLE prepay_accounts (
  id INTEGER PRIMARY KEY,
  meter_id INTEGER NOT NULL REFERENCES meters(id),
  currency TEXT NOT NULL,
  minor_digits INTEGER NOT NULL,
  balance INTEGER NOT NULL,
  state TEXT NOT NULL,
  settings TEXT NOT NULL,
  last_top_up INTEGER,
  last_top_up_at INTEGER,
  alerts_sent TEXT NOT NULL,
  emergency_outstanding INTEGER NOT NULL,
  charged_through INTEGER NOT NULL,
  provisional INTEGER NOT NULL,
  pending TEXT,
  held_until INTEGER,
  version INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX prepay_accounts_open_meter ON prepay_accounts (meter_id) WHERE state <> 'closed';
CREATE INDEX prepay_accounts_state ON prepay_accounts (state, id);
CREATE TABLE prepay_ledger (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES prepay_accounts(id),
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  ref TEXT UNIQUE,
  reason TEXT,
  actor TEXT NOT NULL,
  detail TEXT,
  balance_after INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX prepay_ledger_account ON prepay_ledger (account_id, id);
CREATE TRIGGER prepay_ledger_no_update BEFORE UPDATE ON prepay_ledger
BEGIN SELECT RAISE(ABORT, 'prepay_ledger is append-only'); END;
CREATE TRIGGER prepay_ledger_no_delete BEFORE DELETE ON prepay_ledger
BEGIN SELECT RAISE(ABORT, 'prepay_ledger is append-only'); END;
`,
  },
  {
    version: 12,
    name: 'billing: stored bill versions are immutable (no update but marking one superseded, no delete)',
    sql: `
CREATE TRIGGER billing_bills_no_update BEFORE UPDATE ON billing_bills
WHEN NEW.id IS NOT OLD.id OR NEW.meter_id IS NOT OLD.meter_id OR NEW.cycle IS NOT OLD.cycle
  OR NEW.version IS NOT OLD.version OR NEW.group_id IS NOT OLD.group_id
  OR NEW.tariff_id IS NOT OLD.tariff_id OR NEW.tariff_revision IS NOT OLD.tariff_revision
  OR NEW.estimated IS NOT OLD.estimated OR NEW.total IS NOT OLD.total
  OR NEW.data_version IS NOT OLD.data_version OR NEW.doc IS NOT OLD.doc
  OR NEW.created_at IS NOT OLD.created_at OR (NEW.latest <> 0 AND OLD.latest = 0)
BEGIN SELECT RAISE(ABORT, 'billing_bills is immutable'); END;
CREATE TRIGGER billing_bills_no_delete BEFORE DELETE ON billing_bills
BEGIN SELECT RAISE(ABORT, 'billing_bills is immutable'); END;
`,
  },
];
