import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileInvalidError } from '../errors.ts';
import { resolveProfiles } from '../profile/resolve.ts';
import type { DeviceProfile, ProfileFile } from '../profile/schema.ts';

/** The profiles shipped with this package (packages/cosem/profiles). */
export function defaultProfilesDirectory(): string {
  return fileURLToPath(new URL('../../profiles/', import.meta.url));
}

/** Every `*.json` file of a directory, parsed, in name order. */
export function readProfileFiles(dir: string = defaultProfilesDirectory()): ProfileFile[] {
  const files: ProfileFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    } catch (e) {
      throw new ProfileInvalidError(name, '(file)', `${name} is not JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (typeof json !== 'object' || json === null || typeof (json as ProfileFile).id !== 'string')
      throw new ProfileInvalidError(name, 'id', `${name} has no profile id`);
    files.push(json as ProfileFile);
  }
  return files;
}

/** Every concrete profile of a directory, resolved and validated (see resolveProfiles). */
export function loadDeviceProfiles(dir: string = defaultProfilesDirectory()): Map<string, DeviceProfile> {
  return resolveProfiles(readProfileFiles(dir));
}
