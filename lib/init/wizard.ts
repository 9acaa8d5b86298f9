/**
 * The `init` dialogue (agent-reference §1.8; the reference agent's prompts, in its order): paste the
 * credentials block, confirm or edit the web / API / files hosts, verify the credentials against the server,
 * choose the default output URI, git user and token, extra index URLs. Values given as flags skip their
 * question; with `nonInteractive` nothing is asked (missing values take their defaults).
 *
 * Deviations, on purpose: every prompt is a question with its default in brackets (`API server address?
 * [http://127.0.0.1:8008] `), where the reference printed statements (`API Host configured to: [...]`); when the
 * API address is clearml-agent's embedded server (its `server.info` says so) the web address is the API address
 * itself (its page is served at `/`) and the files server `<api>/files`, never a derived :8080/:8081; secrets are
 * never echoed back (the reference prints the git token and, on a failed
 * verification, the secret key); a host that gives nothing to derive (our server on any port) offers the API
 * address as the default of the others instead of insisting on a web address; an unreachable server ends the
 * setup with an error (there is nothing to retry with new credentials), and so do credentials refused twice.
 *
 * @module
 */

import { type Credentials, endsBlock, parsePastedBlock, type PastedBlock, secretHint } from "./credentials.ts";
import type { ConfValues } from "./conf_text.ts";
import { type Hosts, hostText, parseHost, verifyUrl } from "./hosts.ts";

/** The terminal, as the wizard sees it. */
export interface WizardIo {
  /** Print text as is (prompts have no newline). */
  write(text: string): void;
  /** The next input line without its newline; null at the end of input. */
  readLine(): Promise<string | null>;
}

/** Answers given up front (flags). */
export interface WizardAnswers {
  /** A credentials block (`--credentials`). */
  pasted?: string;
  accessKey?: string;
  secretKey?: string;
  apiServer?: string;
  webServer?: string;
  filesServer?: string;
  gitUser?: string;
  gitPass?: string;
  extraIndexUrls?: readonly string[];
  outputUri?: string;
  nonInteractive: boolean;
  /** Check the credentials against the server. */
  verify: boolean;
}

/** Result of a credentials check. */
export type VerifyResult = { ok: true } | { ok: false; unreachable: boolean; reason: string };

/** Checks credentials against an API server. */
export type Verifier = (apiServer: string, credentials: Credentials) => Promise<VerifyResult>;

/** True when the API server is clearml-agent's embedded server (its `server.info` build names it). */
export type ServerIdentifier = (apiServer: string) => Promise<boolean>;

const DESCRIPTION = `
Please create new clearml credentials through the settings page in your \`clearml-server\` web app,
or create a free account at https://app.clear.ml/settings/webapp-configuration
(\`clearml-agent server\` prints the credentials of the embedded server when it first starts).

In the settings > workspace page, press "Create new credentials", then press "Copy to clipboard".

Paste copied configuration here:
`;

const DEFAULT_WEB = "https://app.clear.ml";
const LOCAL_WEB = "http://localhost:8080";

/** A wizard error: one line, nothing written. */
export class WizardError extends Error {
  override name = "WizardError";
}

class Dialogue {
  #io: WizardIo;
  constructor(io: WizardIo) {
    this.#io = io;
  }

  say(text: string): void {
    this.#io.write(text.endsWith("\n") ? text : text + "\n");
  }

  async ask(prompt: string): Promise<string> {
    this.#io.write(prompt);
    const line = await this.#io.readLine();
    if (line === null) throw new WizardError("Input ended before the setup was complete: no configuration written");
    return line;
  }

  /** `input_url`: Enter (or y/yes) keeps `current`; otherwise the first valid URL typed. */
  async url(label: string, current: string): Promise<string> {
    for (let tries = 0; tries < 20; tries++) {
      const answer = (await this.ask(`${label} address? ${current ? `[${current}] ` : ""}`)).trim();
      if (current && (answer === "" || ["y", "yes"].includes(answer.toLowerCase()))) return current;
      const url = verifyUrl(answer);
      if (url) return hostText(url);
      if (answer) this.say(`Could not parse url ${answer}`);
    }
    throw new WizardError(`No valid address for "${label}"`);
  }
}

async function readPaste(d: Dialogue): Promise<string> {
  d.say(DESCRIPTION.trimEnd());
  const lines: string[] = [];
  while (true) {
    const line = await d.ask("");
    if (line === "") break;
    lines.push(line);
    if (endsBlock(line)) break;
  }
  return lines.join("\n") + "\n";
}

async function manualCredentials(d: Dialogue): Promise<Credentials | undefined> {
  const accessKey = (await d.ask("Access key? ")).trim();
  const secretKey = (await d.ask("Secret key? ")).trim();
  return accessKey && secretKey ? { accessKey, secretKey } : undefined;
}

