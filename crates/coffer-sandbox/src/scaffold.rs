//! What every emulator's routes share: an axum extractor that authenticates a request the way
//! its provider does before the handler's own logic runs, and the one lock of the emulator's
//! state behind it. A handler names who may call it in its signature
//! (`Authed<Merchant>`), returns `Result<Response, Rejection>`, and every refusal is the
//! provider's own published answer, so handlers stop repeating "authorize, lock, or return".
//!
//! The extractor yields the emulator and the caller, not a held lock: a `std::sync::MutexGuard`
//! is not `Send`, and a body extractor still awaits after the head extractors ran, so the guard
//! is taken in the handler ([`Emulated::lock`], one `?`) and dropped before any `.await`.
//!
//! Where a provider puts the credentials in the body (Assist's `Merchant_ID`, `Login` and
//! `Password` among the parameters of any of its formats), [`AuthedBody`] reads the whole body
//! first and then authenticates the same way. Svea's credentials sit in the form too, but which
//! fields its request hash covers differs per service, so its handlers check them themselves.

use std::future::Future;
use std::sync::{Arc, MutexGuard};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::HeaderMap;

/// An emulator as its routes see it: its state behind one lock, and the provider's answer
/// when a request cannot go on.
pub(crate) trait Emulated: Send + Sync + 'static {
    /// Everything the emulator keeps.
    type State;
    /// A refusal in the provider's published shape (status and body).
    type Rejection: IntoResponse + Send;
    /// Locks the state, or says how the provider answers when it cannot.
    fn lock(&self) -> Result<MutexGuard<'_, Self::State>, Self::Rejection>;
}

/// One of a provider's ways to say who calls, read from the request's head (headers, path).
pub(crate) trait Credentials: Sized + Send + 'static {
    /// The emulator these credentials are checked against.
    type Emulator: Emulated;
    /// Who the request comes from, or the provider's refusal.
    fn authenticate(
        emulator: &Self::Emulator,
        parts: &Parts,
    ) -> Result<Self, <Self::Emulator as Emulated>::Rejection>;
}

/// A request whose credentials the provider accepted: the emulator and who called.
pub(crate) struct Authed<C: Credentials> {
    /// The emulator that answers.
    pub emu: Arc<C::Emulator>,
    /// Who the credentials name.
    pub caller: C,
}

impl<C: Credentials> FromRequestParts<Arc<C::Emulator>> for Authed<C> {
    type Rejection = <C::Emulator as Emulated>::Rejection;

    fn from_request_parts(
        parts: &mut Parts,
        emulator: &Arc<C::Emulator>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        // Decided before the future is made, so the future holds no borrow of `parts`.
        let authed = C::authenticate(emulator, parts).map(|caller| Authed {
            emu: Arc::clone(emulator),
            caller,
        });
        std::future::ready(authed)
    }
}

/// One of a provider's ways to say who calls when the credentials travel in the body.
pub(crate) trait BodyCredentials: Sized + Send + 'static {
    /// The emulator these credentials are checked against.
    type Emulator: Send + Sync + 'static;
    /// A refusal in the provider's published shape.
    type Rejection: IntoResponse;
    /// Who the request comes from (with what the handler needs of the parsed body), or the
    /// provider's refusal.
    fn authenticate(
        emulator: &Self::Emulator,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Self, Self::Rejection>;
}

/// A request whose body carried credentials the provider accepted: the emulator and who called.
pub(crate) struct AuthedBody<C: BodyCredentials> {
    /// The emulator that answers.
    pub emu: Arc<C::Emulator>,
    /// Who the credentials name, with the parsed request.
    pub caller: C,
}

impl<C: BodyCredentials> FromRequest<Arc<C::Emulator>> for AuthedBody<C> {
    type Rejection = Response;

    async fn from_request(request: Request, emulator: &Arc<C::Emulator>) -> Result<Self, Response> {
        let headers = request.headers().clone();
        // A body that cannot be read is answered as axum answers a `Bytes` handler argument.
        let body = Bytes::from_request(request, emulator)
            .await
            .map_err(IntoResponse::into_response)?;
        let caller =
            C::authenticate(emulator, &headers, &body).map_err(IntoResponse::into_response)?;
        Ok(AuthedBody {
            emu: Arc::clone(emulator),
            caller,
        })
    }
}
