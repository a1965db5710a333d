/**
 * The OpenStack pieces of the config schema: the `[cloud/NAME] provider=openstack` section and the
 * node keys only OpenStack has. Kept in one file so that the provider registry can move it next to
 * the provider (src/providers/openstack/) as it is.
 *
 * No credential key is required here: a `clouds.yaml` entry (`cloud=` or OS_CLOUD) may supply them,
 * and the provider reports what is missing once it has read that file too.
 */
import { PROVIDER_KEY, SSH_CIDR_KEY } from './shared-keys.js';
import type { KeySchema, SectionSchema } from './types.js';

const apiVersion = (service: string, env: string): KeySchema => ({
  type: 'string',
  env: [env],
  description: `${service} API version (accepted for compatibility; herd uses the current API of each service).`,
});

/** `request_floating_ip`: a cloud-wide default that a kind may override. */
export const REQUEST_FLOATING_IP: KeySchema = {
  type: 'boolean',
  default: false,
  description: 'Give every node a floating IP (released at stop).',
};

const floatingNetwork: KeySchema = {
  type: 'string',
  minLength: 1,
  description:
    'External network (name or id) floating IPs come from; default: the only external network of the cloud.',
};

const availabilityZone: KeySchema = {
  type: 'string',
  pattern: '^[^,\\s]+(\\s*,\\s*[^,\\s]+)*$',
  description:
    'Availability zone of the nodes; a comma-separated list is a failover order (the next zone is tried when one has no valid host).',
  hint: 'write zone names separated by commas, e.g. nova or az1,az2',
};

