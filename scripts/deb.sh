#!/bin/sh
# Build build/portleak_VERSION_ARCH.deb from build/portleak with dpkg-deb:
# the binary, the systemd unit (installed, not enabled), the man page, the
# bash and zsh completions, the Prometheus rules and the Grafana dashboard.
#
#   scripts/deb.sh VERSION [BUILD]
set -eu

version=${1:?usage: deb.sh VERSION [BUILD]}
build=${2:-build}
arch=$(dpkg --print-architecture)
root=$build/deb/portleak
deb=$build/portleak_${version}_${arch}.deb
src=scripts/debian
# The files' dates are the commit's: one commit builds the same package.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

rm -rf "$build/deb"
install -d "$root/DEBIAN"
install -D -m 755 "$build/portleak" "$root/usr/sbin/portleak"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/portleak"
# The unit as the package installs it: the binary in /usr/sbin, without the
# by-hand install notes.
sed -e 's|/usr/local/bin/portleak|/usr/sbin/portleak|' -e '/^# Install:/,/^#  *systemctl/d' \
	scripts/systemd/portleak.service >"$build/deb/portleak.service"
install -D -m 644 "$build/deb/portleak.service" "$root/lib/systemd/system/portleak.service"
install -d "$root/usr/share/man/man8"
gzip -9n <doc/portleak.8 >"$root/usr/share/man/man8/portleak.8.gz"
install -D -m 644 scripts/completion/portleak.bash \
	"$root/usr/share/bash-completion/completions/portleak"
install -D -m 644 scripts/completion/_portleak "$root/usr/share/zsh/vendor-completions/_portleak"
install -D -m 644 scripts/prometheus/portleak.rules.yml "$root/usr/share/portleak/portleak.rules.yml"
install -D -m 644 scripts/grafana/portleak-dashboard.json \
	"$root/usr/share/portleak/portleak-dashboard.json"
install -D -m 644 "$src/copyright" "$root/usr/share/doc/portleak/copyright"
gzip -9n <"$src/changelog" >"$root/usr/share/doc/portleak/changelog.gz"
install -D -m 644 "$src/lintian-overrides" "$root/usr/share/lintian/overrides/portleak"
for script in postinst prerm postrm; do
	install -m 755 "$src/$script" "$root/DEBIAN/$script"
done
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	"$src/control" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
