import { CONTROL_ROLE_CLASS, CONTROL_ROLES, type ControlRole, type ControlSection } from './schema.ts';

/** A control role's object as a driver uses it: where it is and which association to open. */
export interface ControlObject<A extends { key: string } = { key: string }> {
  role: ControlRole;
  obis: string;
  classId: (typeof CONTROL_ROLE_CLASS)[ControlRole];
  association: A;
}

/** Any profile view that carries the control section and its associations. */
export interface ControlView<A extends { key: string }> {
  control?: ControlSection;
  associations: readonly A[];
}

/**
 * The object playing `role` in a model (disconnect control, limiter, activity calendar …)
 * with the association that may use it; undefined when the model cannot do it.
 */
export function controlObject<A extends { key: string }>(
  p: ControlView<A>,
  role: ControlRole,
): ControlObject<A> | undefined {
  const c = p.control?.[role];
  if (c === undefined) return undefined;
  const association = p.associations.find((a) => a.key === c.association);
  if (association === undefined) return undefined;
  return { role, obis: c.obis, classId: CONTROL_ROLE_CLASS[role], association };
}

/** Every control role a model supports, in CONTROL_ROLES order. */
export function controlObjects<A extends { key: string }>(p: ControlView<A>): ControlObject<A>[] {
  const out: ControlObject<A>[] = [];
  for (const role of CONTROL_ROLES) {
    const o = controlObject(p, role);
    if (o !== undefined) out.push(o);
  }
  return out;
}
