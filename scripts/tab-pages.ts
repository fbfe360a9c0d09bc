// Opens tabs as nodes of a tab cluster, for the e2e tests and the tab-mode experiments alike:
// each node is its own page, chosen with the seed's prompt buttons. Its node is read through
// `window.ivyTab` (src/debug/hooks.ts), which only the e2e build (dist-e2e/) has.
import type { BrowserContext, Page } from '@playwright/test';
import { sleep } from '../src/util/sleep.ts';

export interface NodeTab {
  page: Page;
  id: string;
}

/** A prompt button, or a line typed at the prompt (`restart c2`). */
export type NodeWord = 'CM' | 'Client' | 'restartCM' | 'restartBackup' | `restart c${number}`;

const OPEN_MS = 15_000;
const POLL_MS = 100;

/** The node id the tab runs, else what its prompt said went wrong so far (empty while it is choosing). */
async function tabOutcome(page: Page): Promise<{ id: string | null; errors: string[] }> {
  const id = await page.evaluate(() => window.ivyTab?.node?.id ?? null);
  if (id) return { id, errors: [] };
  const errors = await page
    .getByRole('region', { name: 'this tab as a node' })
    .locator('.line.error')
    .allTextContents()
    .catch(() => []);
  return { id: null, errors };
}

/**
 * Opens a tab, presses the prompt button `word` (or types it) and waits until the tab runs a node
 * (`expectId`, when given). `query` adds to the tab's address (`&durability=disk`).
 */
export async function openNode(context: BrowserContext, word: NodeWord, expectId?: string, query = ''): Promise<NodeTab> {
  return becomeNode(await openPrompt(context, query), word, expectId);
}

/** Opens a tab at the node prompt, with the `?debug` hook. */
export async function openPrompt(context: BrowserContext, query = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.goto(`/?mode=tab&debug${query}`);
  return page;
}

/** Presses a button of the seed's prompt on a tab that is not a node yet, or types a restart there. */
export async function choose(page: Page, word: NodeWord): Promise<void> {
  if (word.startsWith('restart c')) {
    const prompt = page.getByRole('region', { name: 'this tab as a node' });
    await prompt.getByRole('textbox', { name: 'command' }).fill(word);
    await prompt.getByRole('textbox', { name: 'command' }).press('Enter');
    return;
  }
  await page.getByRole('group', { name: 'node type' }).getByRole('button', { name: word, exact: true }).click();
}

/** Presses the prompt button `word` in a tab from openPrompt and waits until the tab runs a node. */
export async function becomeNode(page: Page, word: NodeWord, expectId?: string): Promise<NodeTab> {
  await choose(page, word);
  return nodeOf(page, word, expectId);
}

/**
 * Waits until a tab that chose `word` runs a node (`expectId`, when given), until `until` (15 s
 * from now unless told). A claim that fails is retried by the tab itself: an error line is final
 * only at the deadline.
 */
export async function nodeOf(page: Page, word: NodeWord, expectId?: string, until = Date.now() + OPEN_MS): Promise<NodeTab> {
  for (;;) {
    const { id, errors } = await tabOutcome(page);
    if (id !== null && (expectId === undefined || id === expectId)) return { page, id };
    if (id !== null) throw new Error(`a tab choosing ${word} became ${id}, not ${expectId}`);
    if (Date.now() > until) {
      throw new Error(`a tab choosing ${word} runs no node in time${errors.length > 0 ? `: ${errors.join(' / ')}` : ''}`);
    }
    await sleep(POLL_MS);
  }
}
