/**
 * Google credentials for the Compute client. `GOOGLE_OAUTH_ACCESS_TOKEN` (as gcloud and Terraform
 * accept it) wins; otherwise Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, the
 * gcloud ADC file, or the metadata server on a GCE VM. The client is always given an explicit
 * auth client: without one, a missing credential crashes the process instead of rejecting.
 * Tokens are never logged.
 */
import type { AuthClient } from 'google-auth-library';
import { noCredentialsError } from './errors.js';

/** OAuth scope for Compute Engine. */
export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';

/** Builds the auth client; rejects with ProviderError `GceNoCredentials` when none is found. */
export async function resolveAuthClient(env: NodeJS.ProcessEnv = process.env): Promise<AuthClient> {
  const { GoogleAuth, OAuth2Client } = await import('google-auth-library');
  const token = env['GOOGLE_OAUTH_ACCESS_TOKEN']?.trim();
  if (token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return client;
  }
  try {
    return (await new GoogleAuth({ scopes: [COMPUTE_SCOPE] }).getClient()) as AuthClient;
  } catch (error) {
    throw noCredentialsError(error, env['GOOGLE_APPLICATION_CREDENTIALS']);
  }
}
