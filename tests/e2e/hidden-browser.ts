// A browser whose background tabs are hidden for real, as a user's are: headless Chromium shows
// every page as visible and never freezes one, so this one runs headful on a virtual display
// (Xvfb) of its own. Playwright is kept from faking anything: the browser is started here rather
// than by Playwright (whose flags keep background pages running at full pace) and reached over
// CDP with no defaults (no focus emulation), and node tabs are opened as background tabs
// (`Target.createTarget` with `background: true`) behind a tab that stays in front.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { chromiumArgs, chromiumExecutablePath } from '../../scripts/chromium.ts';
import { nodeOf, type NodeTab } from '../../scripts/tab-pages.ts';
import { sleep } from '../../src/util/sleep.ts';

export const XVFB = '/usr/bin/Xvfb';
const START_MS = 15_000;
const NODE_MS = 15_000;

/** The suite's Chromium (scripts/chromium.ts), else Playwright's own. */
const executable = chromiumExecutablePath ?? chromium.executablePath();

/** Why these tests cannot run here, or null when they can. */
export function hiddenTabsUnavailable(): string | null {
  if (!existsSync(XVFB)) return `no virtual display: ${XVFB} is missing (Debian package xvfb; .ci/run installs it)`;
  if (!existsSync(executable)) return `no Chromium at ${executable} to run headful`;
  return null;
}

export interface HiddenBrowser {
  browser: Browser;
  /** The browser's own default context: the one Playwright leaves as the browser has it. */
  context: BrowserContext;
  /** The tab in front of the others, which keeps them hidden. */
  front: Page;
  /** Opens `path` (on the test's server) in a new tab behind the front one. */
  openHidden(path: string): Promise<Page>;
  /** Chrome's page lifecycle, as it freezes a background tab and resumes it when shown. */
  setLifecycle(page: Page, state: 'frozen' | 'active'): Promise<void>;
  close(): Promise<void>;
}

/** Starts Xvfb and a headful Chromium on it; `baseURL` is the test server's. */
export async function launchHidden(baseURL: string): Promise<HiddenBrowser> {
  const display = await startXvfb();
  const profile = mkdtempSync(join(tmpdir(), 'ivy-hidden-'));
  let chrome: ChildProcess | null = null;
  const stopAll = (): void => {
    chrome?.kill('SIGKILL');
    display.process.kill();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    chrome = spawn(
      executable,
      [
        ...chromiumArgs,
        `--user-data-dir=${profile}`,
        '--remote-debugging-port=0',
        '--no-default-browser-check',
        '--password-store=basic',
        '--use-mock-keychain',
        '--window-size=1200,850',
        'about:blank',
      ],
      { env: { ...process.env, DISPLAY: `:${display.number}` }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const endpoint = await devtoolsEndpoint(chrome);
    // noDefaults: the default context's pages get no focus emulation, so a background tab is
    // not told it has focus, and its visibility is the browser's own.
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
    const context = browser.contexts()[0];
    const front = context?.pages()[0];
    if (!context || !front) throw new Error('the headful browser has no window');
    const cdp = await browser.newBrowserCDPSession();
    const lifecycles = new Map<Page, CDPSession>();
    const running = chrome;
    return {
      browser,
      context,
      front,
      async openHidden(path) {
        const opened = context.waitForEvent('page');
        await cdp.send('Target.createTarget', { url: 'about:blank', background: true });
        const page = await opened;
        page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
        await page.goto(new URL(path, baseURL).href);
        return page;
      },
      async setLifecycle(page, state) {
        let session = lifecycles.get(page);
        if (!session) {
          session = await context.newCDPSession(page);
          lifecycles.set(page, session);
        }
        await session.send('Page.setWebLifecycleState', { state });
      },
      async close() {
        try {
          await cdp.send('Browser.close').catch(() => undefined);
          await Promise.race([new Promise((resolve) => running.once('exit', resolve)), sleep(5_000)]);
          await browser.close().catch(() => undefined);
        } finally {
          stopAll();
        }
      },
    };
  } catch (e) {
    stopAll();
    throw e;
  }
}

/**
 * Xvfb on a display it picks itself (`-displayfd`: the first one free, taken atomically by its
 * lock file), so that tests side by side, or other people's displays, never collide.
 */
async function startXvfb(): Promise<{ number: number; process: ChildProcess }> {
  const xvfb = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let said = '';
  xvfb.stderr!.on('data', (d: Buffer) => (said += d.toString()));
  const number = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb named no display in ${START_MS} ms: ${said}`)), START_MS);
    xvfb.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve(Number(out.trim()));
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}) before it named a display: ${said}`));
    });
  });
  return { number, process: xvfb };
}

/** The browser's CDP address, which Chromium prints once it listens (port 0: one it picked). */
function devtoolsEndpoint(chrome: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => reject(new Error(`Chromium named no DevTools address in ${START_MS} ms: ${said}`)), START_MS);
    chrome.stderr!.on('data', (d: Buffer) => {
      said += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(said);
      if (!m) return;
      clearTimeout(timer);
      resolve(m[1]!);
    });
    chrome.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before it listened: ${said.slice(-2_000)}`));
    });
  });
}

/**
 * A hidden tab becomes node `word`: chosen through its `?debug` hook, since a click waits for
 * animation frames, which a hidden page does not draw.
 */
export async function openHiddenNode(hb: HiddenBrowser, word: 'CM' | 'Client', expectId: string): Promise<NodeTab> {
  const page = await hb.openHidden('/?mode=tab&debug');
  const until = Date.now() + NODE_MS;
  // The hook comes with the page's main module; its choose waits for the tab view's own module.
  while (!(await page.evaluate(() => window.ivyTab !== undefined))) {
    if (Date.now() > until) throw new Error(`a hidden tab has no ivyTab hook after ${NODE_MS} ms`);
    await sleep(50);
  }
  await page.evaluate((w) => window.ivyTab!.choose(w), word);
  return nodeOf(page, word, expectId, until);
}

/** The page's visibility and focus, as its own scripts see them. */
export function visibility(page: Page): Promise<{ state: DocumentVisibilityState; focus: boolean }> {
  return page.evaluate(() => ({ state: document.visibilityState, focus: document.hasFocus() }));
}