/** `[cloud/NAME] provider=openstack`; each key falls back to the OS_* variable the openstack CLI reads. */
export const OPENSTACK_CLOUD_SCHEMA: SectionSchema = {
  type: 'object',
  description:
    'OpenStack (Keystone v3, Nova, Neutron, Glance); keys fall back to the OS_* variables and to a clouds.yaml entry.',
  properties: {
    provider: PROVIDER_KEY,
    cloud: {
      type: 'string',
      minLength: 1,
      env: ['OS_CLOUD'],
      description:
        'Entry of clouds.yaml (./, ~/.config/openstack/, /etc/openstack/, or OS_CLIENT_CONFIG_FILE) to read the other keys from.',
    },
    auth_url: {
      type: 'string',
      format: 'http-url',
      env: ['OS_AUTH_URL'],
      description: 'Keystone URL.',
      // ElastiCluster accepted any text here and failed only when it started the cluster.
      hint: 'herd reaches Keystone only at an http:// or https:// URL; write it whole, e.g. https://keystone.example.org:5000/v3',
    },
    auth_type: {
      type: 'string',
      enum: ['password', 'v3password', 'v3applicationcredential', 'application_credential'],
      env: ['OS_AUTH_TYPE'],
      description:
        'password (default) or v3applicationcredential; default: application credential when its id or name is set.',
    },
    username: { type: 'string', minLength: 1, env: ['OS_USERNAME'], description: 'User name.' },
    user_id: {
      type: 'string',
      minLength: 1,
      env: ['OS_USER_ID'],
      description: 'User id (instead of username).',
    },
    password: { type: 'string', minLength: 1, env: ['OS_PASSWORD'], secret: true, description: 'Password.' },
    project_name: {
      type: 'string',
      minLength: 1,
      env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
      description: 'Project (tenant) name.',
    },
    project_id: {
      type: 'string',
      minLength: 1,
      env: ['OS_PROJECT_ID', 'OS_TENANT_ID'],
      description: 'Project id (instead of project_name).',
    },
    user_domain_name: {
      type: 'string',
      minLength: 1,
      env: ['OS_USER_DOMAIN_NAME'],
      description: 'Domain of the user, by name; default: the domain with id "default".',
    },
    user_domain_id: {
      type: 'string',
      minLength: 1,
      env: ['OS_USER_DOMAIN_ID'],
      description: 'Domain of the user, by id.',
    },
    project_domain_name: {
      type: 'string',
      minLength: 1,
      env: ['OS_PROJECT_DOMAIN_NAME'],
      description: 'Domain of the project, by name; default: the domain with id "default".',
    },
    project_domain_id: {
      type: 'string',
      minLength: 1,
      env: ['OS_PROJECT_DOMAIN_ID'],
      description: 'Domain of the project, by id.',
    },
    application_credential_id: {
      type: 'string',
      minLength: 1,
      env: ['OS_APPLICATION_CREDENTIAL_ID'],
      description: 'Application credential id (openstack application credential create).',
    },
    application_credential_name: {
      type: 'string',
      minLength: 1,
      env: ['OS_APPLICATION_CREDENTIAL_NAME'],
      description: 'Application credential name (with username or user_id).',
    },
    application_credential_secret: {
      type: 'string',
      minLength: 1,
      env: ['OS_APPLICATION_CREDENTIAL_SECRET'],
      secret: true,
      description: 'Application credential secret.',
    },
    region_name: { type: 'string', minLength: 1, env: ['OS_REGION_NAME'], description: 'Region.' },
    interface: {
      type: 'string',
      enum: ['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL'],
      env: ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'],
      description: 'Which endpoints of the service catalog herd uses (default public).',
    },
    cacert: {
      type: 'string',
      minLength: 1,
      env: ['OS_CACERT'],
      description: 'CA certificate bundle (PEM) to verify the cloud’s HTTPS endpoints with.',
    },
    insecure: {
      type: 'boolean',
      env: ['OS_INSECURE'],
      description: 'Do not verify HTTPS certificates (test clouds only).',
    },
    availability_zone: { ...availabilityZone, env: ['OS_AVAILABILITY_ZONE'] },
    compute_api_version: {
      type: 'string',
      pattern: '^(1\\.1|2|2\\.\\d+|2\\.latest)$',
      env: ['OS_COMPUTE_API_VERSION'],
      description:
        'Nova API version: 2 (default: herd picks the microversion it needs) or 2.N to cap the microversion herd asks for.',
      hint: 'write 2, or a microversion such as 2.67',
    },
    image_api_version: apiVersion('Glance', 'OS_IMAGE_API_VERSION'),
    network_api_version: apiVersion('Neutron', 'OS_NETWORK_API_VERSION'),
    volume_api_version: apiVersion('Cinder', 'OS_VOLUME_API_VERSION'),
    identity_api_version: {
      type: 'string',
      enum: ['3', '2', '2.0'],
      env: ['OS_IDENTITY_API_VERSION'],
      description: 'Keystone API version: 3 (Keystone v2.0 was removed from OpenStack in 2018).',
    },
    request_floating_ip: REQUEST_FLOATING_IP,
    floating_network_id: floatingNetwork,
    use_anti_affinity_groups: {
      type: 'boolean',
      default: false,
      description:
        'Place the nodes of each kind in an anti-affinity server group (a new group when one is full).',
    },
    build_timeout: {
      type: 'integer',
      minimum: 1,
      default: 600,
      description: 'Seconds Nova may take to place a new server on a host before herd gives up on it.',
    },
    ssh_cidr: SSH_CIDR_KEY,
  },
  required: ['provider'],
  additionalProperties: false,
};

/** Node keys only OpenStack has (besides image_id, flavor, security_group, image_userdata, network_ids). */
export const OPENSTACK_NODE_KEYS: Readonly<Record<string, KeySchema>> = {
  network_ids: {
    type: 'string',
    description:
      'Networks (names or ids) every node attaches to, comma-separated (one NIC each); alternatives separated by "|" are tried in order when one has no room.',
  },
  security_group: {
    type: 'string',
    minLength: 1,
    description:
      'Security groups (names or ids), comma-separated; a missing one is created. Default: herd-<cluster>, created and removed by herd.',
  },
  boot_disk_size: {
    type: 'integer',
    minimum: 1,
    description: 'Boot from a volume of this size in GiB (deleted with the server).',
  },
  boot_disk_type: {
    type: 'string',
    minLength: 1,
    description: 'Cinder volume type of the boot volume (needs boot_disk_size).',
  },
  availability_zone: availabilityZone,
  request_floating_ip: {
    type: 'boolean',
    description: 'Give these nodes a floating IP (default: the cloud section’s request_floating_ip).',
  },
  floating_network_id: floatingNetwork,
};
