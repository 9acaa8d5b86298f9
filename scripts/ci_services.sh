#!/usr/bin/env bash
# Start every service the test suite needs on a fresh CI machine. Idempotent: safe to run again on a dev machine.
#  - a Docker engine (Debian's docker.io, dockerd in the background) and the local test base image
#    (debootstrap of Debian bookworm with python3, venv, pip and git, imported as $BASE_IMAGE; the rootfs
#    tarball is cached under $CACHE so a second run on the same machine takes seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE="${CLEARML_AGENT_TEST_IMAGE:-clearml-agent-test/bookworm-python:1}"
CACHE="${CLEARML_AGENT_CI_CACHE:-/var/cache/clearml-agent-ci}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd) # install-service tests: systemd-analyze verify
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux) # init tests: the wizard in a pseudo-terminal
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd"
  $SUDO mkdir -p /var/log
  (nohup $SUDO dockerd >/var/log/clearml-agent-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/clearml-agent-dockerd.log"; exit 1; }
fi
echo "docker engine: $(docker version --format '{{.Server.Version}}')"

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  $SUDO mkdir -p "$CACHE"
  tarball="$CACHE/bookworm-python.tar"
  if [ ! -s "$tarball" ]; then
    echo "building the test base image rootfs with debootstrap (about a minute)"
    rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    $SUDO debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,git,ca-certificates \
      bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
      || { echo "debootstrap failed; see $CACHE/debootstrap.log"; exit 1; }
    $SUDO tar -C "$rootfs" -cf "$tarball.tmp" .
    $SUDO mv "$tarball.tmp" "$tarball"
    $SUDO rm -rf "$rootfs"
  fi
  docker import "$tarball" "$BASE_IMAGE" >/dev/null
fi
echo "test base image: $BASE_IMAGE"

# actionlint (the workflow linter .ci/run runs on .github/workflows/*.yml), built from the Go module proxy into
# $CACHE/bin and rebuilt when missing or of another version. Go comes from PATH (or /usr/local/go), else from
# Debian's golang-go, whose `go` fetches the newer toolchain actionlint needs (GOTOOLCHAIN=auto). actionlint checks
# the workflows' `run:` scripts only when it finds shellcheck, so shellcheck is installed too (.ci/run requires it).
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "installing shellcheck"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q shellcheck >/dev/null
fi
ACTIONLINT_VERSION=1.7.12
actionlint_bin="$CACHE/bin/actionlint"
if ! "$actionlint_bin" --version 2>/dev/null | head -n 1 | grep -qx "v$ACTIONLINT_VERSION"; then
  echo "building actionlint v$ACTIONLINT_VERSION from the Go module proxy"
  $SUDO mkdir -p "$CACHE/bin"
  go_bin=$(command -v go || true)
  [ -n "$go_bin" ] || [ ! -x /usr/local/go/bin/go ] || go_bin=/usr/local/go/bin/go
  if [ -z "$go_bin" ]; then
    echo "installing Debian's golang-go (GOTOOLCHAIN=auto brings the Go release actionlint asks for)"
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q golang-go >/dev/null
    go_bin=$(command -v go)
  fi
  gopath=$(mktemp -d)
  GOBIN="$gopath/bin" GOPATH="$gopath" GOMODCACHE="$gopath/mod" GOTOOLCHAIN=auto GOFLAGS=-modcacherw \
    "$go_bin" install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" \
    || { rm -rf "$gopath"; echo "building actionlint failed"; exit 1; }
  $SUDO mv "$gopath/bin/actionlint" "$actionlint_bin"
  rm -rf "$gopath"
fi
echo "actionlint: $actionlint_bin $("$actionlint_bin" --version | head -n 1)"

# The web page tests (tests/compat/web_page_test.ts) and scripts/bench_web.ts: Debian's headless Chromium,
# driven by puppeteer-core from npm.
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (web page tests)"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium fonts-dejavu-core >/dev/null
fi
echo "chromium: $(chromium --version 2>/dev/null | head -n 1)"

# Kubernetes test binaries (tests/k8s/*): etcd from Debian's etcd-server, and kube-apiserver plus helm built from the
# Go module proxy into $CACHE/bin (rebuilt when missing or of another version). k8s.io/kubernetes is not meant to be
# consumed as a module: its go.mod points the k8s.io/* staging modules at ./staging/..., which the module zip lacks,
# so those replace lines are pointed at the published k8s.io/* v0.N.x of the same release before `go build`.
# The two builds take several minutes on two cores the first time; afterwards this block takes a second.
K8S_VERSION=1.34.2
HELM_VERSION=3.19.0
if ! command -v etcd >/dev/null 2>&1; then
  echo "installing etcd-server"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q etcd-server >/dev/null
fi
k8s_go() {
  local go_bin
  go_bin=$(command -v go || true)
  [ -n "$go_bin" ] || [ ! -x /usr/local/go/bin/go ] || go_bin=/usr/local/go/bin/go
  if [ -z "$go_bin" ]; then
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q golang-go >/dev/null
    go_bin=$(command -v go)
  fi
  GOWORK=off GOTOOLCHAIN=auto GOFLAGS=-modcacherw "$go_bin" "$@"
}
apiserver_bin="$CACHE/bin/kube-apiserver-$K8S_VERSION"
if [ ! -x "$apiserver_bin" ]; then
  echo "building kube-apiserver v$K8S_VERSION from the Go module proxy (several minutes the first time)"
  $SUDO mkdir -p "$CACHE/bin"
  work=$(mktemp -d)
  src=$(cd "$work" && k8s_go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { rm -rf "$work"; echo "downloading k8s.io/kubernetes v$K8S_VERSION failed"; exit 1; }
  cp -r "$src" "$work/kubernetes" && chmod -R u+w "$work/kubernetes"
  sed -i -E "s#=> \./staging/src/(k8s\.io/[a-z0-9-]+)\$#=> \1 v0.${K8S_VERSION#1.}#" "$work/kubernetes/go.mod"
  (cd "$work/kubernetes" && k8s_go build -mod=mod -trimpath -o "$work/kube-apiserver" ./cmd/kube-apiserver) \
    || { rm -rf "$work"; echo "building kube-apiserver failed"; exit 1; }
  $SUDO mv "$work/kube-apiserver" "$apiserver_bin"
  rm -rf "$work"
fi
$SUDO ln -sf "$apiserver_bin" "$CACHE/bin/kube-apiserver"
echo "kube-apiserver: $apiserver_bin; etcd: $(command -v etcd)"
helm_bin="$CACHE/bin/helm-$HELM_VERSION"
if [ ! -x "$helm_bin" ]; then
  echo "building helm v$HELM_VERSION from the Go module proxy"
  $SUDO mkdir -p "$CACHE/bin"
  gopath=$(mktemp -d)
  GOBIN="$gopath/bin" k8s_go install "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" \
    || { rm -rf "$gopath"; echo "building helm failed"; exit 1; }
  $SUDO mv "$gopath/bin/helm" "$helm_bin"
  rm -rf "$gopath"
fi
$SUDO ln -sf "$helm_bin" "$CACHE/bin/helm"
echo "helm: $helm_bin"
