/* ws-link.h: one websocket session handed to the core as a message link
 * (wire.md 9.6: one Netceptor message = one binary WebSocket message; the
 * session ends without a close frame, like Go). */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <libsoup/soup.h>

#include "receptor/receptor-plugin.h"

typedef struct _WsLink WsLink;

/* Called once when the session is over for the backend. */
typedef void (*WsLinkDetachFunc)(gpointer owner, WsLink *link);

/* (transfer full) a session over `stream` (pollable, after the HTTP upgrade)
 * with two references: the core's (dropped in ops.close) and the `ended`
 * callback's (dropped by ws_link_ended or the owner's ended callback). */
WsLink *ws_link_new(const RcHost *host, GIOStream *stream, gboolean client, const char *peer,
		    WsLinkDetachFunc detach, gpointer owner);
WsLink *ws_link_ref(WsLink *link);
void ws_link_unref(WsLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WsLink, ws_link_unref)

/* Hand the session to the core (host->link_open) and start reading.  On
 * failure both references are dropped, the stream is closed and FALSE is
 * returned with `error` set. */
gboolean ws_link_open(WsLink *link, RcEntity *entity, RcLinkEndedFunc ended, gpointer ended_data,
		      GError **error);

/* The backend ends the session (reason nullable).  No-op once done. */
void ws_link_fail(WsLink *link, const GError *reason);

gboolean ws_link_is_done(WsLink *link);

/* RcLinkEndedFunc that drops the reference given to it. */
void ws_link_ended(gpointer user_data, const GError *reason);
