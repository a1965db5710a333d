#!/usr/bin/env python3
"""
Checks the `# elasticluster-valid:` line of each corpus file against ElastiCluster's own loader.

    python3 check-with-elasticluster.py ELASTICLUSTER_SOURCE_DIR [FILE.conf ...]

ELASTICLUSTER_SOURCE_DIR is a checkout of github.com/elasticluster/elasticluster (the directory
holding the `elasticluster` package). Needs Python 3 with the `schema` and `future` modules (Debian:
python3-schema python3-future); modules ElastiCluster imports for other purposes (paramiko, ...) are
replaced by empty stand-ins, as reading a config does not use them. Each file is loaded in a child
process with HOME set to a directory holding ~/.ssh/id_rsa and ~/.ssh/id_rsa.pub (ElastiCluster
requires readable key files) and the file's `# env: NAME=value` lines in the environment; the
templates `load_config_files` keeps are compared with the file's `# elasticluster-valid:` line.
Not run by the test suite (it needs ElastiCluster's sources); run it after editing the corpus.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

CHILD = r'''
import importlib.abc, importlib.machinery, json, logging, os, sys, types, warnings
source = sys.argv[1]
sys.path.insert(0, source)
ABSENT = {"paramiko", "scp", "coloredlogs", "click", "netaddr", "requests"}

class StandIn(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (object,), {"__init__": lambda *a, **k: None})

class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ABSENT:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None
    def create_module(self, spec):
        module = StandIn(spec.name)
        module.__path__ = []
        return module
    def exec_module(self, module):
        pass

sys.meta_path.insert(0, Finder())
import pkg_resources
pkg_resources.resource_filename = lambda package, path: os.path.join(source, package, path)
import elasticluster.conf as conf
logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")
try:
    valid = sorted(conf.load_config_files([sys.argv[2]]).get("cluster", {}))
except Exception as error:
    valid = []
    print("load failed: %s: %s" % (type(error).__name__, error), file=sys.stderr)
print(json.dumps(valid))
'''


def header(path, name):
    prefix = '# %s:' % name
    with open(path) as stream:
        return [line[len(prefix):].strip() for line in stream if line.startswith(prefix)]


def main():
    source = sys.argv[1]
    files = sys.argv[2:] or sorted(glob.glob(os.path.join(os.path.dirname(__file__), '*.conf')))
    failures = 0
    with tempfile.TemporaryDirectory() as home:
        os.mkdir(os.path.join(home, '.ssh'))
        for name in ('id_rsa', 'id_rsa.pub'):
            open(os.path.join(home, '.ssh', name), 'w').close()
        for path in files:
            env = {'PATH': os.environ.get('PATH', ''), 'HOME': home}
            env.update(line.split('=', 1) for line in header(path, 'env'))
            run = subprocess.run([sys.executable, '-c', CHILD, source, path],
                                 env=env, capture_output=True, text=True)
            got = json.loads(run.stdout) if run.returncode == 0 else None
            want = sorted((header(path, 'elasticluster-valid') or ['?'])[0].split())
            want = [] if want == ['none'] else want
            ok = got == want
            failures += not ok
            print('%s %s: ElastiCluster keeps %s%s' % (
                'ok  ' if ok else 'DIFF', os.path.basename(path), got,
                '' if ok else ', the file says %s' % want))
            if run.stderr.strip():
                print('      ' + run.stderr.strip().replace('\n', '\n      '))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
