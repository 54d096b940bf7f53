/**
 * Two trees a meter hangs in: the electrical network (feeder → transformer → service point)
 * and the site hierarchy (site → building → section). A meter points at one leaf of each.
 */
export const Hierarchy = { network: 'network', site: 'site' } as const;
export type Hierarchy = (typeof Hierarchy)[keyof typeof Hierarchy];

export const NodeKind = {
  feeder: 'feeder',
  transformer: 'transformer',
  servicePoint: 'service-point',
  site: 'site',
  building: 'building',
  section: 'section',
} as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

/** Allowed parent kind for each node kind; null means a root. */
export const NODE_PARENT: Readonly<Record<NodeKind, NodeKind | null>> = {
  feeder: null,
  transformer: 'feeder',
  'service-point': 'transformer',
  site: null,
  building: 'site',
  section: 'building',
};

export const NODE_HIERARCHY: Readonly<Record<NodeKind, Hierarchy>> = {
  feeder: 'network',
  transformer: 'network',
  'service-point': 'network',
  site: 'site',
  building: 'site',
  section: 'site',
};

export interface TopologyNode {
  id: number;
  hierarchy: Hierarchy;
  kind: NodeKind;
  parentId: number | null;
  /** Utility's own identifier, unique per hierarchy. */
  code: string;
  name: string;
}

export interface NewTopologyNode {
  kind: NodeKind;
  parentId: number | null;
  code: string;
  name: string;
}
