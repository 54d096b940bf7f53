import type { DlmsData } from '@openhes/dlms';
import { element, expectInteger, expectStructure, type Path } from './decode/shape.ts';
import { CosemError, CosemErrorCode } from './errors.ts';

/**
 * `scal_unit_type.unit` enumeration (Blue Book; reference tables §11). 0 is not a unit;
 * 58, 59, 68, 69 and 73..127 are unassigned. 128..174 are the non-SI units.
 */
export const Unit = {
  year: 1,
  month: 2,
  week: 3,
  day: 4,
  hour: 5,
  minute: 6,
  second: 7,
  phaseAngleDegree: 8,
  temperatureCelsius: 9,
  localCurrency: 10,
  length: 11,
  speed: 12,
  volume: 13,
  correctedVolume: 14,
  volumeFluxHour: 15,
  correctedVolumeFluxHour: 16,
  volumeFluxDay: 17,
  correctedVolumeFluxDay: 18,
  volumeLitre: 19,
  mass: 20,
  force: 21,
  energyNewtonMetre: 22,
  pressurePascal: 23,
  pressureBar: 24,
  energyJoule: 25,
  thermalPower: 26,
  activePower: 27,
  apparentPower: 28,
  reactivePower: 29,
  activeEnergy: 30,
  apparentEnergy: 31,
  reactiveEnergy: 32,
  current: 33,
  electricalCharge: 34,
  voltage: 35,
  electricFieldStrength: 36,
  capacitance: 37,
  resistance: 38,
  resistivity: 39,
  magneticFlux: 40,
  magneticFluxDensity: 41,
  magneticFieldStrength: 42,
  inductance: 43,
  frequency: 44,
  activeEnergyMeterConstant: 45,
  reactiveEnergyMeterConstant: 46,
  apparentEnergyMeterConstant: 47,
  voltSquaredHours: 48,
  ampereSquaredHours: 49,
  massFlux: 50,
  conductance: 51,
  temperatureKelvin: 52,
  voltSquaredHourMeterConstant: 53,
  ampereSquaredHourMeterConstant: 54,
  volumeMeterConstant: 55,
  percentage: 56,
  ampereHours: 57,
  energyPerVolume: 60,
  calorificValue: 61,
  molePercent: 62,
  massDensity: 63,
  dynamicViscosity: 64,
  specificEnergy: 65,
  pressureGramPerSquareCentimetre: 66,
  pressureAtmosphere: 67,
  signalStrengthDbm: 70,
  signalStrengthDbMicrovolt: 71,
  logarithmicRatioDb: 72,
  inch: 128,
  foot: 129,
  pound: 130,
  degreeFahrenheit: 131,
  degreeRankine: 132,
  squareInch: 133,
  squareFoot: 134,
  acre: 135,
  cubicInch: 136,
  cubicFoot: 137,
  acreFoot: 138,
  gallonImperial: 139,
  gallonUs: 140,
  poundForce: 141,
  poundForcePerSquareInch: 142,
  poundPerCubicFoot: 143,
  poundPerFootSecond: 144,
  squareFootPerSecond: 145,
  britishThermalUnit: 146,
  thermEu: 147,
  thermUs: 148,
  btuPerPound: 149,
  btuPerCubicFoot: 150,
  cubicFeetMeterConstant: 151,
  footPerSecond: 152,
  cubicFootPerSecond: 153,
  cubicFootPerMinute: 154,
  cubicFootPerHour: 155,
  cubicFootPerDay: 156,
  acreFootPerSecond: 157,
  acreFootPerMinute: 158,
  acreFootPerHour: 159,
  acreFootPerDay: 160,
  imperialGallonMeterConstant: 161,
  imperialGallonPerSecond: 162,
  imperialGallonPerMinute: 163,
  imperialGallonPerHour: 164,
  imperialGallonPerDay: 165,
  usGallonMeterConstant: 166,
  usGallonPerSecond: 167,
  usGallonPerMinute: 168,
  usGallonPerHour: 169,
  usGallonPerDay: 170,
  btuPerSecond: 171,
  btuPerMinute: 172,
  btuPerHour: 173,
  btuPerDay: 174,
  /** Reserved: "extended table of units" (one named source). */
  reserved: 253,
  other: 254,
  /** No unit, unitless, count. */
  count: 255,
} as const;
export type UnitName = keyof typeof Unit;
export type UnitValue = (typeof Unit)[UnitName];

export interface UnitInfo {
  symbol: string;
  quantity: string;
}

