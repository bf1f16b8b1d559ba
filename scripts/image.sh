#!/bin/sh
# make image: an OCI image of the static build/portleak, built without a
# container engine (umoci), in build/image (an OCI layout, tag VERSION),
# and as build/portleak-image.tar (docker-archive, for `ctr images import`
# or `docker load`; skopeo). The image holds the one file: /portleak.
#   scripts/image.sh VERSION
set -eu
version=$1
build=build
layout=$build/image
bundle=$build/image-bundle
rm -rf "$layout" "$bundle" "$build/portleak-image.tar"
umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci unpack --image "$layout:$version" "$bundle" >/dev/null
install -m 0755 "$build/portleak" "$bundle/rootfs/portleak"
umoci repack --image "$layout:$version" "$bundle"
umoci config --image "$layout:$version" --config.entrypoint /portleak --config.cmd serve \
	--config.exposedports 9530/tcp --config.user 0:0 \
	--config.label org.opencontainers.image.title=portleak \
	--config.label "org.opencontainers.image.version=$version"
rm -rf "$bundle"
skopeo --insecure-policy copy -q "oci:$layout:$version" \
	"docker-archive:$build/portleak-image.tar:portleak:$version"
echo "image: $layout:$version and $build/portleak-image.tar (portleak:$version)"
