// The public surface of VEE (the package index re-exports it).
export {
  type ChannelGroup,
  type ChannelGroupInput,
  CLASS_VALIDATION as VEE_CLASS_VALIDATION,
  channelGroup,
  channelGroups,
  DEFAULT_CHANNELS as VEE_DEFAULT_CHANNELS,
  DEFAULT_ESTIMATION as VEE_DEFAULT_ESTIMATION,
  DEFAULT_GROUP as VEE_DEFAULT_GROUP,
  DEFAULT_RESIDENTIAL_GROUP as VEE_DEFAULT_RESIDENTIAL_GROUP,
  DEFAULT_VALIDATION as VEE_DEFAULT_VALIDATION,
  type EstimationParams,
  groupFor,
  RESIDENTIAL_SPIKE as VEE_RESIDENTIAL_SPIKE,
  type ValidationParams,
} from './config.ts';
export { VeeError, VeeErrorCode } from './errors.ts';
export { QualityCode as VeeQualityCode, RULE_QUALITY as VEE_RULE_QUALITY } from './quality.ts';
export {
  emptyReport as emptyVeeReport,
  runMeter as runVeeMeter,
  runVee,
  type VeeDeps,
  type VeeRunRange,
  type VeeRunReport,
  type VeeStorePorts,
} from './run.ts';
export {
  MAX_SERIES_POINTS as VEE_MAX_SERIES_POINTS,
  mergeReports as mergeVeeReports,
  type VeeEditInput,
  type VeeLockInput,
  type VeePoint,
  type VeeSeriesMode,
  type VeeSeriesQuery,
  VeeService,
  type VeeServiceOptions,
} from './service.ts';
export {
  daysCovering as veeLocalDays,
  expectedIntervals as veeExpectedIntervals,
  type LocalDay,
} from './zone.ts';
