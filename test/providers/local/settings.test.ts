import { describe, expect, it } from 'vitest';
import type { CloudSection } from '../../../src/config/types.js';
import { ConfigError, HostRequirementError } from '../../../src/errors.js';
import { requireRoot, requireTools } from '../../../src/providers/local/host.js';
import { imageCacheDir } from '../../../src/providers/local/image.js';
import {
  isValidMachineName,
  readImageName,
  readLocalCloudSettings,
} from '../../../src/providers/local/settings.js';

const cloud = (settings: CloudSection['settings']): CloudSection => ({
  name: 'lab',
  provider: 'local',
  settings,
});

describe('readLocalCloudSettings', () => {
  it('applies the defaults', () => {
    const s = readLocalCloudSettings(cloud({}));
    expect({ subnet: s.subnet.cidr, bridge: s.bridge, nat: s.nat }).toEqual({
      subnet: '10.77.0.0/24',
      bridge: 'herdbr0',
      nat: true,
    });
  });

  it('reads the section keys', () => {
    const s = readLocalCloudSettings(cloud({ subnet: '10.79.0.0/24', bridge: 'herdtst0', nat: false }));
    expect({ subnet: s.subnet.cidr, bridge: s.bridge, nat: s.nat }).toEqual({
      subnet: '10.79.0.0/24',
      bridge: 'herdtst0',
      nat: false,
    });
  });

  it('reports every bad key with its section', () => {
    const error = (() => {
      try {
        readLocalCloudSettings(cloud({ subnet: '10.0.0.0/33', bridge: 'a-bridge-name-too-long' }));
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => `${p.section} ${p.key}`)).toEqual([
      'cloud/lab subnet',
      'cloud/lab bridge',
    ]);
  });
});

describe('readImageName', () => {
  it('defaults to debian-12 and accepts the hpc image', () => {
    expect(readImageName({}, { cloud: 'lab', kind: 'compute' })).toBe('debian-12');
    expect(readImageName({ image_id: 'debian-12-hpc' }, { cloud: 'lab', kind: 'compute' })).toBe(
      'debian-12-hpc',
    );
  });

  it('lists the known images for an unknown one', () => {
    expect(() => readImageName({ image_id: 'ami-123' }, { cloud: 'lab', kind: 'compute' })).toThrow(
      /kind "compute": unknown image "ami-123".*known images: debian-12, debian-12-hpc/,
    );
  });
});

describe('isValidMachineName', () => {
  it.each([
    ['slurm-compute001', true],
    ['my_cluster.1-frontend001', true],
    ['-leading', false],
    ['has space', false],
    ['a/b', false],
    ['x'.repeat(65), false],
  ])('%s -> %s', (name, ok) => {
    expect(isValidMachineName(name)).toBe(ok);
  });
});

describe('host requirements', () => {
  it('asks for root', () => {
    expect(() => requireRoot(1000)).toThrow(HostRequirementError);
    expect(() => requireRoot(1000)).toThrow(/needs root/);
    expect(() => requireRoot(0)).not.toThrow();
  });

  it('names the Debian packages of missing tools', () => {
    const present = new Set(['ip', 'tar', 'mount']);
    const lookup = (tool: string) => (present.has(tool) ? `/usr/bin/${tool}` : undefined);
    let error: HostRequirementError | undefined;
    try {
      requireTools(['systemd-nspawn', 'ip', 'nft', 'debootstrap', 'zstd'], lookup);
    } catch (e) {
      error = e as HostRequirementError;
    }
    expect(error).toBeInstanceOf(HostRequirementError);
    expect(error!.hint).toBe('Install with: apt-get install -y systemd-container nftables debootstrap zstd');
    expect(() => requireTools(['ip', 'tar'], lookup)).not.toThrow();
  });
});

describe('imageCacheDir', () => {
  it('uses HERD_IMAGE_CACHE, else the storage dir', () => {
    expect(imageCacheDir('/s', { HERD_IMAGE_CACHE: '/var/cache/x' })).toBe('/var/cache/x');
    expect(imageCacheDir('/s', {})).toBe('/s/local/images');
  });
});
