/**
 * COSEM interface class ids by name (IEC 62056-6-2). Code names a class by this constant,
 * never by its number; the class tables (`INTERFACE_CLASSES`) use the same constants.
 */
export const ClassId = {
  Data: 1,
  Register: 3,
  ExtendedRegister: 4,
  DemandRegister: 5,
  RegisterActivation: 6,
  ProfileGeneric: 7,
  Clock: 8,
  ScriptTable: 9,
  Schedule: 10,
  SpecialDaysTable: 11,
  AssociationSN: 12,
  AssociationLN: 15,
  SapAssignment: 17,
  ImageTransfer: 18,
  IecLocalPortSetup: 19,
  ActivityCalendar: 20,
  RegisterMonitor: 21,
  SingleActionSchedule: 22,
  IecHdlcSetup: 23,
  PushSetup: 40,
  TcpUdpSetup: 41,
  Ipv4Setup: 42,
  GprsModemSetup: 45,
  GsmDiagnostic: 47,
  StatusMapping: 63,
  SecuritySetup: 64,
  DisconnectControl: 70,
  Limiter: 71,
} as const;
export type ClassIdName = keyof typeof ClassId;
export type ClassIdValue = (typeof ClassId)[ClassIdName];
