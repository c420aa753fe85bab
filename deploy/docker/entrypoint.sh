#!/bin/sh
# np-entrypoint: what the nearpost image runs before the daemon named by
# the compose command.  It reads the service's Redis user from the secret
# /run/secrets/redis-env (NEARPOST_REDIS_USER / NEARPOST_REDIS_PASSWORD
# lines, written by deploy/redis/gen_acl.py --env-dir) into the
# environment -- never onto the command line, where ps would show it --
# and gives each container its own instance name (consumer-group member
# and health-survey name) unless one is set: scaled copies of a service
# must not share one.
set -eu
if [ -r /run/secrets/redis-env ]; then
	set -a
	. /run/secrets/redis-env
	set +a
fi
: "${NEARPOST_INSTANCE:=$(hostname)}"
export NEARPOST_INSTANCE
exec "$@"
