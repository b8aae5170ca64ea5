//! RFC 9728 protected resource metadata: the document a resource server publishes so that
//! OAuth clients (MCP clients among them) find its authorization servers, and the URLs that
//! documents and challenges name, checked once at configuration time.

use serde_json::json;

/// Why a resource metadata setting is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// No `resource=`.
    #[error("needs resource=")]
    NoResource,
    /// No `authorization_server=`.
    #[error("needs at least one authorization_server=")]
    NoAuthorizationServer,
    /// A URL that is not an http(s) URL or would need escaping.
    #[error(
        "\"{0}\" must be an http or https URL without a fragment, spaces, quotes or backslashes"
    )]
    BadUrl(String),
    /// An authorization server identifier with a query (RFC 8414 §2).
    #[error("\"{0}\": an authorization server's issuer has no query or fragment (RFC 8414 §2)")]
    IssuerWithQuery(String),
    /// A scope outside RFC 6749 §3.3's scope-token characters.
    #[error("\"{0}\" is not a scope (RFC 6749 §3.3 characters, no quotes or backslashes)")]
    BadScope(String),
}

/// An http or https URL with a host, printable ASCII without spaces, quotes, backslashes or a
/// fragment: safe inside a quoted challenge attribute and a JSON string without escaping.
pub fn is_plain_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && url.bytes().all(|b| (0x21..0x7f).contains(&b) && !b"\"\\#".contains(&b))
}

/// A scope-token of RFC 6749 §3.3, also without a backslash.
fn is_scope(scope: &str) -> bool {
    !scope.is_empty() && scope.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// The protected resource metadata of one resource (RFC 9728 §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceMetadata {
    /// `resource`: the resource identifier.
    pub resource: String,
    /// `authorization_servers`: issuer identifiers of the servers that issue its tokens.
    pub authorization_servers: Vec<String>,
    /// `scopes_supported`, if any were named.
    pub scopes: Vec<String>,
}

impl ResourceMetadata {
    /// Checks the resource, the authorization servers and the scopes.
    pub fn new(
        resource: Option<&str>,
        authorization_servers: &[&str],
        scopes: &[&str],
    ) -> Result<ResourceMetadata, ResourceError> {
        let resource = resource.ok_or(ResourceError::NoResource)?;
        if !is_plain_url(resource) {
            return Err(ResourceError::BadUrl(resource.into()));
        }
        if authorization_servers.is_empty() {
            return Err(ResourceError::NoAuthorizationServer);
        }
        for server in authorization_servers {
            if !is_plain_url(server) {
                return Err(ResourceError::BadUrl((*server).into()));
            }
            if server.contains('?') {
                return Err(ResourceError::IssuerWithQuery((*server).into()));
            }
        }
        if let Some(bad) = scopes.iter().find(|s| !is_scope(s)) {
            return Err(ResourceError::BadScope((*bad).into()));
        }
        Ok(ResourceMetadata {
            resource: resource.into(),
            authorization_servers: authorization_servers.iter().map(|s| (*s).into()).collect(),
            scopes: scopes.iter().map(|s| (*s).into()).collect(),
        })
    }

    /// The JSON document. Tokens are accepted only in a request header
    /// (`bearer_methods_supported`: `header`, RFC 6750 §2.1).
    pub fn document(&self) -> String {
        let mut document = json!({
            "resource": self.resource,
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": ["header"],
        });
        if let (false, Some(members)) = (self.scopes.is_empty(), document.as_object_mut()) {
            members.insert("scopes_supported".into(), json!(self.scopes));
        }
        document.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_document_lists_servers_scopes_and_the_header_method() {
        let metadata = ResourceMetadata::new(
            Some("https://api.example/mcp"),
            &["https://auth.example", "https://other.example/tenant"],
            &["orders:read", "orders:write"],
        )
        .unwrap();
        let document: Value = serde_json::from_str(&metadata.document()).unwrap();
        assert_eq!(document["resource"], "https://api.example/mcp");
        assert_eq!(
            document["authorization_servers"],
            json!(["https://auth.example", "https://other.example/tenant"])
        );
        assert_eq!(document["scopes_supported"], json!(["orders:read", "orders:write"]));
        assert_eq!(document["bearer_methods_supported"], json!(["header"]));
        let bare = ResourceMetadata::new(Some("http://a.example"), &["http://a.example"], &[]);
        assert!(bare.unwrap().document().find("scopes_supported").is_none());
    }

    #[test]
    fn urls_and_scopes_that_would_need_escaping_are_refused() {
        let servers = ["https://auth.example"];
        for bad in [
            "ftp://a.example",
            "https://",
            "https:///x",
            "https://a.example/#f",
            "https://a.example/\"x",
            "https://a b.example",
            "https://a.example/\\",
        ] {
            assert!(!is_plain_url(bad), "{bad}");
            let refused = ResourceMetadata::new(Some(bad), &servers, &[]).unwrap_err();
            assert_eq!(refused, ResourceError::BadUrl(bad.into()));
        }
        assert!(is_plain_url("https://api.example/mcp?tenant=1"));
        assert_eq!(
            ResourceMetadata::new(None, &servers, &[]).unwrap_err(),
            ResourceError::NoResource
        );
        assert_eq!(
            ResourceMetadata::new(Some("https://a.example"), &[], &[]).unwrap_err(),
            ResourceError::NoAuthorizationServer
        );
        assert!(matches!(
            ResourceMetadata::new(Some("https://a.example"), &["https://b.example/?x=1"], &[]),
            Err(ResourceError::IssuerWithQuery(_))
        ));
        assert_eq!(
            ResourceMetadata::new(Some("https://a.example"), &servers, &["a\"b"]).unwrap_err(),
            ResourceError::BadScope("a\"b".into())
        );
    }
}
