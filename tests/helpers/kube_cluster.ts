/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver (built by scripts/ci_services.sh into
 * /var/cache/clearml-agent-ci/bin) on loopback, with a CA, serving and client certificates and service-account
 * keys generated here by `openssl`, RBAC on, and an admin kubeconfig. No kubelet and no controller manager: tests
 * add a `TestNode` (kube_node.ts) and create what a controller would (a namespace's `default` ServiceAccount).
 *
 * `startKubeCluster()` takes a few seconds; share one per test file.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { openCluster } from "../../executors/kubernetes/cluster.ts";

const CACHE = Deno.env.get("CLEARML_AGENT_CI_CACHE") ?? "/var/cache/clearml-agent-ci";

/** Where the binaries are (scripts/ci_services.sh builds them). */
export function kubeBinaries(): { apiserver: string; etcd: string } {
  const etcd = ["/usr/bin/etcd", "/usr/local/bin/etcd"].find((p) => existsSync(p)) ?? "etcd";
  return { apiserver: join(CACHE, "bin", "kube-apiserver"), etcd };
}

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running control plane. */
export interface KubeCluster {
  dir: string;
  server: string;
  /** An admin kubeconfig file (client certificate in `system:masters`). */
  kubeconfig: string;
  /** The CA certificate (PEM file). */
  caFile: string;
  admin: KubeConfig;
  core: CoreV1Api;
  rbac: RbacAuthorizationV1Api;
  /** Create a namespace with its `default` ServiceAccount (what the controller manager would add). */
  namespace(name: string): Promise<void>;
  close(): Promise<void>;
}

async function makeCerts(dir: string): Promise<void> {
  const ext = join(dir, "server.ext");
  await Deno.writeTextFile(
    ext,
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  const openssl = (line: string) => run("openssl", line.split(" "), dir);
  /** A key and a certificate signed by the CA. */
  const signed = async (name: string, subject: string, extra = "") => {
    await openssl(`req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj ${subject}`);
    await openssl(
      `x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ${name}.crt -days 2${extra}`,
    );
  };
  await openssl("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca");
  await signed("server", "/CN=kube-apiserver", ` -extfile ${ext}`);
  await signed("admin", "/O=system:masters/CN=admin");
  await openssl("genrsa -out sa.key 2048");
  await openssl("rsa -in sa.key -pubout -out sa.pub");
}

interface Proc {
  child: Deno.ChildProcess;
  log: string;
}

function spawn(cmd: string, args: string[], logFile: string): Proc {
  const file = Deno.openSync(logFile, { write: true, create: true, truncate: true });
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  const pipe = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) file.writeSync(chunk);
  };
  Promise.all([pipe(child.stdout), pipe(child.stderr)]).finally(() => file.close());
  return { child, log: logFile };
}

function signal(p: Proc, sig: Deno.Signal): void {
  try {
    p.child.kill(sig);
  } catch {
    // exited already
  }
}

async function stopProc(p: Proc): Promise<void> {
  signal(p, "SIGTERM");
  const timer = setTimeout(() => signal(p, "SIGKILL"), 5_000);
  await p.child.status;
  clearTimeout(timer);
}

/** Start etcd and kube-apiserver; resolves once the API server is ready. */
export async function startKubeCluster(): Promise<KubeCluster> {
  const bins = kubeBinaries();
  if (!existsSync(bins.apiserver)) {
    throw new Error(`${bins.apiserver} is missing: run scripts/ci_services.sh (it builds kube-apiserver)`);
  }
  const dir = await Deno.makeTempDir({ prefix: "clearml_kube_" });
  await makeCerts(dir);
  const etcdPort = freePort();
  const peerPort = freePort();
  const etcd = spawn(bins.etcd, [
    "--data-dir",
    join(dir, "etcd"),
    "--listen-client-urls",
    `http://127.0.0.1:${etcdPort}`,
    "--advertise-client-urls",
    `http://127.0.0.1:${etcdPort}`,
    "--listen-peer-urls",
    `http://127.0.0.1:${peerPort}`,
    "--initial-advertise-peer-urls",
    `http://127.0.0.1:${peerPort}`,
    "--initial-cluster",
    `default=http://127.0.0.1:${peerPort}`,
    "--unsafe-no-fsync",
  ], join(dir, "etcd.log"));
  const port = freePort();
  const api = spawn(bins.apiserver, [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, "certs")}`,
    `--tls-cert-file=${join(dir, "server.crt")}`,
    `--tls-private-key-file=${join(dir, "server.key")}`,
    `--client-ca-file=${join(dir, "ca.crt")}`,
    `--service-account-key-file=${join(dir, "sa.pub")}`,
    `--service-account-signing-key-file=${join(dir, "sa.key")}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    "--authorization-mode=RBAC",
    "--service-cluster-ip-range=10.96.0.0/24",
    "--enable-priority-and-fairness=false",
    "--profiling=false",
  ], join(dir, "apiserver.log"));
  const server = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, "admin.kubeconfig");
  const options = new KubeConfig();
  options.loadFromOptions({
    clusters: [{ name: "test", server, caFile: join(dir, "ca.crt") }],
    users: [{ name: "admin", certFile: join(dir, "admin.crt"), keyFile: join(dir, "admin.key") }],
    contexts: [{ name: "test", cluster: "test", user: "admin" }],
    currentContext: "test",
  });
  await Deno.writeTextFile(kubeconfig, options.exportConfig());
  // The product's loader: the same connection settings as the glue (HTTP/1.1, see executors/kubernetes/cluster.ts).
  const { config: admin, core } = openCluster({ env: { KUBECONFIG: kubeconfig }, home: dir });
  const close = async () => {
    await stopProc(api);
    await stopProc(etcd);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await core.readNamespace({ name: "default" });
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        const log = await Deno.readTextFile(api.log).catch(() => "");
        await close();
        throw new Error(`kube-apiserver did not become ready: ${err}\n${log.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    dir,
    server,
    kubeconfig,
    caFile: join(dir, "ca.crt"),
    admin,
    core,
    rbac: admin.makeApiClient(RbacAuthorizationV1Api),
    async namespace(name) {
      await core.createNamespace({ body: { metadata: { name } } });
      await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: "default" } } });
    },
    close,
  };
}
