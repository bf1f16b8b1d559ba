#!/bin/sh
# Install what portleak needs to build and test, from the distribution's
# packages (Debian 12+ or Ubuntu 22.04+). Run as root.
set -eu

packages="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config
	iproute2 procps jq coreutils libncurses-dev tmux
	curl prometheus util-linux bpftrace
	qemu-system-x86 busybox-static cpio gzip valgrind"

[ "$(id -u)" -eq 0 ] || { echo "install-deps: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
# Debian ships bpftool on its own; Ubuntu in linux-tools.
if ! command -v bpftool >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends bpftool >/dev/null 2>&1 ||
		apt-get install -y -qq --no-install-recommends linux-tools-common \
			"linux-tools-$(uname -r)" >/dev/null
fi
echo "install-deps: done"
