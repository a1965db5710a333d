// Loaded with `node --import` by test/cli/startup.test.ts: records the URL of every module the process
// loads in the file named by HERD_TEST_MODULE_TRACE: ES modules and CommonJS modules they import as
// they load, and at exit the CommonJS modules loaded with require() (which no load hook sees).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const hook = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.HERD_TEST_MODULE_TRACE, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const required = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const urls = Object.keys(required).map((path) => `${pathToFileURL(path).href}\n`);
  appendFileSync(process.env.HERD_TEST_MODULE_TRACE, urls.join(''));
});
