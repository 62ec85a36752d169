// The study server's researcher dashboard in real Chromium: a researcher
// logs in, sees the progress per task and the take the server-side gate
// flagged (and plays it), exports the study, and the ZIP holds the
// factory's manifest layout with the uploaded bytes; the audit log shows
// the export. No console error: the strict CSP lets the page run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { launch, DESKTOP, shot } from './browser.mjs';
import { fixtures } from './paths.mjs';
import { assertAccessible } from './a11y.mjs';
import {
  binary, startStudyServer, join, upload, wavHeader, addResearcher, PASSWORD, sha256,
} from '../study-server/server.mjs';

const COUGH = readFileSync(path.join(fixtures, 'audio', 'coswara_cough_16k.wav'));
const COUNTING = readFileSync(path.join(fixtures, 'audio', 'coswara_counting_16k.wav'));
const SILENCE = Buffer.concat([wavHeader(32000), Buffer.alloc(64000)]);  // flagged "quiet"

test('a researcher logs in, sees progress and a flagged take, and exports the study as a manifest ZIP', { skip: !existsSync(binary) && `tinym2-study is not built (${binary}): build the native preset first` }, async () => {
  const server = await startStudyServer();
  const browser = await launch();
  try {
    assert.equal(addResearcher(server, 'ada').status, 0);
    const study = server.study.id;
    const [a, b] = [await join(server), await join(server)];
    for (const [p, label] of [[a, 'positive'], [b, 'negative']]) {
      await fetch(`${server.url}/api/studies/${study}/answers`, { method: 'PUT', headers: p.auth, body: JSON.stringify({ test_result: label, age_band: '30-44' }) });
    }
    const device = { recordedAt: '2026-12-03T10:15:00.000Z', inputDevice: 'Headset Mikrofon (USB)', browser: 'Chrome 131' };
    await upload(server, a, 'cough', 1, COUGH, 3, device);
    const quiet = (await upload(server, a, 'cough', 2, SILENCE)).split('/').pop();
    await upload(server, b, 'counting', 1, COUNTING);
    await fetch(`${server.url}/api/studies/${study}/complete`, { method: 'POST', headers: b.auth });

    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await context.newPage();
    page.on('dialog', (d) => d.accept());
    page.setDefaultTimeout(60000);  // a busy 2-core machine starts Chromium slowly
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.goto(`${server.url}/research/dashboard.html`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#login-name', 'ada');
    await page.fill('#login-password', 'not the password');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#alert:not([hidden])');
    assert.match(await page.textContent('#alert'), /Wrong name or password/);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login button[type=submit]');
    const section = `#study-${study}`;
    await page.waitForSelector(section);
    // The session cookie is not readable by scripts (HttpOnly).
    assert.equal(await page.evaluate(() => document.cookie), '');

    // Progress per task: [takes each, participants done, uploaded, flagged].
    const row = async (task) => page.$$eval(`${section} tr[data-task="${task}"] td`, (tds) => tds.map((td) => Number(td.textContent)));
    assert.deepEqual(await row('cough'), [2, 1, 2, 1]);
    assert.deepEqual(await row('counting'), [1, 1, 1, 0]);
    assert.deepEqual(await row('breathing'), [1, 0, 0, 0]);
    assert.match(await page.textContent(`${section} .counts`), /2 participants, 2 consented, 1 finished the session, 0 with every take uploaded/);

    // The flagged take, played through the logged-in session.
    const flagged = `#flagged-${quiet}`;
    assert.equal(await page.getAttribute(flagged, 'data-verdict'), 'quiet');
    assert.match(await page.textContent(flagged), /cough take 2: quiet\. Too quiet/);
    const duration = await page.$eval(`${flagged} audio`, (el) => new Promise((resolve, reject) => {
      el.addEventListener('loadedmetadata', () => resolve(el.duration), { once: true });
      el.addEventListener('error', () => reject(new Error(`audio error ${el.error?.code}`)), { once: true });
      el.load();
    }));
    assert.ok(Math.abs(duration - 2) < 0.01, `flagged take plays: ${duration} s`);
    await assertAccessible(page, 'dashboard');
    await shot(page, 'research-dashboard');

    // Export: the ZIP research mode exports, built from the server's takes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${section} button.export`)]);
    assert.match(download.suggestedFilename(), /^cough-speech-breath-\d{8}-\d{6}\.zip$/);
    const zip = unzipSync(readFileSync(await download.path()));
    const manifest = JSON.parse(strFromU8(zip['manifest.json']));
    assert.equal(manifest.kind, 'tinym2-research-export');
    assert.equal(manifest.protocolId, 'cough-speech-breath');
    const csv = strFromU8(zip['manifest.csv']).trim().split('\n');
    assert.equal(csv[0], 'path,label,group,modality,split,session_status,recorded_at,sample_rate,input_device,browser');
    assert.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 4).join(',')).sort(), [
      `audio/${a.participant}/cough-1.wav,positive,${a.participant},cough`,
      `audio/${a.participant}/cough-2.wav,positive,${a.participant},cough`,
      `audio/${b.participant}/counting-1.wav,negative,${b.participant},speech`,
    ].sort());
    assert.equal(sha256(zip[`audio/${a.participant}/cough-1.wav`]), sha256(COUGH), 'byte-identical takes');
    // The device fields the page sent with the take (none for the others).
    const columns = csv[0].split(',');
    const rowOf = (p) => Object.fromEntries(csv.find((l) => l.startsWith(p)).split(',').map((v, i) => [columns[i], v]));
    const first = rowOf(`audio/${a.participant}/cough-1.wav`);
    assert.deepEqual([first.recorded_at, first.input_device, first.browser], [device.recordedAt, device.inputDevice, device.browser]);
    const counting = rowOf(`audio/${b.participant}/counting-1.wav`);
    assert.deepEqual([counting.recorded_at, counting.input_device, counting.browser], ['', '', '']);
    assert.equal(sha256(zip[`audio/${a.participant}/cough-2.wav`]), sha256(SILENCE));
    assert.equal(JSON.parse(strFromU8(zip['protocol.json'])).id, 'cough-speech-breath');
    assert.deepEqual(manifest.participants.map((p) => p.answers.test_result).sort(), ['negative', 'positive']);
    await page.waitForSelector(`#board[data-exported="${study}:3"]`);

    // The audit log names who exported.
    await page.waitForFunction(() => [...document.querySelectorAll('#audit tbody tr')].some((tr) => tr.textContent.includes('export')));
    const audit = await page.$$eval('#audit tbody tr', (trs) => trs.map((tr) => [...tr.cells].slice(1, 3).map((c) => c.textContent).join(' ')));
    assert.deepEqual(audit.slice(0, 2), ['ada export', 'ada login']);

    // A participant of that export asks the researcher to delete their
    // data: the researcher types their study code into the form; their
    // files go, and the dashboard says the export's copies hold someone
    // who withdrew.
    const bFolder = path.join(server.data, 'audio', study, b.participant);
    assert.ok(existsSync(bFolder));
    await page.fill(`#withdraw-${study}`, b.participant);
    await page.click(`${section} form.withdraw-participant button[type=submit]`);
    await page.waitForSelector(`${section} .exports li[data-withdrawn="1"]`);
    // The list is redrawn before the status line is written: wait for it.
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Deleted'));
    assert.match(await page.textContent('#status'), /Deleted participant [0-9a-f]{16} and 1 take\./);
    assert.match(await page.textContent(`${section} .exports li`), /1 of its participants withdrew since/);
    assert.ok(!existsSync(bFolder), 'the participant\'s files are gone');
    assert.equal((await fetch(`${server.url}/api/studies/${study}/me`, { headers: b.auth })).status, 401);
    await page.waitForFunction(() => document.querySelector('#audit tbody tr')?.textContent.includes('delete participant'));
    // The 401s are the session check before login and the wrong password.
    assert.deepEqual(problems.filter((t) => !/status of 401/.test(t)), [], 'no CSP violation or other error');
  } finally {
    await browser.close();
    await server.stop();
  }
});
