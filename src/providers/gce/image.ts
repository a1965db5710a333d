/**
 * `image_id` to a boot disk `sourceImage`. Accepted forms:
 * - a URL (`https://.../projects/P/global/images/X`) or a path (`projects/P/global/images/X`,
 *   `projects/P/global/images/family/F`, `global/images/X`): used as is;
 * - `P/X` (gcloud's `--image-project P --image X` in one word): image X of project P, or family X
 *   when X carries no version suffix (`-vYYYYMMDD`);
 * - a short public name (`debian-12`, `ubuntu-2204-lts`, `rocky-linux-9`): the latest image of that
 *   family in its public project; with a version suffix (`debian-12-bookworm-v20240110`) that
 *   exact image, as ElastiCluster's GCE image names were;
 * - any other name: an image of the cluster's own project.
 */

/** Public image projects by name prefix (longest prefix first). */
export const PUBLIC_IMAGE_PROJECTS: readonly (readonly [prefix: string, project: string])[] = [
  ['ubuntu-pro-', 'ubuntu-os-pro-cloud'],
  ['ubuntu-', 'ubuntu-os-cloud'],
  ['debian-', 'debian-cloud'],
  ['rocky-linux-', 'rocky-linux-cloud'],
  ['centos-stream-', 'centos-cloud'],
  ['centos-', 'centos-cloud'],
  ['rhel-', 'rhel-cloud'],
  ['almalinux-', 'almalinux-cloud'],
  ['sles-', 'suse-cloud'],
  ['opensuse-', 'opensuse-cloud'],
  ['fedora-coreos-', 'fedora-coreos-cloud'],
  ['cos-', 'cos-cloud'],
];

const VERSIONED = /-v\d{8}/;

/** The public project holding images named like `name`, if any. */
export function publicImageProject(name: string): string | undefined {
  return PUBLIC_IMAGE_PROJECTS.find(([prefix]) => name.startsWith(prefix))?.[1];
}

/** The `sourceImage` for an `image_id` (see the module comment); `project` is the cluster's project. */
export function resolveImage(imageId: string, project: string): string {
  const id = imageId.trim();
  if (/^https?:\/\//.test(id) || id.startsWith('projects/') || id.startsWith('global/')) return id;
  const slash = id.split('/');
  if (slash.length === 2) {
    const [p, name] = slash as [string, string];
    return VERSIONED.test(name)
      ? `projects/${p}/global/images/${name}`
      : `projects/${p}/global/images/family/${name}`;
  }
  const publicProject = publicImageProject(id);
  if (publicProject) {
    return VERSIONED.test(id)
      ? `projects/${publicProject}/global/images/${id}`
      : `projects/${publicProject}/global/images/family/${id}`;
  }
  return `projects/${project}/global/images/${id}`;
}
