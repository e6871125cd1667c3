//! Keeping the secret out of what the guest receives.
//!
//! The host sets `Authorization` on the credential origin's requests, so a
//! target (or a proxy in front of it) that echoes request headers would hand
//! the secret to the guest in a response. [`Screen`] looks for the secret's
//! forms in response headers and bodies, and in everything a request
//! carries, and [`ScreenedBody`] withholds a body that holds one. The body is
//! streamed: only the last bytes that could start a match are held back
//! between frames, so no part of a secret split across frames gets through.
//! [`Pieces`] screens the import state the same way as it is fed in pieces.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame};
use memchr::memmem::Finder;
use wasmtime_wasi_http::{Error, WasiBody};

use crate::credentials::Credentials;

/// The forms of the secret to look for ([`Credentials::leak_forms`]).
#[derive(Clone)]
pub(crate) struct Screen {
    finders: Arc<Vec<Finder<'static>>>,
    longest: usize,
}

impl std::fmt::Debug for Screen {
    /// The forms are the secret: only their number is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("forms", &self.finders.len())
            .finish()
    }
}

impl Screen {
    /// A screen for the forms of `credentials`' secret.
    pub(crate) fn new(credentials: &Credentials) -> Self {
        let forms = credentials.leak_forms();
        let longest = forms.iter().map(String::len).max().unwrap_or(0);
        let finders = forms
            .iter()
            .map(|form| Finder::new(form.as_bytes()).into_owned())
            .collect();
        Self {
            finders: Arc::new(finders),
            longest,
        }
    }

    /// Whether `bytes` hold a form of the secret.
    pub(crate) fn finds(&self, bytes: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(bytes).is_some())
    }

    /// Whether any header value holds a form of the secret.
    pub(crate) fn finds_in_headers(&self, headers: &hyper::HeaderMap) -> bool {
        headers.values().any(|value| self.finds(value.as_bytes()))
    }

    /// `body`, withheld (ending in an error) if it holds a form of the
    /// secret; `on_found` hears of it.
    pub(crate) fn body(
        &self,
        body: WasiBody,
        on_found: impl Fn() + Send + Sync + 'static,
    ) -> WasiBody {
        ScreenedBody {
            inner: body,
            screen: self.clone(),
            held: BytesMut::new(),
            ended: false,
            trailers: None,
            on_found: Box::new(on_found),
        }
        .boxed_unsync()
    }
}

/// Text screened as it streams in pieces: what may be handed on, holding
/// back only the bytes that could start a form of the secret.
#[derive(Debug)]
pub(crate) struct Pieces<'a> {
    screen: Option<&'a Screen>,
    held: Vec<u8>,
}

/// A form of the secret was found.
#[derive(Debug)]
pub(crate) struct Found;

impl<'a> Pieces<'a> {
    /// Screens for `screen`'s forms; without one, everything passes.
    pub(crate) fn new(screen: Option<&'a Screen>) -> Self {
        Self {
            screen,
            held: Vec::new(),
        }
    }

    /// Takes the next piece; returns what may be handed on now.
    pub(crate) fn push(&mut self, piece: &[u8]) -> Result<Vec<u8>, Found> {
        self.held.extend_from_slice(piece);
        let Some(screen) = self.screen else {
            return Ok(std::mem::take(&mut self.held));
        };
        if screen.finds(&self.held) {
            return Err(Found);
        }
        let keep = self.held.len().min(screen.longest.saturating_sub(1));
        let rest = self.held.split_off(self.held.len() - keep);
        Ok(std::mem::replace(&mut self.held, rest))
    }

    /// What was held back, at the end.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.held
    }
}

/// A response body that the guest receives only if it holds no secret.
struct ScreenedBody {
    inner: WasiBody,
    screen: Screen,
    /// Bytes received but not yet passed on: the tail that could start a
    /// match, or everything before the end.
    held: BytesMut,
    ended: bool,
    /// Trailers that came while bytes were still held.
    trailers: Option<Frame<Bytes>>,
    on_found: Box<dyn Fn() + Send + Sync>,
}

impl ScreenedBody {
    /// The error a body holding the secret ends in.
    fn withheld(&mut self) -> Error {
        self.held.clear();
        (self.on_found)();
        Error::InternalError(Some(
            "the response held the host's credential and was withheld".into(),
        ))
    }
}

