/* rc-quic.h: QUIC (ngtcp2 0.12 + GnuTLS) over mesh datagrams (streams.md 1-4, 9).
 *
 * An RcQuicEndpoint is the C counterpart of one quic-go transport: it owns one
 * bound mesh service (through RcQuicTransportOps, so unit tests can join two
 * endpoints in-process without Netceptor), demultiplexes received datagrams by
 * destination connection ID, accepts connections (listener) or runs one dial.
 * An RcQuicConn is one QUIC connection carrying exactly one bidirectional
 * stream (ID 0, streams.md 3.3); RcStream (rc-stream.h) wraps it as a
 * GIOStream.  Everything runs on the thread-default main context of the
 * creator; nothing here blocks.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

typedef struct _RcQuicEndpoint RcQuicEndpoint;
typedef struct _RcQuicConn RcQuicConn;

/* How an endpoint reaches the mesh.
 * send:  send one datagram from the endpoint's service to node:service.
 *        FALSE + error for a local failure (Go texts: "no route to node",
 *        "service unknown", streams.md 1.3).  Must not call back into the
 *        endpoint synchronously (local delivery is queued, streams.md 9).
 * close: the endpoint is done: unbind the service (withdraw its
 *        advertisement).  Called once; transport_data is not used afterwards. */
/* can_send: (nullable) FALSE when the mesh has no room right now for a
 *        datagram of `len` bytes towards `node` (the first link's queue is
 *        full); the transport then calls rc_quic_endpoint_writable() once
 *        there is room again.  Senders wait instead of losing packets
 *        (streams.md pitfall 24). */
typedef struct {
	gboolean (*send)(gpointer transport_data, const char *node, const char *service,
			 const guint8 *data, gsize len, GError **error);
	void (*close)(gpointer transport_data);
	gboolean (*can_send)(gpointer transport_data, const char *node, gsize len);
} RcQuicTransportOps;

/* Application TLS (a named tls-server / tls-client, streams.md 5).  NULL ops =
 * the built-in insecure mode (self-signed "netceptor-insecure-common-name"
 * certificate, streams.md 2.2 / 4.4).
 * setup:        configure credentials, priority, client-certificate mode and
 *               certificate verification on a fresh session; `peer_node` is
 *               the node the peer must prove (dial target, or the dialer's
 *               node on a listener).  Must not touch the session pointer (it
 *               belongs to ngtcp2) or ALPN.  *session_state (nullable) is kept
 *               with the connection.  FALSE + error to refuse.
 * verify_error: (nullable) why the peer's certificate was refused (the text
 *               reported in CRYPTO_ERROR messages), or NULL.
 * session_free: (nullable) release a session_state after gnutls_deinit.
 * free:         (nullable) release `data` when the endpoint is freed. */
typedef struct {
	gboolean (*setup)(gpointer data, gnutls_session_t session, gboolean server,
			  const char *peer_node, gpointer *session_state, GError **error);
	const char *(*verify_error)(gpointer session_state);
	void (*session_free)(gpointer session_state);
	void (*free)(gpointer data);
} RcQuicTlsOps;

/* Timeouts, all in microseconds; 0 = the Go value (streams.md 2.4, 8).
 * Tests shorten them; the daemon uses the defaults. */
typedef struct {
	gint64 idle_timeout_us;           /* 30 s  max_idle_timeout */
	gint64 handshake_idle_timeout_us; /* 15 s  no packet during the handshake */
	gint64 handshake_timeout_us;      /* 30 s  whole handshake */
	gint64 keepalive_us;              /* 15 s  dialer PING period */
	gint64 accept_timeout_us;         /* 60 s  listener wait for stream 0 */
	gint64 linger_us;                 /* 30 s  before closing a finished connection */
} RcQuicTimeouts;

/* A stream accepted by a listening endpoint: `conn` is (transfer none); take a
 * reference (rc_quic_conn_ref) to keep it.  Called from the main loop, never
 * from inside ngtcp2. */
typedef void (*RcQuicAcceptFunc)(gpointer user_data, RcQuicConn *conn);

/* Create an endpoint bound (by the caller) to `service` on node `local_node`.
 * `listen`: accept incoming connections (else only dials).  `tls_ops` (nullable)
 * and `tls_data` per RcQuicTlsOps (the endpoint calls tls_ops->free).
 * `timeouts` (nullable) is copied.  (transfer full) (nullable) */
RcQuicEndpoint *rc_quic_endpoint_new(const char *local_node, const char *service,
				     gboolean listen, const RcQuicTransportOps *ops,
				     gpointer transport_data, const RcQuicTlsOps *tls_ops,
				     gpointer tls_data, const RcQuicTimeouts *timeouts,
				     GError **error);
