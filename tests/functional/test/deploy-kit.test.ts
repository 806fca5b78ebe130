/**
 * The deployment kit (deploy/, docs/deployment.md) stays true to the code: every YAML file parses, the Kustomize
 * base and production overlay build into the expected objects, every setting the kit names is documented in
 * docs/configuration.md, the Dockerfile's stages line up (entrypoint = the binary the builder builds, every COPY
 * source exists and survives the ignore file, the runtime libraries cover what the binary links), the systemd unit
 * serves and migrates, the stop budgets outlast SHUTDOWN_GRACE, and every metric the alerts and the Grafana
 * dashboard query is one a running server exports.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { REPO_ROOT, TOLLGATE_BIN, sleep } from '../harness/env.js';
import { request } from '../harness/http.js';
import { startServer, sharedRedisUrl, type TollgateServer } from '../harness/server.js';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { makeEvent, signPayload } from '../harness/fake-stripe.js';
import { KEYS_ENV, createKey, createServiceToken, newTenant, verifyOk } from './keys-helpers.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const rel = (p: string) => path.relative(REPO_ROOT, p);
const read = (p: string) => fs.readFileSync(path.isAbsolute(p) ? p : path.join(REPO_ROOT, p), 'utf8');

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** YAML with `<<` merge keys resolved (Compose anchors). */
function yamlOf(file: string): any {
  return parseYaml(read(file), { merge: true });
}

const DEPLOY_FILES = walk(DEPLOY);
const YAML_FILES = DEPLOY_FILES.filter((f) => /\.ya?ml$/.test(f));

// ------------------------------------------------------------------------------------------------ YAML, JSON