impl Body for ScreenedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        loop {
            if this.ended {
                if !this.held.is_empty() {
                    return Poll::Ready(Some(Ok(Frame::data(this.held.split().freeze()))));
                }
                return Poll::Ready(this.trailers.take().map(Ok));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        this.held.extend_from_slice(&data);
                        if this.screen.finds(&this.held) {
                            return Poll::Ready(Some(Err(this.withheld())));
                        }
                        let keep = this.held.len().min(this.screen.longest.saturating_sub(1));
                        let ready = this.held.split_to(this.held.len() - keep);
                        if !ready.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(ready.freeze()))));
                        }
                    }
                    Err(trailers) => {
                        if trailers
                            .trailers_ref()
                            .is_some_and(|t| this.screen.finds_in_headers(t))
                        {
                            return Poll::Ready(Some(Err(this.withheld())));
                        }
                        this.trailers = Some(trailers);
                        this.ended = true;
                    }
                },
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => this.ended = true,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.held.is_empty() && self.trailers.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};

    fn screen() -> Screen {
        Screen::new(&Credentials::new("KEY1", "ab+cd/ef==SECRETxyz"))
    }

    /// `chunks` as a body, screened; what the guest gets, or `None` if it
    /// was withheld.
    async fn through(chunks: &[&str]) -> (Option<String>, bool) {
        let frames: Vec<Result<Frame<Bytes>, Error>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from(c.to_string()))))
            .collect();
        let body = StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync();
        let found = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = found.clone();
        let screened = screen().body(body, move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst)
        });
        let received = screened
            .collect()
            .await
            .ok()
            .map(|b| String::from_utf8(b.to_bytes().to_vec()).unwrap());
        (received, found.load(std::sync::atomic::Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_body_without_the_secret_passes_whole() {
        let (received, found) = through(&["{\"data\":", "[1,2,3]", "}"]).await;
        assert_eq!(Some("{\"data\":[1,2,3]}".to_string()), received);
        assert!(!found);
        let empty = Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed_unsync();
        let body = screen().body(empty, || {}).collect().await.unwrap();
        assert!(body.to_bytes().is_empty());
    }

    #[tokio::test]
    async fn every_form_of_the_secret_is_withheld_even_split_across_frames() {
        let credentials = Credentials::new("KEY1", "ab+cd/ef==SECRETxyz");
        for form in credentials.leak_forms() {
            let body = format!("{{\"echo\":\"{form}\"}}");
            for split in 1..body.len() {
                let (received, found) = through(&[&body[..split], &body[split..]]).await;
                assert_eq!(None, received, "{body} split at {split}");
                assert!(found);
            }
        }
    }

    #[test]
    fn pieces_hand_on_everything_but_a_secret_split_anywhere() {
        let credentials = Credentials::new("KEY1", "ab+cd/ef==SECRETxyz");
        let screen = screen();
        let clean = "{\"accounts\":[\"sa-1\",\"sa-2\"]}";
        for split in 0..clean.len() {
            let mut pieces = Pieces::new(Some(&screen));
            let mut passed = pieces.push(&clean.as_bytes()[..split]).unwrap();
            passed.extend(pieces.push(&clean.as_bytes()[split..]).unwrap());
            passed.extend(pieces.finish());
            assert_eq!(clean.as_bytes(), passed);
        }
        for form in credentials.leak_forms() {
            let text = format!("{{\"kept\":\"{form}\"}}");
            for split in 1..text.len() {
                let mut pieces = Pieces::new(Some(&screen));
                let first = pieces.push(&text.as_bytes()[..split]);
                let found = first.is_err() || pieces.push(&text.as_bytes()[split..]).is_err();
                assert!(found, "{text} split at {split}");
            }
        }
    }

    #[test]
    fn debug_never_shows_the_forms() {
        let shown = format!("{:?}", screen());
        let forms = Credentials::new("KEY1", "ab+cd/ef==SECRETxyz").leak_forms();
        assert_eq!(format!("Screen {{ forms: {} }}", forms.len()), shown);
    }

    #[test]
    fn headers_holding_the_secret_are_found() {
        let mut headers = hyper::HeaderMap::new();
        headers.insert("x-echo", "nothing".parse().unwrap());
        assert!(!screen().finds_in_headers(&headers));
        headers.insert("x-echo", "token ab+cd/ef==SECRETxyz".parse().unwrap());
        assert!(screen().finds_in_headers(&headers));
    }
}
