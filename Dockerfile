# nearpost: one image holding every daemon; docker-compose.yml picks the
# command.  Build stage on Debian 12 with the -dev packages, run stage with
# only the shared libraries.
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
       ! -name 'test_*' ! -name 'bench_*' -exec cp {} /out/bin/ \;

FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends \
      libevent-2.1-7 libevent-pthreads-2.1-7 libhiredis0.14 libnanomsg5 \
      libjansson4 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/nearpost nearpost \
    && mkdir -p /var/lib/nearpost /run/nearpost \
    && chown nearpost /var/lib/nearpost /run/nearpost
COPY --from=build /out/bin/ /usr/local/bin/
COPY deploy/ /etc/nearpost/deploy/
USER nearpost
WORKDIR /etc/nearpost
ENV NEARPOST_RUN_DIR=/run/nearpost
