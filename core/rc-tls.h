/* rc-tls.h: named TLS configurations (tls-server / tls-client, tls.md 1),
 * Receptor's peer verification (tls.md 4-6) and a GIOStream that runs TLS
 * over another pollable GIOStream on the main loop (GnuTLS, tls.md 10).
 *
 * Everything of one node hangs off core->tls (an RcTlsStore, created on first
 * use by rc_tls_store_get()).  The pure helpers at the end (PEM scanning,
 * fingerprints, node-ID SANs, host names) log nothing and are fuzzed. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

/* The core entities (config.md 9.3 / Appendix A), kind RC_ENTITY_RESOURCE. */
extern const RcEntityDesc rc_tls_server_entity;
extern const RcEntityDesc rc_tls_client_entity;

/* OID of the Receptor node-ID otherName SAN (tls.md 5.1). */
#define RC_TLS_OID_RECEPTOR_NAME "1.3.6.1.4.1.2312.19.1"

/* One prepared tls-server or tls-client (immutable once built, ref-counted). */
typedef struct _RcTlsConfig RcTlsConfig;

/* ------------------------------------------------------------------ store */

/* (transfer full) A store holding only the built-in client config `default`
 * (tls.md 1.4). */
RcTlsStore *rc_tls_store_new(void);
void rc_tls_store_free(RcTlsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTlsStore, rc_tls_store_free)

/* (transfer none) core->tls, created on first use (freed by rc_core_free
 * through rc_core_add_cleanup). */
RcTlsStore *rc_tls_store_get(RcCore *core);

/* Prepare a tls-server (`server`) or tls-client from its a{sv} parameters
 * exactly as tls.md 1.3 says (files read once, here) and store it under its
 * name, replacing an earlier one of the same name.  `node_id` is this node's
 * ID for the start-up node-ID check (tls.md 5.3).  The GError message is the
 * user-visible text after "Error: ", e.g. "error preparing tls server config:
 * open /x.crt: no such file or directory" or "must provide a name". */
gboolean rc_tls_store_add(RcTlsStore *store, gboolean server, GVariant *params,
			  const char *node_id, GError **error);

/* (transfer full) Look a config up (tls.md 1.5): "unknown TLS config <name>",
 * or for the built-in `default` client "pinned fingerprints missing for
 * default".  `name` must be non-empty. */
RcTlsConfig *rc_tls_store_lookup(RcTlsStore *store, const char *name, gboolean server,
				 GError **error);
/* Same check without returning the config (RcHost tls_check). */
gboolean rc_tls_store_check(RcTlsStore *store, const char *name, gboolean server,
			    GError **error);

/* (transfer full) A client config that is not in any store, for receptorctl
 * (tls.md 8.6): `rootcas` (nullable: system trust), `cert`/`key` (both or
 * neither, nullable), `insecureskipverify` disables only the host-name check
 * as in receptorctl (the chain is still verified). */
RcTlsConfig *rc_tls_config_new_ctl_client(const char *rootcas, const char *cert,
					  const char *key, gboolean insecureskipverify,
					  GError **error);

RcTlsConfig *rc_tls_config_ref(RcTlsConfig *config);
void rc_tls_config_unref(RcTlsConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTlsConfig, rc_tls_config_unref)

/* (transfer none) */
const char *rc_tls_config_get_name(RcTlsConfig *config);
gboolean rc_tls_config_is_server(RcTlsConfig *config);

/* ------------------------------------------------------------------ streams */

/* Run the TLS handshake over `base` (whose input and output streams must be
 * pollable, e.g. a GSocketConnection) asynchronously on the thread-default
 * main context, and give a GIOStream carrying the plaintext whose input and
 * output streams are pollable (so async reads, writes and
 * g_io_stream_splice_async work with backpressure).  The new stream takes a
 * reference on `base` and closes it when closed.
 * Clients verify the server as tls.md 4.2 says for a DNS-type name:
 * `server_name` (nullable) is the host part of the dialled address; it is sent
 * as SNI unless it is an IP literal.  Servers verify clients as tls.md 3/4.3
 * say.  Verification failures are logged at ERROR with the "RVF ..." lines of
 * tls.md 4.1 and returned with the spec's text (e.g. "tls: failed to verify
 * certificate: x509: certificate signed by unknown authority"). */
void rc_tls_wrap_async(RcTlsConfig *config, GIOStream *base, const char *server_name,
		       GCancellable *cancellable, GAsyncReadyCallback callback,
		       gpointer user_data);
/* (transfer full) */
GIOStream *rc_tls_wrap_finish(GAsyncResult *result, GError **error);

/* Blocking variant for command-line tools (receptorctl): never call it on the
 * daemon's loop.  (transfer full) */