async function credentialsStep(d: Dialogue, a: WizardAnswers): Promise<{ creds: Credentials; block: PastedBlock }> {
  if (a.accessKey || a.secretKey) {
    if (!a.accessKey || !a.secretKey) throw new WizardError("Give both --access-key and --secret-key");
    const block = a.pasted !== undefined ? parsePastedBlock(a.pasted) : {};
    return { creds: { accessKey: a.accessKey, secretKey: a.secretKey }, block };
  }
  if (a.pasted !== undefined || a.nonInteractive) {
    if (a.pasted === undefined) {
      throw new WizardError("No credentials given: use --credentials or --access-key/--secret-key");
    }
    const block = parsePastedBlock(a.pasted);
    if (!block.credentials) {
      throw new WizardError(`The credentials block is not in the expected format: ${block.problem}`);
    }
    return { creds: block.credentials, block };
  }
  const block = parsePastedBlock(await readPaste(d));
  if (block.credentials) return { creds: block.credentials, block };
  d.say("Could not parse credentials, please try entering them manually.");
  const creds = await manualCredentials(d);
  if (!creds) {
    throw new WizardError(`The pasted credentials are not in the expected format: ${block.problem}; nothing written`);
  }
  return { creds, block };
}

function requireUrl(flag: string, value: string): string {
  const url = verifyUrl(value);
  if (!url) throw new WizardError(`${flag} "${value}" is not an http(s) address`);
  return hostText(url);
}

function needsPortQuestion(url: URL): boolean {
  return url.port === "" && !/^(demoapp|app|demoapi|api)\./.test(url.host);
}

function hostsGiven(a: WizardAnswers, block: PastedBlock): Partial<Hosts> {
  return {
    api: a.apiServer ? requireUrl("--api-server", a.apiServer) : block.apiServer,
    web: a.webServer ? requireUrl("--web-server", a.webServer) : block.webServer,
    files: a.filesServer ? requireUrl("--files-server", a.filesServer) : block.filesServer,
  };
}

/** The hosts of our embedded server: one address for the API, the web page (`/`) and the files (`/files`). */
async function embeddedHosts(d: Dialogue, a: WizardAnswers, given: Partial<Hosts>): Promise<Hosts> {
  const ask = !a.nonInteractive;
  const api = ask && !a.apiServer ? await d.url("API server", given.api!) : given.api!;
  if (ask) d.say(`${api} is clearml-agent's embedded server: its web page and files server use the same address.`);
  const webDefault = a.webServer ? given.web! : api;
  const web = ask && !a.webServer ? await d.url("Web application", webDefault) : webDefault;
  const filesDefault = a.filesServer ? given.files! : given.files ?? `${api}/files`;
  const files = ask && !a.filesServer ? await d.url("File store", filesDefault) : filesDefault;
  return { api, web, files };
}

function hostsWithoutQuestions(given: Partial<Hosts>): Hosts {
  if (given.api) {
    const api = requireUrl("api_server", given.api);
    const derived = parseHost(verifyUrl(api)!);
    const fallback = (value: string) => derived.derived ? value : api;
    return { api, web: given.web ?? fallback(derived.web), files: given.files ?? fallback(derived.files) };
  }
  if (!given.web) throw new WizardError("No server address given: use --api-server (or a credentials block with one)");
  const derived = parseHost(verifyUrl(given.web)!);
  if (!derived.derived) {
    throw new WizardError(`Cannot tell the API server from the web address "${given.web}": give --api-server`);
  }
  return { api: derived.api, web: given.web, files: given.files ?? derived.files };
}

async function hostsStep(
  d: Dialogue,
  a: WizardAnswers,
  block: PastedBlock,
  identify: ServerIdentifier,
): Promise<Hosts> {
  const given = hostsGiven(a, block);
  if (given.api && await identify(given.api)) return await embeddedHosts(d, a, given);
  if (a.nonInteractive) return hostsWithoutQuestions(given);
  const webInput = Boolean(given.web) || !given.api;
  let first: string;
  if (given.web) first = a.webServer ? given.web : await d.url("Web application", given.web);
  else if (given.api) first = a.apiServer ? given.api : await d.url("API server", given.api);
  else {
    d.say(`\nThe clearml-server's web application, for example ${LOCAL_WEB} or ${DEFAULT_WEB}:\n`);
    first = await d.url("Web application", DEFAULT_WEB);
  }
  const url = verifyUrl(first)!;
  let defaultPorts = false;
  if (needsPortQuestion(url)) {
    const answer =
      (await d.ask("No port in the address: use the default ports (web 8080, API 8008, files 8081)? [Y/n] "))
        .trim().toLowerCase();
    defaultPorts = answer === "" || answer === "y" || answer === "yes";
  }
  const derived = parseHost(url, () => defaultPorts);
  if (derived.message) d.say(derived.message);
  let api: string;
  let web: string;
  if (webInput) {
    // As the reference: an address typed as the web host may turn out to be the API's (port 8008, `api.`).
    web = derived.derived ? derived.web : first;
    api = a.apiServer ? given.api! : await d.url("API server", given.api ?? (derived.api || first));
  } else {
    api = first;
    web = a.webServer ? given.web! : await d.url("Web application", derived.web || api);
  }
  const files = a.filesServer ? given.files! : await d.url("File store", given.files ?? (derived.files || api));
  return { api, web, files };
}

