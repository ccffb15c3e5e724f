# Built by `make docker`, which first compiles a static binary into .build/:
# base images cannot be pulled where this project is built, so the image is
# FROM scratch and holds nothing but the exporter.
FROM scratch
COPY .build/kmod_exporter /bin/kmod_exporter
USER 65534:65534
EXPOSE 10473
ENTRYPOINT ["/bin/kmod_exporter"]
CMD ["--path.rootfs=/host", "--path.procfs=/host/proc", "--path.sysfs=/host/sys"]
