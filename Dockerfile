# CredentialFlow: build nginx 1.28.3 + the module, run the t/ suite under CPAN's Test::Nginx,
# and ship a small runtime image. (Not built on the development machines, which have no
# Docker engine; the same steps run there through scripts/test.sh with the project's runner.)

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libclang-dev libpcre2-dev libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/build.sh --release

# The same t/*.t files (and t/compat's self-tests), run by CPAN's Test::Nginx::Socket instead of
# t/compat, with nothing prepared but the nginx binary and the module: each file's
# t/lib/Fixtures.pm generates the keys and tokens (scripts/gen-fixtures.sh) on first use.
FROM debian:bookworm-slim AS test
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates cpanminus make gcc perl openssl \
      python3 curl libtest-base-perl libtest-longstring-perl liblist-moreutils-perl \
      libhttp-message-perl libwww-perl liburi-perl libtext-diff-perl libipc-run-perl \
 && cpanm -n Test::Nginx@0.32 \
 && rm -rf /var/lib/apt/lists/* /root/.cpanm
WORKDIR /src
COPY --from=build /src /src
RUN TEST_NGINX_BINARY=/src/target/nginx/sbin/nginx \
    TEST_NGINX_LOAD_MODULES=/src/target/nginx/modules/ngx_http_credentialflow_module.so \
    prove -r t/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcre2-8-0 libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/nginx/sbin/nginx /usr/local/nginx/sbin/nginx
COPY --from=build /src/target/nginx/modules/ /usr/local/nginx/modules/
COPY --from=build /src/target/nginx/bin/credentialflow /usr/local/bin/credentialflow
# The test stage must have passed for the runtime image to build.
COPY --from=test /src/README.md /usr/local/share/doc/credentialflow/README.md
RUN mkdir -p /usr/local/nginx/logs /usr/local/nginx/conf
EXPOSE 8080
ENTRYPOINT ["/usr/local/nginx/sbin/nginx", "-g", "daemon off;"]
