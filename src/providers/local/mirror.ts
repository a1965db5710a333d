/**
 * Finds the Debian mirror the host's own apt sources name, so images are built from the same
 * mirror the host uses (and no mirror's host name is ever written into herd).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostRequirementError } from '../../errors.js';

/** One `deb` source of the host. */
export interface AptSource {
  uri: string;
  suites: readonly string[];
  components: readonly string[];
}

/** Parses deb822 `.sources` text: stanzas separated by blank lines, `#` comments, folded lines. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon < 1) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') continue;
    const suites = words('suites');
    const components = words('components');
    for (const uri of words('uris')) sources.push({ uri, suites, components });
  }
  return sources;
}

/** Parses one-line `sources.list` text: `deb [options] URI SUITE COMPONENT...`. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, ' ')
      .trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (type !== 'deb' || !uri || !suite) continue;
    sources.push({ uri, suites: [suite], components });
  }
  return sources;
}

/** The URI of the first source that carries the release itself (`bookworm`, not `-security`). */
export function pickMirror(sources: readonly AptSource[], suite: string): string | undefined {
  return sources.find((s) => s.suites.includes(suite))?.uri;
}

/** `deb` lines for the image's sources.list: every host source of this release (updates, security). */
export function imageSourcesList(sources: readonly AptSource[], suite: string): string {
  const lines: string[] = [];
  for (const s of sources) {
    for (const x of s.suites.filter((name) => name === suite || name.startsWith(`${suite}-`))) {
      lines.push(`deb ${s.uri} ${x} ${s.components.length > 0 ? s.components.join(' ') : 'main'}`);
    }
  }
  return `${[...new Set(lines)].join('\n')}\n`;
}

/** Every `deb` source in the host's apt configuration under `aptDir` (default `/etc/apt`). */
export async function readHostSources(aptDir = '/etc/apt'): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const dir = join(aptDir, 'sources.list.d');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    if (name.endsWith('.sources'))
      sources.push(...parseDeb822Sources(await readFile(join(dir, name), 'utf8')));
    else if (name.endsWith('.list'))
      sources.push(...parseOneLineSources(await readFile(join(dir, name), 'utf8')));
  }
  const list = await readFile(join(aptDir, 'sources.list'), 'utf8').catch(() => '');
  sources.push(...parseOneLineSources(list));
  return sources;
}

/** The host's mirror for `suite`, or a HostRequirementError saying where herd looked. */
export async function findHostMirror(
  suite: string,
  aptDir = '/etc/apt',
): Promise<{ mirror: string; sources: AptSource[] }> {
  const sources = await readHostSources(aptDir);
  const mirror = pickMirror(sources, suite);
  if (!mirror) {
    throw new HostRequirementError(
      `No Debian mirror for "${suite}" found in ${aptDir}/sources.list.d/*.sources or ${aptDir}/sources.list (needed to build the local node image).`,
      {
        hint: `Add a "deb" source for ${suite} to the host's apt sources (the one this host installs packages from).`,
      },
    );
  }
  return { mirror, sources };
}
