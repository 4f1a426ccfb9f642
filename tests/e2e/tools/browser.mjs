#!/usr/bin/env node
// Browser check of a Jupyter server: opens the UI in Debian's Chromium (headless, driven by
// playwright-core), creates a Python 3 notebook (or opens NOTEBOOK), runs `print(6 * 7)` with
// Shift+Enter, waits for "42" and saves a screenshot.
//
//   JUPYTER_URL='http://127.0.0.1:PORT/?token=SECRET' SCREENSHOT=/tmp/shot.png node tests/e2e/tools/browser.mjs
//
// Environment (never argv: the URL carries a secret):
//   JUPYTER_URL   the URL gpunb printed (token in the query), or a URL plus JUPYTER_TOKEN
//   JUPYTER_TOKEN the token, when JUPYTER_URL has none
//   NOTEBOOK      optional: path of an existing notebook, relative to the server's root
//   SCREENSHOT    where to write the PNG on success (on failure: SCREENSHOT with .failed.png)
//   CHROMIUM      the browser binary (default /usr/bin/chromium)
//   TIMEOUT_S     overall limit in seconds (default 60)
// UIs: the classic Notebook 6.x (/tree, /notebooks/...) and JupyterLab (/lab).
// Only the Jupyter server's own origin is reachable from the page: every other request is aborted.
// Prints one JSON line on success and exits 0; otherwise prints "browser: FAIL: why" and exits 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('browser: FAIL: playwright-core is not installed: run `npm install` at the repository root');
  process.exit(1);
}

const started = Date.now();
const totalMs = Number(process.env.TIMEOUT_S || 60) * 1000;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const screenshot = process.env.SCREENSHOT || '';
const notebookPath = process.env.NOTEBOOK || '';
const CODE = 'print(6 * 7)';
const WANT = '42';

let step = 'starting';
let token = '';
const redact = (s) => (token ? String(s).split(token).join('<token>') : String(s));

