# syntax=docker/dockerfile:1
# The `ledger` binary in a small image: built with Swift on Debian bookworm, run on
# debian:bookworm-slim with libpq. docker-compose.yml's `ledger` service uses it:
#   docker compose up -d --build        (then http://127.0.0.1:8080/healthz)
# or alone:
#   docker build -t ledger .
#   docker run --rm -p 127.0.0.1:8080:8080 -e DATABASE_URL=postgres://ledger_web:…@db:5432/ledger ledger
# The default command is `ledger serve --listen 0.0.0.0:8080` (inside the container; publish the
# port on 127.0.0.1 only and put TLS in front, or pass --tls-certificate/--tls-key); any other
# subcommand runs the same way: `docker run --rm -e DATABASE_URL=… ledger migrate`.
#
# Written on a machine without a Docker engine: the image itself has not been built, and this
# file was checked by reading. Its build command was run there (Debian bookworm, Swift 6.3.1):
# the binary it makes needs only libpq5 and libc6, libstdc++6 and libgcc-s1 (ldd), which
# bookworm-slim has (apt depends on libstdc++6), and it migrated and served a private cluster.

ARG SWIFT_VERSION=6.3
ARG DEBIAN_RELEASE=bookworm

# --- build: the Swift toolchain, libpq headers, the package's sources -------------------------
FROM swift:${SWIFT_VERSION}-${DEBIAN_RELEASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Sources, SQL (embedded into the binary by the EmbedSQL plugin) and the manifest; .dockerignore
# leaves out .build, .git and the docs.
COPY . .
# The Swift runtime and Foundation linked statically: the runtime image needs no Swift libraries,
# only libpq5 and the C/C++ runtime every Debian has. Dependencies are fetched from their
# repositories (Package.swift), at the versions of Package.resolved when it is in the context.
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product ledger --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/ledger" /staging/ledger \
 && /staging/ledger --version

# --- runtime: libpq and the binary, run as an unprivileged user -------------------------------
FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ledger
COPY --from=build /staging/ledger /usr/local/bin/ledger
USER ledger
EXPOSE 8080
# `ledger serve` stops on SIGTERM: stops accepting, finishes requests in flight, closes connections
# (give it time: docker stop --time 60).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/ledger"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
