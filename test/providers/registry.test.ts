/**
 * The provider registry: every list of clouds herd has is derived from its rows, so a cloud added as
 * one row is accepted by the config, stored in state, listed in messages and loaded by `start`.
 */
import { describe, expect, it } from 'vitest';
import { CLOUD_SCHEMAS, NODE_KEYS, SUPPORTED_PROVIDERS } from '../../src/config/schema/index.js';
import { assertCanStart, createProvider } from '../../src/providers/index.js';
import { CLOUDS, cloudRow, PROVIDER_ALIASES, PROVIDERS } from '../../src/providers/registry.js';
import { clusterStateSchema } from '../../src/state/schema.js';
import { allProblems, ini, loadText } from '../config/helpers.js';

const context = {
  storageDir: '/nonexistent',
  log: { info() {}, warn() {}, debug() {} },
} as unknown as Parameters<typeof createProvider>[1];

describe('provider registry', () => {
  it('derives the provider names, aliases and message list from its rows', () => {
    expect(PROVIDERS).toEqual(CLOUDS.map((c) => c.name));
    expect(PROVIDER_ALIASES).toEqual({ ec2: 'ec2_boto', gce: 'google' });
    for (const c of CLOUDS) {
      expect(SUPPORTED_PROVIDERS).toContain(c.name);
      for (const alias of c.aliases) expect(SUPPORTED_PROVIDERS).toContain(`${c.name} (alias ${alias})`);
    }
  });

  it('gives every cloud section the provider key, required, plus its own keys', () => {
    for (const c of CLOUDS) {
      const schema = CLOUD_SCHEMAS[c.name];
      expect(Object.keys(schema.properties)).toEqual(['provider', ...Object.keys(c.cloud.properties)]);
      expect(schema.required).toEqual(['provider', ...(c.cloud.required ?? [])]);
      expect(NODE_KEYS[c.name]).toBe(c.nodeKeys);
      for (const key of c.requiredNodeKeys)
        expect(Object.keys(c.nodeKeys), `${c.name}: ${key}`).toContain(key);
    }
  });

  it('lets the state file hold exactly the registered providers', () => {
    const cloud = (clusterStateSchema.properties.template as { properties: Record<string, unknown> })
      .properties['cloud'] as { properties: { provider: { enum: string[] } } };
    expect(cloud.properties.provider.enum).toEqual([...PROVIDERS]);
  });

  it.each(CLOUDS.filter((c) => c.requiredNodeKeys.length > 0).map((c) => [c.name]))(
    '%s: a kind without its required node keys is named, with the key to set',
    async (name) => {
      const extra = name === 'libcloud' ? '\ndriver_name=dummy' : name === 'ec2_boto' ? '\nec2_region=r' : '';
      const project = name === 'google' ? '\ngce_project_id=p' : '';
      const { config } = await loadText(
        `[cloud/c]\nprovider=${name}${extra}${project}\n${ini`
          [login/l]
          image_user=u
          [setup/s]
          compute_groups=slurm_worker
          [cluster/t]
          cloud=c
          login=l
          setup=s
          compute_nodes=1
        `}`,
      );
      expect(config.templates.has('t')).toBe(false);
      const messages = allProblems(config).map((p) => p.message);
      for (const key of cloudRow(name).requiredNodeKeys)
        expect(messages).toContain(
          `kind "compute" has no ${key}; set ${key} in [cluster/t] or [cluster/t/compute]`,
        );
    },
  );

  it('loads the implementation of a startable cloud only when asked, and refuses the others by name', async () => {
    for (const c of CLOUDS) {
      const cloud = { name: 'c', provider: c.name, settings: {} };
      if (c.load) {
        expect(() => assertCanStart(cloud)).not.toThrow();
        expect(typeof (await c.load())).toBe('function');
      } else {
        expect(() => assertCanStart(cloud)).toThrow(/cannot start nodes yet/);
        await expect(createProvider(cloud, context)).rejects.toThrow(new RegExp(c.title));
      }
    }
  });
});
