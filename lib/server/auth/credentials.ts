/**
 * API credentials: generation in the upstream shape (30-char `A-Z0-9` access key, ~50-char URL-safe secret),
 * salted scrypt hashes at rest, the admin bootstrap on first start, and the ready-to-paste `api { ... }` snippet.
 *
 * @module
 */

import { createHash, scryptSync, timingSafeEqual } from "node:crypto";
import { isoDate } from "../time.ts";
import { COMPANY_ID, type Identity } from "../storage/model.ts";
import type { Store } from "../storage/store.ts";
import { newId } from "../json.ts";

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SCRYPT = { N: 16384, r: 8, p: 1 };

function randomString(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** A fresh access key: 30 characters of `A-Z0-9`. */
export function generateAccessKey(): string {
  return randomString(30, KEY_ALPHABET);
}

/** A fresh secret key: 50 URL-safe characters. */
export function generateSecretKey(): string {
  return randomString(50, KEY_ALPHABET + "abcdefghijklmnopqrstuvwxyz-_");
}

/** `scrypt$<salt hex>$<hash hex>` of a secret. */
export function hashSecret(secret: string): string {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = scryptSync(secret, salt, 32, SCRYPT);
  return `scrypt$${Array.from(salt, (b) => b.toString(16).padStart(2, "0")).join("")}$${hash.toString("hex")}`;
}

/** Check a secret against a stored hash (constant time). */
export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, saltHex, hashHex] = stored.split("$");
  if (scheme !== "scrypt" || !saltHex || !hashHex) return false;
  const salt = new Uint8Array(saltHex.match(/../g)!.map((h) => parseInt(h, 16)));
  const expected = new Uint8Array(hashHex.match(/../g)!.map((h) => parseInt(h, 16)));
  const actual = new Uint8Array(scryptSync(secret, salt, 32, SCRYPT));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fast in-memory fingerprint of a secret, for the verified-credentials cache (never stored). */
export function fingerprint(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** The identity of a stored user. */
export function identityOf(store: Store, userId: string): Identity | undefined {
  const row = store.get("SELECT doc FROM users WHERE id = ?", userId);
  if (!row) return undefined;
  const doc = JSON.parse(String(row.doc));
  return {
    user: doc.id,
    company: doc.company,
    role: doc.role,
    user_name: doc.name,
    company_name: "clearml",
  };
}

/** Insert a credential for a user; the secret is hashed. */
export function insertCredential(
  store: Store,
  cred: { accessKey: string; secretKey: string; userId: string; label?: string; now: number },
): void {
  store.run(
    "INSERT INTO credentials (access_key, user_id, secret_hash, label, created) VALUES (?, ?, ?, ?, ?)",
    cred.accessKey,
    cred.userId,
    hashSecret(cred.secretKey),
    cred.label ?? null,
    isoDate(cred.now),
  );
}

/** Result of the first-start bootstrap. */
export interface BootstrapResult {
  /** True when this call created the admin (first start). */
  created: boolean;
  /** The admin user id. */
  adminUser: string;
  accessKey?: string;
  secretKey?: string;
}

/**
 * On first start (no user yet) create the admin user and its credentials: the given pair, or a generated one.
 * Later starts return the existing admin and no secret.
 */
export function bootstrapAdmin(
  store: Store,
  opts: { accessKey?: string; secretKey?: string; now: number },
): BootstrapResult {
  return store.tx(() => {
    const existing = store.get("SELECT id FROM users ORDER BY rowid LIMIT 1");
    if (existing) return { created: false, adminUser: String(existing.id) };
    const adminUser = newId();
    const doc = {
      id: adminUser,
      name: "admin",
      given_name: "Admin",
      family_name: "",
      company: COMPANY_ID,
      role: "admin",
      created: isoDate(opts.now),
    };
    store.run("INSERT INTO users (id, doc) VALUES (?, ?)", adminUser, JSON.stringify(doc));
    const accessKey = opts.accessKey || generateAccessKey();
    const secretKey = opts.secretKey || generateSecretKey();
    insertCredential(store, { accessKey, secretKey, userId: adminUser, label: "admin", now: opts.now });
    return { created: true, adminUser, accessKey, secretKey };
  });
}

/**
 * The `api { ... }` section for clearml.conf, complete as pasted: the SDK's `Task.init` needs `web_server` (it
 * cannot guess one on a port other than 8008), which is this server's own address (its page is served at `/`).
 */
export function confSnippet(url: string, accessKey: string, secretKey: string): string {
  return [
    "api {",
    `  api_server: ${url}`,
    `  web_server: ${url}`,
    `  files_server: ${url}/files`,
    "  credentials {",
    `    "access_key" = "${accessKey}"`,
    `    "secret_key" = "${secretKey}"`,
    "  }",
    "}",
    "",
  ].join("\n");
}
