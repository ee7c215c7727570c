//! The emulator's accept loop. axum's own `serve` has no header read timeout and no limit on
//! connections, so a client dripping header bytes could hold a socket forever and a thousand
//! of them exhaust the process's file descriptors; here both are bounded. A request's body has
//! a deadline too, counted from its head ([`Deadline`]): a client dripping a body one byte at
//! a time holds its slot that long at most, whatever the pace, so slow clients cannot keep
//! every slot and starve the others. With `--tls` each connection's TLS handshake runs in that
//! connection's task, under the same limits. A connection's whole life is bounded as well, so
//! that one blocked writing answers to a client that never reads them is let go. And when every
//! slot is taken and another client is at the door, the connection that has waited longest for
//! a request head, or for the rest of a request body, gives way ([`Doorway`]): clients dripping
//! header bytes, or promising a body they never send, cannot keep the others out for as long as
//! the head's or the body's timeout, however many of them come in waves.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Limits every connection is served under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    /// The whole body must have arrived this long after the head.
    pub body_read_timeout: Duration,
    pub max_connections: usize,
    /// A connection is wound down this long after it was accepted (see [`serve_one`]).
    pub connection_lifetime: Duration,
}

/// A request body that must end by a deadline: past it, reading fails (the handler answers an
/// error and the connection closes), however steadily the client kept sending.
pub struct Deadline {
    inner: hyper::body::Incoming,
    deadline: tokio::time::Instant,
    /// The connection's state for eviction: [`BUSY`] once the whole body is in.
    wait: HeadWait,
    /// Made on the first read that needs it: most requests (a GET) have no body to wait for.
    expiry: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Deadline {
    fn new(inner: hyper::body::Incoming, within: Duration, wait: HeadWait) -> Self {
        Self {
            inner,
            deadline: tokio::time::Instant::now() + within,
            wait,
            expiry: None,
        }
    }
}

impl hyper::body::Body for Deadline {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if self.inner.is_end_stream() {
            self.wait.store(BUSY, Ordering::Relaxed);
            return Poll::Ready(None);
        }
        let deadline = self.deadline;
        let expiry = self
            .expiry
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if expiry.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("the request body did not arrive in time".into())));
        }
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(|e| Box::new(e) as Self::Error)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// The connections being served, counted apart from the semaphore, whose permits also
/// include the one the accept loop holds while it waits for the next client.
#[derive(Debug, Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    pub fn open(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One served connection: its slot and its place in the count, both given back on drop.
struct Slot {
    _permit: OwnedSemaphorePermit,
    counter: Arc<Counter>,
}

