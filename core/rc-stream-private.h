/* rc-stream-private.h: RcStream internals shared by rc-stream.c and tests. */
#pragma once

#include "rc-quic.h"
#include "rc-stream.h"

G_BEGIN_DECLS

/* Wrap stream 0 of `conn` as a GIOStream.  (transfer full) */
RcStream *rc_stream_new_for_conn(RcQuicConn *conn);
/* (transfer none) */
RcQuicConn *rc_stream_get_conn(RcStream *self);

G_END_DECLS
