#!/bin/bash
# make test-k8s: the Kubernetes manifests validated offline against the API
# schemas (and a broken copy refused), and the OCI image unpacked and run.
#   tests/k8s/run.sh VERSION
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$1
WORK=$ROOT/build/k8s
# shellcheck source=tests/check.sh
. "$ROOT/tests/check.sh"

mkdir -p "$WORK"
cp "$ROOT/tests/k8s/package.json" "$ROOT/tests/k8s/validate.mjs" "$WORK/"
(cd "$WORK" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
	{ echo "k8s: npm install failed"; exit 1; }

validate() { node "$WORK/validate.mjs" "$VERSION" "$@"; }
check "manifests valid against the Kubernetes and Prometheus Operator schemas" \
	validate "$ROOT"/scripts/kubernetes/*.yaml
# The controls: a copy that breaks the schema (a port that is no number)
# and one that breaks the policy (a privileged container) are refused, each
# with its problem named.
refused() { # SED_EXPR PATTERN
	sed -e "$1" "$ROOT/scripts/kubernetes/portleak.yaml" >"$WORK/broken.yaml" &&
		! validate "$WORK/broken.yaml" >"$WORK/broken.out" && grep -q "$2" "$WORK/broken.out"
}
check "a port of the wrong type refused" refused 's/containerPort: 9530/containerPort: "nine"/' \
	"containerPort must be integer"
check "a privileged container refused" refused 's/privileged: false/privileged: true/' "is privileged"

# The image: unpacked, its root file system runs portleak.
image_runs() {
	rm -rf "$WORK/bundle"
	umoci unpack --image "$ROOT/build/image:$VERSION" "$WORK/bundle" >/dev/null &&
		[ "$(chroot "$WORK/bundle/rootfs" /portleak version --json | jq -r .version)" = "$VERSION" ] &&
		jq -e '.process.args == ["/portleak", "serve"]' "$WORK/bundle/config.json" >/dev/null &&
		[ -s "$ROOT/build/portleak-image.tar" ]
}
check "the OCI image runs portleak version from its root filesystem" image_runs
rm -rf "$WORK/bundle"
summary k8s
