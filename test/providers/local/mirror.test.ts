import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostRequirementError } from '../../../src/errors.js';
import {
  findHostMirror,
  imageSourcesList,
  parseDeb822Sources,
  parseOneLineSources,
  pickMirror,
} from '../../../src/providers/local/mirror.js';

// Sample mirrors use reserved example names: the real one is read from the host at run time.
const DEB822 = `Types: deb
# http://snapshot.example.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
`;

describe('parseDeb822Sources', () => {
  it('reads every stanza, skipping comments', () => {
    expect(parseDeb822Sources(DEB822)).toEqual([
      {
        uri: 'http://mirror.example.org/debian',
        suites: ['bookworm', 'bookworm-updates'],
        components: ['main'],
      },
      {
        uri: 'http://mirror.example.org/debian-security',
        suites: ['bookworm-security'],
        components: ['main'],
      },
    ]);
  });

  it.each([
    [
      'deb-src only',
      'Types: deb-src\nURIs: http://a.example/debian\nSuites: bookworm\nComponents: main\n',
      [],
    ],
    ['disabled', 'Types: deb\nEnabled: no\nURIs: http://a.example/debian\nSuites: bookworm\n', []],
    [
      'several URIs and folded lines',
      'Types: deb deb-src\nURIs: http://a.example/debian\n http://b.example/debian\nSuites: bookworm\nComponents: main contrib\n',
      ['http://a.example/debian', 'http://b.example/debian'],
    ],
  ])('%s', (_name, text, uris) => {
    expect(parseDeb822Sources(text).map((s) => s.uri)).toEqual(uris);
  });
});

describe('parseOneLineSources', () => {
  it('reads deb lines with options, skipping deb-src and comments', () => {
    const text = [
      '# deb http://old.example/debian buster main',
      'deb-src http://src.example/debian bookworm main',
      'deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://a.example/debian bookworm main contrib',
      'deb http://a.example/debian-security bookworm-security main # trailing comment',
    ].join('\n');
    expect(parseOneLineSources(text)).toEqual([
      { uri: 'http://a.example/debian', suites: ['bookworm'], components: ['main', 'contrib'] },
      { uri: 'http://a.example/debian-security', suites: ['bookworm-security'], components: ['main'] },
    ]);
  });
});

describe('pickMirror and imageSourcesList', () => {
  const sources = parseDeb822Sources(DEB822);

  it('picks the source of the release itself, not security or updates', () => {
    expect(pickMirror([...sources].reverse(), 'bookworm')).toBe('http://mirror.example.org/debian');
    expect(pickMirror(sources, 'trixie')).toBeUndefined();
  });

  it('writes the release, updates and security suites for the image', () => {
    expect(imageSourcesList(sources, 'bookworm')).toBe(
      [
        'deb http://mirror.example.org/debian bookworm main',
        'deb http://mirror.example.org/debian bookworm-updates main',
        'deb http://mirror.example.org/debian-security bookworm-security main',
        '',
      ].join('\n'),
    );
  });
});

describe('findHostMirror', () => {
  it('reads sources.list.d/*.sources and falls back to sources.list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-apt-'));
    try {
      await mkdir(join(dir, 'sources.list.d'));
      await writeFile(join(dir, 'sources.list'), 'deb http://list.example/debian bookworm main\n');
      expect((await findHostMirror('bookworm', dir)).mirror).toBe('http://list.example/debian');
      await writeFile(join(dir, 'sources.list.d', 'debian.sources'), DEB822);
      expect((await findHostMirror('bookworm', dir)).mirror).toBe('http://mirror.example.org/debian');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says where it looked when no source names the release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-apt-'));
    try {
      const error = await findHostMirror('bookworm', dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostRequirementError);
      expect((error as Error).message).toContain(`${dir}/sources.list`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