/** Symbol and quantity per unit value; the mapped type makes a missing unit a compile error. */
export const UNIT_INFO: { readonly [V in UnitValue]: UnitInfo } = {
  1: { symbol: 'a', quantity: 'time (year)' },
  2: { symbol: 'mo', quantity: 'time (month)' },
  3: { symbol: 'wk', quantity: 'time (week)' },
  4: { symbol: 'd', quantity: 'time (day)' },
  5: { symbol: 'h', quantity: 'time (hour)' },
  6: { symbol: 'min', quantity: 'time (minute)' },
  7: { symbol: 's', quantity: 'time (second)' },
  8: { symbol: '°', quantity: '(phase) angle' },
  9: { symbol: '°C', quantity: 'temperature' },
  10: { symbol: 'currency', quantity: '(local) currency' },
  11: { symbol: 'm', quantity: 'length' },
  12: { symbol: 'm/s', quantity: 'speed' },
  13: { symbol: 'm³', quantity: 'volume' },
  14: { symbol: 'm³', quantity: 'corrected volume' },
  15: { symbol: 'm³/h', quantity: 'volume flux' },
  16: { symbol: 'm³/h', quantity: 'corrected volume flux' },
  17: { symbol: 'm³/d', quantity: 'volume flux' },
  18: { symbol: 'm³/d', quantity: 'corrected volume flux' },
  19: { symbol: 'l', quantity: 'volume (litre)' },
  20: { symbol: 'kg', quantity: 'mass' },
  21: { symbol: 'N', quantity: 'force' },
  22: { symbol: 'Nm', quantity: 'energy (newton-metre)' },
  23: { symbol: 'Pa', quantity: 'pressure' },
  24: { symbol: 'bar', quantity: 'pressure' },
  25: { symbol: 'J', quantity: 'energy' },
  26: { symbol: 'J/h', quantity: 'thermal power' },
  27: { symbol: 'W', quantity: 'active power' },
  28: { symbol: 'VA', quantity: 'apparent power' },
  29: { symbol: 'var', quantity: 'reactive power' },
  30: { symbol: 'Wh', quantity: 'active energy' },
  31: { symbol: 'VAh', quantity: 'apparent energy' },
  32: { symbol: 'varh', quantity: 'reactive energy' },
  33: { symbol: 'A', quantity: 'current' },
  34: { symbol: 'C', quantity: 'electrical charge' },
  35: { symbol: 'V', quantity: 'voltage' },
  36: { symbol: 'V/m', quantity: 'electric field strength' },
  37: { symbol: 'F', quantity: 'capacitance' },
  38: { symbol: 'Ω', quantity: 'resistance' },
  39: { symbol: 'Ωm²/m', quantity: 'resistivity' },
  40: { symbol: 'Wb', quantity: 'magnetic flux' },
  41: { symbol: 'T', quantity: 'magnetic flux density' },
  42: { symbol: 'A/m', quantity: 'magnetic field strength' },
  43: { symbol: 'H', quantity: 'inductance' },
  44: { symbol: 'Hz', quantity: 'frequency' },
  45: { symbol: '1/(Wh)', quantity: 'active energy meter constant / pulse value' },
  46: { symbol: '1/(varh)', quantity: 'reactive energy meter constant' },
  47: { symbol: '1/(VAh)', quantity: 'apparent energy meter constant' },
  48: { symbol: 'V²h', quantity: 'volt-squared hours' },
  49: { symbol: 'A²h', quantity: 'ampere-squared hours' },
  50: { symbol: 'kg/s', quantity: 'mass flux' },
  51: { symbol: 'S', quantity: 'conductance' },
  52: { symbol: 'K', quantity: 'temperature' },
  53: { symbol: '1/(V²h)', quantity: 'volt-squared hour meter constant' },
  54: { symbol: '1/(A²h)', quantity: 'ampere-squared hour meter constant' },
  55: { symbol: '1/m³', quantity: 'meter constant (volume)' },
  56: { symbol: '%', quantity: 'percentage' },
  57: { symbol: 'Ah', quantity: 'ampere-hours' },
  60: { symbol: 'Wh/m³', quantity: 'energy per volume' },
  61: { symbol: 'J/m³', quantity: 'calorific value, wobbe' },
  62: { symbol: 'Mol %', quantity: 'molar fraction of gas composition' },
  63: { symbol: 'g/m³', quantity: 'mass density' },
  64: { symbol: 'Pa s', quantity: 'dynamic viscosity' },
  65: { symbol: 'J/kg', quantity: 'specific energy' },
  66: { symbol: 'g/cm²', quantity: 'pressure' },
  67: { symbol: 'atm', quantity: 'pressure' },
  70: { symbol: 'dBm', quantity: 'signal strength (dB milliwatt)' },
  71: { symbol: 'dBµV', quantity: 'signal strength (dB microvolt)' },
  72: { symbol: 'dB', quantity: 'logarithmic ratio' },
  128: { symbol: 'in', quantity: 'length (inch)' },
  129: { symbol: 'ft', quantity: 'length (foot)' },
  130: { symbol: 'lb', quantity: 'mass (pound)' },
  131: { symbol: '°F', quantity: 'temperature (degree Fahrenheit)' },
  132: { symbol: '°R', quantity: 'temperature (degree Rankine)' },
  133: { symbol: 'in²', quantity: 'area (square inch)' },
  134: { symbol: 'ft²', quantity: 'area (square foot)' },
  135: { symbol: 'ac', quantity: 'area (acre)' },
  136: { symbol: 'in³', quantity: 'volume (cubic inch)' },
  137: { symbol: 'ft³', quantity: 'volume (cubic foot)' },
  138: { symbol: 'ac·ft', quantity: 'volume (acre-foot)' },
  139: { symbol: 'gal (imp)', quantity: 'volume (imperial gallon)' },
  140: { symbol: 'gal (US)', quantity: 'volume (US gallon)' },
  141: { symbol: 'lbf', quantity: 'force (pound force)' },
  142: { symbol: 'psi', quantity: 'pressure (pound force per square inch)' },
  143: { symbol: 'lb/ft³', quantity: 'density (pound per cubic foot)' },
  144: { symbol: 'lb/(ft·s)', quantity: 'dynamic viscosity (pound per foot second)' },
  145: { symbol: 'ft²/s', quantity: 'kinematic viscosity (square foot per second)' },
  146: { symbol: 'Btu', quantity: 'energy (British thermal unit)' },
  147: { symbol: 'thm (EU)', quantity: 'energy (therm, EU)' },
  148: { symbol: 'thm (US)', quantity: 'energy (therm, US)' },
  149: { symbol: 'Btu/lb', quantity: 'specific energy (Btu per pound)' },
  150: { symbol: 'Btu/ft³', quantity: 'calorific value (Btu per cubic foot)' },
  151: { symbol: 'ft³', quantity: 'cubic feet (meter constant)' },
  152: { symbol: 'ft/s', quantity: 'speed (foot per second)' },
  153: { symbol: 'ft³/s', quantity: 'volume flux (cubic foot per second)' },
  154: { symbol: 'ft³/min', quantity: 'volume flux (cubic foot per minute)' },
  155: { symbol: 'ft³/h', quantity: 'volume flux (cubic foot per hour)' },
  156: { symbol: 'ft³/d', quantity: 'volume flux (cubic foot per day)' },
  157: { symbol: 'ac·ft/s', quantity: 'volume flux (acre-foot per second)' },
  158: { symbol: 'ac·ft/min', quantity: 'volume flux (acre-foot per minute)' },
  159: { symbol: 'ac·ft/h', quantity: 'volume flux (acre-foot per hour)' },
  160: { symbol: 'ac·ft/d', quantity: 'volume flux (acre-foot per day)' },
  161: { symbol: 'gal (imp)', quantity: 'imperial gallon (meter constant)' },
  162: { symbol: 'gal (imp)/s', quantity: 'volume flux (imperial gallon per second)' },
  163: { symbol: 'gal (imp)/min', quantity: 'volume flux (imperial gallon per minute)' },
  164: { symbol: 'gal (imp)/h', quantity: 'volume flux (imperial gallon per hour)' },
  165: { symbol: 'gal (imp)/d', quantity: 'volume flux (imperial gallon per day)' },
  166: { symbol: 'gal (US)', quantity: 'US gallon (meter constant)' },
  167: { symbol: 'gal (US)/s', quantity: 'volume flux (US gallon per second)' },
  168: { symbol: 'gal (US)/min', quantity: 'volume flux (US gallon per minute)' },
  169: { symbol: 'gal (US)/h', quantity: 'volume flux (US gallon per hour)' },
  170: { symbol: 'gal (US)/d', quantity: 'volume flux (US gallon per day)' },
  171: { symbol: 'Btu/s', quantity: 'power (Btu per second)' },
  172: { symbol: 'Btu/min', quantity: 'power (Btu per minute)' },
  173: { symbol: 'Btu/h', quantity: 'power (Btu per hour)' },
  174: { symbol: 'Btu/d', quantity: 'power (Btu per day)' },
  253: { symbol: '', quantity: 'reserved (extended table of units)' },
  254: { symbol: 'other', quantity: 'other unit' },
  255: { symbol: '', quantity: 'no unit, unitless, count' },
};

