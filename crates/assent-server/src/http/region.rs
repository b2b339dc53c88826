//! Which request headers carry the visitor's location, for `GET /v1/region` (route in `meta.rs`): the country
//! and subdivision as a trusted CDN in front of the server reports them. No IP database: without configured
//! headers (or without a usable value) the answer is `"unknown"`, and the browser then applies the strictest
//! configured region (fail closed).
//!
//! The headers are read only when named at start-up (`--region-header`, `--subdivision-header`): a header any
//! client can send must never decide by default which rules apply. Only a CDN that overwrites the header on
//! every request (so a visitor cannot supply their own) should be named.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// Which request headers carry the visitor's location (both optional).
#[derive(Clone, Debug, Default)]
pub struct RegionHeaders {
    /// ISO 3166-1 alpha-2 country, e.g. `cf-ipcountry`.
    pub country: Option<HeaderName>,
    /// ISO 3166-2 subdivision (the part after the country, or the full code), e.g. `cf-region-code`.
    pub subdivision: Option<HeaderName>,
}

impl RegionHeaders {
    /// Header names as given on the command line; an invalid name is an error naming the option.
    pub fn parse(
        country: Option<&str>,
        subdivision: Option<&str>,
    ) -> Result<RegionHeaders, String> {
        let name = |option: &str, v: Option<&str>| {
            v.map(|v| {
                HeaderName::from_bytes(v.trim().as_bytes())
                    .map_err(|_| format!("{option}: {v:?} is not an HTTP header name"))
            })
            .transpose()
        };
        let headers = RegionHeaders {
            country: name("--region-header", country)?,
            subdivision: name("--subdivision-header", subdivision)?,
        };
        if headers.country.is_none() && headers.subdivision.is_some() {
            return Err(
                "--subdivision-header needs --region-header (a subdivision means nothing without its country)"
                    .into(),
            );
        }
        Ok(headers)
    }

    /// The visitor's country and subdivision from the request's headers; each `None` when unconfigured,
    /// absent, sent more than once, or not a valid code.
    pub fn locate(&self, headers: &HeaderMap) -> (Option<String>, Option<String>) {
        let value = |name: &Option<HeaderName>| -> Option<&str> {
            let name = name.as_ref()?;
            let mut all = headers.get_all(name).iter();
            let first = all.next()?;
            // Two values: something other than the CDN added one. Trust neither.
            if all.next().is_some() {
                return None;
            }
            first.to_str().ok().map(str::trim)
        };
        let country = value(&self.country).and_then(assent_core::region::country_code);
        let subdivision = country.as_deref().and_then(|cc| {
            value(&self.subdivision).and_then(|v| assent_core::region::subdivision_code(cc, v))
        });
        (country, subdivision)
    }

    /// The `Vary` value naming the headers [`RegionHeaders::locate`] reads, when any is configured.
    pub fn vary(&self) -> Option<HeaderValue> {
        let names: Vec<&str> = [&self.country, &self.subdivision]
            .into_iter()
            .flatten()
            .map(HeaderName::as_str)
            .collect();
        (!names.is_empty())
            .then(|| HeaderValue::from_str(&names.join(", ")).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn reads_only_configured_valid_single_values() {
        let cf = RegionHeaders::parse(Some("CF-IPCountry"), Some("cf-region-code")).unwrap();
        let loc = |pairs: &[(&str, &str)]| cf.locate(&headers(pairs));
        assert_eq!(
            loc(&[("cf-ipcountry", "us"), ("cf-region-code", "CA")]),
            (Some("US".into()), Some("CA".into()))
        );
        assert_eq!(loc(&[("cf-ipcountry", " DE ")]), (Some("DE".into()), None));
        assert_eq!(loc(&[("cf-ipcountry", "XX")]), (None, None));
        assert_eq!(
            loc(&[("cf-ipcountry", "DE"), ("cf-ipcountry", "US")]),
            (None, None)
        );
        assert_eq!(
            loc(&[("cf-ipcountry", "US"), ("cf-region-code", "California")]),
            (Some("US".into()), None)
        );
        assert_eq!(
            loc(&[("cf-region-code", "CA"), ("x-vercel-ip-country", "US")]),
            (None, None)
        );
        assert_eq!(
            RegionHeaders::default().locate(&headers(&[("cf-ipcountry", "DE")])),
            (None, None)
        );
    }

    #[test]
    fn option_errors_name_the_option() {
        let e = RegionHeaders::parse(Some("bad header"), None).unwrap_err();
        assert!(e.starts_with("--region-header"), "{e}");
        let e = RegionHeaders::parse(None, Some("cf-region-code")).unwrap_err();
        assert!(e.contains("--subdivision-header"), "{e}");
    }
}
