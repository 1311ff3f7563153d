//! Signed JSON webhooks over HTTP(S) with ureq's blocking agent.
//!
//! The body is signed with the endpoint's secret (`X-Frist-Signature: sha256=<hex>`, an
//! HMAC-SHA256 of the exact body bytes; see [`signature`]). Redirects are never followed.
//!
//! Webhook URLs are typed in by customers, so the service must not become a way to reach
//! its own network (SSRF). Unless private targets are allowed, every address a host name
//! resolves to is checked by [`is_public`] inside ureq's name resolution ([`GuardedResolver`]),
//! i.e. on exactly the addresses ureq then connects to: a name that resolves to a public
//! address when the URL is saved and to 127.0.0.1 when the call is made (DNS rebinding)
//! is refused at call time. Proxies are switched off for the same reason: through a proxy
//! the target name would be resolved by the proxy, out of our sight.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Error};

use super::{DeliveryError, WebhookCall};

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow targets on loopback, private and other non-public addresses (development and
    /// tests only).
    pub allow_private: bool,
    /// Budget for one whole call: resolve, connect, send, receive.
    pub timeout: Duration,
}

/// Sends [`WebhookCall`]s.
#[derive(Debug, Clone)]
pub struct Poster {
    agent: Agent,
}

impl Poster {
    /// Builds a poster: no redirects, no proxy, statuses handled here rather than by ureq,
    /// and name resolution guarded unless `allow_private`.
    pub fn new(settings: &WebhookSettings) -> Poster {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(settings.timeout))
            .user_agent(concat!("frist/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().provider(TlsProvider::NativeTls).build())
            .build();
        let resolver = GuardedResolver { allow_private: settings.allow_private };
        Poster { agent: Agent::with_parts(config, DefaultConnector::default(), resolver) }
    }

    /// POSTs the call's body once: `Ok` on 2xx; [`DeliveryError::Temporary`] on 408, 429,
    /// 5xx and network trouble; [`DeliveryError::Permanent`] on any other status (a 3xx
    /// included), a bad URL or a refused target.
    pub fn send(&self, call: &WebhookCall) -> Result<(), DeliveryError> {
        check_scheme(&call.url)?;
        let signed = format!("sha256={}", signature(&call.secret, call.body.as_bytes()));
        let response = self
            .agent
            .post(&call.url)
            .header("Content-Type", "application/json")
            .header("X-Frist-Event-Id", &call.event_id)
            .header("X-Frist-Topic", &call.topic)
            .header("X-Frist-Signature", &signed)
            .send(call.body.as_bytes())
            .map_err(|err| classify_error(err, &endpoint(&call.url)))?;
        classify_status(response.status().as_u16(), &endpoint(&call.url))
    }
}

/// `hex(HMAC-SHA256(secret, body))`, the part after `sha256=` in `X-Frist-Signature`.
/// Receivers verify a call by computing it over the raw body they received.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC hashes or pads keys of any length; `new_from_slice` only fails for MACs
        // with a fixed key size.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `ip` may be the target of a webhook: not loopback, private, link-local,
/// unspecified, shared (CGNAT), broadcast, multicast or reserved; for IPv6, global unicast
/// (2000::/3) only, and an IPv6 form that reaches an IPv4 address (mapped, compatible,
/// NAT64, 6to4) is judged by that IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 included
        || ip.is_loopback() // 127/8
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local() // 169.254/16, cloud metadata services
        || (a == 100 && (b & 0xc0) == 64) // 100.64/10 shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24 protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // 198.18/15 benchmarking
        || ip.is_multicast() // 224/4
        || a >= 240; // 240/4 reserved, 255.255.255.255 included
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() {
        return false;
    }
    let segments = ip.segments();
    let octets = ip.octets();
    let embedded_v4 =
        |at: usize| Ipv4Addr::new(octets[at], octets[at + 1], octets[at + 2], octets[at + 3]);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4); // ::ffff:a.b.c.d
    }
    if segments[..6] == [0; 6] {
        return is_public_v4(embedded_v4(12)); // ::a.b.c.d, deprecated "compatible" form
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(12)); // 64:ff9b::/96 NAT64
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(2)); // 2002::/16 6to4
    }
    // Only global unicast (2000::/3) remains; this leaves out unique local fc00::/7,
    // link-local fe80::/10, the old site-local fec0::/10 and everything unassigned.
    (segments[0] & 0xe000) == 0x2000
}

