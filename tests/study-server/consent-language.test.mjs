// The consent's language on the real server: recorded with the protocol
// version and time, given back to the participant (/me) and in the
// dashboard's export listing; one the protocol lacks, or not a string, is
// refused with the languages it has. On PostgreSQL, a database from before
// the column existed gains it when a server opens it (SQLite's case is
// study_sql_migration_test).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startStudyServer, join, addResearcher, login } from './server.mjs';

async function me(server, p) {
  const r = await fetch(`${server.url}/api/studies/${server.study.id}/me`, { headers: p.auth });
  assert.equal(r.status, 200);
  return r.json();
}

const consent = (server, p, body) => fetch(`${server.url}/api/studies/${server.study.id}/consent`,
  { method: 'POST', headers: p.auth, body: JSON.stringify(body) });

test('consent language: recorded, refused when the protocol lacks it, exported', async () => {
  const server = await startStudyServer();
  try {
    const de = await join(server, { language: 'de' });
    const unsaid = await join(server);
    assert.deepEqual((({ consentVersion, consentLanguage }) => ({ consentVersion, consentLanguage }))(await me(server, de)),
      { consentVersion: '1', consentLanguage: 'de' });
    assert.match((await me(server, de)).consentedAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal((await me(server, unsaid)).consentLanguage, '', 'a page that does not say leaves it unrecorded');

    const other = await join(server, { consent: false });
    for (const bad of [{ version: '1', language: 'ja' }, { version: '1', language: 5 }, { version: '1', language: 'de-AT' }]) {
      const r = await consent(server, other, bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.match((await r.json()).error, /consent\.language: expected one of the protocol's languages \(en, de, es, fr\)/);
    }
    assert.equal((await me(server, other)).consentedAt, '', 'a refused consent records nothing');
    const fr = await consent(server, other, { version: '1', language: 'fr' });
    assert.equal(fr.status, 200);
    assert.equal((await fr.json()).language, 'fr');

    // The dashboard's export listing carries it per participant.
    assert.equal(addResearcher(server, 'ada').status, 0);
    const ok = await login(server, 'ada');
    const { csrf } = await ok.json();
    const headers = { Cookie: ok.headers.get('set-cookie').split(';')[0], 'X-CSRF-Token': csrf };
    for (const p of [de, unsaid, other]) {
      await fetch(`${server.url}/api/studies/${server.study.id}/answers`, { method: 'PUT', headers: p.auth, body: '{"test_result":"negative"}' });
    }
    const ex = await fetch(`${server.url}/api/dashboard/studies/${server.study.id}/export`, { method: 'POST', headers });
    assert.equal(ex.status, 200);
    const byId = Object.fromEntries((await ex.json()).sessions.map((s) => [s.participant, [s.consentVersion, s.consentLanguage]]));
    assert.deepEqual(byId, { [de.participant]: ['1', 'de'], [unsaid.participant]: ['1', ''], [other.participant]: ['1', 'fr'] });

    if (server.postgres) {
      // A database from before the column: dropped, then opened again.
      await server.stop();
      execFileSync(path.join(process.env.TM2_PG_BIN ?? '', 'psql'), [server.postgres, '-qc', 'ALTER TABLE participants DROP COLUMN consent_language']);
      await server.start();
      assert.equal((await me(server, de)).consentLanguage, '', 'old rows read as not recorded');
      assert.equal((await me(server, de)).consentVersion, '1');
      const again = await join(server, { language: 'es' });
      assert.equal((await me(server, again)).consentLanguage, 'es');
    }
  } finally {
    await server.kill();
  }
});
