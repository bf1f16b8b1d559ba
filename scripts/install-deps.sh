#!/bin/sh
# Install what portleak needs, from the distribution's packages (Debian 12+
# or Ubuntu 22.04+). Run as root.
#
#   scripts/install-deps.sh          what building and running portleak need
#   scripts/install-deps.sh --test   that, plus what the tests and the kernel
#                                    matrix need (make test does this itself)
#
# Test packages come with services (prometheus); none is started: the tests
# start the binaries they need themselves.
set -eu

build="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config libncurses-dev
	libjansson-dev"
test="iproute2 procps jq coreutils tmux curl prometheus util-linux bpftrace
	qemu-system-x86 busybox-static cpio gzip xz-utils valgrind umoci skopeo
	default-jdk-headless golang-go iptables lintian zsh man-db systemd nginx
	libhttpclient-java"

case "${1:-}" in
"") packages=$build ;;
--test) packages="$build $test" ;;
*) echo "usage: install-deps.sh [--test]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "install-deps: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

# Already there: nothing to do (make test runs this every time).
# shellcheck disable=SC2086
missing=$(dpkg-query -W -f '${db:Status-Status} ${Package}\n' $packages 2>&1 |
	awk '$1 != "installed" { n++ } END { print n + 0 }')
if [ "$missing" -gt 0 ]; then
	# Debian's convention for "install, but start no service": a
	# policy-rc.d that refuses every start, for the length of the install.
	policy=/usr/sbin/policy-rc.d
	own_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	trap '[ -z "$own_policy" ] || rm -f "$policy"' EXIT
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $packages >/dev/null
fi
# The manifest validator runs on Node.js; a host that has it and npm
# (from any source) keeps them.
if [ "${1:-}" = --test ] && ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# Debian ships bpftool on its own; Ubuntu in linux-tools.
if ! command -v bpftool >/dev/null 2>&1 && [ ! -x /usr/sbin/bpftool ]; then
	apt-get install -y -qq --no-install-recommends bpftool >/dev/null 2>&1 ||
		apt-get install -y -qq --no-install-recommends linux-tools-common \
			"linux-tools-$(uname -r)" >/dev/null
fi
echo "install-deps: done"
