// Drives the dashboard the way a person does: buttons, labelled inputs, the command console.
import { expect, type Locator, type Page } from '@playwright/test';
import { CONSOLE_LINE_MAX, ellipsize } from '../../src/console/text.ts';

export function card(page: Page, label: string): Locator {
  return page.getByRole('region', { name: label });
}

export function clientCard(page: Page, id: string): Locator {
  return card(page, `client ${id}`);
}

export async function startCm(page: Page, label = 'primary CM cm1'): Promise<Locator> {
  await page.getByRole('button', { name: 'Start CM', exact: true }).click();
  const c = card(page, label);
  await expect(c).toBeVisible();
  return c;
}

export async function startClient(page: Page, id: string): Promise<Locator> {
  await page.getByRole('button', { name: 'Start client', exact: true }).click();
  const c = clientCard(page, id);
  await expect(c).toBeVisible();
  return c;
}

/** Types a line into the node's console and waits for the answer that should follow it. */
export async function command(node: Locator, line: string, answer: string | RegExp): Promise<void> {
  const before = await node.getByRole('log').getByRole('listitem').count();
  const box = node.getByRole('textbox', { name: 'command' });
  await box.fill(line);
  await box.press('Enter');
  const answers = node.getByRole('log').getByRole('listitem');
  // Long lines are echoed cut, with an ellipsis.
  await expect(answers.nth(before)).toHaveText(`> ${ellipsize(line, CONSOLE_LINE_MAX)}`);
  await expect(answers.nth(before + 1)).toHaveText(answer);
}

/** Uses the card's readPage / writePage form and waits for its result. */
export async function formOp(node: Locator, op: 'Read' | 'Write', pageId: string, content: string, result: string | RegExp): Promise<void> {
  await node.getByLabel('page id').fill(pageId);
  await node.getByLabel('content').fill(content);
  await node.getByRole('button', { name: op, exact: true }).click();
  await expect(node.locator('output')).toHaveText(result);
}

export function stateRows(node: Locator): Locator {
  return node.locator('table.state tbody tr');
}

export function registryRows(page: Page): Locator {
  return page.getByRole('table', { name: 'Registry' }).locator('tbody tr');
}

/** The registry table's row for node `id`. */
export function registryRow(page: Page, id: string): Locator {
  return registryRows(page).filter({ has: page.getByRole('cell', { name: id, exact: true }) });
}

/**
 * A read's answer served through the CM: a client that holds no lease yet (a cluster without a
 * standby grants none) keeps no copy, and its answer says so.
 */
export function viaCm(answer: string): RegExp {
  const quoted = answer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${quoted} \\(via the CM(; no copy kept until this client holds a lease)?\\)$`);
}
