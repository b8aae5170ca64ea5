# Appended to objs/Makefile by ./configure: the rule that runs cargo (see `config`).
# cargo decides what is out of date, so the rule always runs.

cat << END                                                            >> $NGX_MAKEFILE

.PHONY: $ngx_credentialflow_lib

$ngx_credentialflow_lib:
	NGINX_SOURCE_DIR="$ngx_credentialflow_nginx_src" \\
	NGINX_BUILD_DIR="$ngx_credentialflow_objs" \\
	"$NGX_CARGO" rustc \\
		--manifest-path "$ngx_credentialflow_src/Cargo.toml" \\
		--package ngx-http-credentialflow-module --lib \\
		--crate-type staticlib \\
		--no-default-features --features "$ngx_credentialflow_features" \\
		--profile $ngx_credentialflow_profile \\
		--target-dir "$ngx_credentialflow_target"

END

if [ "$ngx_credentialflow_link" = DYNAMIC ]; then
    cat << END                                                        >> $NGX_MAKEFILE
$NGX_OBJS${ngx_dirsep}ngx_http_credentialflow_module$ngx_modext: $ngx_credentialflow_lib

END
fi
