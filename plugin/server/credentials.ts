// Credentials are random bearer tokens: a public id to find the record and a
// secret of which only a hash is stored. 256 random bits need no slow hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Credential, CredentialRole, Store } from '../store/store.ts';

const TOKEN = /^rl_([a-z0-9]{12})\.([A-Za-z0-9_-]{43})$/;

export interface IssuedCredential {
  token: string;
  credential: Credential;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newCredentialId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(12);
  let id = '';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

export async function issueCredential(
  store: Store,
  input: { tenant: string; role: CredentialRole; label: string; person?: string | null; schools?: string[]; courses?: string[]; ttlMs: number },
  now: number,
): Promise<IssuedCredential> {
  const id = newCredentialId();
  const secret = randomBytes(32).toString('base64url');
  const credential: Credential = {
    id,
    tenant: input.tenant,
    role: input.role,
    label: input.label,
    person: input.person ?? null,
    schools: input.schools ?? [],
    courses: input.courses ?? [],
    secretHash: hashSecret(secret),
    createdAt: now,
    expiresAt: now + input.ttlMs,
    revokedAt: null,
  };
  await store.insertCredential(credential);
  return { token: `rl_${id}.${secret}`, credential };
}

export function credentialIdOf(token: string): string | null {
  return TOKEN.exec(token)?.[1] ?? null;
}

export type Verification = { ok: true; credential: Credential } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

export async function verifyToken(store: Store, token: string, now: number, lookup?: (id: string) => Promise<Credential | null>): Promise<Verification> {
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const cred = await (lookup ? lookup(m[1]!) : store.getCredential(m[1]!));
  if (!cred) return { ok: false, reason: 'unknown' };
  const given = Buffer.from(hashSecret(m[2]!), 'hex');
  const kept = Buffer.from(cred.secretHash, 'hex');
  if (given.length !== kept.length || !timingSafeEqual(given, kept)) return { ok: false, reason: 'unknown' };
  if (cred.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (cred.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, credential: cred };
}
