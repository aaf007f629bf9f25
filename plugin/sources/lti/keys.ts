// The tool's own signing keys. Generated on first use and kept in the store;
// the private half is read only to sign (client assertions for the platform's
// token endpoint) and is never served. Rotation makes a new key the signer and
// keeps the old public key in the JWKS for a grace period, so anything signed
// with it just before the rotation still verifies.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Store } from '../../store/store.ts';
import { ltiDb, type LtiToolKeyRow } from './tables.ts';

export const TOOL_KEY_ALG = 'RS256';
/** How long a retired key stays published by default. */
export const DEFAULT_ROTATION_GRACE_MS = 7 * 86_400_000;

export interface SigningKey {
  kid: string;
  alg: string;
  key: CryptoKey;
}

async function newKeyRow(now: number): Promise<LtiToolKeyRow> {
  const { publicKey, privateKey } = await generateKeyPair(TOOL_KEY_ALG, { modulusLength: 2048, extractable: true });
  const kid = `${new Date(now).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const pub = { ...(await exportJWK(publicKey)), kid, alg: TOOL_KEY_ALG, use: 'sig' };
  const priv = { ...(await exportJWK(privateKey)), kid, alg: TOOL_KEY_ALG };
  return { kid, alg: TOOL_KEY_ALG, public_jwk: JSON.stringify(pub), private_jwk: JSON.stringify(priv), created_at: now, retired_at: null, unpublish_at: null };
}

const keyCache = new Map<string, CryptoKey>();

/** The key that signs now: the newest key not retired; one is created if there is none. */
export async function currentSigningKey(store: Store, now: number): Promise<SigningKey> {
  const db = ltiDb(store);
  let row = await db.selectFrom('lti_tool_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').executeTakeFirst();
  if (!row) {
    row = await newKeyRow(now);
    await db.insertInto('lti_tool_keys').values(row).execute();
  }
  let key = keyCache.get(row.kid);
  if (!key) {
    key = (await importJWK(JSON.parse(row.private_jwk) as JWK, row.alg)) as CryptoKey;
    keyCache.set(row.kid, key);
  }
  return { kid: row.kid, alg: row.alg, key };
}

/** The public keys to publish: every key that signs, plus retired keys still in their grace period. */
export async function toolJwks(store: Store, now: number): Promise<{ keys: JWK[] }> {
  await currentSigningKey(store, now); // a fresh install publishes a key from the first request
  const rows = await ltiDb(store)
    .selectFrom('lti_tool_keys')
    .select(['public_jwk', 'unpublish_at', 'retired_at'])
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('unpublish_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .execute();
  return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
}

/**
 * Admin function: makes a new key the signer. The previous signers are retired
 * and stay published until `now + graceMs`; keys past their grace are deleted.
 */
export async function rotateToolKeys(store: Store, now: number, graceMs = DEFAULT_ROTATION_GRACE_MS): Promise<{ kid: string; retired: string[]; deleted: number }> {
  const db = ltiDb(store);
  const row = await newKeyRow(now);
  return db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('lti_tool_keys').select('kid').where('retired_at', 'is', null).execute();
    await trx.updateTable('lti_tool_keys').set({ retired_at: now, unpublish_at: now + graceMs }).where('retired_at', 'is', null).execute();
    await trx.insertInto('lti_tool_keys').values(row).execute();
    const del = await trx.deleteFrom('lti_tool_keys').where('unpublish_at', '<=', now).executeTakeFirst();
    return { kid: row.kid, retired: old.map((o) => o.kid), deleted: Number(del.numDeletedRows) };
  });
}