impl Slot {
    fn new(permit: OwnedSemaphorePermit, counter: Arc<Counter>) -> Self {
        counter.0.fetch_add(1, Ordering::Relaxed);
        Self {
            _permit: permit,
            counter,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counter.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection's state as eviction sees it: when it began waiting for its next request head,
/// or (with [`FOR_BODY`] set) for the rest of a request's body, in milliseconds since the server
/// started; [`BUSY`] while a request whose body is in is being answered.
type HeadWait = Arc<AtomicU64>;
const BUSY: u64 = u64::MAX;
const FOR_BODY: u64 = 1 << 63;
/// Waiting for a head this long makes a connection the first to give way to a new client. An
/// honest client sends its head at once; an idle keep-alive connection may close at any time in
/// HTTP, and clients open a new one.
const EVICTABLE_AFTER_MS: u64 = 500;

/// The connections being served, each with its head wait and a bell that tells it to close.
#[derive(Default)]
struct Doorway {
    next: u64,
    open: HashMap<u64, (HeadWait, Arc<Notify>)>,
}

impl Doorway {
    fn enter(&mut self, wait: HeadWait, bell: Arc<Notify>) -> u64 {
        self.next = self.next.wrapping_add(1);
        self.open.insert(self.next, (wait, bell));
        self.next
    }

    /// Ring the bell of the connection waiting longest for a head or a body, if one has waited
    /// long enough.
    fn make_room(&self, now_ms: u64) {
        let longest = self
            .open
            .values()
            .map(|(wait, bell)| (wait.load(Ordering::Relaxed), bell))
            .filter(|(state, _)| *state != BUSY)
            .map(|(state, bell)| (state & !FOR_BODY, bell))
            .filter(|(since, _)| now_ms.saturating_sub(*since) >= EVICTABLE_AFTER_MS)
            .min_by_key(|(since, _)| *since);
        if let Some((_, bell)) = longest {
            bell.notify_one();
        }
    }
}

fn millis_since(start: tokio::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(BUSY - 1)
}

/// Accept and serve until the task running this is aborted; aborting it also closes every
/// connection it serves, since they live in its `JoinSet`.
/// `tls` makes every connection HTTPS.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    counter: Arc<Counter>,
    tls: Option<TlsAcceptor>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let doorway = Arc::new(Mutex::new(Doorway::default()));
    let start = tokio::time::Instant::now();
    let mut connections = JoinSet::new();
    loop {
        let free = match slots.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(TryAcquireError::NoPermits) => None,
            Err(TryAcquireError::Closed) => return,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of descriptors or a connection reset before accept: wait, then go on.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Full: the connection waiting longest for a head gives way to this client. While none
        // can, the loop waits here and further clients stay in the kernel's backlog.
        let permit = match free {
            Some(permit) => permit,
            None => loop {
                doorway
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .make_room(millis_since(start));
                // Until a slot frees, ask again as each waiting connection becomes evictable.
                tokio::select! {
                    permit = slots.clone().acquire_owned() => match permit {
                        Ok(permit) => break permit,
                        Err(_) => return,
                    },
                    () = tokio::time::sleep(Duration::from_millis(EVICTABLE_AFTER_MS)) => {}
                }
            },
        };
        let wait: HeadWait = Arc::new(AtomicU64::new(millis_since(start)));
        let bell = Arc::new(Notify::new());
        let id = doorway
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .enter(wait.clone(), bell.clone());
        let (busy, idle) = (wait.clone(), wait);
        let service = app
            .clone()
            .map_request(move |req: axum::http::Request<hyper::body::Incoming>| {
                let (mut head, body) = req.into_parts();
                // Until its body is in, a request holds its slot only as long as nobody waits.
                let state = match hyper::body::Body::is_end_stream(&body) {
                    true => BUSY,
                    false => FOR_BODY | millis_since(start),
                };
                busy.store(state, Ordering::Relaxed);
                head.extensions.insert(ConnectInfo(peer));
                let body = Deadline::new(body, limits.body_read_timeout, busy.clone());
                axum::http::Request::from_parts(head, body)
            })
            .map_response(move |response| {
                idle.store(millis_since(start), Ordering::Relaxed);
                response
            });
        let slot = Slot::new(permit, counter.clone());
        let tls = tls.clone();
        let doorway = doorway.clone();
        connections.spawn(async move {
            let _slot = slot;
            let serve = async move {
                match tls {
                    None => serve_one(Box::new(stream), service, limits).await,
                    Some(acceptor) => {
                        // A handshake is held to the time a request head is: a silent client
                        // costs one slot for that long at most.
                        let handshake = tokio::time::timeout(
                            limits.header_read_timeout,
                            acceptor.accept(stream),
                        );
                        if let Ok(Ok(stream)) = handshake.await {
                            serve_one(Box::new(stream), service, limits).await;
                        }
                    }
                }
            };
            tokio::select! {
                () = serve => {}
                () = bell.notified() => {}
            }
            doorway
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .open
                .remove(&id);
        });
    }
}

/// A client's connection, plain TCP or TLS over it.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// HTTP/1.1 on one connection, plain or TLS, until it closes. One HTTP server serves both
/// kinds of connection behind a box, rather than a copy of hyper's for each.
async fn serve_one<S>(io: Box<dyn Connection>, service: S, limits: Limits)
where
    S: tower::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // A connection that fails (reset, timed out, malformed) concerns that client only.
    let connection = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    tokio::pin!(connection);
    // The head and body deadlines bound reading; writing has none in hyper, and a client that
    // pipelines requests without reading the answers leaves the connection blocked on a full
    // socket for ever. So every connection has a lifetime: at its end it finishes the answer
    // in flight and closes, and one that cannot finish within a head's time is dropped.
    tokio::select! {
        _ = connection.as_mut() => return,
        () = tokio::time::sleep(limits.connection_lifetime) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.header_read_timeout, connection).await;
}
