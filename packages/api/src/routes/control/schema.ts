import {
  CampaignState,
  CommandKind,
  CommandReason,
  CommandState,
  MAX_FIRMWARE_IMAGE_BYTES,
} from '@openhes/core';
import { type TSchema, Type } from 'typebox';
import { Cursor, DateTime, Limit, NullableDateTime, NullableString, PageOf } from '../common/schema.ts';

/** A string enum whose schema (`enum`) and description list the allowed values. */
function oneOf<T extends string>(values: readonly T[], description: string) {
  return Type.Enum([...values], { description: `${description}: one of ${values.join(', ')}` });
}

/** A comma-separated list of enum values in a query string. */
function listOf(values: readonly string[], description: string) {
  const alt = values.join('|');
  return Type.String({
    pattern: `^(${alt})(,(${alt}))*$`,
    description: `${description}: one or a comma-separated list of ${values.join(', ')}`,
  });
}

export const COMMAND_KINDS = Object.values(CommandKind);
export const COMMAND_STATES = Object.values(CommandState);
export const CAMPAIGN_STATES = Object.values(CampaignState);
const REASONS = Object.values(CommandReason);

export const Kind = oneOf(COMMAND_KINDS, 'Operation');
export const Reason = oneOf(REASONS, 'Why it is asked for; travels to the audit and the result');
export const Priority = oneOf(['urgent', 'normal'] as const, 'urgent takes the fast lane (default normal)');
export const Order = oneOf(['asc', 'desc'] as const, 'By id: asc (default) or desc (newest first)');

const Deadline = Type.Union(
  [DateTime, Type.Integer({ minimum: 0, description: 'epoch milliseconds' }), Type.Null()],
  {
    description:
      'After this instant an unfinished command ends expired (ISO 8601 or epoch ms; null: none; absent: one hour from now)',
  },
);
const Activation = Type.Union([DateTime, Type.Integer({ minimum: 0, description: 'epoch milliseconds' })], {
  description: 'Activation instant (ISO 8601 or epoch ms); absent: at once',
});

const Obis = Type.String({ pattern: '^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$' });
const MonthDay = Type.String({
  pattern: '^(\\d{4}-)?\\d{2}-\\d{2}$',
  description: 'MM-DD (every year) or YYYY-MM-DD',
});
const WindowTime = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'ISO date-time: with an offset an instant, without one the meter’s local wall time',
});
const nonNegative = (description: string) => Type.Number({ minimum: 0, description });
const seconds = (description: string) => Type.Integer({ minimum: 0, maximum: 31_536_000, description });
const name = (max = 128) => Type.String({ minLength: 1, maxLength: max });
const strict = { additionalProperties: false } as const;

const Empty = Type.Object({}, { ...strict, description: 'No parameters' });

// ---------------------------------------------------------------------------------------
// Parameters per kind (core/domain/command.ts `CommandParameters`); the service checks the rules

const Disconnect = Type.Object(
  {
    finalRead: Type.Optional(
      Type.Boolean({
        description: 'Read the billing registers in the same association first (default true)',
      }),
    ),
  },
  strict,
);

const LoadLimit = Type.Object(
  {
    thresholdNormal: Type.Optional(nonNegative('In the monitored value’s unit (W for active power)')),
    thresholdEmergency: Type.Optional(nonNegative('In the monitored value’s unit (W for active power)')),
    minOverThresholdSeconds: Type.Optional(seconds('Over the threshold this long before the relay opens')),
    minUnderThresholdSeconds: Type.Optional(seconds('Under the threshold this long before it may close')),
  },
  strict,
);

const EmergencyActivate = Type.Object(
  {
    profileId: Type.Integer({ minimum: 0, maximum: 65_535 }),
    activateAt: Type.Optional(Activation),
    durationSeconds: seconds('How long the emergency profile holds'),
    groupIds: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 65_535 }), { minItems: 1, maxItems: 64 }),
    ),
    thresholdEmergency: Type.Optional(nonNegative('Written first, in the monitored value’s unit')),
  },
  strict,
);

