/**
 * What `buildTemplate` has read of one cluster and hands to `checkTemplate`: its own module so that the
 * builder and the cross-checks both depend on it, not on each other.
 */
import type { IniEntry } from './ini-reader.js';
import type { ResolvedSetup } from './resolve-sections.js';
import type { Section } from './sections.js';
import type { CloudSection, ConfigValue, NodeSettings, ProviderName } from './types.js';

/** The values of a cluster section plus where each came from, for the cross-checks. */
export interface ClusterFacts {
  section: Section;
  entries: ReadonlyMap<string, IniEntry>;
  values: Readonly<Record<string, ConfigValue>>;
  provider: ProviderName | undefined;
  cloudSection: Section | undefined;
  cloud: CloudSection | undefined;
  setup: ResolvedSetup | undefined;
  setupSection: Section | undefined;
  /** Keys of the cluster section no schema names (accepted with a warning). */
  extras: ReadonlyMap<string, IniEntry>;
}

/** A `[cluster/NAME/KIND]` section: its validated node settings and the keys no schema names. */
export interface KindOverride {
  section: Section;
  values: NodeSettings;
  extras: ReadonlyMap<string, IniEntry>;
}
