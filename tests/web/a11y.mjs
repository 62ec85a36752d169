// Accessibility check for the browser tests: runs axe-core (npm) inside the
// page and fails on serious or critical violations, naming each rule, its
// help text and the offending elements, so a failure says what to fix.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Returns the serious/critical violations of `page` in its current state.
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.evaluate(axeSource);
  }
  const result = await page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'],
  }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Asserts that `page` has no serious accessibility violation; `state` names
// the screen in the failure message.
export async function assertAccessible(page, state) {
  const found = await seriousViolations(page);
  const text = found.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}`).join('\n')).join('\n');
  assert.equal(found.length, 0, `axe-core, ${state}:\n${text}`);
}