async function verifyStep(d: Dialogue, a: WizardAnswers, api: string, creds: Credentials, verify: Verifier) {
  if (!a.verify) return creds;
  for (let attempt = 1; attempt <= 2; attempt++) {
    d.say("Verifying credentials ...");
    const res = await verify(api, creds);
    if (res.ok) {
      d.say("Credentials verified!");
      return creds;
    }
    if (res.unreachable) throw new WizardError(`Cannot reach the API server "${api}": ${res.reason}; nothing written`);
    d.say(`Error: could not verify credentials: key=${creds.accessKey} secret=${secretHint(creds.secretKey)}`);
    if (attempt === 2 || a.nonInteractive) break;
    const manual = await manualCredentials(d);
    if (!manual) break;
    creds = manual;
  }
  throw new WizardError(`The server "${api}" refused the credentials (key "${creds.accessKey}"); nothing written`);
}

async function outputUriStep(d: Dialogue, a: WizardAnswers, files: string): Promise<string | undefined> {
  if (a.outputUri !== undefined || a.nonInteractive) return a.outputUri || undefined;
  const prompt = "Where should models and artifacts be stored by default (the default output URI): " +
    "(N)one, the ClearML (S)erver, or (C)ustom? [None] ";
  for (let tries = 0; tries < 20; tries++) {
    const answer = (await d.ask(prompt)).trim().toLowerCase();
    let uri: string | undefined;
    if (answer === "" || answer === "n") uri = undefined;
    else if (answer === "s") uri = files;
    else if (answer === "c") uri = (await d.ask("Custom default output URI? ")).trim() || undefined;
    else continue;
    d.say(`\nDefault Output URI: ${uri ?? "not set"}`);
    return uri;
  }
  throw new WizardError("No valid answer for the default output URI");
}

async function gitStep(d: Dialogue, a: WizardAnswers): Promise<{ user?: string; pass?: string }> {
  if (a.gitUser !== undefined || a.nonInteractive) {
    return { user: a.gitUser || undefined, pass: a.gitPass || undefined };
  }
  const user = (await d.ask("Git user name for cloning repositories (leave blank for SSH key authentication)? [] "))
    .trim();
  if (!user) return {};
  d.say(
    "A git personal access token works as the password (GitHub, GitLab and Bitbucket each let you create one " +
      "in your account settings).",
  );
  const pass = a.gitPass ?? (await d.ask(`Git personal access token for user '${user}'? `)).trim();
  d.say(`Git repository cloning will be using user=${user} token=${pass ? secretHint(pass) : ""}`);
  return { user, pass };
}

async function indexStep(d: Dialogue, a: WizardAnswers): Promise<string[]> {
  if (a.extraIndexUrls !== undefined || a.nonInteractive) return [...(a.extraIndexUrls ?? [])];
  const urls: string[] = [];
  let answer = (await d.ask(
    "\nAn additional package index (extra-index-url) for installing Python packages (leave blank if none)? ",
  )).trim();
  while (answer && urls.length < 100) {
    urls.push(answer);
    answer = (await d.ask("Another package index (leave blank if done)? ")).trim();
  }
  if (urls.length > 0) d.say(`The following artifact repositories will be added:\n\t- ${urls.join("\n\t- ")}`);
  return urls;
}

/** Run the dialogue; resolves to the values to write. Throws `WizardError` (one line) when setup cannot finish. */
export async function runWizard(
  io: WizardIo,
  a: WizardAnswers,
  verify: Verifier,
  identify: ServerIdentifier = () => Promise.resolve(false),
): Promise<ConfValues> {
  const d = new Dialogue(io);
  const { creds: pastedCreds, block } = await credentialsStep(d, a);
  if (!a.nonInteractive) {
    d.say(`Detected credentials key="${pastedCreds.accessKey}" secret="${secretHint(pastedCreds.secretKey)}"`);
  }
  const hosts = await hostsStep(d, a, block, identify);
  if (!a.nonInteractive) {
    d.say(`\nClearML Hosts configuration:\nWeb App: ${hosts.web}\nAPI: ${hosts.api}\nFile Store: ${hosts.files}\n`);
  }
  const creds = await verifyStep(d, a, hosts.api, pastedCreds, verify);
  const outputUri = await outputUriStep(d, a, hosts.files);
  const git = await gitStep(d, a);
  const extraIndexUrls = await indexStep(d, a);
  return {
    apiServer: hosts.api,
    webServer: hosts.web,
    filesServer: hosts.files,
    accessKey: creds.accessKey,
    secretKey: creds.secretKey,
    gitUser: git.user,
    gitPass: git.pass,
    extraIndexUrls,
    outputUri,
  };
}
