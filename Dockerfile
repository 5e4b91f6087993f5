# grayctl's own image (npm run image; decision 040): the single binary
# (npm run build:binary, dist/bin/grayctl-linux-x64, Node included) on a small
# base that has what it links — glibc, libstdc++, libgcc_s — and CA
# certificates, and nothing else: no shell, no package manager, no Node.
# The base is a build argument: production keeps the public distroless one;
# where no image can be pulled, scripts/local-base-image.sh makes an equivalent
# from Debian's packages (npm run image -- --base local/cc-base:bookworm).
ARG BASE=gcr.io/distroless/cc-debian12
FROM ${BASE}
COPY grayctl-linux-x64 /usr/local/bin/grayctl
# distroless's "nonroot": the guard needs no privilege beyond its ServiceAccount.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/grayctl"]