function fail(why) {
  console.error(`browser: FAIL: ${redact(why)} (step: ${step}, after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exitCode = 1;
}

function parseTarget() {
  const raw = (process.env.JUPYTER_URL || '').trim();
  if (!raw) throw new Error('JUPYTER_URL is not set');
  let u;
  try { u = new URL(raw); } catch { throw new Error('JUPYTER_URL is not a URL'); }
  if (!/^https?:$/.test(u.protocol)) throw new Error('JUPYTER_URL must be http(s)');
  token = u.searchParams.get('token') || process.env.JUPYTER_TOKEN || '';
  let base = u.pathname;
  for (const suffix of ['/tree', '/lab', '/notebooks']) {
    const i = base.indexOf(suffix);
    if (i >= 0) { base = base.slice(0, i); break; }
  }
  if (!base.endsWith('/')) base += '/';
  return { origin: u.origin, base };
}

function withToken(url) {
  const u = new URL(url);
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

const encodePath = (p) => p.split('/').map(encodeURIComponent).join('/');

// An opened notebook may already show the output: wait until the old outputs are replaced.
async function gone(page, handles) {
  for (const h of handles) await page.waitForFunction((el) => !el.isConnected, h, { timeout: 30000 });
}

async function classic(page, context, t) {
  let nb = page;
  if (notebookPath) {
    step = `opening ${notebookPath}`;
    await page.goto(`${t.origin}${t.base}notebooks/${encodePath(notebookPath)}`, { waitUntil: 'domcontentloaded' });
  } else {
    step = 'creating a notebook from the New menu';
    await page.locator('#new-dropdown-button, #new-buttons button.dropdown-toggle').first().click();
    const item = page.locator('#kernel-python3 a, li#kernel-python3 a').first();
    await item.waitFor({ state: 'visible', timeout: 10000 });
    const [popup] = await Promise.all([context.waitForEvent('page', { timeout: 15000 }), item.click()]);
    nb = popup;
    await nb.waitForURL(/\/notebooks\//, { timeout: 15000 });
  }
  step = 'waiting for the kernel';
  await nb.locator('#kernel_indicator_icon.kernel_idle_icon').waitFor({ state: 'attached', timeout: 30000 });
  step = 'typing into the first cell';
  const cell = nb.locator('.cell.code_cell').first();
  await cell.locator('.CodeMirror').click();
  await nb.keyboard.press('Control+A');
  await nb.keyboard.press('Delete');
  await nb.keyboard.type(CODE);
  const typed = (await cell.locator('.CodeMirror-code').innerText()).replace(/\u200b/g, '').trim();
  if (typed !== CODE) throw new Error(`the cell holds ${JSON.stringify(typed)}, not ${JSON.stringify(CODE)}`);
  step = 'running the cell (Shift+Enter)';
  const before = await cell.locator('.output_area .output_subarea').elementHandles();
  await nb.keyboard.press('Shift+Enter');
  step = `waiting for the output ${WANT}`;
  await gone(nb, before);
  await cell.locator('.output_area .output_subarea').filter({ hasText: new RegExp(`^\\s*${WANT}\\s*$`) })
    .first().waitFor({ timeout: 30000 });
  return { page: nb, ui: 'classic', notebook: decodeURIComponent(new URL(nb.url()).pathname.split('/notebooks/')[1] || '') };
}

async function lab(page, t) {
  if (notebookPath) {
    step = `opening ${notebookPath}`;
    await page.goto(`${t.origin}${t.base}lab/tree/${encodePath(notebookPath)}`, { waitUntil: 'domcontentloaded' });
  } else {
    step = 'creating a notebook from the launcher';
    const card = page.locator('.jp-LauncherCard[data-category="Notebook"]').first();
    await card.waitFor({ timeout: 20000 });
    await card.click();
  }
  step = 'typing into the first cell';
  const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden):not(.p-mod-hidden)').last();
  const cell = panel.locator('.jp-CodeCell').first();
  await cell.waitFor({ timeout: 30000 });
  const editor = cell.locator('.cm-content, .CodeMirror').first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(CODE);
  step = 'running the cell (Shift+Enter)';
  const before = await cell.locator('.jp-OutputArea-output').elementHandles();
  await page.keyboard.press('Shift+Enter');
  step = `waiting for the output ${WANT}`;
  await gone(page, before);
  await cell.locator('.jp-OutputArea-output').filter({ hasText: new RegExp(`^\\s*${WANT}\\s*$`) })
    .first().waitFor({ timeout: 40000 });
  return { page, ui: 'lab', notebook: decodeURIComponent((new URL(page.url()).pathname.split('/lab/tree/')[1]) || '') };
}

async function main() {
  let t;
  try { t = parseTarget(); } catch (e) { fail(e.message); return; }
  const userDataDir = mkdtempSync(join(tmpdir(), 'gpunb-chromium-'));
  let context;
  const timer = setTimeout(() => {
    fail(`no result within ${totalMs / 1000} s`);
    if (context) context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
    process.exit(1);
  }, totalMs);
  try {
    step = `launching ${executablePath}`;
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-default-browser-check', '--disable-dev-shm-usage'],
      viewport: { width: 1280, height: 800 },
      timeout: 30000,
    });
    // only the Jupyter server may be contacted
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(t.origin + '/') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20000);
    step = 'opening the Jupyter URL';
    const resp = await page.goto(withToken(`${t.origin}${t.base}`), { waitUntil: 'domcontentloaded' });
    if (!resp) throw new Error('no answer from the Jupyter URL');
    if (resp.status() >= 400) throw new Error(`the Jupyter URL answered HTTP ${resp.status()}`);
    step = 'recognising the UI';
    const kind = await Promise.race([
      page.locator('#notebook_list, #new-buttons, #notebook-container').first().waitFor({ timeout: 20000 }).then(() => 'classic'),
      page.locator('.jp-LabShell, #jp-main-dock-panel, .jp-Launcher').first().waitFor({ timeout: 20000 }).then(() => 'lab'),
      page.locator('#password_input, input[name=password]').first().waitFor({ timeout: 20000 }).then(() => 'login'),
    ]).catch(() => null);
    if (kind === 'login') throw new Error('Jupyter asks for a password or token: the token is missing or wrong');
    if (!kind) {
      throw new Error(`no Jupyter UI (classic /tree or JupyterLab /lab) at ${new URL(page.url()).pathname}: ` +
        `is this a bare \`jupyter server\` without a notebook frontend?`);
    }
    const done = kind === 'classic' ? await classic(page, context, t) : await lab(page, t);
    step = 'saving the screenshot';
    if (screenshot) await done.page.screenshot({ path: screenshot, fullPage: false });
    console.log(JSON.stringify({ ok: true, ui: done.ui, notebook: done.notebook, output: WANT,
      screenshot: screenshot || null, seconds: Number(((Date.now() - started) / 1000).toFixed(2)) }));
  } catch (e) {
    fail(e && e.message ? e.message.split('\n')[0] : e);
    if (screenshot && context) {
      const shot = screenshot.replace(/(\.png)?$/, '.failed.png');
      for (const p of context.pages()) {
        try { await p.screenshot({ path: shot, timeout: 5000 }); console.error(`browser: screenshot of the failure: ${shot}`); } catch { /* ignore */ }
      }
    }
  } finally {
    clearTimeout(timer);
    if (context) await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

await main();
