#!/bin/sh
# Install what nearpost needs to build, test and run, on Debian 12.
# Only missing packages are installed, so running it again costs a
# dpkg-query.  As root it runs apt-get; otherwise through sudo if present.
set -eu

PKGS="build-essential cmake pkg-config
libevent-dev libhiredis-dev libnanomsg-dev nanomsg-utils libjansson-dev
check libsubunit-dev
redis-server redis-tools
python3 python3-jsonschema
clang curl wrk
chromium chromium-driver
docker-compose python3-yaml"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "missing packages:$missing -- run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
