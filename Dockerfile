# nearpost: one image holding every daemon; docker-compose.yml picks the
# command.  Two stages on Debian 12: `build` has the compilers and the
# -dev packages and builds the release binaries (tests and benches are
# built too, then left behind); the runtime stage has only the shared
# libraries, curl (health checks over HTTP) and the binaries, and runs as
# the unprivileged user nearpost (uid 10001, so secrets on the host can
# be given to it by number).  No secret is baked in: tokens, unit keys
# and Redis passwords come in as compose secrets or systemd
# EnvironmentFile=s at run time (docs/OPERATIONS.md).
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libevent-dev libhiredis-dev \
      libnanomsg-dev libjansson-dev check libsubunit-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && cmake --build /build -j"$(nproc)" \
    && mkdir -p /out/bin && find /build/bin -maxdepth 1 -type f -perm -u+x \
       ! -name 'test_*' ! -name 'bench_*' -exec cp {} /out/bin/ \; \
    && strip --strip-debug /out/bin/*

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libevent-2.1-7 libevent-pthreads-2.1-7 libhiredis0.14 libnanomsg5 \
      libjansson4 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 nearpost \
    && useradd --system --uid 10001 --gid nearpost --no-create-home \
       --home-dir /var/lib/nearpost --shell /usr/sbin/nologin nearpost \
    && mkdir -p /var/lib/nearpost /run/nearpost \
    && chown nearpost:nearpost /var/lib/nearpost /run/nearpost
COPY --from=build /out/bin/ /usr/local/bin/
COPY deploy/docker/entrypoint.sh /usr/local/bin/np-entrypoint
COPY deploy/docker/healthcheck.sh /usr/local/bin/np-healthcheck
COPY deploy/ /etc/nearpost/deploy/
# the unit keys of the sample city are not shipped: radiogw gets the
# real ones as a secret (NEARPOST_CITY_KEYS)
RUN rm -f /etc/nearpost/deploy/city/units.keys \
    && rm -rf /etc/nearpost/deploy/systemd /etc/nearpost/deploy/docker
USER nearpost
WORKDIR /etc/nearpost
ENV NEARPOST_RUN_DIR=/run/nearpost
ENTRYPOINT ["np-entrypoint"]
CMD ["intake", "--help"]
