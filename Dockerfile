# Built by `make docker`, which first cross-compiles a static binary per
# architecture into .build/linux-<arch>/: base images cannot be pulled where
# this project is built, so the image is FROM scratch and holds nothing but
# the exporter. The deploy/ manifests and the Helm chart name the image
# that `make docker` tags (kmod-exporter:dev; DOCKER_REGISTRY prefixes it).
FROM scratch
# BuildKit sets TARGETARCH from --platform; the classic builder takes it as
# a --build-arg (make docker passes both).
ARG TARGETARCH=amd64
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kmod_exporter" \
      org.opencontainers.image.description="Prometheus exporter: are the kernel modules the firewall needs loaded, and if not, why" \
      org.opencontainers.image.source="https://github.com/kmod-exporter/kmod_exporter" \
      org.opencontainers.image.url="https://github.com/kmod-exporter/kmod_exporter" \
      org.opencontainers.image.documentation="https://github.com/kmod-exporter/kmod_exporter/blob/main/docs/deploy.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY .build/linux-${TARGETARCH}/kmod_exporter /bin/kmod_exporter
USER 65534:65534
EXPOSE 10473
ENTRYPOINT ["/bin/kmod_exporter"]
CMD ["--path.rootfs=/host", "--path.procfs=/host/proc", "--path.sysfs=/host/sys"]
