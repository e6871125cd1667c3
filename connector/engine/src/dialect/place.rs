//! What compiling the import and the provisioning documents shares: errors
//! located in a document, and a call's templates, checked when it loads.

use std::fmt::Display;

use indexmap::IndexMap;

use crate::dialect::dates::DateFormat;
use crate::dialect::request_headers::{check_name, check_size, check_value};
use crate::dialect::template::Template;
use crate::error::ConfigError;

/// A place in a document, such as one call, that errors are reported under.
#[derive(Debug)]
pub struct Place<'a> {
    /// The document's name.
    pub document: &'a str,
    /// The path of the place; empty for the document itself.
    pub path: String,
}

impl<'a> Place<'a> {
    /// The place at `path` in `document`.
    pub fn new(document: &'a str, path: impl Into<String>) -> Self {
        Self {
            document,
            path: path.into(),
        }
    }

    /// A problem at `field` under this place.
    pub fn error(&self, field: impl Display, message: impl Into<String>) -> ConfigError {
        let at = match self.path.as_str() {
            "" => field.to_string(),
            path => format!("{path}.{field}"),
        };
        ConfigError::new(self.document, at, message)
    }

    /// Compiles the document's `dateFormat`, if it has one.
    pub fn date_format(&self, pattern: Option<&str>) -> Result<Option<DateFormat>, ConfigError> {
        let format = pattern.map(DateFormat::parse).transpose();
        format.map_err(|e| self.error("dateFormat", e))
    }

    /// Parses the template at `field`; `bound` refuses a variable it reads.
    pub fn template(
        &self,
        field: &str,
        text: &str,
        bound: impl Fn(&str) -> Result<(), String>,
    ) -> Result<Template, ConfigError> {
        let template = Template::parse(text).map_err(|e| self.error(field, e))?;
        template
            .variables()
            .try_for_each(|variable| bound(&variable))
            .map_err(|e| self.error(field, e))?;
        Ok(template)
    }

    /// Parses a call's URL and header templates, whose fields start with
    /// `http`, and checks them: no user or password in the URL, and each
    /// header name, the fixed text of each value and the size of all the
    /// fixed text as the host would.
    pub fn request(
        &self,
        http: &str,
        url: &str,
        headers: &IndexMap<String, String>,
        bound: impl Fn(&str) -> Result<(), String>,
    ) -> Result<(Template, Vec<(String, Template)>), ConfigError> {
        let url_field = format!("{http}url");
        let url = self.template(&url_field, url, &bound)?;
        url.check_url().map_err(|e| self.error(&url_field, e))?;
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let value = self.template(&format!("{http}httpHeaders.{name}"), value, &bound)?;
                Ok((name.clone(), value))
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        for (name, value) in &headers {
            check_name(name)
                .and_then(|()| value.literals().try_for_each(check_value))
                .map_err(|e| self.error(format_args!("{http}httpHeaders.{name}"), e))?;
        }
        let fixed = headers
            .iter()
            .map(|(name, value)| name.len() + value.fixed_len())
            .sum();
        check_size(fixed).map_err(|e| self.error(format_args!("{http}httpHeaders"), e))?;
        Ok((url, headers))
    }
}
