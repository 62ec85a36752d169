#!/usr/bin/env node
// Renders web/icon.svg into the PNG icons of the web app manifest
// (icon-192.png, icon-512.png) and favicon.ico (one 32x32 PNG inside an
// ICO container, which every current browser reads), with Debian's
// Chromium. Run after changing icon.svg; the outputs are committed.
//   node scripts/make-icons.mjs
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web');
const svg = readFileSync(path.join(web, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
const page = await browser.newPage();
async function render(size) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`);
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}
for (const size of [192, 512]) writeFileSync(path.join(web, `icon-${size}.png`), await render(size));
const png = await render(32);
const ico = Buffer.alloc(22);
ico.writeUInt16LE(0, 0); ico.writeUInt16LE(1, 2); ico.writeUInt16LE(1, 4);  // ICONDIR: icon, 1 image
ico.writeUInt8(32, 6); ico.writeUInt8(32, 7);                                // 32x32
ico.writeUInt16LE(1, 10); ico.writeUInt16LE(32, 12);                         // planes, bits
ico.writeUInt32LE(png.length, 14); ico.writeUInt32LE(22, 18);                // size, offset
writeFileSync(path.join(web, 'favicon.ico'), Buffer.concat([ico, png]));
await browser.close();
