// Loaded with `node --import` by test/cli/startup.test.ts: records the URL of every module the process
// loads (ES modules, and CommonJS modules they import) in the file named by HERD_TEST_MODULE_TRACE.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.HERD_TEST_MODULE_TRACE, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
