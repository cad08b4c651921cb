// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe
// (fd 3: commands to Chromium, fd 4: replies and events, NUL-separated JSON).
// No npm dependency: Debian's chromium and Node's standard library only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-extensions', '--disable-default-apps', '--mute-audio', '--hide-scrollbars',
];

export class Browser {
  static async launch(executable = process.env.CHROMIUM || '/usr/bin/chromium') {
    const b = new Browser();
    b.profile = mkdtempSync(join(tmpdir(), 'recprep-chromium-'));
    b.proc = spawn(executable, [...CHROMIUM_FLAGS, `--user-data-dir=${b.profile}`,
      '--remote-debugging-pipe', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    b.stderr = '';
    b.proc.stderr.on('data', (d) => { b.stderr = (b.stderr + d).slice(-20000); });
    b.nextId = 1;
    b.pending = new Map();
    b.listeners = [];
    let buf = Buffer.alloc(0);
    b.proc.stdio[4].on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let end;
      while ((end = buf.indexOf(0)) >= 0) {
        const msg = JSON.parse(buf.subarray(0, end).toString('utf8'));
        buf = buf.subarray(end + 1);
        b.dispatch(msg);
      }
    });
    b.exited = new Promise((resolve) => b.proc.on('exit', resolve));
    b.proc.on('exit', (code) => {
      for (const { reject } of b.pending.values()) reject(new Error(`chromium exited (${code}): ${b.stderr.slice(-2000)}`));
      b.pending.clear();
    });
    await b.send('Browser.getVersion');
    return b;
  }

  dispatch(msg) {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.proc.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }

  async newPage(width = 1280, height = 900) {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    for (const d of ['Runtime', 'Log', 'Page', 'Network']) await page.send(`${d}.enable`);
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close() {
    try { await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]); } catch { /* gone */ }
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    await this.exited;
    try { rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch { /* a leftover temp dir is harmless */ }
  }
}

// One tab. Collects console errors, exceptions and error log entries.
export class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.problems = [];
    this.network = [];
    browser.listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      const p = msg.params || {};
      if (msg.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
        this.problems.push({ kind: 'console', text: p.args.map((a) => a.value ?? a.description).join(' ') });
      } else if (msg.method === 'Runtime.exceptionThrown') {
        const d = p.exceptionDetails;
        this.problems.push({ kind: 'exception', text: (d.exception && d.exception.description) || d.text });
      } else if (msg.method === 'Log.entryAdded' && p.entry.level === 'error') {
        this.problems.push({ kind: `log:${p.entry.source}`, text: `${p.entry.text} ${p.entry.url || ''}` });
      } else if (msg.method === 'Network.responseReceived') {
        this.network.push({ url: p.response.url, status: p.response.status, headers: p.response.headers });
      }
    });
  }

  send(method, params = {}) { return this.browser.send(method, params, this.sessionId); }

  async eval(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`eval failed: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}\n${expression}`);
    return r.result.value;
  }

  async goto(url) { await this.send('Page.navigate', { url }); }

  // Poll a boolean expression until true (or throw after timeoutMs).
  async waitFor(expression, timeoutMs = 10000, what = expression) {
    const t0 = Date.now();
    for (;;) {
      if (await this.eval(`(() => { try { return !!(${expression}); } catch { return false; } })()`)) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async screenshot() {
    const height = await this.eval('Math.ceil(document.documentElement.scrollHeight)');
    await this.send('Emulation.setDeviceMetricsOverride', { width: 1280, height, deviceScaleFactor: 1, mobile: false });
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(data, 'base64');
  }
}
