// Start and stop a real recprepd on an ephemeral port for the browser tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

export function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

export async function startServer(recprepd, args, timeoutMs = 60000) {
  const dir = mkdtempSync(join(tmpdir(), 'recprep-browser-'));
  const portFile = join(dir, 'port');
  const proc = spawn(recprepd, ['--listen', '127.0.0.1:0', '--port-file', portFile, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const t0 = Date.now();
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') {
    if (proc.exitCode !== null) throw new Error(`recprepd exited: ${log}`);
    if (Date.now() - t0 > timeoutMs) throw new Error('recprepd did not write its port');
    await wait(10);
  }
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  for (;;) {
    const r = await get(`${base}/readyz`).catch(() => null);
    if (r && r.status === 200) break;
    if (proc.exitCode !== null) throw new Error(`recprepd exited: ${log}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`recprepd not ready: ${log.slice(-2000)}`);
    await wait(20);
  }
  return {
    base,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      const code = await Promise.race([exited, wait(20000).then(() => 'timeout')]);
      if (code === 'timeout') proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
