/* rc-link.h: one backend session running the Netceptor link protocol
 * (wire.md 5): framing of stream backends (2-byte LE length, wire.md 9.4) into
 * one fixed read buffer, bounded send queues, the link state machine
 * (initial connect messages, acceptance checks, rejection, teardown) and the
 * RcHost link calls.  RcLink is the opaque handle of the plugin ABI. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

G_BEGIN_DECLS

/* One frame: 2-byte LE length + at most 65535 bytes (wire.md 9.4). */
#define RC_LINK_READ_BUFFER (2 + 65535)
/* Send queue bounds per link (STYLE.md 4 "bounded everything"; Go blocks the
 * sender instead, wire.md 7.3).  Above HIGH, data messages (datagrams) to this
 * link are dropped; routing updates, advertisements and rejects are still
 * queued up to MAX, beyond which the peer is not reading and the link ends. */
#define RC_LINK_SEND_QUEUE_HIGH (1024 * 1024)
#define RC_LINK_SEND_QUEUE_MAX  (8 * 1024 * 1024)
/* Flow control of data messages (streams.md pitfall 24, bench-streams):
 * local QUIC senders stop at HIGH and are woken below LOW; a relay keeps
 * queueing data it forwards above HIGH (up to FORWARD_MAX, beyond which it
 * drops) and pauses reading the stream link the data came from until this
 * queue is below LOW again, as Go's blocking send does (wire.md 7.3).  A
 * paused reader resumes after PAUSE_MAX_MS whatever happens, so cyclic waits
 * between nodes cannot deadlock (they degrade to drops). */
#define RC_LINK_SEND_QUEUE_LOW (512 * 1024)
#define RC_LINK_SEND_QUEUE_FORWARD_MAX (4 * 1024 * 1024)
#define RC_LINK_PAUSE_MAX_MS 200
/* Frames handed to one writev (a fixed vector array per link). */
#define RC_LINK_WRITE_BATCH 32
/* Initial connect messages: every 1 s, give up after 11 sends (wire.md 5.2). */
#define RC_LINK_INIT_INTERVAL_MS 1000
#define RC_LINK_INIT_MAX_SENDS   11
/* How long a rejecting link waits for its reject message to be written
 * before it closes anyway (wire.md 5.5 "flush the reject before closing"). */
#define RC_LINK_REJECT_FLUSH_MS 2000

/* RcHost implementations (include/receptor/receptor-plugin.h).  The stream is
 * referenced (transfer none); `ended` may be NULL and is called once, from
 * the main loop, after the link is over. */
RcLink *rc_link_open_stream(RcEntity *entity, GIOStream *stream, const char *peer,
			    RcLinkEndedFunc ended, gpointer user_data, GError **error);
RcLink *rc_link_open(RcEntity *entity, const RcLinkOps *ops, gpointer link_data,
		     const char *peer, RcLinkEndedFunc ended, gpointer user_data, GError **error);
void rc_link_received(RcLink *link, GBytes *message);
void rc_link_writable(RcLink *link);
void rc_link_closed(RcLink *link, const GError *reason);
void rc_link_set_transport(RcLink *link, GIOStream *transport);

/* For the netceptor runtime. */
gboolean rc_link_is_established(RcLink *link);
const char *rc_link_get_remote_node(RcLink *link); /* (transfer none) (nullable) */
const char *rc_link_get_peer(RcLink *link);        /* (transfer none) */
double rc_link_get_cost(RcLink *link);
gint64 rc_link_get_last_received_us(RcLink *link);
/* Queue one whole message (never empty).  FALSE when dropped (link closed,
 * queue above its bound, or longer than the backend can carry). */
gboolean rc_link_send(RcLink *link, GBytes *message);
/* Data-message flow control (see RC_LINK_SEND_QUEUE_LOW above).
 * has_room: a data message of `size` bytes would be queued below HIGH.
 * send_forwarded: queue a data message being relayed; above HIGH it is still
 *   queued (up to FORWARD_MAX) and `from` (nullable, the link it arrived on)
 *   stops reading until this link's queue is below LOW.  FALSE when dropped.
 * When the queue of a link that refused or paused anything falls below LOW,
 * the link calls rc_netceptor_link_drained(). */
gboolean rc_link_has_room(RcLink *link, gsize size);
gboolean rc_link_send_forwarded(RcLink *link, GBytes *message, RcLink *from);
/* Stop reading (stream backends only; message backends cannot be paused)
 * until rc_link_resume_reading() or RC_LINK_PAUSE_MAX_MS have passed. */
void rc_link_pause_reading(RcLink *link);
void rc_link_resume_reading(RcLink *link);
/* End the link now.  `log_line` (nullable) is logged at ERROR first. */
void rc_link_end(RcLink *link, const char *log_line);
/* Send the reject message, log the Go rejection line for `reason` and end
 * the link once the reject is written (wire.md 5.5). */
void rc_link_reject(RcLink *link, const char *reason);

G_END_DECLS