const UNIT_NAME_BY_VALUE = new Map<number, UnitName>(
  (Object.keys(Unit) as UnitName[]).map((name) => [Unit[name], name]),
);

export function isUnit(n: number): n is UnitValue {
  return UNIT_NAME_BY_VALUE.has(n);
}

export function unitInfo(n: number): UnitInfo | undefined {
  return isUnit(n) ? UNIT_INFO[n] : undefined;
}

/** Symbol for display ('' for count); undefined for an unassigned value. */
export function unitSymbol(n: number): string | undefined {
  return unitInfo(n)?.symbol;
}

/** The `Unit` key, e.g. 30 → 'activeEnergy'. */
export function unitName(n: number): UnitName | undefined {
  return UNIT_NAME_BY_VALUE.get(n);
}

/** `scal_unit_type ::= structure { scaler: integer, unit: enum }`; value = raw × 10^scaler. */
export interface ScalerUnit {
  scaler: number;
  unit: number;
}

export function decodeScalerUnit(d: DlmsData, path: Path = 'scaler_unit'): ScalerUnit {
  const v = expectStructure(d, 2, path);
  const s = expectInteger(element(v, 0, path), `${path}.scaler`);
  const u = expectInteger(element(v, 1, path), `${path}.unit`);
  if (s < -128 || s > 127) {
    throw new CosemError(CosemErrorCode.Shape, `${path}.scaler ${s} outside -128..127`, {
      path: `${path}.scaler`,
    });
  }
  if (u < 0 || u > 255) {
    throw new CosemError(CosemErrorCode.Shape, `${path}.unit ${u} outside 0..255`, { path: `${path}.unit` });
  }
  return { scaler: s, unit: u };
}