const Calendar = Type.Object(
  {
    name: name(32),
    seasons: Type.Array(Type.Object({ name: name(32), start: MonthDay, week: name(32) }, strict), {
      minItems: 1,
      maxItems: 64,
      description: 'Sorted by start',
    }),
    weeks: Type.Array(
      Type.Object(
        {
          name: name(32),
          days: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), {
            minItems: 7,
            maxItems: 7,
            description: 'Day ids Monday … Sunday',
          }),
        },
        strict,
      ),
      { minItems: 1, maxItems: 64 },
    ),
    days: Type.Array(
      Type.Object(
        {
          id: Type.Integer({ minimum: 0, maximum: 255 }),
          schedule: Type.Array(
            Type.Object(
              {
                start: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'HH:MM' }),
                tariff: Type.Integer({ minimum: 0, maximum: 65_535, description: 'Script selector' }),
                script: Type.Optional(Obis),
              },
              strict,
            ),
            { minItems: 1, maxItems: 96, description: 'Sorted by start; the first starts at 00:00' },
          ),
        },
        strict,
      ),
      { minItems: 1, maxItems: 255 },
    ),
  },
  { ...strict, description: 'Passive activity calendar (seasons, week and day profiles)' },
);

const SetCalendar = Type.Object({ calendar: Calendar, activateAt: Type.Optional(Activation) }, strict);

const SetSpecialDays = Type.Object(
  {
    days: Type.Array(
      Type.Object({ date: MonthDay, dayId: Type.Integer({ minimum: 0, maximum: 255 }) }, strict),
      { maxItems: 1024, description: 'The whole special days table' },
    ),
  },
  strict,
);

const TimeSync = Type.Object(
  {
    maxShiftSeconds: Type.Optional(seconds('Largest drift corrected by shift_time (default 900)')),
    boundaryGuardSeconds: Type.Optional(
      seconds('No adjustment this close to a capture boundary (default 10)'),
    ),
    toleranceSeconds: Type.Optional(seconds('Drift at or under this is left alone (default 1)')),
  },
  strict,
);

const ClockConfig = Type.Object(
  {
    timeZoneMinutes: Type.Optional(Type.Integer({ minimum: -720, maximum: 840 })),
    dstEnabled: Type.Optional(Type.Boolean()),
    dstDeviationMinutes: Type.Optional(Type.Integer({ minimum: -120, maximum: 120 })),
    dstBegin: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Local wall time, ISO' }),
    ),
    dstEnd: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Local wall time, ISO' })),
  },
  strict,
);

const FirmwareUpdate = Type.Object(
  {
    imageId: Type.Integer({ minimum: 1, description: 'An image uploaded to /firmware/images' }),
    activateAt: Type.Optional(Activation),
  },
  strict,
);

const KeyRotation = Type.Object(
  {
    keys: Type.Optional(
      Type.Array(oneOf(['authentication', 'encryption'] as const, 'Key'), {
        minItems: 1,
        maxItems: 2,
        uniqueItems: true,
        description: 'Keys to replace, in this order (default authentication then encryption)',
      }),
    ),
  },
  strict,
);

const SecurityActivate = Type.Object(
  { policy: Type.Integer({ minimum: 0, maximum: 255, description: 'security_policy value' }) },
  strict,
);

const PushSetup = Type.Object(
  {
    pushObis: Type.Optional(Obis),
    destination: Type.Optional(
      Type.String({ minLength: 1, maxLength: 300, description: 'host:port (IPv6 as [addr]:port)' }),
    ),
    windows: Type.Optional(
      Type.Array(Type.Object({ start: WindowTime, end: WindowTime }, strict), {
        maxItems: 16,
        description: 'Communication windows',
      }),
    ),
    randomisationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    repetitionDelaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
  },
  strict,
);

