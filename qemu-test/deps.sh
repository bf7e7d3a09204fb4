#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages pvlens needs to build, boot and test, when some
# are missing.  Runs apt only when something is missing (and only as root).
set -eu

PKGS="make gcc perl python3 bc kmod cpio xz-utils gzip util-linux procps
qemu-system-x86 linux-image-amd64 linux-headers-amd64 linux-source-6.1
busybox-static fio iperf3 socat ethtool iproute2 iputils-ping e2fsprogs pciutils sparse dkms
clang libclang-rt-14-dev cppcheck clang-tidy jq"

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$s" = "install ok installed" ] || missing="$missing $p"
done

# The guest boots the kernel we build against: headers need their image.
if ! ls /lib/modules/*/build >/dev/null 2>&1 || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
	missing="$missing linux-image-amd64 linux-headers-amd64"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "pvlens: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
		exit 1
	fi
	echo "pvlens: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