export function encodeScalerUnit(su: ScalerUnit): DlmsData {
  if (!Number.isInteger(su.scaler) || su.scaler < -128 || su.scaler > 127) {
    throw new CosemError(CosemErrorCode.Encode, `scaler ${su.scaler} outside -128..127`);
  }
  if (!Number.isInteger(su.unit) || su.unit < 0 || su.unit > 255) {
    throw new CosemError(CosemErrorCode.Encode, `unit ${su.unit} outside 0..255`);
  }
  return {
    type: 'structure',
    value: [
      { type: 'integer', value: su.scaler },
      { type: 'enum', value: su.unit },
    ],
  };
}

const DECIMAL_NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/**
 * value × 10^scaler, computed on the decimal digits so that the result is the double nearest
 * to the exact decimal (12345 × 10^-3 → 12.345, never 12.344999…). Integers, bigints and
 * the floats some meters send are all handled; NaN and ±Infinity pass through.
 */
/** 10^0 … 10^22, each exact in binary64 (built by exact multiplications). */
const POW10: number[] = [1];
for (let i = 1; i <= 22; i++) POW10.push(POW10[i - 1]! * 10);

export function applyScaler(value: number | bigint, scaler: number): number {
  if (!Number.isInteger(scaler)) {
    throw new CosemError(CosemErrorCode.Encode, `scaler ${scaler} is not an integer`);
  }
  if (typeof value === 'bigint') return Number(`${value}e${scaler}`);
  if (!Number.isFinite(value)) return value;
  if (scaler === 0) return value;
  // Integers (what meters send) with a power of ten that is exact in binary: one IEEE
  // multiplication or division is correctly rounded, so it equals the decimal-text route.
  if (Number.isSafeInteger(value) && scaler >= -22 && scaler <= 22) {
    if (scaler < 0) return value / POW10[-scaler]!;
    const r = value * POW10[scaler]!;
    if (Number.isSafeInteger(r)) return r;
  }
  const m = DECIMAL_NUMBER.exec(String(value));
  if (!m) return value * 10 ** scaler;
  const [, sign, int, frac = '', exp = '0'] = m;
  return Number(`${sign}${int}${frac}e${Number(exp) - frac.length + scaler}`);
}

/** Inverse of applyScaler for writing: the integer to send for a physical value. */
export function removeScaler(value: number, scaler: number): number {
  const raw = applyScaler(value, -scaler);
  return Math.round(raw);
}

export function formatScaled(value: number, su: ScalerUnit | undefined): string {
  const symbol = su === undefined ? '' : unitSymbol(su.unit);
  return symbol ? `${value} ${symbol}` : String(value);
}
