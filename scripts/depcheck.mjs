// Reads dependency-cruiser's JSON (on stdin) and fails on any import that breaks a rule of
// .dependency-cruiser.cjs, and on any folder of src/ that imports a folder importing it back,
// however indirectly. For the cycles each folder is a unit, but a minter (src/grants/<name>/) is
// one with everything below it: its AWS API may build on the rest of the minter, which hands that
// API to the server.
import { readFileSync } from 'node:fs';

const { modules, summary } = JSON.parse(readFileSync(0, 'utf8'));

for (const { rule, from, to } of summary.violations) process.stderr.write(`${rule.severity} ${rule.name}: ${from} -> ${to}\n`);
const unitOf = (path) => {
  const parts = path.split('/');
  if (parts[0] !== 'src' || parts.length < 3) return undefined;
  return parts[1] === 'grants' && parts.length > 3 ? parts.slice(0, 3).join('/') : parts.slice(0, -1).join('/');
};

const edges = new Map();
for (const { source, dependencies } of modules) {
  const from = unitOf(source);
  for (const { resolved } of dependencies) {
    const to = unitOf(resolved);
    if (!from || !to || from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${source} -> ${resolved}`);
  }
}

// A cycle through `start` is a path from one of its neighbours back to it.
const cycles = [];
for (const start of [...edges.keys()].sort()) {
  const seen = new Set();
  const search = (unit, path) => {
    for (const [next, example] of edges.get(unit) ?? []) {
      if (next === start) cycles.push([...path, example]);
      else if (!seen.has(next) && next > start) {
        seen.add(next);
        search(next, [...path, example]);
      }
    }
  };
  search(start, []);
}

for (const cycle of cycles) process.stderr.write(`folder cycle:\n  ${cycle.join('\n  ')}\n`);
if (summary.violations.length > 0 || cycles.length > 0) process.exit(1);
process.stdout.write(`no dependency violations (${summary.totalCruised} modules) and no folder imports a folder that imports it back (${edges.size} folders)\n`);