/// A target refused by the guard; travels through ureq as [`Error::Other`].
#[derive(Debug)]
struct Refused {
    host: String,
    address: IpAddr,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused webhook target {}: it resolves to the non-public address {}",
            self.host, self.address
        )
    }
}

impl std::error::Error for Refused {}

/// ureq's default resolver, refusing the whole answer when any address in it is not
/// public (unless `allow_private`). ureq connects to nothing but what this returns.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let resolved = DefaultResolver::default().resolve(uri, config, timeout)?;
        if self.allow_private {
            return Ok(resolved);
        }
        // Mixed answers are refused too: a legitimate endpoint has no reason to publish a
        // private address beside its public one.
        match resolved.iter().find(|addr| !is_public(addr.ip())) {
            Some(addr) => Err(Error::Other(Box::new(Refused {
                host: uri.host().unwrap_or_default().to_owned(),
                address: addr.ip(),
            }))),
            None => Ok(resolved),
        }
    }
}

/// Scheme, host and port of a webhook URL, for messages: paths and queries of webhook URLs
/// often carry tokens, which have no place in logs or in the outbox's error column.
fn endpoint(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(uri) => {
            let scheme = uri.scheme_str().unwrap_or("?");
            let host = uri.host().unwrap_or("?");
            match uri.port_u16() {
                Some(port) => format!("{scheme}://{host}:{port}"),
                None => format!("{scheme}://{host}"),
            }
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}

fn check_scheme(url: &str) -> Result<(), DeliveryError> {
    let uri = url
        .parse::<Uri>()
        .map_err(|err| DeliveryError::Permanent(format!("webhook URL is invalid: {err}")))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(()),
        scheme => Err(DeliveryError::Permanent(format!(
            "webhook URL is not an http or https URL (scheme {})",
            scheme.unwrap_or("missing")
        ))),
    }
}

fn classify_status(status: u16, url: &str) -> Result<(), DeliveryError> {
    match status {
        200..=299 => Ok(()),
        300..=399 => Err(DeliveryError::Permanent(format!(
            "webhook endpoint {url} redirected (HTTP {status}); redirects are not followed"
        ))),
        408 | 429 | 500..=599 => {
            Err(DeliveryError::Temporary(format!("webhook endpoint {url} answered HTTP {status}")))
        }
        _ => {
            Err(DeliveryError::Permanent(format!("webhook endpoint {url} answered HTTP {status}")))
        }
    }
}

fn classify_error(err: Error, url: &str) -> DeliveryError {
    match err {
        Error::Other(inner) if inner.is::<Refused>() => DeliveryError::Permanent(inner.to_string()),
        Error::BadUri(_) | Error::Http(_) => {
            DeliveryError::Permanent(format!("webhook call to {url} is malformed: {err}"))
        }
        // Unknown hosts, refused connections, timeouts, TLS trouble: all may heal.
        _ => DeliveryError::Temporary(format!("webhook call to {url} failed: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        match s.parse() {
            Ok(ip) => ip,
            Err(err) => panic!("{s}: {err}"),
        }
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fe00::1",
            "100::1",
        ] {
            assert!(!is_public(ip(s)), "{s} counted as public");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "2001:4860:4860::8888",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(is_public(ip(s)), "{s} counted as non-public");
        }
    }

    #[test]
    fn signature_matches_rfc_4231_case_2() {
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn statuses_are_classified() {
        assert!(classify_status(204, "u").is_ok());
        for status in [408, 429, 500, 503] {
            assert!(matches!(classify_status(status, "u"), Err(DeliveryError::Temporary(_))));
        }
        for status in [301, 302, 400, 401, 404, 410] {
            assert!(matches!(classify_status(status, "u"), Err(DeliveryError::Permanent(_))));
        }
    }

    #[test]
    fn messages_show_only_the_endpoint() {
        assert_eq!(
            endpoint("https://hooks.example/services/T000/B000/XXXX?token=1"),
            "https://hooks.example"
        );
        assert_eq!(endpoint("http://[::1]:8080/x"), "http://[::1]:8080");
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(check_scheme("https://hooks.example/x").is_ok());
        assert!(check_scheme("http://hooks.example:8080/x").is_ok());
        for url in ["ftp://hooks.example/x", "file:///etc/passwd", "/relative", "not a url"] {
            assert!(matches!(check_scheme(url), Err(DeliveryError::Permanent(_))), "{url}");
        }
    }
}
