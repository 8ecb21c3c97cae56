# syntax=docker/dockerfile:1
# Salas in a container: `docker build -t salas .` then
#   docker run -p 8080:8080 -v salas-data:/var/lib/salas -e SALAS_ADMIN_PASSWORD=… salas
# Data lives in the /var/lib/salas volume. Run exactly one container per volume: the store is
# embedded and locked by the running server.

FROM rust:1.90-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep the registry and the compiled dependencies between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked && install -D -m 0755 target/release/salas /out/usr/bin/salas
# An empty data directory owned by the non-root user, copied into new volumes by the engine.
RUN install -d -m 0700 -o 65532 -g 65532 /out/var/lib/salas

# Distroless "cc": glibc and libgcc only (all the release binary links), no shell, uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /
ENV SALAS_LISTEN=0.0.0.0:8080 \
    SALAS_DATA_DIR=/var/lib/salas \
    SALAS_LOG_FORMAT=json
USER 65532:65532
VOLUME ["/var/lib/salas"]
EXPOSE 8080
# No curl in the image: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/bin/salas", "healthcheck"]
# Online backup from the host: docker exec CONTAINER salas backup --output /var/lib/salas/backup.redb
ENTRYPOINT ["/usr/bin/salas"]
CMD ["serve"]