export const PARAMETERS: Readonly<Record<CommandKind, TSchema>> = {
  connect: Empty,
  disconnect: Disconnect,
  'load-limit': LoadLimit,
  'emergency-activate': EmergencyActivate,
  'emergency-clear': Empty,
  'set-calendar': SetCalendar,
  'set-special-days': SetSpecialDays,
  'time-sync': TimeSync,
  'clock-config': ClockConfig,
  'firmware-update': FirmwareUpdate,
  'key-rotation': KeyRotation,
  'security-activate': SecurityActivate,
  'push-setup': PushSetup,
};

const AnyParameters = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Kind-specific (see the per-meter routes /meters/{id}/… for each kind’s schema); checked against the kind',
});

// ---------------------------------------------------------------------------------------
// Commands

const commandFields = {
  reason: Reason,
  priority: Type.Optional(Priority),
  deadline: Type.Optional(Deadline),
};

export const NewCommandBody = Type.Object(
  {
    kind: Kind,
    meterId: Type.Integer({ minimum: 1 }),
    parameters: Type.Optional(AnyParameters),
    ...commandFields,
  },
  strict,
);

/** Body of a per-meter shortcut: the command's parameters for that kind, reason, priority, deadline. */
export function shortcutBody(kind: CommandKind) {
  return Type.Object({ parameters: Type.Optional(PARAMETERS[kind]), ...commandFields }, strict);
}

const ErrorInfo = Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]);
const Json = Type.Record(Type.String(), Type.Unknown());
const NullableJson = Type.Union([Json, Type.Null()]);

export const Command = Type.Object(
  {
    id: Type.Integer(),
    kind: Type.String(),
    meterId: Type.Integer(),
    campaignId: Type.Union([Type.Integer(), Type.Null()]),
    parameters: Json,
    reason: Type.String(),
    priority: Type.String(),
    state: Type.String(),
    attempts: Type.Integer(),
    deadline: NullableDateTime,
    requestedBy: Type.String(),
    requestedFrom: NullableString,
    approvedBy: NullableString,
    progress: NullableJson,
    result: Type.Union([Json, Type.Null()], { description: 'What the meter answered and was read back' }),
    error: ErrorInfo,
    createdAt: DateTime,
    updatedAt: DateTime,
    history: Type.Array(
      Type.Object({ state: Type.String(), at: DateTime, by: Type.String(), detail: NullableJson }),
    ),
  },
  { title: 'Command' },
);

export const CommandPage = PageOf(Command);

const paging = { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor), order: Type.Optional(Order) };

export const CommandListQuery = Type.Object(
  {
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    campaignId: Type.Optional(Type.Integer({ minimum: 1 })),
    state: Type.Optional(listOf(COMMAND_STATES, 'Command state')),
    kind: Type.Optional(Kind),
    requestedBy: Type.Optional(name(256)),
    ...paging,
  },
  strict,
);

export const NoteBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 1024, description: 'Why it was rejected' })) },
  strict,
);

// ---------------------------------------------------------------------------------------
// Campaigns

const stringList = (description: string) =>
  Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 1000, description }),
  );
const idList = (description: string) =>
  Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1_000_000, description }));

export const Target = Type.Object(
  {
    meterIds: idList('These meters'),
    models: stringList('Meter models'),
    deviceProfiles: stringList('Device profiles'),
    firmwareVersions: stringList('Firmware versions the meters report'),
    nodes: idList('Topology nodes (transformer, feeder, …): meters anywhere below'),
    tags: stringList('Meter tags'),
    segments: stringList('Communication segments (cell, concentrator, gateway)'),
  },
  {
    ...strict,
    minProperties: 1,
    description: 'Every field given must match (AND); a list matches any of its values (OR)',
  },
);

const Throttle = Type.Object(
  {
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'default 100' })),
    perMinute: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'default unlimited' }),
    ),
    perSegment: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'default 10' })),
    urgentPerSegment: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'default 2' })),
  },
  strict,
);

