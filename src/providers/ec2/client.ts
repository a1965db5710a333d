/**
 * The SDK client for one cloud section: region, endpoint (`ec2_url`), credentials (static keys, or the
 * SDK's default chain: environment, shared files with `profile`, SSO, instance role) and adaptive retry,
 * which retries throttling (RequestLimitExceeded) and 5xx with backoff and rate limiting.
 */
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { Ec2CloudSettings } from './settings.js';

/** Knobs tests turn; herd uses the defaults. */
export interface Ec2ClientOptions {
  /** Attempts per call, throttling included (default 6). */
  maxAttempts?: number;
}

/** The client configuration for `cloud`; secrets stay in memory and are never logged. */
export function ec2ClientConfig(cloud: Ec2CloudSettings, options: Ec2ClientOptions = {}): EC2ClientConfig {
  return {
    region: cloud.region,
    ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}),
    ...(cloud.staticCredentials
      ? { credentials: cloud.staticCredentials }
      : cloud.profile
        ? { profile: cloud.profile }
        : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 6,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
}

/** Builds the SDK client. */
export function createEc2Client(cloud: Ec2CloudSettings, options: Ec2ClientOptions = {}): EC2Client {
  // herd pins the SDK release that runs on its supported Node (20); the SDK's notice about later
  // releases needing Node 22 would only confuse herd's users.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new EC2Client(ec2ClientConfig(cloud, options));
}