describe('every YAML and JSON file under deploy/ parses', () => {
  it('there is a kit to check', () => {
    expect(YAML_FILES.length, 'YAML files under deploy/').toBeGreaterThan(10);
  });

  it.each(YAML_FILES.map(rel))('%s', (file) => {
    const docs = parseAllDocuments(read(file), { merge: true, uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    expect(list.length).toBeGreaterThan(0);
    for (const d of list) {
      expect(d.errors.map((e) => e.message), 'errors').toEqual([]);
      expect(d.warnings.map((e) => e.message), 'warnings').toEqual([]);
      expect(d.toJS(), 'an empty document').toBeTruthy();
    }
  });

  it.each(DEPLOY_FILES.filter((f) => f.endsWith('.json')).map(rel))('%s', (file) => {
    expect(() => JSON.parse(read(file))).not.toThrow();
  });
});

// ------------------------------------------------------------------------------------------------ Kustomize

const KUBECTL = which('kubectl');
if (!KUBECTL) console.warn('deploy-kit: kubectl not on PATH, the kustomize builds are skipped');

function kustomize(dir: string): any[] {
  const r = spawnSync(KUBECTL!, ['kustomize', path.join(DEPLOY, dir)], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `kubectl kustomize ${dir}:\n${r.stderr}`).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

const podSpecOf = (o: any) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);

describe('Kubernetes (kustomize)', () => {
  const skipNote = KUBECTL ? '' : ' [skipped: kubectl not on PATH]';
  const BASE_KINDS = ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Job', 'PodDisruptionBudget', 'Service'];

  for (const [dir, kinds] of [
    ['k8s/base', BASE_KINDS],
    ['k8s/overlays/production', [...BASE_KINDS, 'Namespace']],
  ] as const) {
    it.skipIf(!KUBECTL)(`kubectl kustomize deploy/${dir} builds ${kinds.join(', ')} and no Secret${skipNote}`, () => {
      const objs = kustomize(dir);
      expect(objs.map((o) => o.kind).sort()).toEqual([...kinds].sort());
      const dep = objs.find((o) => o.kind === 'Deployment');
      const job = objs.find((o) => o.kind === 'Job');
      const cm = objs.find((o) => o.kind === 'ConfigMap');
      const podLabels = dep.spec.template.metadata.labels;
      const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
      expect(selects(dep.spec.selector.matchLabels)).toBe(true);
      expect(selects(objs.find((o) => o.kind === 'Service').spec.selector)).toBe(true);
      expect(selects(objs.find((o) => o.kind === 'PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
      expect(objs.find((o) => o.kind === 'HorizontalPodAutoscaler').spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: dep.metadata.name });
      const ing = objs.find((o) => o.kind === 'Ingress');
      expect(ing.spec.rules[0].http.paths[0].backend.service.name).toBe(objs.find((o) => o.kind === 'Service').metadata.name);

      const c = podSpecOf(dep).containers[0];
      expect(c.args).toEqual(['serve']);
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.resources?.requests && c.resources?.limits).toBeTruthy();
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(podSpecOf(dep).securityContext.runAsNonRoot).toBe(true);
      // VAR_DIR is a writable volume (the root filesystem is read-only).
      const varDir = cm.data.VAR_DIR;
      const mount = c.volumeMounts.find((m: any) => m.mountPath === varDir);
      expect(mount, `a volume mounted at VAR_DIR=${varDir}`).toBeTruthy();
      expect(podSpecOf(dep).volumes.find((v: any) => v.name === mount.name).emptyDir).toBeTruthy();
      expect(cm.data.TOLLGATE_ENV).toBe('production');
      expect(cm.data.AUTO_MIGRATE).toBe('false');
      expect(String(c.ports[0].containerPort)).toBe(cm.data.PORT);

      expect(podSpecOf(job).containers[0].args).toEqual(['migrate']);
      for (const o of [dep, job]) {
        const ctr = podSpecOf(o).containers[0];
        expect(ctr.envFrom.map((e: any) => e.configMapRef?.name)).toContain(cm.metadata.name);
        const env = Object.fromEntries(ctr.env.map((e: any) => [e.name, e]));
        // Every command validates the whole configuration: migrate needs JWT_SECRET as much as serve does.
        for (const name of ['DATABASE_URL', 'JWT_SECRET']) expect(env[name]?.valueFrom?.secretKeyRef?.name, `${o.kind} ${name}`).toBe('tollgate-secrets');
      }
      if (dir.includes('production')) {
        for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('tollgate');
        expect(c.image).not.toBe('tollgate:0.1.0');
        expect(ing.spec.tls?.length, 'TLS on the production Ingress').toBeGreaterThan(0);
      }
    });
  }

  it('secret.example.yaml stays out of the kustomization and has every key the manifests read', () => {
    const k = yamlOf('deploy/k8s/base/kustomization.yaml');
    expect(k.resources).not.toContain('secret.example.yaml');
    const example = yamlOf('deploy/k8s/base/secret.example.yaml');
    expect(example.kind).toBe('Secret');
    const documented = new Set([
      ...Object.keys(example.stringData ?? {}),
      // Optional keys are listed as comments: `# key: value`.
      ...[...read('deploy/k8s/base/secret.example.yaml').matchAll(/^\s*#\s*([a-z0-9-]+):\s/gm)].map((m) => m[1]!),
    ]);
    const refs = walk(path.join(DEPLOY, 'k8s'))
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => [...read(f).matchAll(/secretKeyRef:\s*\n\s*name:\s*(\S+)\s*\n\s*key:\s*(\S+)/g)].map((m) => [m[1], m[2]]));
    expect(refs.length).toBeGreaterThan(0);
    for (const [name, key] of refs) {
      expect(name).toBe(example.metadata.name);
      expect(documented.has(key!), `secret key ${key} is in secret.example.yaml`).toBe(true);
    }
  });
});

// ------------------------------------------------------------------------------------ environment variables

/** Names the kit uses that belong to other programs (the postgres image, Compose itself, the build). */
const FOREIGN = /^(POSTGRES_|PG[A-Z]|COMPOSE_|DOCKER_|BUILDKIT|DEBIAN_FRONTEND$|PATH$|HOME$)/;

interface Documented {
  names: Set<string>;
  secrets: Set<string>;
}

function documentedSettings(): Documented {
  const text = read('docs/configuration.md');
  const names = new Set<string>();
  // First cell of every table row: `NAME` (several per cell in the scripts table).
  for (const m of text.matchAll(/^\|([^|\n]*)\|/gm)) {
    for (const n of m[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(n[1]!);
  }
  const para = text.slice(text.indexOf('**Secrets**'));
  const secrets = new Set([...para.slice(0, para.indexOf('\n\n')).matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  return { names, secrets };
}

function envKeysOf(text: string, withComments: boolean): string[] {
  const re = withComments ? /^\s*#?\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm : /^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

function isTollgateService(svc: any): boolean {
  const image = String(svc?.image ?? '');
  const dockerfile = String(svc?.build?.dockerfile ?? '');
  return image.startsWith('tollgate') || dockerfile.includes('deploy/docker/');
}

/** Every Tollgate setting the kit and docs/deployment.md name, with where each was seen. */
function kitSettings(): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  const add = (name: string, where: string) => {
    if (FOREIGN.test(name)) return;
    if (!seen.has(name)) seen.set(name, new Set());
    seen.get(name)!.add(where);
  };

  // Dockerfile: ENV of the final (runtime) stage.
  const df = dockerfile();
  for (const ins of df.stages[df.stages.length - 1]!.instructions.filter((i) => i.op === 'ENV')) {
    for (const m of ins.args.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=/g)) add(m[1]!, 'deploy/docker/Dockerfile');
  }

  // Compose: environment of the services that run the Tollgate image, and the .env names they interpolate.
  for (const f of DEPLOY_FILES.filter((x) => /compose.*\.ya?ml$/.test(x))) {
    const doc = yamlOf(f);
    for (const [name, svc] of Object.entries<any>(doc.services ?? {})) {
      const base = isTollgateService(svc) || name === 'tollgate' || name === 'migrate';
      if (!base) continue;
      const env = svc.environment ?? {};
      const entries: [string, string][] = Array.isArray(env)
        ? env.map((e: string) => [e.split('=')[0]!, e.split('=').slice(1).join('=')])
        : Object.entries(env).map(([k, v]) => [k, String(v ?? '')]);
      for (const [k, v] of entries) {
        add(k, rel(f));
        for (const m of v.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) add(m[1]!, `${rel(f)} (interpolated)`);
      }
    }
  }

  // Kubernetes: container env names, ConfigMap generator literals and env files.
  for (const f of DEPLOY_FILES.filter((x) => x.includes(`${path.sep}k8s${path.sep}`))) {
    if (/\.ya?ml$/.test(f)) {
      for (const d of parseAllDocuments(read(f))) {
        const o: any = d.toJS();
        if (!o) continue;
        if (['Deployment', 'StatefulSet', 'Job', 'CronJob', 'DaemonSet'].includes(o.kind)) {
          for (const c of [...(podSpecOf(o)?.containers ?? []), ...(podSpecOf(o)?.initContainers ?? [])]) {
            for (const e of c.env ?? []) add(e.name, rel(f));
          }
        }
        if (o.kind === 'Kustomization') {
          for (const g of o.configMapGenerator ?? []) for (const l of g.literals ?? []) add(String(l).split('=')[0]!, rel(f));
        }
      }
    }
    if (f.endsWith('.env')) for (const k of envKeysOf(read(f), false)) add(k, rel(f));
  }

  // systemd: Environment= assignments and the example environment file (commented keys too).
  for (const f of DEPLOY_FILES.filter((x) => x.includes(`${path.sep}systemd${path.sep}`))) {
    const text = read(f);
    if (f.endsWith('.service')) {
      for (const line of text.split('\n').filter((l) => l.startsWith('Environment='))) {
        for (const m of line.slice('Environment='.length).matchAll(/(?:^|\s)"?([A-Z][A-Z0-9_]*)=/g)) add(m[1]!, rel(f));
      }
    } else if (/\.env(\.example)?$/.test(f)) {
      for (const k of envKeysOf(text, true)) add(k, rel(f));
    }
  }

  // docs/deployment.md: `NAME` and `NAME=value` in inline code, NAME= lines in code blocks. Single words
  // (HOST, PORT...) count only with an `=`, so that `GET`, `TLS` and the like stay prose.
  const md = read('docs/deployment.md');
  for (const m of md.matchAll(/`([A-Z][A-Z0-9_]*)(=[^`]*)?`/g)) {
    if (m[1]!.includes('_') || m[2]) add(m[1]!, 'docs/deployment.md');
  }
  for (const block of md.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    for (const k of envKeysOf(block[1]!, false)) add(k, 'docs/deployment.md (code block)');
  }
  return seen;
}

describe('every setting the kit names is documented in docs/configuration.md', () => {
  it('names are found in the Dockerfile, Compose, Kubernetes, systemd and docs/deployment.md', () => {
    const seen = kitSettings();
    const where = new Set([...seen.values()].flatMap((s) => [...s].map((w) => w.split(' ')[0]!.split('/')[1] ?? w)));
    for (const kind of ['docker', 'compose', 'k8s', 'systemd']) expect([...where], `settings found under deploy/${kind}`).toContain(kind);
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'PUBLIC_URL', 'TRUSTED_PROXIES', 'VAR_DIR']) expect(seen.has(name), name).toBe(true);
  });

  it('each is a documented variable, or NAME_FILE for a documented secret', () => {
    const doc = documentedSettings();
    expect(doc.names.size).toBeGreaterThan(40);
    expect(doc.secrets.has('JWT_SECRET')).toBe(true);
    const missing: string[] = [];
    for (const [name, where] of kitSettings()) {
      const ok = name.endsWith('_FILE') && !doc.names.has(name) ? doc.secrets.has(name.slice(0, -5)) : doc.names.has(name);
      if (!ok) missing.push(`${name} (${[...where].join(', ')})`);
    }
    expect(missing, 'not in docs/configuration.md').toEqual([]);
  });

  it('every key of compose/.env.example is used by a Compose file', () => {
    const compose = DEPLOY_FILES.filter((x) => /compose.*\.ya?ml$/.test(x)).map((f) => read(f)).join('\n');
    for (const k of envKeysOf(read('deploy/compose/.env.example'), true)) {
      if (k.startsWith('COMPOSE_')) continue;
      expect(compose.includes('${' + k), `\${${k}} in a compose file`).toBe(true);
    }
  });
});

// ------------------------------------------------------------------------------------------------ Dockerfile

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function dockerfile(): { stages: Stage[] } {
  const lines = read('deploy/docker/Dockerfile').split('\n');
  const stages: Stage[] = [];
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!buf && /^\s*(#|$)/.test(raw)) continue;
    if (buf && /^\s*#/.test(raw)) continue; // comment inside a continued instruction
    if (!buf) start = i + 1;
    buf += (buf ? ' ' : '') + raw.trim().replace(/\\$/, '').trim();
    if (/\\\s*$/.test(raw)) continue;
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(buf)!;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start };
    buf = '';
    if (ins.op === 'FROM') {
      const f = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args)!;
      stages.push({ from: f[1]!, name: f[2], instructions: [] });
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { stages };
}

function copies(stage: Stage): { from?: string; sources: string[]; dest: string; line: number }[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY' || i.op === 'ADD')
    .map((i) => {
      const words = i.args.split(/\s+/);
      let from: string | undefined;
      while (words[0]?.startsWith('--')) {
        const flag = words.shift()!;
        if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
      }
      return { from, sources: words.slice(0, -1), dest: words[words.length - 1]!, line: i.line };
    });
}

/** The Dockerfile's ignore file as BuildKit reads it: last matching pattern wins, a match covers everything below. */
function dockerignore(): (p: string) => boolean {
  const patterns = read('deploy/docker/Dockerfile.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const body = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/$/, '');
      const re = body
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (p: string) => {
    const parts = path.posix.normalize(p).split('/');
    let ignored = false;
    for (const { negate, re } of patterns) {
      for (let n = 1; n <= parts.length; n++) {
        if (re.test(parts.slice(0, n).join('/'))) {
          ignored = !negate;
          break;
        }
      }
    }
    return ignored;
  };
}

describe('deploy/docker/Dockerfile', () => {
  const { stages } = dockerfile();
  const runtime = stages[stages.length - 1]!;
  const byName = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s]));
  const builder = copies(runtime).find((c) => c.from && byName.get(c.from)?.instructions.some((i) => i.op === 'RUN' && /make build/.test(i.args)));

  it('builds with scripts/deps.sh and make build on debian:12, and runs on debian:12-slim', () => {
    expect(builder, 'a COPY --from the stage that runs `make build`').toBeTruthy();
    const b = byName.get(builder!.from!)!;
    expect(b.from).toBe('debian:12');
    const runs = b.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('scripts/deps.sh'))).toBe(true);
    expect(runtime.from).toBe('debian:12-slim');
  });

  it('ENTRYPOINT is the binary the builder stage builds (build/release/tollgate, as in the Makefile)', () => {
    const entry = runtime.instructions.find((i) => i.op === 'ENTRYPOINT');
    const argv = JSON.parse(entry!.args) as string[];
    const workdir = byName.get(builder!.from!)!.instructions.filter((i) => i.op === 'WORKDIR').map((i) => i.args).pop() ?? '/';
    const bin = copies(runtime).find((c) => c.from === builder!.from && c.dest === argv[0]);
    expect(bin, `COPY --from=${builder!.from} … ${argv[0]}`).toBeTruthy();
    expect(bin!.sources).toEqual([path.posix.join(workdir, 'build/release/tollgate')]);
    expect(read('Makefile')).toContain('ln -sf build/release/tollgate tollgate');
    expect(JSON.parse(runtime.instructions.find((i) => i.op === 'CMD')!.args)).toEqual(['serve']);
  });

  it('every COPY source exists in the repository (and survives the ignore file) or in an earlier stage', () => {
    const ignored = dockerignore();
    stages.forEach((stage, idx) => {
      for (const c of copies(stage)) {
        if (!c.from) {
          for (const src of c.sources) {
            expect(fs.existsSync(path.join(REPO_ROOT, src)), `line ${c.line}: ${src} exists`).toBe(true);
            if (src !== '.') expect(ignored(src), `line ${c.line}: ${src} is excluded by Dockerfile.dockerignore`).toBe(false);
          }
          continue;
        }
        const earlier = stages.slice(0, idx).find((s) => s.name === c.from);
        expect(earlier, `line ${c.line}: --from=${c.from} names an earlier stage`).toBeTruthy();
        // A stage built from this repository (COPY . . under its WORKDIR): its outputs are the repository's build
        // outputs, which `make build` has produced here too.
        const repoCopy = copies(earlier!).some((x) => !x.from && x.sources.includes('.'));
        if (!repoCopy) continue;
        const workdir = earlier!.instructions.filter((i) => i.op === 'WORKDIR').map((i) => i.args).pop() ?? '/';
        for (const src of c.sources) {
          expect(src.startsWith(workdir + '/'), `line ${c.line}: ${src} is under ${workdir}`).toBe(true);
          const local = path.join(REPO_ROOT, path.posix.relative(workdir, src));
          expect(fs.existsSync(local), `line ${c.line}: ${src} ↔ ${rel(local)} (built by make build)`).toBe(true);
        }
      }
    });
  });

  it('the build context keeps what make build reads and drops host build output', () => {
    const ignored = dockerignore();
    for (const p of ['CMakeLists.txt', 'CMakePresets.json', 'Makefile', 'cmake/embed.cmake', 'src/main.cpp', 'migrations', 'api/openapi.yaml',
      'scripts/deps.sh', 'scripts/lib.sh', 'bench/CMakeLists.txt', 'web/package-lock.json', 'web/src', 'web/scripts/openapi-to-json.mjs']) {
      expect(fs.existsSync(path.join(REPO_ROOT, p)), `${p} exists`).toBe(true);
      expect(ignored(p), `${p} reaches the builder`).toBe(false);
    }
    for (const p of ['build/release/tollgate', 'var/pg', 'web/node_modules/x', 'tests/functional/node_modules/x', 'web/dist/index.html', 'tollgate', '.git/HEAD']) {
      expect(ignored(p), `${p} stays out of the context`).toBe(true);
    }
  });

  it('runtime: production environment, non-root user, the port exposed, a /healthz check', () => {
    const env = Object.fromEntries(
      runtime.instructions.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]])),
    );
    expect(env).toMatchObject({ TOLLGATE_ENV: 'production', HOST: '0.0.0.0', PORT: '3001', VAR_DIR: '/var/lib/tollgate', WEB_DIR: '/usr/share/tollgate/web' });
    expect(copies(runtime).some((c) => c.dest === env.WEB_DIR && c.sources.some((s) => s.endsWith('/web/dist')))).toBe(true);
    expect(runtime.instructions.find((i) => i.op === 'EXPOSE')!.args).toBe(env.PORT);
    const user = runtime.instructions.filter((i) => i.op === 'USER').pop()!.args;
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(runtime.instructions.find((i) => i.op === 'HEALTHCHECK')!.args).toContain('/healthz');
  });

  const LDD = which('ldd');
  const DPKG = which('dpkg');
  it.skipIf(!LDD || !DPKG)(`runtime packages provide every library the binary links${LDD && DPKG ? '' : ' [skipped: needs ldd and dpkg]'}`, () => {
    const apt = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    const installed = new Set(
      [...apt.matchAll(/apt-get install ([^&]*)/g)].flatMap((m) => m[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-'))),
    );
    // Direct dependencies only (apt brings the rest); libc6 and libgcc-s1 are in every Debian image.
    const readelf = spawnSync('sh', ['-c', `readelf -d "${TOLLGATE_BIN}" 2>/dev/null || objdump -p "${TOLLGATE_BIN}"`], { encoding: 'utf8' }).stdout;
    // A sanitizer build (make test runs this suite on one) also links its runtime; the image ships the release build.
    const needed = [...readelf.matchAll(/NEEDED\)?\s+(?:Shared library: \[)?([^\]\s]+)/g)]
      .map((m) => m[1]!)
      .filter((lib) => !/^lib(asan|ubsan|lsan|tsan)\.so/.test(lib));
    expect(needed.length, 'NEEDED entries of the binary').toBeGreaterThan(5);
    const resolved = new Map(
      [...spawnSync(LDD!, [TOLLGATE_BIN], { encoding: 'utf8' }).stdout.matchAll(/^\s*(\S+) => (\S+)/gm)].map((m) => [m[1]!, m[2]!]),
    );
    const files = needed.map((lib) => {
      const file = resolved.get(lib);
      expect(file, `ldd resolves ${lib}`).toBeTruthy();
      return { lib, paths: [fs.realpathSync(file!), file!] };
    });
    // One dpkg -S for all: "pkg:arch: /path" per owned path (the link or its target, whichever dpkg knows).
    const owners = new Map<string, string>();
    const out = spawnSync(DPKG!, ['-S', ...new Set(files.flatMap((f) => f.paths))], { encoding: 'utf8' }).stdout;
    for (const m of out.matchAll(/^([^:\s]+)(?::[^:\s]+)?: (.+)$/gm)) owners.set(m[2]!.trim(), m[1]!);
    const missing: string[] = [];
    for (const { lib, paths } of files) {
      const pkg = paths.map((p) => owners.get(p)).find(Boolean);
      if (!pkg) missing.push(`${lib} (no Debian package owns ${paths[0]})`);
      else if (!installed.has(pkg) && !['libc6', 'libgcc-s1'].includes(pkg)) missing.push(`${lib} → ${pkg}`);
    }
    expect(missing, 'libraries whose package the runtime stage does not install').toEqual([]);
  });
});

// ------------------------------------------------------------------------------- systemd, shutdown budgets

function seconds(v: string): number {
  const m = /^(\d+)(ms|s|min|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  const n = Number(m[1]);
  return { ms: n / 1000, s: n, min: n * 60, m: n * 60, h: n * 3600 }[m[2] ?? 's']!;
}

describe('systemd unit and stop budgets', () => {
  const unit = read('deploy/systemd/tollgate.service');
  const directive = (k: string) => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

  it('ExecStart is `tollgate serve` as the tollgate user, after `tollgate migrate`, with the environment file', () => {
    expect(directive('ExecStart')).toHaveLength(1);
    expect(directive('ExecStart')[0]).toMatch(/^\S*\/tollgate serve$/);
    expect(directive('ExecStartPre').some((c) => /^\S*\/tollgate migrate$/.test(c))).toBe(true);
    expect(directive('User')).toEqual(['tollgate']);
    expect(directive('EnvironmentFile')[0]).toMatch(/^-?\/etc\/tollgate\//);
    expect(directive('Restart')).toEqual(['on-failure']);
    for (const [k, v] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes']]) expect(directive(k!), k).toEqual([v]);
    const varDir = /VAR_DIR=(\S+)/.exec(directive('Environment').join(' '))?.[1];
    expect(varDir).toBe('/var/lib/tollgate');
    expect(directive('ReadWritePaths').join(' ').split(/\s+/)).toContain(varDir);
    expect(directive('Environment').join(' ')).toContain('TOLLGATE_ENV=production');
  });

  it('every stop budget outlasts SHUTDOWN_GRACE (10 s unless set)', () => {
    const grace = 10;
    expect(seconds(directive('TimeoutStopSec')[0]!), 'systemd TimeoutStopSec').toBeGreaterThan(grace);
    const compose = yamlOf('deploy/compose/docker-compose.yml');
    expect(seconds(compose.services.tollgate.stop_grace_period), 'compose stop_grace_period').toBeGreaterThan(grace);
    const dep = parseYaml(read('deploy/k8s/base/deployment.yaml'));
    const cm = Object.fromEntries(read('deploy/k8s/base/config.env').split('\n').filter((l) => l.includes('=')).map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]));
    const k8sGrace = cm.SHUTDOWN_GRACE ? seconds(cm.SHUTDOWN_GRACE) : grace;
    const preStop = Number(dep.spec.template.spec.containers[0].lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(dep.spec.template.spec.terminationGracePeriodSeconds, 'k8s terminationGracePeriodSeconds').toBeGreaterThan(k8sGrace + preStop);
  });

  it('compose: tollgate waits for a successful migrate, which waits for a healthy PostgreSQL; redis is optional', () => {
    const c = yamlOf('deploy/compose/docker-compose.yml');
    expect(c.services.migrate.command).toEqual(['migrate']);
    expect(c.services.tollgate.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(c.services.migrate.depends_on.postgres.condition).toBe('service_healthy');
    expect(c.services.redis.profiles).toEqual(['redis']);
    expect(c.services.postgres.image).toMatch(/^postgres:15/);
    expect(c.services.redis.image).toMatch(/^redis:7/);
    // Secrets come from files: no secret value is written into the compose files.
    for (const s of ['DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY']) {
      expect(c.services.tollgate.environment[`${s}_FILE`]).toMatch(/^\/run\/secrets\//);
      expect(c.services.tollgate.environment[s]).toBeUndefined();
    }
    const prod = yamlOf('deploy/compose/docker-compose.prod.yml');
    const nginxIp = prod.services.nginx.networks.edge.ipv4_address;
    expect(prod.services.tollgate.environment.TRUSTED_PROXIES).toBe(nginxIp);
    expect(read('deploy/compose/nginx.conf')).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });
});

// ------------------------------------------------------------------------------------------------ PromQL syntax

const PROMTOOL = which('promtool');
// Optional: parses every expression when the package is installed (tests/functional devDependency).
const LEZER_PROMQL = '@prometheus-io/lezer-promql';
const promql: any = await import(LEZER_PROMQL).catch(() => undefined);

describe('PromQL', () => {
  it.skipIf(!PROMTOOL)(`promtool check rules deploy/prometheus/alerts.yml${PROMTOOL ? '' : ' [skipped: promtool not on PATH]'}`, () => {
    const r = spawnSync(PROMTOOL!, ['check', 'rules', path.join(DEPLOY, 'prometheus/alerts.yml')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it.skipIf(!promql)(`every expression of the alerts and the dashboard parses${promql ? '' : ` [skipped: ${LEZER_PROMQL} not installed]`}`, () => {
    const bad: string[] = [];
    for (const { where, expr } of kitExpressions()) {
      // Grafana's label_values(selector, label) holds a selector; its variables become values PromQL accepts.
      const e = (/^label_values\((.*?)(?:,\s*\w+)?\)$/.exec(expr.trim())?.[1] ?? expr).replace(/\$__(rate_interval|interval|range)/g, '5m').replace(/\$\{?(\w+)\}?/g, 'x');
      let errors = 0;
      promql.parser.parse(e).iterate({ enter: (n: any) => void (n.type.isError && errors++) });
      if (errors) bad.push(`${where}: ${e}`);
    }
    expect(bad).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------- metrics

interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

/** Metric selectors in a PromQL expression: `tollgate_x{a="b", c=~"d"}`. */
function selectors(expr: string): Selector[] {
  return [...expr.matchAll(/\b(tollgate_[a-z0-9_]+)\s*(?:\{([^}]*)\})?/g)].map((m) => ({
    name: m[1]!,
    matchers: [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({ label: x[1]!, op: x[2]!, value: x[3]! })),
  }));
}

function kitExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const alerts = yamlOf('deploy/prometheus/alerts.yml');
  for (const g of alerts.groups) for (const r of g.rules) out.push({ where: `alerts.yml ${r.alert ?? r.record}`, expr: r.expr });
  const walkJson = (o: any, where: string): void => {
    if (Array.isArray(o)) o.forEach((x) => walkJson(x, where));
    else if (o && typeof o === 'object') {
      const here = typeof o.title === 'string' ? `dashboard "${o.title}"` : where;
      for (const [k, v] of Object.entries(o)) {
        if ((k === 'expr' || k === 'query' || k === 'definition') && typeof v === 'string') out.push({ where: here, expr: v });
        else walkJson(v, here);
      }
    }
  };
  walkJson(JSON.parse(read('deploy/grafana/tollgate-dashboard.json')), 'dashboard');
  return out;
}

interface Scrape {
  types: Map<string, string>;
  series: { name: string; labels: Record<string, string> }[];
}

function parseMetrics(text: string): Scrape {
  const types = new Map<string, string>();
  const series: Scrape['series'] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+\S+/.exec(line);
    if (s && !line.startsWith('#')) {
      const labels = Object.fromEntries([...(s[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      series.push({ name: s[1]!, labels });
    }
  }
  return { types, series };
}

/** A histogram's _bucket/_sum/_count series belong to its family. */
function familyOf(name: string, types: Map<string, string>): string {
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && types.get(m[1]!) === 'histogram') return m[1]!;
  return name;
}

/**
 * Registered on their first failure only, so a healthy test server cannot show them: the source must register
 * them under exactly this name (and label value).
 */
const FAILURE_ONLY_FAMILIES: Record<string, string> = {
  tollgate_usage_spool_errors_total: 'a usage event that could not be spooled',
  tollgate_db_pool_errors_total: 'a failed PostgreSQL dial',
  tollgate_db_query_errors_total: 'a failed query',
};
const FAILURE_ONLY_VALUES: Record<string, Record<string, string[]>> = {
  tollgate_jobs_processed_total: { result: ['dead', 'retry'] },
};

const SOURCES = walk(path.join(REPO_ROOT, 'src')).filter((f) => f.endsWith('.cpp') && !f.endsWith('_test.cpp'));
const sourceRegistering = (family: string) => SOURCES.filter((f) => read(f).includes(`"${family}"`));

const WEBHOOK_SECRET = 'whsec_' + crypto.randomBytes(16).toString('hex');

describe('every metric in alerts.yml and the Grafana dashboard is exported by a running server', () => {
  let server: TollgateServer;
  let scrape: Scrape;
  printLogsOnFailure();

  beforeAll(async () => {
    server = await startServer({ ...KEYS_ENV, REDIS_URL: sharedRedisUrl(), STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
    // Traffic that registers the lazily created series: an account (jobs), a key checked by a service (verify,
    // quota), a gateway call, and Stripe deliveries (one refused, one stored whose processing fails).
    const t = await newTenant(server, 'deploykit');
    const { secret } = await createKey(server, t.token, { name: 'deploy-kit' });
    const svc = await createServiceToken(server, 'deploy-kit');
    await verifyOk(server, svc, { key: secret });
    const gw = await request(`${server.baseUrl}/gw/echo`, { headers: { 'x-api-key': secret } });
    expect(gw.status, `GET /gw/echo: ${gw.text.slice(0, 300)}`).toBe(200);
    const hook = (body: string, signature: string) =>
      request(`${server.baseUrl}/api/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body });
    const refused = await hook('{}', signPayload('{}', 'whsec_wrong'));
    expect(refused.status).toBe(400);
    // A subscription event without a subscription id: stored, then processed as `failed`.
    const event = JSON.stringify(makeEvent('customer.subscription.updated', {}));
    expect((await hook(event, signPayload(event, WEBHOOK_SECRET))).status).toBe(200);

    const wanted = ['tollgate_jobs_processed_total', 'tollgate_stripe_events_processed_total', 'tollgate_stripe_webhook_lag_seconds', 'tollgate_verify_total', 'tollgate_gateway_requests_total'];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await request(`${server.baseUrl}/metrics`);
      expect(r.status).toBe(200);
      scrape = parseMetrics(r.text);
      if (wanted.every((w) => scrape.types.has(w)) || Date.now() > deadline) break;
      await sleep(250);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the kit queries metrics', () => {
    const names = new Set(kitExpressions().flatMap((e) => selectors(e.expr).map((s) => s.name)));
    expect(names.size).toBeGreaterThan(20);
  });

  it('each metric family exists on /metrics (histogram _bucket/_sum/_count map to their family)', () => {
    const missing = new Map<string, Set<string>>();
    for (const { where, expr } of kitExpressions()) {
      for (const s of selectors(expr)) {
        const family = familyOf(s.name, scrape.types);
        if (scrape.types.has(family)) {
          if (family !== s.name) expect(scrape.series.some((x) => x.name === s.name), `${s.name} series`).toBe(true);
          continue;
        }
        const stem = s.name.replace(/_(bucket|sum|count)$/, '');
        if (FAILURE_ONLY_FAMILIES[stem] || FAILURE_ONLY_FAMILIES[s.name]) {
          const fam = FAILURE_ONLY_FAMILIES[s.name] ? s.name : stem;
          expect(sourceRegistering(fam).length, `${fam} (shown after ${FAILURE_ONLY_FAMILIES[fam]}) is registered in src/`).toBeGreaterThan(0);
          continue;
        }
        if (!missing.has(s.name)) missing.set(s.name, new Set());
        missing.get(s.name)!.add(where);
      }
    }
    const report = [...missing].map(([n, w]) => `${n}  (${[...w].join('; ')})`);
    expect(report, 'metrics the kit uses that the server does not export').toEqual([]);
  });

  it('each label the kit matches on or groups by exists, and each exact label value has been seen', () => {
    const problems = new Set<string>();
    const PROM_LABELS = new Set(['job', 'instance']);
    for (const { where, expr } of kitExpressions()) {
      const sels = selectors(expr);
      const exprLabels = new Set<string>(['job', 'instance', 'le']);
      for (const s of sels) {
        const family = familyOf(s.name, scrape.types);
        const series = scrape.series.filter((x) => x.name === s.name || familyOf(x.name, scrape.types) === family);
        if (!series.length) continue; // reported by the family test
        const labels = new Set(series.flatMap((x) => Object.keys(x.labels)));
        labels.forEach((l) => exprLabels.add(l));
        for (const m of s.matchers) {
          if (PROM_LABELS.has(m.label)) continue;
          if (!labels.has(m.label)) {
            problems.add(`${where}: ${s.name} has no label ${m.label}`);
            continue;
          }
          if (m.op !== '=') continue;
          if (series.some((x) => x.labels[m.label] === m.value)) continue;
          if (FAILURE_ONLY_VALUES[family]?.[m.label]?.includes(m.value)) {
            const src = sourceRegistering(family).map((f) => read(f)).join('\n');
            if (!src.includes(`"${m.value}"`)) problems.add(`${where}: ${family}{${m.label}="${m.value}"} is not in src/`);
            continue;
          }
          problems.add(`${where}: no ${s.name}{${m.label}="${m.value}"} on /metrics`);
        }
      }
      // label_replace(v, "dst", ...) makes a label of its own.
      for (const m of expr.matchAll(/"([a-zA-Z_]\w*)",\s*"[^"]*",\s*"[a-zA-Z_]\w*",\s*"[^"]*"\s*\)/g)) exprLabels.add(m[1]!);
      const known = sels.every((s) => scrape.types.has(familyOf(s.name, scrape.types)));
      if (!known) continue;
      for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
        for (const l of m[1]!.split(',').map((x) => x.trim()).filter(Boolean)) {
          if (!exprLabels.has(l)) problems.add(`${where}: groups by ${l}, which none of its metrics has`);
        }
      }
    }
    expect([...problems]).toEqual([]);
  });
});
