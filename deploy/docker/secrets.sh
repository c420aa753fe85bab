#!/bin/sh
# deploy/docker/secrets.sh [DIR]: make the secrets docker-compose.yml
# mounts (default ./secrets, next to docker-compose.yml).  Existing files
# are kept, so running it again changes nothing that works:
#   redis.acl, redis-users, redis-env/<user>.env  deploy/redis/gen_acl.py
#   tokens        `<name> <role> <sha256>`, read by intake and dashboard
#   tokens.clear  the tokens themselves, for the people they belong to
#   health-token  the token the health checks of commander, tracker and
#                 feedback show the dashboard (role supervisor)
#   units.keys    the units' radio secrets (copied from deploy/city for
#                 the sample city: replace it with the real ones)
# Run as root to give each file to the container user that reads it
# (redis: uid 999, nearpost: uid 10001); otherwise they stay 0600 and
# yours, which is enough for `docker-compose config` but not to run.
set -eu
DIR=${1:-secrets}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
umask 077
mkdir -p "$DIR/redis-env"
/usr/bin/python3 "$HERE/deploy/redis/gen_acl.py" --acl "$DIR/redis.acl" \
    --users "$DIR/redis-users" --env-dir "$DIR/redis-env"
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -f "$DIR/tokens" ]; then
	: >"$DIR/tokens.clear"
	for who in calltaker:calltaker supervisor:supervisor admin:admin \
	    healthcheck:supervisor; do
		name=${who%%:*} role=${who#*:} t=np-$(token)
		echo "$name $role $t" >>"$DIR/tokens.clear"
		echo "$name $role $(printf %s "$t" | sha256sum | cut -d' ' -f1)" \
		    >>"$DIR/tokens"
		[ "$name" = healthcheck ] && printf %s "$t" >"$DIR/health-token"
	done
fi
[ -f "$DIR/units.keys" ] || cp "$HERE/deploy/city/units.keys" "$DIR/units.keys"
if [ "$(id -u)" = 0 ]; then
	chown 999 "$DIR/redis.acl" "$DIR/redis-env/admin.env"
	chown 10001 "$DIR/tokens" "$DIR/health-token" "$DIR/units.keys"
	for f in "$DIR"/redis-env/*.env; do
		[ "$f" = "$DIR/redis-env/admin.env" ] || chown 10001 "$f"
	done
else
	echo "secrets.sh: not root: files stay yours (chown them to 999 /" \
	    "10001 before docker-compose up; see docs/OPERATIONS.md)" >&2
fi
echo "secrets in $DIR (tokens for people in $DIR/tokens.clear)"
