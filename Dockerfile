# fletsim in a container: `docker build -t registry.example/fletsim:0.1.0 .`
# (the image docs/ci.md's Kubernetes Indexed Job runs). The shipped scenarios are in
# /scenarios; mount your own over it or beside it.
#
# Stage 1 builds the release binary with the locked dependencies; stage 2 is a slim Debian
# with only the binary. The builder's Debian (trixie) is not newer than the runtime's
# (stable), so the binary's glibc symbols are all there.
FROM rust:1-slim-trixie AS builder
# jemalloc (the binary's allocator) is built from its C sources with make.
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# The build flags (.cargo/config.toml: the random streams' AVX-512 code).
COPY .cargo .cargo
COPY sim-core sim-core
COPY reports reports
COPY harness harness
RUN cargo build --release --locked -p fletsim --bin fletsim

FROM debian:stable-slim
COPY --from=builder /src/target/release/fletsim /usr/local/bin/fletsim
COPY scenarios /scenarios
# No root needed: results go to a mounted volume (e.g. /results).
RUN useradd --create-home --uid 10001 fletsim
USER fletsim
WORKDIR /home/fletsim
ENTRYPOINT ["fletsim"]
CMD ["run", "/scenarios"]
