# godex in a container: the Native AOT binary on a minimal non-root runtime image (docs/deploy.md).
#   docker build -t godex --build-arg VERSION=$(scripts/version.sh) .
#   docker run -p 127.0.0.1:39001:39001 -v godex-data:/data -e GODEX_PROXY_API_KEY=... godex
# Builds natively for the platform it runs on (amd64 -> linux-x64, arm64 -> linux-arm64).

FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
ARG VERSION=0.1.0-container
ARG TARGETARCH
# What Native AOT links with (scripts/install-prereqs.sh installs the same on a build machine).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, on the project files alone, so a source change does not download the packages again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY eng/ eng/
COPY src/Godex.Core/Godex.Core.csproj src/Godex.Core/
COPY src/Godex.Simulator/Godex.Simulator.csproj src/Godex.Simulator/
COPY src/Godex.Composition/Godex.Composition.csproj src/Godex.Composition/
COPY src/Godex.Server/Godex.Server.csproj src/Godex.Server/
COPY src/Godex.Cli/Godex.Cli.csproj src/Godex.Cli/
RUN rid=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && dotnet restore src/Godex.Cli/Godex.Cli.csproj -r "$rid"
COPY src/ src/
COPY docs/config.template.yaml docs/
RUN rid=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) \
 && arch=$([ "$TARGETARCH" = arm64 ] && echo aarch64 || echo x86_64) \
 && dotnet publish src/Godex.Cli/Godex.Cli.csproj -c Release -r "$rid" --no-restore -o /out \
      -p:Version="$VERSION" -p:ContinuousIntegrationBuild=true -p:StaticSqlite=/usr/lib/$arch-linux-gnu/libsqlite3.a \
 && rm -f /out/*.dbg

# runtime-deps: glibc, OpenSSL, CA certificates, zlib and a non-root user "app"; no .NET runtime (the binary needs none).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-bookworm-slim
COPY --from=build /out/godex /usr/local/bin/godex
# /data holds the database (client keys, usage ledger, stored responses) and the admin socket; mount the vendor CLIs'
# logins at /home/app/.codex and /home/app/.claude (writable: godex refreshes expired tokens in place).
ENV GODEX_PROXY_DATABASE=/data/godex.db \
    GODEX_PROXY_ADMIN_SOCKET=/data/admin.sock \
    GODEX_PROXY_LISTEN=0.0.0.0:39001
RUN mkdir -p /data && chown app:app /data
VOLUME /data
USER app
EXPOSE 39001
# Listening on 0.0.0.0 needs a client key: GODEX_PROXY_API_KEY, a key in /data's database (godex proxy keys add), or
# GODEX_PROXY_ALLOW_ANY_KEY=true; without one godex refuses to start and says so.
ENTRYPOINT ["/usr/local/bin/godex"]
CMD ["proxy"]