RcQuicEndpoint *rc_quic_endpoint_ref(RcQuicEndpoint *ep);
void rc_quic_endpoint_unref(RcQuicEndpoint *ep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcQuicEndpoint, rc_quic_endpoint_unref)

const char *rc_quic_endpoint_get_service(RcQuicEndpoint *ep);

/* Listener: where accepted streams go. */
void rc_quic_endpoint_set_accept(RcQuicEndpoint *ep, RcQuicAcceptFunc func, gpointer user_data);

/* One mesh datagram for this endpoint's service (copied; processed later from
 * the main loop; tail-dropped when RC_QUIC_RX_QUEUE_MAX are waiting,
 * streams.md 1.4). */
void rc_quic_endpoint_deliver(RcQuicEndpoint *ep, const char *from_node, const char *from_service,
			      const guint8 *data, gsize len);

/* The same, processed at once.  Only for callers that run straight from the
 * main loop (never from inside an RcQuicTransportOps call), e.g. Netceptor's
 * local delivery: saves a queue and a copy on the data path. */
void rc_quic_endpoint_receive(RcQuicEndpoint *ep, const char *from_node,
			      const char *from_service, const guint8 *data, gsize len);

/* The transport has room again (see RcQuicTransportOps.can_send): resume
 * connections that stopped writing. */
void rc_quic_endpoint_writable(RcQuicEndpoint *ep);

/* An unreachable notification about a datagram this endpoint sent to
 * to_node:to_service (streams.md 1.7).  "service unknown" aborts dials
 * ("context canceled") and ends established streams. */
void rc_quic_endpoint_unreachable(RcQuicEndpoint *ep, const char *to_node,
				  const char *to_service, const char *problem);

/* Close: connections still in the accept phase are closed with
 * "Listener Closed" (code 500), established connections with "normal close"
 * (code 0); the transport is closed.  Idempotent. */
void rc_quic_endpoint_close(RcQuicEndpoint *ep);

/* Number of live connections (tests, status). */
guint rc_quic_endpoint_get_n_conns(RcQuicEndpoint *ep);

/* Dial node:service from `ep` (a fresh, non-listening endpoint that the dial
 * owns from now on: it is closed when the connection ends or the dial fails).
 * Completes when the handshake is done and stream 0 carries the 0x00 byte
 * (streams.md 3.1). */
void rc_quic_dial_async(RcQuicEndpoint *ep, const char *node, const char *service,
			GCancellable *cancellable, GAsyncReadyCallback callback,
			gpointer user_data);
/* (transfer full) (nullable) */
RcQuicConn *rc_quic_dial_finish(GAsyncResult *result, GError **error);

/* ------------------------------------------------------------ connections */

RcQuicConn *rc_quic_conn_ref(RcQuicConn *conn);
void rc_quic_conn_unref(RcQuicConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcQuicConn, rc_quic_conn_unref)

const char *rc_quic_conn_get_remote_node(RcQuicConn *conn);    /* (transfer none) */
const char *rc_quic_conn_get_remote_service(RcQuicConn *conn); /* (transfer none) */
const char *rc_quic_conn_get_local_service(RcQuicConn *conn);  /* (transfer none) */

/* Stream 0 I/O, non-blocking.  recv: bytes read, 0 at EOF, -1 + error
 * (G_IO_ERROR_WOULD_BLOCK when nothing is buffered yet).  send: bytes
 * accepted into the bounded send buffer (RC_QUIC_SEND_BUFFER), -1 + error
 * (G_IO_ERROR_WOULD_BLOCK when full). */
gssize rc_quic_conn_recv(RcQuicConn *conn, guint8 *buf, gsize len, GError **error);
gssize rc_quic_conn_send(RcQuicConn *conn, const guint8 *buf, gsize len, GError **error);
/* TRUE when recv/send would not block (data, EOF or error / room or error). */
gboolean rc_quic_conn_is_readable(RcQuicConn *conn);
gboolean rc_quic_conn_is_writable(RcQuicConn *conn);
/* A source that dispatches while the condition (G_IO_IN / G_IO_OUT) holds;
 * callback is a GSourceFunc.  (transfer full) */
GSource *rc_quic_conn_create_source(RcQuicConn *conn, GIOCondition condition);

/* Half close: FIN after the buffered data (streams.md 3.5). */
void rc_quic_conn_shutdown_write(RcQuicConn *conn);
/* Stop reading: STOP_SENDING 499 unless the peer already finished. */
void rc_quic_conn_shutdown_read(RcQuicConn *conn);
/* CONNECTION_CLOSE now, application code 0, "normal close". */
void rc_quic_conn_close(RcQuicConn *conn);
/* TRUE once the connection is gone (closed, timed out, reset). */
gboolean rc_quic_conn_is_closed(RcQuicConn *conn);

G_END_DECLS