GIOStream *rc_tls_wrap_sync(RcTlsConfig *config, GIOStream *base, const char *server_name,
			    GCancellable *cancellable, GError **error);

/* By name from the store (what RcHost tls_wrap_async does).  A lookup error
 * is reported through the callback. */
void rc_tls_store_wrap_async(RcTlsStore *store, const char *name, gboolean server,
			     GIOStream *base, const char *server_name,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data);

/* TRUE when `stream` was made by rc_tls_wrap_*. */
gboolean rc_tls_is_tls_stream(GIOStream *stream);

/* (transfer none) (nullable) The GnuTLS session of a TLS stream. */
gnutls_session_t rc_tls_stream_get_session(GIOStream *stream);

/* receptor-c extension (tls.md 5.4, docs/differences.md "TLS"): the link layer
 * calls this after the peer's first routing update announced `node_id`.
 * When the stream's tls-server/tls-client has `verifypeernodeid: true` the
 * peer's (verified) certificate must carry `node_id` in a Receptor otherName
 * SAN; the error texts are those of tls.md 5.4.  Always TRUE for streams that
 * are not TLS or whose config does not ask for the binding. */
gboolean rc_tls_peer_matches_node(GIOStream *tls_stream, const char *node_id, GError **error);

/* ------------------------------------------------------------------ QUIC */

/* Per-session verification state for sessions this module does not drive
 * itself (mesh streams over QUIC with ngtcp2's GnuTLS helper). */
typedef struct _RcTlsVerify RcTlsVerify;

/* Configure `session` (already gnutls_init'ed by the caller, who keeps
 * gnutls_session_set_ptr for itself) for a mesh stream with the named config
 * (tls.md 8.4): credentials, the mesh priority string of tls.md 10.2,
 * client-certificate mode and a verify function (rc_tls_verify_session).
 * Client (`server` FALSE): Receptor-type verification against
 * `expected_node_id` (the dialled node), no SNI.  Server: in
 * require-and-verify mode the client certificate must carry
 * `expected_node_id` (the connecting node) and pins are ignored; in
 * verify-if-given mode DNS-type rules with pins (tls.md 3).  ALPN is the
 * caller's.  Returns the verification state (transfer full), which the caller
 * frees with rc_tls_verify_free() after gnutls_deinit(); NULL and `error` on
 * an unknown config. */
RcTlsVerify *rc_tls_setup_session(RcTlsStore *store, const char *name, gboolean server,
				  gnutls_session_t session, const char *expected_node_id,
				  GError **error);
void rc_tls_verify_free(RcTlsVerify *verify);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTlsVerify, rc_tls_verify_free)

/* The certificate verify function installed by rc_tls_setup_session (usable
 * with gnutls_session_set_verify_function; finds its state through
 * gnutls_db_get_ptr).  0 accepts; non-zero aborts the handshake. */
int rc_tls_verify_session(gnutls_session_t session);

/* (transfer none) (nullable) Why verification failed, e.g. "x509: certificate
 * is valid for Receptor node ID node1, not node2". */
const char *rc_tls_verify_get_error(RcTlsVerify *verify);

/* ------------------------------------------------------------------ pure helpers */

/* One PEM block (Go encoding/pem rules, tls.md 1.3 step 3). */
typedef struct {
	char *label;
	GBytes *der;
} RcPemBlock;
void rc_pem_block_free(RcPemBlock *block);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcPemBlock, rc_pem_block_free)

/* (transfer full) Every decodable PEM block of `data`, in order; text between
 * blocks and undecodable blocks are skipped as Go's pem.Decode loop does.
 * Element type RcPemBlock*. */
GPtrArray *rc_pem_parse(const guint8 *data, gsize len);

/* (transfer full) Decode pinned fingerprints (tls.md 6) into GBytes of 32 or
 * 64 octets.  Errors: "error decoding fingerprint", "fingerprints must be 32
 * or 64 bytes for sha256 or sha512". */
GPtrArray *rc_tls_decode_fingerprints(const char *const *fingerprints, GError **error);

/* TRUE when the SHA-256/512 of `der` equals one of `pins` (GBytes*). */
gboolean rc_tls_pins_match(GPtrArray *pins, const guint8 *der, gsize len);

/* (transfer full) Node IDs from the Receptor otherName SANs of `crt`, in
 * certificate order (tls.md 5.1), or NULL and an error. */
GPtrArray *rc_tls_receptor_names(gnutls_x509_crt_t crt, GError **error);

/* (transfer full) tls.md 5.4's mismatch text for `names` (char*). */
char *rc_tls_receptor_name_error(GPtrArray *names, const char *expected);

/* Go's host-name check (tls.md 4.4): SANs only, never the CN.  The error
 * message is the x509 text without any "tls:" prefix. */
gboolean rc_tls_check_hostname(gnutls_x509_crt_t crt, const char *host, GError **error);