export const NewCampaignBody = Type.Object(
  {
    name: name(),
    kind: Kind,
    target: Target,
    parameters: Type.Optional(AnyParameters),
    ...commandFields,
    throttle: Type.Optional(Throttle),
    dryRun: Type.Optional(
      Type.Boolean({
        description: 'Rehearse against simulated twins; no real meter is touched (default false)',
      }),
    ),
  },
  strict,
);

export const PreviewBody = Type.Object({ target: Target }, strict);

export const Preview = Type.Object({
  count: Type.Integer({ description: 'Meters the target selects' }),
  meterIds: Type.Array(Type.Integer(), { description: 'The first few of them' }),
});

const Progress = Type.Object(Object.fromEntries(COMMAND_STATES.map((s) => [s, Type.Integer()])), {
  description: 'The campaign’s commands by state',
});

const campaignFields = {
  id: Type.Integer(),
  name: Type.String(),
  kind: Type.String(),
  target: Json,
  parameters: Json,
  reason: Type.String(),
  priority: Type.String(),
  throttle: Json,
  deadline: NullableDateTime,
  dryRun: Type.Boolean(),
  state: Type.String(),
  meterCount: Type.Integer(),
  requestedBy: Type.String(),
  requestedFrom: NullableString,
  approvedBy: NullableString,
  createdAt: DateTime,
  updatedAt: DateTime,
  history: Type.Array(
    Type.Object({ state: Type.String(), at: DateTime, by: Type.String(), detail: NullableJson }),
  ),
};

export const Campaign = Type.Object(campaignFields, { title: 'Campaign' });
export const CampaignWithProgress = Type.Object(
  { ...campaignFields, progress: Progress },
  { title: 'CampaignWithProgress' },
);
export const CampaignPage = PageOf(Campaign);

export const CampaignListQuery = Type.Object(
  {
    state: Type.Optional(listOf(CAMPAIGN_STATES, 'Campaign state')),
    kind: Type.Optional(Kind),
    requestedBy: Type.Optional(name(256)),
    dryRun: Type.Optional(Type.Boolean()),
    ...paging,
  },
  strict,
);

export const CampaignCommandQuery = Type.Object(
  {
    state: Type.Optional(listOf(COMMAND_STATES, 'Command state')),
    ...paging,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 500)' })),
  },
  strict,
);

export const MeterResult = Type.Object(
  {
    commandId: Type.Integer(),
    meter: Type.Object({ id: Type.Integer(), serial: NullableString }),
    state: Type.String(),
    attempts: Type.Integer(),
    result: NullableJson,
    error: ErrorInfo,
    updatedAt: DateTime,
  },
  { title: 'CampaignMeterResult' },
);
export const MeterResultPage = PageOf(MeterResult);

// ---------------------------------------------------------------------------------------
// Firmware images

export const FirmwareImage = Type.Object(
  {
    id: Type.Integer(),
    identifier: Type.String(),
    version: Type.String(),
    deviceProfiles: Type.Array(Type.String()),
    size: Type.Integer(),
    sha256: Type.String(),
    uploadedBy: Type.String(),
    uploadedAt: DateTime,
  },
  { title: 'FirmwareImage' },
);
export const FirmwareImagePage = PageOf(FirmwareImage);

export const UploadQuery = Type.Object(
  {
    identifier: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'image_identifier sent in image_transfer_initiate (printable ASCII, ≤ 64)',
    }),
    version: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Firmware identifier the meter reports once the image is active',
    }),
    deviceProfiles: Type.Optional(
      Type.String({
        pattern: '^[^,\\s]+(,[^,\\s]+)*$',
        maxLength: 4096,
        description: 'Comma-separated device profiles the image is for; absent: not restricted',
      }),
    ),
    sha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{64}$',
        description: 'Expected SHA-256 (hex); refused when it differs',
      }),
    ),
  },
  strict,
);

export const ImageBytes = Type.Unsafe<Uint8Array>({
  type: 'string',
  format: 'binary',
  description: `The image bytes (at most ${MAX_FIRMWARE_IMAGE_BYTES} bytes)`,
});

export const PageQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }, strict);
